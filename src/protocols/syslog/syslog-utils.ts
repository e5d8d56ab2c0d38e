/**
 * The syslog parser of Flume's `syslogtcp` and `syslogudp` sources (org.apache.flume.source.SyslogUtils),
 * on one frame (a line without its newline, or one datagram's first line).
 *
 * Headers (lower-case `priority`/`version`, unlike multiport):
 * - `Facility`, `Severity`: always; PRI / 8 and PRI % 8, or `0`/`0` when the frame does not start with
 *   `<` + 1–3 digits + `>`, which also sets `flume.syslog.status=Invalid` and keeps the raw frame as body;
 * - when the frame matches the RFC 5424 or the RFC 3164 layout (Flume's two regular expressions,
 *   reproduced exactly — Java's `\s`, `\w`, and `.` that stops at any line terminator including `\r`,
 *   U+0085, U+2028 and U+2029): `priority` (the PRI digits as written), `version` (when present),
 *   `timestamp` (epoch ms, when the stamp is a valid time), `host` (unless `-`);
 * - `flume.syslog.status=Incomplete` when the frame was cut at eventSize (Invalid wins).
 *
 * Body: the text after the hostname (with `keepFields` put back in front), re-encoded as UTF-8 — bytes
 * that are not valid UTF-8 become U+FFFD, as Java's String round trip does. `keepFields=all`, a frame
 * matching neither layout, and an empty message all keep the raw frame, `<PRI>` included (Flume compat).
 *
 * Deliberate differences from Flume, all fixes of documented bugs (docs/network-sources.md):
 * - RFC 5424 fractions are decimal fractions (`.5` = 500 ms; Flume reads 5 ms) and the offset of a
 *   fractional stamp is honoured (Flume ignores it and uses the JVM zone);
 * - the RFC 3164 year is chosen within the 11-months-back / 1-month-ahead window in the local zone
 *   (Flume starts from the UTC year and uses lenient Calendar arithmetic);
 * - out-of-range date fields give no `timestamp` header instead of a rolled-over instant;
 * - `priority`/`version` are never carried over from a previous message (Flume keeps them in the
 *   per-connection parser and stamps them on later unparseable messages);
 * - a kept nil timestamp or hostname is written `-` (Flume writes `null`).
 *
 * A custom layout (Flume's undocumented `format.regex` / `format.search` / `format.replace` /
 * `format.dateFormat`, given here as a CustomLayout) is tried first, on the line decoded as Java decodes it:
 * its groups 1–5 are priority, version, timestamp, hostname and message, as in Flume.
 */

import { isAscii, isUtf8 } from 'node:buffer'
import { javaUtf8Decode } from './java-utf8.ts'
import { type KeepFields, keptPrefix } from './keep-fields.ts'
import { parseRfc3164Timestamp, parseRfc5424Timestamp } from './timestamp.ts'

export const SYSLOG_STATUS = 'flume.syslog.status'
export const STATUS_INVALID = 'Invalid'
export const STATUS_INCOMPLETE = 'Incomplete'

// Java's \s is exactly [ \t\n\x0B\f\r]; \w and \d are ASCII.
const WS = '[ \\t\\n\\x0B\\f\\r]'
const HOST = '[A-Za-z0-9_][A-Za-z0-9_.@-]*'
// Java's `.` without DOTALL: anything but \n and \r here (U+0085, U+2028, U+2029 are checked on the bytes,
// because the regex runs on the latin1 view of the frame, where one char is one byte). A lookahead, so the
// match ends where the message starts and the message itself is not copied into a string.
const REST = '(?=[^\\n\\r]*$)'

const RFC5424 = new RegExp(
  `^<(\\d{1,3})>(\\d?)${WS}?(?:(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})?(?:[+-]\\d{2}:\\d{2}|Z)?)|-)${WS}(?:(${HOST})|-)${WS}${REST}`,
)
const RFC3164 = new RegExp(
  `^<(\\d{1,3})>(\\d)?${WS}?([A-Z][a-z][a-z]${WS}{1,2}\\d{1,2}${WS}\\d{2}:\\d{2}:\\d{2})${WS}(${HOST})${WS}${REST}`,
)

const NEL = Buffer.from([0xc2, 0x85])
const LS = Buffer.from([0xe2, 0x80, 0xa8])
const PS = Buffer.from([0xe2, 0x80, 0xa9])

/** Whether the UTF-8 bytes from `start` contain a Unicode line terminator Java's `.` would stop at. */
function hasUnicodeLineTerminator(b: Buffer, start: number): boolean {
  return b.indexOf(NEL, start) >= 0 || b.indexOf(LS, start) >= 0 || b.indexOf(PS, start) >= 0
}

/** Length of a leading `<` + 1–3 ASCII digits + `>`, or 0 when the frame has no valid PRI. */
export function priLength(b: Buffer): number {
  if (b.length < 3 || b[0] !== 0x3c) return 0
  let i = 1
  while (i < b.length && i <= 4) {
    const c = b[i] as number
    if (c === 0x3e) return i > 1 ? i + 1 : 0
    if (c < 0x30 || c > 0x39) return 0
    i++
  }
  return 0
}

function priValue(b: Buffer, end: number): number {
  let v = 0
  for (let i = 1; i < end - 1; i++) v = v * 10 + ((b[i] as number) - 0x30)
  return v
}

/** UTF-8 body bytes as Java's decode/encode round trip produces them (malformed input → U+FFFD). */
function utf8Body(b: Buffer): Buffer {
  return isAscii(b) || isUtf8(b) ? b : Buffer.from(javaUtf8Decode(b), 'utf8')
}

/** Header values for every PRI 0–999, so parsing allocates no string for them. */
const DECIMAL = Array.from({ length: 1000 }, (_, i) => String(i))

/** A custom layout (Flume's `format.*` keys), built by the caller from Java regular expressions. */
export interface CustomLayout {
  /**
   * Matches the whole line (Java's Matcher.matches()); returns groups 0..n (null for a group that did not
   * take part), or null when the line does not match.
   */
  match(line: string): readonly (string | null)[] | null
  /** The timestamp group → epoch ms (after format.search/replace, parsed with format.dateFormat). */
  timestamp(text: string): number | undefined
}

export interface SyslogUtilsOptions {
  readonly keepFields: KeepFields
  readonly custom?: CustomLayout | undefined
  /** The receiver's clock, for the RFC 3164 year (tests pass a fixed one). */
  readonly now?: () => number
}

export class SyslogUtilsParser {
  readonly #keep: KeepFields
  readonly #now: () => number
  readonly #custom: CustomLayout | undefined
  // One-entry caches: consecutive messages usually share their host and their second, so events in a
  // channel share these strings instead of each holding a copy.
  #lastHost = ''
  #lastStamp = ''
  #lastStampAt = 0
  #lastStampValue: string | undefined

  constructor(opts: SyslogUtilsOptions) {
    this.#keep = opts.keepFields
    this.#now = opts.now ?? Date.now
    this.#custom = opts.custom
  }

  /**
   * Parses one non-empty frame: writes the headers into `headers` and returns the body. The body may
   * share memory with `frame`.
   */
  parse(frame: Buffer, incomplete: boolean, headers: Record<string, string>): Buffer {
    const pl = priLength(frame)
    if (pl === 0) {
      headers.Facility = '0'
      headers.Severity = '0'
      headers[SYSLOG_STATUS] = STATUS_INVALID
      return frame
    }
    const pri = priValue(frame, pl)
    headers.Facility = DECIMAL[(pri / 8) | 0] as string
    headers.Severity = DECIMAL[pri % 8] as string
    if (this.#custom !== undefined) {
      const body = this.#parseCustom(this.#custom, frame, incomplete, headers)
      if (body !== undefined) return body
    }
    const text = frame.toString('latin1')
    let body = frame
    let rfc5424 = true
    let m = RFC5424.exec(text)
    if (m === null) {
      rfc5424 = false
      m = RFC3164.exec(text)
    }
    if (m !== null) {
      const bodyStart = (m[0] as string).length
      if (isAscii(frame.subarray(bodyStart)) || !hasUnicodeLineTerminator(frame, bodyStart)) {
        const digits = m[1] as string
        // The PRI as written ("013" stays "013").
        const priority = digits.length === (DECIMAL[pri] as string).length ? (DECIMAL[pri] as string) : digits
        const version = m[2]
        const stamp = m[3]
        let host = m[4]
        headers.priority = priority
        if (version !== undefined && version.length > 0) headers.version = version
        if (stamp !== undefined) {
          const t = this.#timestamp(stamp, rfc5424)
          if (t !== undefined) headers.timestamp = t
        }
        if (host !== undefined && host.length > 0) {
          if (host === this.#lastHost) host = this.#lastHost
          else this.#lastHost = host
          headers.host = host
        }
        const k = this.#keep
        if (!k.all) {
          const prefix = keptPrefix(k, priority, version, stamp ?? '-', host ?? '-')
          if (prefix.length + frame.length - bodyStart > 0) {
            const msg = utf8Body(frame.subarray(bodyStart))
            body = prefix.length === 0 ? msg : Buffer.concat([Buffer.from(prefix, 'latin1'), msg])
          }
        }
      }
    }
    if (incomplete) headers[SYSLOG_STATUS] = STATUS_INCOMPLETE
    return body
  }

  /** Flume's formatHeaders() with a custom layout; undefined when the layout does not match the line. */
  #parseCustom(
    layout: CustomLayout,
    frame: Buffer,
    incomplete: boolean,
    headers: Record<string, string>,
  ): Buffer | undefined {
    const line = isAscii(frame)
      ? frame.toString('latin1')
      : isUtf8(frame)
        ? frame.toString('utf8')
        : javaUtf8Decode(frame)
    const groups = layout.match(line)
    if (groups === null) return undefined
    let priority: string | null = null
    let version: string | null = null
    let stamp: string | null = null
    let host: string | null = null
    let message: string | null = null
    for (let g = 1; g < groups.length && g <= 5; g++) {
      const v = groups[g] ?? null
      if (g === 1) priority = v
      else if (g === 2) version = v
      else if (g === 3) stamp = v
      else if (g === 4) host = v
      else message = v
    }
    if (priority !== null && priority.length > 0) headers.priority = priority
    if (version !== null && version.length > 0) headers.version = version
    if (stamp !== null) {
      const t = layout.timestamp(stamp)
      if (t !== undefined) headers.timestamp = String(t)
    }
    if (host !== null && host.length > 0) headers.host = host
    // Flume compat: the message is only taken from a fifth group, and kept fields are put in front of it
    // with Java's string concatenation (a group that did not take part reads "null").
    let body = frame
    const k = this.#keep
    if (groups.length > 5 && !k.all) {
      const j = (v: string | null) => (v === null ? 'null' : v)
      let msg = message
      if (k.hostname) msg = `${j(host)} ${j(msg)}`
      if (k.timestamp) msg = `${j(stamp)} ${j(msg)}`
      if (k.version && version !== null && version.length > 0) msg = `${version} ${j(msg)}`
      if (k.priority) msg = `<${j(priority)}>${j(msg)}`
      if (msg !== null && msg.length > 0) body = Buffer.from(msg, 'utf8')
    }
    if (incomplete) headers[SYSLOG_STATUS] = STATUS_INCOMPLETE
    return body
  }

  #timestamp(stamp: string, rfc5424: boolean): string | undefined {
    const now = rfc5424 ? 0 : this.#now()
    // An RFC 3164 stamp's year depends on the clock: reuse a cached value for one second only.
    if (stamp === this.#lastStamp && (rfc5424 || now - this.#lastStampAt < 1000)) return this.#lastStampValue
    const t = rfc5424 ? parseRfc5424Timestamp(stamp, 'local') : parseRfc3164Timestamp(stamp, 'local', now)
    this.#lastStamp = stamp
    this.#lastStampAt = now
    this.#lastStampValue = t === undefined ? undefined : String(t)
    return this.#lastStampValue
  }
}
