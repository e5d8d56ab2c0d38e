/**
 * Flume's escape sequences (BucketPath.escapeString, reference §6.2) as used by the Kafka sink's topic and
 * the HDFS sink's path and file prefix: `%{header}` (missing header → ""), `%[localhost]` / `%[IP]` /
 * `%[FQDN]`, and `%x` date escapes taken from the `timestamp` header, formatted in the process time zone
 * like Java's default zone, or in `timeZone` when given.
 *
 * HDFS sink options (BucketPath's timeZone / needRounding / unit / roundDown / useLocalTimeStamp):
 * - `timeZone`: an IANA zone id for every date escape and for rounding;
 * - `round`: the timestamp is rounded down to a multiple of `value` seconds, minutes or hours within the
 *   minute, hour or day of that zone (TimestampRoundDownUtil); `%t` stays unrounded, as in Flume;
 * - the caller may pass the event's timestamp to the escaper (`ts`): useLocalTimeStamp, or a timestamp it
 *   resolved itself (the HDFS sink's fallback for a missing header), so no header is needed then;
 * - `safeHeaders`: header values are made path-safe (`safePathValue`) before substitution.
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
  // SimpleDateFormat's ZZZ is RFC 822 (+hhmm), which is FastDateFormat's (formatJavaDate's) single Z
  z: 'Z',
}

type Part = string | ((h: Headers, ts: number | undefined) => string)

/** Expands a template for one event; `ts` (ms) overrides the `timestamp` header when given. */
export type Escaper = (headers: Headers, ts?: number) => string

export type RoundUnit = 'second' | 'minute' | 'hour'

export interface EscapeOptions {
  /** IANA time zone for date escapes and rounding; default: the process zone (TZ), like the JVM default. */
  readonly timeZone?: string
  /** Round the timestamp down (hdfs.round / roundValue / roundUnit). */
  readonly round?: { readonly unit: RoundUnit; readonly value: number }
  /** Make header values path-safe (hdfs.path, hdfs.filePrefix). */
  readonly safeHeaders?: boolean
}

/**
 * A header value that cannot leave the directory it is substituted into: every `/`-separated segment that
 * is `.` or `..` becomes the same number of `_`, empty segments are dropped (so a leading `/` — an absolute
 * path — and `//` disappear), and characters HDFS refuses in names or that would change the URL (`:`,
 * control characters) become `_`. A value with neither changes nothing, so `%{dir}` = `a/b` still makes
 * two levels of directories.
 */
export function safePathValue(v: string): string {
  if (!/[/.:\x00-\x1f\x7f]/.test(v)) return v
  return v
    .replace(/[:\x00-\x1f\x7f]/g, '_')
    .split('/')
    .filter((seg) => seg.length > 0)
    .map((seg) => (seg === '.' || seg === '..' ? '_'.repeat(seg.length) : seg))
    .join('/')
}

/** Checks a time zone id; returns an error text for an unknown one (Java silently falls back to GMT). */
export function checkTimeZone(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return undefined
  } catch {
    return `unknown time zone '${tz}' (use an IANA id such as America/Los_Angeles or UTC)`
  }
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>()

/** Milliseconds to add to UTC to get the wall clock of `tz` at instant `t`. */
export function zoneOffsetMs(tz: string, t: number): number {
  let f = zoneFormats.get(tz)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    zoneFormats.set(tz, f)
  }
  const p: Record<string, number> = {}
  for (const part of f.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  const wall = Date.UTC(
    p.year as number,
    (p.month as number) - 1,
    p.day as number,
    p.hour as number,
    p.minute as number,
    p.second as number,
  )
  return wall - (t - (((t % 1000) + 1000) % 1000))
}

/** A Date whose local-time getters read the wall clock of another zone (what formatJavaDate reads). */
class ZonedDate extends Date {
  readonly #w: Date
  readonly #offMin: number
  constructor(t: number, tz: string) {
    super(t)
    const off = zoneOffsetMs(tz, t)
    this.#w = new Date(t + off)
    this.#offMin = -off / 60_000
  }
  override getFullYear(): number {
    return this.#w.getUTCFullYear()
  }
  override getMonth(): number {
    return this.#w.getUTCMonth()
  }
  override getDate(): number {
    return this.#w.getUTCDate()
  }
  override getDay(): number {
    return this.#w.getUTCDay()
  }
  override getHours(): number {
    return this.#w.getUTCHours()
  }
  override getMinutes(): number {
    return this.#w.getUTCMinutes()
  }
  override getSeconds(): number {
    return this.#w.getUTCSeconds()
  }
  override getMilliseconds(): number {
    return this.#w.getUTCMilliseconds()
  }
  override getTimezoneOffset(): number {
    return this.#offMin
  }
}

/** Wall-clock fields of `t` in `tz` (or the process zone). */
function wall(t: number, tz: string | undefined): Date {
  return tz === undefined ? new Date(t) : new ZonedDate(t, tz)
}

/**
 * TimestampRoundDownUtil: the second, minute or hour field (in the zone's wall clock) is rounded down to a
 * multiple of `value`, lower fields are zeroed. Flume requires value 1..60 (second, minute) or 1..24 (hour).
 */
export function roundDownTimestamp(
  t: number,
  round: { readonly unit: RoundUnit; readonly value: number },
  tz?: string,
): number {
  const d = wall(t, tz)
  const v = Math.max(1, round.value)
  const ms = d.getMilliseconds()
  if (round.unit === 'second') return t - ms - (d.getSeconds() % v) * 1000
  const s = d.getSeconds() * 1000 + ms
  if (round.unit === 'minute') return t - s - (d.getMinutes() % v) * 60_000
  return t - s - d.getMinutes() * 60_000 - (d.getHours() % v) * 3_600_000
}

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

/** The event's `timestamp` header as Flume parses it (Long.valueOf); throws EscapeError when missing/bad. */
export function timestampOf(h: Headers): number {
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
export async function compileEscape(template: string, opts: EscapeOptions = {}): Promise<Escaper> {
  if (!template.includes('%')) return () => template
  const tz = opts.timeZone
  const round = opts.round
  const safe = opts.safeHeaders === true
  /** The (rounded) timestamp a date escape formats. */
  const timeOf = (h: Headers, ts: number | undefined): number => {
    const t = ts ?? timestampOf(h)
    return round === undefined ? t : roundDownTimestamp(t, round, tz)
  }
  const parts: Part[] = []
  let last = 0
  for (const m of template.matchAll(TAG)) {
    if (m.index > last) parts.push(template.slice(last, m.index))
    last = m.index + m[0].length
    const [, short, header, stat] = m
    if (header !== undefined) {
      parts.push(safe ? (h) => safePathValue(h[header] ?? '') : (h) => h[header] ?? '')
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
        parts.push((h, ts) => {
          if (ts === undefined) timestampOf(h)
          return '%'
        })
      } else if (c === 't') {
        parts.push((h, ts) => {
          if (ts !== undefined) return String(ts)
          timestampOf(h)
          return h.timestamp as string
        })
      } else if (c === 's') {
        parts.push((h, ts) => String(Math.trunc(timeOf(h, ts) / 1000)))
      } else {
        const pattern = DATE_PATTERNS[c]
        if (pattern === undefined) {
          parts.push((h, ts) => {
            if (ts === undefined) timestampOf(h)
            return ''
          })
        } else {
          parts.push((h, ts) => {
            const r = formatJavaDate(pattern, wall(timeOf(h, ts), tz))
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
  return (h, ts) => {
    let s = ''
    for (const p of parts) s += typeof p === 'string' ? p : p(h, ts)
    return s
  }
}
