/**
 * Logging setup. Structured logs through pino; what Flume users pass keeps working:
 *
 * - `-Dflume.root.logger=LEVEL,appender`: LEVEL is TRACE, DEBUG, INFO (default), WARN, ERROR, FATAL or
 *   OFF; appender `console` writes to standard output (as log4j's console appender does), anything else
 *   (`LOGFILE`, `DRFA`…) writes to `${flume.log.dir}/${flume.log.file}` (defaults `./logs/flume.log`).
 * - `-Dflumen.log.format=text|json`: `text` (default) prints one readable line per entry —
 *   `2026-11-20T10:00:00.123Z INFO  [SINK.k1] Message key=value …` — and `json` prints pino's JSON lines,
 *   for log shippers.
 *
 * Writes are synchronous: log lines are rare next to events (the logger sink aside), and a crash must not
 * lose the line that explains it.
 */

import { mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pino, { type Logger } from 'pino'
import { LogRing } from '../monitoring/log-ring.ts'

export interface LogSettings {
  readonly level: pino.LevelWithSilent
  readonly file: string | undefined
  readonly format: 'text' | 'json'
}

const LEVELS: Record<string, pino.LevelWithSilent> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  OFF: 'silent',
  ALL: 'trace',
}

export function logSettings(sys: ReadonlyMap<string, string>): LogSettings {
  const root = (sys.get('flume.root.logger') ?? 'INFO,console').split(',').map((s) => s.trim())
  const level = LEVELS[(root[0] ?? 'INFO').toUpperCase()] ?? 'info'
  const appender = (root[1] ?? 'console').toLowerCase()
  const file =
    appender === 'console'
      ? undefined
      : join(sys.get('flume.log.dir') ?? './logs', sys.get('flume.log.file') ?? 'flume.log')
  const format = sys.get('flumen.log.format')?.toLowerCase() === 'json' ? 'json' : 'text'
  return { level, file, format }
}

const LABEL: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
}
const OMIT = new Set(['level', 'time', 'msg', 'component', 'pid', 'hostname', 'type'])

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v)
  return JSON.stringify(v)
}

/** Renders one pino JSON line as a readable text line. */
export function textLine(json: string): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  return textOf(o)
}

function textOf(o: Record<string, unknown>): string {
  const time = new Date(typeof o.time === 'number' ? o.time : Date.now()).toISOString()
  const label = LABEL[o.level as number] ?? String(o.level)
  const comp = typeof o.component === 'string' ? ` [${o.component}]` : ''
  let line = `${time} ${label}${comp} ${typeof o.msg === 'string' ? o.msg : ''}`
  for (const k of Object.keys(o)) {
    if (OMIT.has(k)) continue
    line += ` ${k}=${formatValue(o[k])}`
  }
  return `${line}\n`
}

/**
 * `ring`, when given, receives every warning, error and fatal entry (the dashboard's "recent errors");
 * other lines are not parsed for it.
 */
export function createLogger(settings: LogSettings, ring?: LogRing): Logger {
  let fd = 1
  if (settings.file !== undefined) {
    mkdirSync(dirname(settings.file), { recursive: true })
    fd = openSync(settings.file, 'a')
  }
  const text = settings.format === 'text'
  const stream = {
    write(s: string) {
      let out = s
      if (text || (ring !== undefined && LogRing.levelOf(s) !== undefined)) {
        let o: Record<string, unknown> | undefined
        try {
          o = JSON.parse(s) as Record<string, unknown>
        } catch {
          o = undefined
        }
        if (o !== undefined) {
          ring?.add(o)
          if (text) out = textOf(o)
        }
      }
      let buf = Buffer.from(out, 'utf8')
      while (buf.length > 0) {
        try {
          const n = writeSync(fd, buf)
          buf = buf.subarray(n)
        } catch (e) {
          // A full pipe on a non-blocking stdout: retry; any other error drops the line.
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return
        }
      }
    },
  }
  return pino(
    {
      level: settings.level,
      base: { pid: process.pid },
      serializers: { error: pino.stdSerializers.err },
    },
    stream,
  )
}
