/**
 * The syslog parser of Flume's `multiport_syslogtcp` source (org.apache.flume.source.SyslogParser): a
 * position-based scanner, different from the regex parser of syslogtcp/syslogudp in header names, time
 * zones and what it accepts.
 *
 * Layout: `<PRI>` (1–5 chars between the brackets, an integer as Java's parseInt reads it), an optional
 * `1 ` version, then the timestamp — `-` (receive time), an RFC 3164 stamp when the next char is an
 * upper-case letter (exactly 15 chars, read in UTC), or otherwise an RFC 5424 stamp up to the next space —
 * then the hostname up to the next space, then the message.
 *
 * Headers: `Priority`, `Version` (only for `1 `) — capitalised, unlike syslogtcp — `Facility`,
 * `Severity`, `timestamp` (always: epoch ms), `host`, and `flume.syslog.status=Incomplete` for a frame cut
 * at eventSize. A frame that does not fit the layout keeps no parsed header at all: its body is the whole
 * frame and it gets `flume.syslog.status=Invalid`. So does a frame that is not valid in its charset (its
 * raw bytes become the body).
 *
 * Body: the message (with `keepFields` put back in front) in the port's charset; `keepFields=all` or an
 * empty message keep the whole frame.
 *
 * Deliberate differences from Flume (docs/network-sources.md):
 * - RFC 3164 years follow the 11-months-back / 1-month-ahead window; Flume's code turns any stamp more
 *   than a month away from now into 1999 or 2001;
 * - an RFC 3164 stamp that is not a valid date uses the receive time, as `-` does (Flume writes 0);
 * - stamps Flume's parser crashes on (a fraction with no zone after it, an invalid calendar date) give an
 *   Invalid event instead of losing the rest of the read buffer; a fraction with no zone is read as UTC.
 */

import { isAscii, isUtf8 } from 'node:buffer'
import { type KeepFields, keptPrefix } from './keep-fields.ts'
import { STATUS_INCOMPLETE, STATUS_INVALID, SYSLOG_STATUS } from './syslog-utils.ts'
import { monthIndex, resolveYearlessTime } from './timestamp.ts'

const RFC3164_LEN = 15

/**
 * A charset frames are read in (multiport's `charset.default` / `charset.port.<port>`): UTF-8, US-ASCII
 * or a single-byte charset (ISO-8859-x, windows-125x, KOI8-R...). The message bytes are kept as they
 * are, which is what Flume's decoding and re-encoding gives for valid input.
 */
export interface FrameCharset {
  /** The name as configured. */
  readonly name: string
  /** One byte per char (ISO-8859-x, windows-125x...): positions in chars are positions in bytes. */
  readonly singleByte: boolean
  /** Whether Java's decoder (malformed/unmappable input reported) would accept the bytes. */
  isValid(bytes: Buffer): boolean
  decode(bytes: Buffer): string
}

const UTF8: FrameCharset = {
  name: 'UTF-8',
  singleByte: false,
  isValid: (b) => isAscii(b) || isUtf8(b),
  decode: (b) => b.toString('utf8'),
}

/** Resolves a Java charset name; undefined when unknown or not ASCII-compatible (UTF-16, UTF-32...). */
export function frameCharset(javaName: string): FrameCharset | undefined {
  const n = javaName.trim().toLowerCase().replace(/_/g, '-')
  if (n === 'utf-8' || n === 'utf8') return { ...UTF8, name: javaName }
  if (n === 'us-ascii' || n === 'ascii') {
    return {
      name: javaName,
      singleByte: true,
      isValid: (b) => isAscii(b),
      decode: (b) => b.toString('latin1'),
    }
  }
  if (n === 'iso-8859-1' || n === 'iso8859-1' || n === 'latin1' || n === 'iso-latin-1') {
    // Every byte is a character; WHATWG's "iso-8859-1" label would mean windows-1252, so not TextDecoder.
    return { name: javaName, singleByte: true, isValid: () => true, decode: (b) => b.toString('latin1') }
  }
  let fatal: InstanceType<typeof TextDecoder>
  let lenient: InstanceType<typeof TextDecoder>
  try {
    fatal = new TextDecoder(n, { fatal: true })
    lenient = new TextDecoder(n)
  } catch {
    return undefined
  }
  // Printable ASCII must decode to itself (ICU maps a few control bytes differently, e.g. in Shift_JIS).
  const ascii = Buffer.from(Array.from({ length: 95 }, (_, i) => i + 0x20))
  try {
    if (fatal.decode(ascii) !== ascii.toString('latin1')) return undefined
  } catch {
    return undefined
  }
  if (/^utf-?(16|32)/.test(n) || n === 'utf-7') return undefined
  // Multi-byte legacy charsets (Shift_JIS, EUC-*, GBK, Big5) would need Java's char positions in bytes,
  // which Node cannot encode back: single-byte charsets only, besides UTF-8.
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  if (lenient.decode(all).length !== 256) return undefined
  return {
    name: javaName,
    singleByte: true,
    isValid(b) {
      if (isAscii(b)) return true
      try {
        fatal.decode(b)
        return true
      } catch {
        return false
      }
    },
    decode: (b) => lenient.decode(b),
  }
}

export const UTF8_CHARSET: FrameCharset = UTF8

interface Layout {
  readonly priority: string
  readonly pri: number
  readonly version: string | undefined
  readonly ts: number
  readonly tsText: string
  readonly hostStart: number
  readonly hostEnd: number
}

function invalid(frame: Buffer, headers: Record<string, string>): Buffer {
  headers[SYSLOG_STATUS] = STATUS_INVALID
  return frame
}

export interface SyslogParserOptions {
  readonly keepFields: KeepFields
  readonly now?: () => number
}

/** Java's Integer.parseInt: optional sign, ASCII digits, 32-bit range. */
function javaParseInt(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined
  const n = Number(s)
  return n >= -2147483648 && n <= 2147483647 ? n : undefined
}

/** `MMM d HH:mm:ss` (Joda, after the first double space became one) → parts, or undefined. */
const RFC3164 = /^([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/

const DECIMAL = Array.from({ length: 1000 }, (_, i) => String(i))
const decimal = (n: number): string => (n >= 0 && n < 1000 ? (DECIMAL[n] as string) : String(n))

export class SyslogParser {
  readonly #keep: KeepFields
  readonly #now: () => number
  // One-entry caches (see SyslogUtilsParser): events in a channel share these strings.
  #lastHost = ''
  #lastStamp = ''
  #lastStampAt = 0
  #lastStampValue = 0
  #lastTs = Number.NaN
  #lastTsText = ''

  constructor(opts: SyslogParserOptions) {
    this.#keep = opts.keepFields
    this.#now = opts.now ?? Date.now
  }

  /**
   * Finds the layout in `text`, the frame as Java sees it (char positions count UTF-16 units, as Java's
   * String does). Undefined when the frame does not fit (Flume's IllegalArgumentException).
   */
  #layout(text: string): Layout | undefined {
    const len = text.length
    if (text.charCodeAt(0) !== 0x3c) return undefined
    const end = text.indexOf('>')
    if (end <= 0 || end > 6) return undefined
    const priority = text.slice(1, end)
    const pri = javaParseInt(priority)
    if (pri === undefined) return undefined
    if (len <= end + 1) return undefined
    let cur = end + 1
    let version: string | undefined
    if (len > cur + 2 && text.charCodeAt(cur) === 0x31 && text.charCodeAt(cur + 1) === 0x20) {
      version = '1'
      cur += 2
    }
    let ts: number
    let tsText: string
    const c = text.charCodeAt(cur)
    if (c === 0x2d) {
      // `-`: no stamp; the receive time stands in.
      tsText = '-'
      ts = this.#now()
      if (len <= cur + 2) return undefined
      cur += 2
    } else if (c >= 0x41 && c <= 0x5a) {
      if (len <= cur + RFC3164_LEN) return undefined
      tsText = text.slice(cur, cur + RFC3164_LEN)
      const now = this.#now()
      if (tsText === this.#lastStamp && now - this.#lastStampAt < 1000) ts = this.#lastStampValue
      else {
        ts = this.#rfc3164(tsText, now)
        this.#lastStamp = tsText
        this.#lastStampAt = now
        this.#lastStampValue = ts
      }
      cur += RFC3164_LEN + 1
    } else {
      const sp = text.indexOf(' ', cur)
      if (sp < 0) return undefined
      tsText = text.slice(cur, sp)
      if (tsText === this.#lastStamp && this.#lastStampAt === -1) ts = this.#lastStampValue
      else {
        const t = rfc5424(tsText)
        if (t === undefined) return undefined
        ts = t
        this.#lastStamp = tsText
        this.#lastStampAt = -1
        this.#lastStampValue = t
      }
      cur = sp + 1
    }
    const sp = text.indexOf(' ', cur)
    if (sp < 0) return undefined
    return { priority, pri, version, ts, tsText, hostStart: cur, hostEnd: sp }
  }

  /**
   * Parses one non-empty frame read in `charset`: writes the headers into `headers` and returns the body
   * (sharing memory with the frame when nothing is kept in front of it). Returns with
   * `flume.syslog.status=Invalid` as the only parsed header when the frame is not valid in the charset or
   * does not fit the layout (check `headers` to count read failures, as Flume does).
   */
  parseFrame(
    frame: Buffer,
    incomplete: boolean,
    headers: Record<string, string>,
    charset: FrameCharset = UTF8,
  ): Buffer {
    if (!charset.isValid(frame)) return invalid(frame, headers)
    // One char per byte for ASCII and single-byte charsets: work on the latin1 view, whose chars are the
    // bytes (the layout is ASCII; host and kept fields are decoded or copied byte for byte). UTF-8 text
    // with non-ASCII chars is decoded so that positions are Java's.
    const byteView = charset.singleByte || isAscii(frame)
    const text = byteView ? frame.toString('latin1') : frame.toString('utf8')
    const l = this.#layout(text)
    if (l === undefined) return invalid(frame, headers)
    const len = text.length
    const k = this.#keep
    let body = frame
    if (len > l.hostEnd + 1 && !k.all) {
      const start = byteView ? l.hostEnd + 1 : Buffer.byteLength(text.slice(0, l.hostEnd + 1), 'utf8')
      const msg = frame.subarray(start)
      const prefix = keptPrefix(
        k,
        l.priority,
        l.version,
        l.tsText,
        javaChars(text.slice(l.hostStart, l.hostEnd)),
      )
      body =
        prefix.length === 0 ? msg : Buffer.concat([Buffer.from(prefix, byteView ? 'latin1' : 'utf8'), msg])
    }
    headers.Priority = l.priority === decimal(l.pri) ? decimal(l.pri) : l.priority
    headers.Facility = decimal(Math.trunc(l.pri / 8))
    headers.Severity = decimal(l.pri % 8)
    if (l.version !== undefined) headers.Version = l.version
    if (l.ts !== this.#lastTs) {
      this.#lastTs = l.ts
      this.#lastTsText = String(l.ts)
    }
    headers.timestamp = this.#lastTsText
    let host = byteView
      ? charset.decode(frame.subarray(l.hostStart, l.hostEnd))
      : javaChars(text.slice(l.hostStart, l.hostEnd))
    if (host === this.#lastHost) host = this.#lastHost
    else this.#lastHost = host
    headers.host = host
    if (incomplete) headers[SYSLOG_STATUS] = STATUS_INCOMPLETE
    return body
  }

  #rfc3164(stamp: string, now: number): number {
    // Flume compat: the 15 chars are taken as they are (a single-space day leaves the trailing space in and
    // fails to parse); the first double space is collapsed before parsing, in UTC.
    const m = RFC3164.exec(stamp.replace('  ', ' '))
    if (m === null) return now
    const m0 = monthIndex(m[1] as string)
    if (m0 === undefined) return now
    const t = resolveYearlessTime(m0, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 'utc', now)
    return t ?? now
  }
}

/** Joda's `yyyy-MM-dd'T'HH:mm:ss` parse of the first 19 chars: years of 1–9 digits, other fields 1–2. */
const JODA_PREFIX = /^([+-]?\d{1,9})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})$/
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function jodaPrefix(text: string): number | undefined {
  const m = JODA_PREFIX.exec(text)
  if (m === null) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  const dim = mo === 2 && leap ? 29 : (DAYS[mo - 1] ?? 0)
  if (mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) return undefined
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, s)).setUTCFullYear(y)
  return Number.isNaN(t) ? undefined : t
}

/**
 * Flume's parseRfc5424Date, exactly, where it returns: the first 19 chars through Joda in UTC, then an
 * optional fraction (decimal, scaled to ms), then `Z`, `±HH:MM` (anything after it ignored), or any other
 * char (no offset). Where Flume throws something other than IllegalArgumentException (an invalid date in
 * the first 19 chars, a fraction with nothing after it), its multiport handler loses the rest of the read;
 * flumen answers undefined (an Invalid event) for the first and reads the second as UTC.
 */
function rfc5424(s: string): number | undefined {
  if (s.length <= 19) return undefined
  let ts = jodaPrefix(s.slice(0, 19))
  if (ts === undefined) return undefined
  let i = 19
  if (s.charCodeAt(i) === 0x2e) {
    i++
    if (i >= s.length) return undefined
    const start = i
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
    const n = i - start
    if (n === 0 || n > 18) return undefined
    let ms = Number(s.slice(start, i))
    if (n > 3) ms = Math.trunc(ms / 10 ** (n - 3))
    else if (n < 3) ms *= 10 ** (3 - n)
    ts += ms
    if (i === s.length) return ts
  }
  const tz = s.charCodeAt(i)
  if (tz === 0x2b || tz === 0x2d) {
    if (s.length <= i + 5) return undefined
    const off = s.slice(i + 1, i + 6)
    if (!/^\d\d:\d\d$/.test(off)) return undefined
    const minutes = Number(off.slice(0, 2)) * 60 + Number(off.slice(3, 5))
    return ts - (tz === 0x2b ? 1 : -1) * minutes * 60_000
  }
  // `Z`, or (Flume compat) any other char where the zone goes: no offset.
  return ts
}

export { STATUS_INVALID, SYSLOG_STATUS }

/**
 * Flume's parser cuts the message by UTF-16 chars, so a field can start or end inside a surrogate pair; Java
 * writes such a lone surrogate as `?` when the header is encoded (Node would write U+FFFD). Same here.
 */
function javaChars(s: string): string {
  return s.isWellFormed()
    ? s
    : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '?')
}
