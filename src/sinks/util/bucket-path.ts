/**
 * Flume's escape sequences (BucketPath.escapeString, reference §6.2) as used by the Kafka sink's topic:
 * `%{header}` (missing header → ""), `%[localhost]` / `%[IP]` / `%[FQDN]`, and `%x` date escapes taken
 * from the `timestamp` header, formatted in the process time zone like Java's default zone.
 *
 * Templates are compiled once; a template without `%` is a constant and costs nothing per event.
 * Differences: an unknown `%[name]` is a configuration error here (Flume throws for every event that
 * reaches it); a missing or non-numeric `timestamp` header with a date escape throws EscapeError per
 * event, as Flume's RuntimeException does.
 */

import { lookup, lookupService } from 'node:dns/promises'
import { hostname } from 'node:os'
import { formatJavaDate } from '../../config/date-format.ts'
import type { Headers } from '../../core/event.ts'

export class EscapeError extends Error {
  override readonly name = 'EscapeError'
}

const TAG = /%(\w|%)|%\{([\w.-]+)\}|%\[(\w+)\]/g

const DATE_PATTERNS: Readonly<Record<string, string>> = {
  a: 'EEE',
  A: 'EEEE',
  b: 'MMM',
  B: 'MMMM',
  c: 'EEE MMM d HH:mm:ss yyyy',
  d: 'dd',
  e: 'd',
  D: 'MM/dd/yy',
  H: 'HH',
  I: 'hh',
  j: 'DDD',
  k: 'H',
  l: 'h',
  m: 'MM',
  M: 'mm',
  n: 'M',
  p: 'a',
  S: 'ss',
  y: 'yy',
  Y: 'yyyy',
  z: 'ZZZ',
}

type Part = string | ((h: Headers) => string)

export type Escaper = (headers: Headers) => string

interface HostNames {
  readonly localhost: string
  readonly ip: string
  readonly fqdn: string
}

let hostNames: Promise<HostNames> | undefined

/** Java's InetAddress.getLocalHost() names, looked up once per process. */
function localHostNames(): Promise<HostNames> {
  hostNames ??= (async () => {
    const name = hostname()
    const ip = await lookup(name, { family: 4 }).then(
      (a) => a.address,
      () => '127.0.0.1',
    )
    const fqdn = await lookupService(ip, 0).then(
      (s) => s.hostname,
      () => ip,
    )
    return { localhost: name, ip, fqdn }
  })()
  return hostNames
}

function timestampOf(h: Headers): number {
  const t = h.timestamp
  if (t === undefined) {
    throw new EscapeError('Expected timestamp in the Flume event headers, but it was null')
  }
  const n = /^[+-]?\d+$/.test(t.trim()) ? Number(t.trim()) : Number.NaN
  if (!Number.isSafeInteger(n)) {
    throw new EscapeError(
      "Flume wasn't able to parse timestamp header in the event to resolve time based bucketing. Please check that you're correctly populating timestamp header (for example using TimestampInterceptor source interceptor).",
    )
  }
  return n
}

/**
 * Compiles a template. Throws EscapeError for an unknown `%[name]` (a configuration mistake).
 */
export async function compileEscape(template: string): Promise<Escaper> {
  if (!template.includes('%')) return () => template
  const parts: Part[] = []
  let last = 0
  for (const m of template.matchAll(TAG)) {
    if (m.index > last) parts.push(template.slice(last, m.index))
    last = m.index + m[0].length
    const [, short, header, stat] = m
    if (header !== undefined) {
      parts.push((h) => h[header] ?? '')
    } else if (stat !== undefined) {
      const names = await localHostNames()
      const k = stat.toLowerCase()
      if (k !== 'localhost' && k !== 'ip' && k !== 'fqdn') {
        throw new EscapeError(
          `The static escape string '${stat}' was provided but does not match any of (localhost,IP,FQDN)`,
        )
      }
      parts.push(k === 'localhost' ? names.localhost : k === 'ip' ? names.ip : names.fqdn)
    } else {
      const c = short as string
      // Flume compat: every %x escape (even %% and unknown letters) needs the timestamp header.
      if (c === '%') {
        parts.push((h) => {
          timestampOf(h)
          return '%'
        })
      } else if (c === 't') {
        parts.push((h) => {
          timestampOf(h)
          return h.timestamp as string
        })
      } else if (c === 's') {
        parts.push((h) => String(Math.trunc(timestampOf(h) / 1000)))
      } else {
        const pattern = DATE_PATTERNS[c]
        if (pattern === undefined) {
          parts.push((h) => {
            timestampOf(h)
            return ''
          })
        } else {
          parts.push((h) => {
            const r = formatJavaDate(pattern, new Date(timestampOf(h)))
            if (!r.ok) throw new EscapeError(r.reason)
            return r.text
          })
        }
      }
    }
  }
  if (last < template.length) parts.push(template.slice(last))
  if (parts.every((p) => typeof p === 'string')) {
    const s = (parts as string[]).join('')
    return () => s
  }
  return (h) => {
    let s = ''
    for (const p of parts) s += typeof p === 'string' ? p : p(h)
    return s
  }
}
