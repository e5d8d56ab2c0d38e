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
import { monthIndex, parseRfc5424Timestamp, resolveYearlessTime } from './timestamp.ts'

const RFC3164_LEN = 15

/**
 * A charset frames are read in (multiport's `charset.default` / `charset.port.<port>`). Only charsets in
 * which ASCII bytes always mean ASCII characters at character boundaries are accepted (UTF-8, the
 * single-byte charsets, the EUC family, Shift_JIS, GBK, Big5...): the layout is found on the bytes, and
 * the message bytes are kept as they are, which is what decoding and re-encoding valid input gives.
 */
export interface FrameCharset {
  /** The name as configured. */
  readonly name: string
  /** Whether Java's decoder (malformed/unmappable input reported) would accept the bytes. */
  isValid(bytes: Buffer): boolean
  decode(bytes: Buffer): string
}

const UTF8: FrameCharset = {
  name: 'UTF-8',
  isValid: (b) => isAscii(b) || isUtf8(b),
  decode: (b) => b.toString('utf8'),
}

/** Resolves a Java charset name; undefined when unknown or not ASCII-compatible (UTF-16, UTF-32...). */
export function frameCharset(javaName: string): FrameCharset | undefined {
  const n = javaName.trim().toLowerCase().replace(/_/g, '-')
  if (n === 'utf-8' || n === 'utf8') return { ...UTF8, name: javaName }
  if (n === 'us-ascii' || n === 'ascii') {
    return { name: javaName, isValid: (b) => isAscii(b), decode: (b) => b.toString('latin1') }
  }
  if (n === 'iso-8859-1' || n === 'iso8859-1' || n === 'latin1' || n === 'iso-latin-1') {
    // Every byte is a character; WHATWG's "iso-8859-1" label would mean windows-1252, so not TextDecoder.
    return { name: javaName, isValid: () => true, decode: (b) => b.toString('latin1') }
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
  return {
    name: javaName,
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

export class SyslogParser {
  readonly #keep: KeepFields
  readonly #now: () => number

  constructor(opts: SyslogParserOptions) {
    this.#keep = opts.keepFields
    this.#now = opts.now ?? Date.now
  }

  /**
   * Parses one non-empty frame that is valid in its charset, given as its latin1 view `text` (one char
   * per byte; the layout is ASCII, so char offsets are byte offsets). Writes headers and returns the body,
   * or returns undefined when the frame does not fit the layout (the caller then builds the Invalid event).
   * `decode` turns a byte range of the frame into text for the `host` header.
   */
  parse(
    frame: Buffer,
    text: string,
    incomplete: boolean,
    headers: Record<string, string>,
    decode: (bytes: Buffer) => string,
  ): Buffer | undefined {
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
      ts = this.#rfc3164(tsText)
      cur += RFC3164_LEN + 1
    } else {
      const sp = text.indexOf(' ', cur)
      if (sp < 0) return undefined
      tsText = text.slice(cur, sp)
      const t = rfc5424(tsText)
      if (t === undefined) return undefined
      ts = t
      cur = sp + 1
    }
    const sp = text.indexOf(' ', cur)
    if (sp < 0) return undefined
    const hostBytes = frame.subarray(cur, sp)
    const k = this.#keep
    let body = frame
    if (len > sp + 1 && !k.all) {
      const msg = frame.subarray(sp + 1)
      const prefix = keptPrefix(k, priority, version, tsText, text.slice(cur, sp))
      body = prefix.length === 0 ? msg : Buffer.concat([Buffer.from(prefix, 'latin1'), msg])
    }
    headers.Priority = priority
    headers.Facility = String(Math.trunc(pri / 8))
    headers.Severity = String(pri % 8)
    if (version !== undefined) headers.Version = version
    headers.timestamp = String(ts)
    headers.host = decode(hostBytes)
    if (incomplete) headers[SYSLOG_STATUS] = STATUS_INCOMPLETE
    return body
  }

  /**
   * Parses one non-empty frame read in `charset`: writes the headers into `headers` and returns the body.
   * Returns with `flume.syslog.status=Invalid` as the only parsed header when the frame is not valid in the
   * charset or does not fit the layout (check `headers` to count read failures, as Flume does).
   */
  parseFrame(
    frame: Buffer,
    incomplete: boolean,
    headers: Record<string, string>,
    charset: FrameCharset = UTF8,
  ): Buffer {
    if (charset.isValid(frame)) {
      const body = this.parse(frame, frame.toString('latin1'), incomplete, headers, charset.decode)
      if (body !== undefined) return body
    }
    headers[SYSLOG_STATUS] = STATUS_INVALID
    return frame
  }

  #rfc3164(stamp: string): number {
    // Flume compat: the 15 chars are taken as they are (a single-space day leaves the trailing space in and
    // fails to parse); the first double space is collapsed before parsing, in UTC.
    const m = RFC3164.exec(stamp.replace('  ', ' '))
    const now = this.#now()
    if (m === null) return now
    const m0 = monthIndex(m[1] as string)
    if (m0 === undefined) return now
    const t = resolveYearlessTime(m0, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 'utc', now)
    return t ?? now
  }
}

/**
 * Flume's parseRfc5424Date: at least 20 chars; `yyyy-MM-ddTHH:mm:ss` in UTC, an optional fraction
 * (decimal, to ms), then `Z`, `±HH:MM`, or any other char (no offset). Stricter where Flume would crash.
 */
function rfc5424(s: string): number | undefined {
  if (s.length <= 19) return undefined
  let i = 19
  if (s.charCodeAt(i) === 0x2e) {
    i++
    const start = i
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
    if (i === start) return undefined
  }
  const base = s.slice(0, i)
  if (i === s.length) return parseRfc5424Timestamp(base, 'utc')
  const tz = s.charCodeAt(i)
  if (tz === 0x5a) return parseRfc5424Timestamp(`${base}Z`, 'utc')
  if (tz === 0x2b || tz === 0x2d) {
    if (s.length <= i + 5) return undefined
    const off = s.slice(i, i + 6)
    if (!/^[+-]\d\d:\d\d$/.test(off)) return undefined
    // Flume compat: anything after the offset is ignored.
    return parseRfc5424Timestamp(base + off, 'utc')
  }
  // Flume compat: an unknown char where the zone goes means no offset (UTC).
  return parseRfc5424Timestamp(base, 'utc')
}

export { STATUS_INVALID, SYSLOG_STATUS }
