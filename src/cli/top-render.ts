/**
 * Renders a status frame (src/monitoring/status.ts) as the text `flumen top` shows: a header, where
 * backpressure starts, the reload state, one row per component with its rates, fill and runway, and the
 * most recent errors. Pure: frame in, lines out; colors are ANSI SGR codes when asked for.
 */

import type { ComponentFrame, StatusFrame } from '../monitoring/status.ts'

export interface RenderOptions {
  /** Terminal width; lines are cut to it. */
  readonly width: number
  /** Rows available (errors are trimmed to fit); undefined = no limit. */
  readonly height?: number
  readonly color: boolean
  readonly url: string
}

const SGR = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
}

export function fmtRate(r: number | null | undefined): string {
  if (r === null || r === undefined) return '—'
  if (r < 10) return r.toFixed(1)
  return Math.round(r).toLocaleString('en-US')
}

export function fmtRunway(s: number | null | undefined): string {
  if (s === null || s === undefined) return '∞'
  if (s <= 0) return 'full'
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`
  return `${Math.round(s / 86400)} d`
}

function fmtUptime(s: number): string {
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${m}m` : `${m}m${s % 60}s`
}

const clock = (t: number) => new Date(t).toISOString().slice(11, 19)

function shortType(t: string): string {
  return t.includes('.') ? t.slice(t.lastIndexOf('.') + 1) : t
}

/** Display width, ignoring ANSI sequences (the text here is single-width). */
function visible(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length
}

/** Cuts a line to `width` visible characters, keeping ANSI sequences balanced. */
export function cut(s: string, width: number): string {
  if (visible(s) <= width) return s
  let out = ''
  let n = 0
  for (let i = 0; i < s.length && n < width; ) {
    const m = /^\x1b\[[0-9;]*m/.exec(s.slice(i))
    if (m !== null) {
      out += m[0]
      i += m[0].length
      continue
    }
    out += s[i]
    i++
    n++
  }
  return s.includes('\x1b[') ? `${out}${SGR.reset}` : out
}

function bar(fill: number, width: number): string {
  const full = Math.round(Math.max(0, Math.min(1, fill)) * width)
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`
}

export function renderTop(f: StatusFrame, o: RenderOptions): string[] {
  const c = (code: string, s: string) => (o.color ? `${code}${s}${SGR.reset}` : s)
  const lines: string[] = []
  const a = f.agent
  const readiness = a.ready
    ? c(SGR.green, 'READY')
    : c(SGR.red, a.state === 'running' ? 'NOT READY' : a.state.toUpperCase())
  lines.push(
    `${c(SGR.bold, `flumen top — ${a.name}`)} @ ${o.url}   flumen ${a.version} · pid ${a.pid} · up ${fmtUptime(a.uptimeSec)} · RSS ${(a.rssBytes / 1048576).toFixed(0)} MB · ${readiness}`,
  )
  const p = f.backpressure[0]
  if (f.intervalSec === null) lines.push(c(SGR.dim, 'Measuring rates…'))
  else if (p === undefined) lines.push(c(SGR.green, 'No backpressure.'))
  else {
    const col = p.severity === 'filling' ? SGR.yellow : SGR.red
    lines.push(c(col, `Backpressure starts at ${c(SGR.bold, p.origin)}${o.color ? col : ''}: ${p.reason}`))
    for (const q of f.backpressure.slice(1)) lines.push(c(SGR.dim, `  also ${q.origin}: ${q.reason}`))
  }
  const r = f.reload
  const last =
    r.last === undefined
      ? ''
      : ` · last ${clock(r.last.at)} ${r.last.result} (${r.last.trigger}): ${r.last.message}`
  lines.push(
    `Reloads: ${r.watching ? `watching every ${r.pollIntervalSec} s` : 'not watching'} · ${r.count} reloads, ${r.failures} refused${last}`,
  )
  lines.push('')

  const rows: string[][] = [['COMPONENT', 'TYPE', 'STATE', 'IN/s', 'OUT/s', 'FAIL/s', 'FILL', 'RUNWAY']]
  const colorOf: (string | undefined)[] = [undefined]
  const origin = p?.origin
  for (const x of f.components as ComponentFrame[]) {
    const isChan = x.kind === 'channel'
    const fill =
      isChan && x.fill !== null && x.fill !== undefined
        ? `${bar(x.fill, 10)} ${(x.fill * 100).toFixed(1).padStart(5)}%`
        : ''
    rows.push([
      x.id + (x.id === origin ? ' <' : ''),
      shortType(x.type),
      x.state,
      fmtRate(x.inRate),
      fmtRate(x.outRate),
      isChan ? '' : fmtRate(x.failRate),
      fill,
      isChan ? fmtRunway(x.runwaySec) : '',
    ])
    colorOf.push(
      x.id === origin
        ? SGR.red
        : x.state === 'running'
          ? undefined
          : x.state === 'retrying'
            ? SGR.yellow
            : SGR.dim,
    )
  }
  const widths = (rows[0] as string[]).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] as string).length)),
  )
  const right = new Set([3, 4, 5, 7])
  rows.forEach((row, ri) => {
    const text = row
      .map((cell, i) =>
        right.has(i) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd()
    const col = colorOf[ri]
    lines.push(ri === 0 ? c(SGR.bold, text) : col === undefined ? text : c(col, text))
  })

  lines.push('')
  lines.push(c(SGR.bold, 'Recent errors'))
  const room = o.height === undefined ? 10 : Math.max(1, o.height - lines.length - 1)
  const errs = f.errors.slice(-Math.min(10, room)).reverse()
  if (errs.length === 0) lines.push(c(SGR.dim, '  none'))
  for (const e of errs) {
    const text = `${clock(e.time)} ${e.level.toUpperCase().padEnd(5)} ${e.component ?? '-'}  ${e.msg}${e.error === undefined ? '' : `: ${e.error}`}`
    lines.push(e.level === 'warn' ? c(SGR.yellow, text) : c(SGR.red, text))
  }
  return lines.map((l) => cut(l, o.width))
}
