/**
 * Syslog timestamps → epoch milliseconds.
 *
 * RFC 5424 (`2003-10-11T22:14:15.003Z`, `2003-08-24T05:14:15.000003-07:00`): the fraction is a decimal
 * fraction of a second truncated to milliseconds, the offset (`Z` or `±HH:MM`) is honoured, and a stamp
 * without an offset is read in the zone the caller asks for.
 *
 * RFC 3164 (`Oct 11 22:14:15`, `Jun  5 09:08:07`): no year and no zone. The zone is the caller's choice
 * (syslogtcp/syslogudp read it in the process's local zone, multiport_syslogtcp in UTC — each as Flume
 * does). The year is the one that puts the stamp inside a 12-month window reaching 11 months back and one
 * month ahead of the receiver's clock, which is what both Flume parsers intend; neither does it
 * correctly (see docs/network-sources.md).
 *
 * Out-of-range fields (month 13, June 31, hour 24, second 60) give `undefined`: Flume's lenient
 * SimpleDateFormat rolls them over into a different, wrong instant; we would rather report no time.
 */

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
}

export type Zone = 'local' | 'utc'

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysInMonth(y: number, m0: number): number {
  return m0 === 1 && isLeap(y) ? 29 : (DAYS[m0] as number)
}

/** Milliseconds for a wall-clock time in the zone; fields must already be valid. */
function wallClock(zone: Zone, y: number, m0: number, d: number, h: number, mi: number, s: number): number {
  if (zone === 'utc') {
    const t = Date.UTC(y, m0, d, h, mi, s)
    // Date.UTC maps years 0–99 to 1900–1999; RFC stamps mean the literal year.
    return y >= 100 ? t : new Date(t).setUTCFullYear(y)
  }
  const dt = new Date(2000, 0, 1)
  dt.setFullYear(y, m0, d)
  dt.setHours(h, mi, s, 0)
  return dt.getTime()
}

function validTime(h: number, mi: number, s: number): boolean {
  return h <= 23 && mi <= 59 && s <= 59
}

/** `0`–`9` digit value at `i` of a latin1/ASCII string, or -1. */
function dig(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48
  return c >= 0 && c <= 9 ? c : -1
}

function num(s: string, i: number, n: number): number {
  let v = 0
  for (let k = 0; k < n; k++) {
    const d = dig(s, i + k)
    if (d < 0) return -1
    v = v * 10 + d
  }
  return v
}

// A one-entry cache: messages arrive in time order, so consecutive stamps usually share their second.
let cacheKey = ''
let cacheZone: Zone = 'utc'
let cacheValue = 0

/**
 * Parses an RFC 5424 stamp `YYYY-MM-DDTHH:MM:SS[.F{1,}][Z|±HH:MM]` (the whole string). A stamp without an
 * offset is read in `zoneless`. Returns undefined when the text is not such a stamp or a field is out of
 * range.
 */
export function parseRfc5424Timestamp(text: string, zoneless: Zone): number | undefined {
  if (text.length < 19) return undefined
  const y = num(text, 0, 4)
  const mo = num(text, 5, 2)
  const d = num(text, 8, 2)
  const h = num(text, 11, 2)
  const mi = num(text, 14, 2)
  const s = num(text, 17, 2)
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    h < 0 ||
    mi < 0 ||
    s < 0 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[10] !== 'T' ||
    text[13] !== ':' ||
    text[16] !== ':'
  ) {
    return undefined
  }
  if (d > daysInMonth(y, mo - 1) || !validTime(h, mi, s)) return undefined
  let i = 19
  let ms = 0
  if (text[i] === '.') {
    i++
    const start = i
    while (dig(text, i) >= 0) i++
    const n = i - start
    if (n === 0) return undefined
    // A decimal fraction of a second, truncated to milliseconds: .5 → 500, .000003 → 0.
    ms = num(text, start, Math.min(n, 3)) * (n >= 3 ? 1 : n === 2 ? 10 : 100)
  }
  let offsetMin = 0
  let zone: Zone = zoneless
  if (i < text.length) {
    const c = text[i]
    if (c === 'Z' && i + 1 === text.length) {
      zone = 'utc'
    } else if ((c === '+' || c === '-') && i + 6 === text.length && text[i + 3] === ':') {
      const oh = num(text, i + 1, 2)
      const om = num(text, i + 4, 2)
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return undefined
      offsetMin = (c === '+' ? 1 : -1) * (oh * 60 + om)
      zone = 'utc'
    } else {
      return undefined
    }
  }
  const key = text.slice(0, 19)
  let base: number
  if (key === cacheKey && zone === cacheZone) base = cacheValue
  else {
    base = wallClock(zone, y, mo - 1, d, h, mi, s)
    cacheKey = key
    cacheZone = zone
    cacheValue = base
  }
  return base + ms - offsetMin * 60_000
}

function addMonths(t: number, n: number, zone: Zone): number {
  const dt = new Date(t)
  if (zone === 'utc') {
    const day = dt.getUTCDate()
    dt.setUTCDate(1)
    dt.setUTCMonth(dt.getUTCMonth() + n)
    dt.setUTCDate(Math.min(day, daysInMonth(dt.getUTCFullYear(), dt.getUTCMonth())))
  } else {
    const day = dt.getDate()
    dt.setDate(1)
    dt.setMonth(dt.getMonth() + n)
    dt.setDate(Math.min(day, daysInMonth(dt.getFullYear(), dt.getMonth())))
  }
  return dt.getTime()
}

/**
 * Epoch ms for a month/day/time without a year: the year that puts it within
 * [now − 11 months, now + 1 month] in `zone`. Undefined if no year does (February 29 far from a leap year)
 * or a field is out of range.
 */
export function resolveYearlessTime(
  m0: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  zone: Zone,
  now: number,
): number | undefined {
  if (m0 < 0 || m0 > 11 || d < 1 || d > 31 || !validTime(h, mi, s)) return undefined
  const nowYear = zone === 'utc' ? new Date(now).getUTCFullYear() : new Date(now).getFullYear()
  const lo = addMonths(now, -11, zone)
  const hi = addMonths(now, 1, zone)
  for (const y of [nowYear, nowYear - 1, nowYear + 1]) {
    if (d > daysInMonth(y, m0)) continue
    const t = wallClock(zone, y, m0, d, h, mi, s)
    if (t >= lo && t <= hi) return t
  }
  return undefined
}

/**
 * Parses an RFC 3164 stamp `Mmm dd HH:MM:SS` where the day may be space-padded (`Jun  5`) or not
 * (`Jun 5`) and the separators are single spaces or tabs. English month abbreviations, exact case.
 */
export function parseRfc3164Timestamp(text: string, zone: Zone, now: number): number | undefined {
  const m = RFC3164_STAMP.exec(text)
  if (m === null) return undefined
  const m0 = MONTHS[m[1] as string]
  if (m0 === undefined) return undefined
  return resolveYearlessTime(m0, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), zone, now)
}

const RFC3164_STAMP = /^([A-Z][a-z][a-z])[ \t]{1,2}(\d{1,2})[ \t](\d{2}):(\d{2}):(\d{2})$/

/** Case-insensitive month lookup for parsers that accept `JUN` (Joda's text parsing does). */
export function monthIndex(name: string): number | undefined {
  if (name.length !== 3) return undefined
  return MONTHS[name[0]?.toUpperCase() + name.slice(1).toLowerCase()]
}
