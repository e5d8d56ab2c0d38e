/**
 * `org.apache.flume.source.http.JSONHandler`: the request body is a JSON array of events
 * `[{"headers": {"k": "v"}, "body": "text"}, …]` (an array even for one event).
 *
 * Charset: the `charset` of Content-Type, else UTF-8 (JSON's default). Only UTF-8, UTF-16 and UTF-32 are
 * accepted, as in Flume; the request text is decoded with it and each body string is encoded with it —
 * so a UTF-16 request gives UTF-16 bodies (big-endian with a byte-order mark, as Java's `getBytes("UTF-16")`),
 * a UTF-32 one big-endian UTF-32. UTF-16/32 requests may start with a byte-order mark (default big-endian);
 * a UTF-8 BOM is ignored.
 *
 * Values: header values and bodies are strings; numbers and booleans are accepted and kept as written
 * (`1.50` stays "1.50"), as Gson does; a `null` header is left out (Flume would store a null that later
 * breaks sinks); a missing or null `headers` means none, a missing or null `body` an empty body.
 *
 * Errors, all 400 unless noted: malformed JSON, a top level that is not an array, an element that is not
 * an object, an object or array where a string belongs, an empty body; an unsupported charset is 415.
 * Deliberate differences from Flume: Gson's lenient syntax (unquoted strings, comments, single quotes) is
 * not accepted (400); an empty body or the literal `null` is 400 (Flume: 500, a NullPointerException);
 * an unsupported charset is 415 (Flume: 500); duplicate header names keep the last value (Flume: 400).
 */

import { Event, newHeaders } from '../../core/event.ts'
import { HttpClientError, type HttpHandlerRequest, type HttpSourceHandler } from './handler.ts'

export type JsonCharset = 'utf-8' | 'utf-16' | 'utf-32'

export function jsonCharset(name: string | undefined): JsonCharset {
  if (name === undefined) return 'utf-8'
  const n = name.trim().replace(/^"|"$/g, '').toLowerCase()
  if (n === 'utf-8' || n === 'utf-16' || n === 'utf-32') return n
  throw new HttpClientError(
    `charset ${name} is not supported: the JSON handler accepts UTF-8, UTF-16 and UTF-32 only`,
    415,
  )
}

function decodeUtf16(b: Buffer): string {
  let le = false
  let start = 0
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) start = 2
  else if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) {
    le = true
    start = 2
  }
  const even = start + ((b.length - start) & ~1)
  let text: string
  if (le) text = b.toString('utf16le', start, even)
  else {
    const copy = Buffer.from(b.subarray(start, even))
    copy.swap16()
    text = copy.toString('utf16le')
  }
  // A dangling odd byte and unpaired surrogates are malformed input: U+FFFD, as Java's reader gives.
  return (even < b.length ? `${text}\ufffd` : text).toWellFormed()
}

function decodeUtf32(b: Buffer): string {
  let le = false
  let start = 0
  if (b.length >= 4 && b.readUInt32BE(0) === 0x0000feff) start = 4
  else if (b.length >= 4 && b.readUInt32LE(0) === 0x0000feff) {
    le = true
    start = 4
  }
  const parts: string[] = []
  const cps: number[] = []
  for (let i = start; i + 4 <= b.length; i += 4) {
    const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i)
    cps.push(cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp)
    if (cps.length === 4096) parts.push(String.fromCodePoint(...cps.splice(0)))
  }
  if ((b.length - start) % 4 !== 0) cps.push(0xfffd)
  parts.push(String.fromCodePoint(...cps))
  return parts.join('')
}

export function decodeJsonText(b: Buffer, cs: JsonCharset): string {
  if (cs === 'utf-16') return decodeUtf16(b)
  if (cs === 'utf-32') return decodeUtf32(b)
  const start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0
  return b.toString('utf8', start)
}

const LONE_SURROGATE = /[\ud800-\udfff]/gu

/** `String.getBytes(charset)` as Java does it (unpaired surrogates: `?` in UTF-8, U+FFFD otherwise). */
export function encodeJavaString(s: string, cs: JsonCharset): Buffer {
  if (cs === 'utf-8') {
    return Buffer.from(s.isWellFormed() ? s : s.replace(LONE_SURROGATE, '?'), 'utf8')
  }
  if (s.length === 0) return Buffer.alloc(0)
  const text = s.toWellFormed()
  if (cs === 'utf-16') {
    const out = Buffer.allocUnsafe(2 + text.length * 2)
    out[0] = 0xfe
    out[1] = 0xff
    out.write(text, 2, 'utf16le')
    out.subarray(2).swap16()
    return out
  }
  const cps: number[] = []
  for (const ch of text) cps.push(ch.codePointAt(0) as number)
  const out = Buffer.allocUnsafe(cps.length * 4)
  for (let i = 0; i < cps.length; i++) out.writeUInt32BE(cps[i] as number, i * 4)
  return out
}

function describe(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'object'
        ? 'an object'
        : `a ${typeof v}`
}

/** Marker for numbers re-read with their source text. */
class NumberText {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

function valueText(v: unknown, what: () => string): string | undefined {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return undefined
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (v instanceof NumberText) return v.text
  throw new HttpClientError(`${what()} must be a string, not ${describe(v)}`)
}

function hasNumbers(list: unknown[]): boolean {
  for (const e of list) {
    if (typeof e !== 'object' || e === null) continue
    const o = e as Record<string, unknown>
    if (typeof o.body === 'number') return true
    const h = o.headers
    if (typeof h === 'object' && h !== null) {
      for (const k in h) if (typeof (h as Record<string, unknown>)[k] === 'number') return true
    }
  }
  return false
}

/** Parses the request text into events; throws HttpClientError (400) for anything malformed. */
export function parseJsonEvents(text: string, cs: JsonCharset): Event[] {
  if (text.trim().length === 0) {
    throw new HttpClientError('the request body is empty; expected a JSON array of events')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    throw new HttpClientError(`Request has invalid JSON syntax: ${(e as Error).message}`)
  }
  if (!Array.isArray(parsed)) {
    throw new HttpClientError(`expected a JSON array of events, got ${describe(parsed)}`)
  }
  // Numbers are rare in practice; keep their text exactly as written (Gson does) by parsing again.
  if (hasNumbers(parsed)) {
    parsed = JSON.parse(text, (_k, v: unknown, ctx?: { source?: string }) =>
      typeof v === 'number' ? new NumberText(ctx?.source ?? String(v)) : v,
    ) as unknown[]
  }
  const list = parsed as unknown[]
  const events: Event[] = new Array(list.length)
  for (let i = 0; i < list.length; i++) {
    const e = list[i]
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw new HttpClientError(
        `event ${i} must be an object {"headers": {...}, "body": "..."}, not ${describe(e)}`,
      )
    }
    const o = e as Record<string, unknown>
    const headers = newHeaders()
    const h = o.headers
    if (h !== undefined && h !== null) {
      if (typeof h !== 'object' || Array.isArray(h)) {
        throw new HttpClientError(`"headers" of event ${i} must be an object, not ${describe(h)}`)
      }
      for (const k of Object.keys(h)) {
        const v = valueText((h as Record<string, unknown>)[k], () => `header "${k}" of event ${i}`)
        if (v !== undefined) headers[k] = v
      }
    }
    const b = valueText(o.body, () => `"body" of event ${i}`)
    events[i] = new Event(b === undefined ? Buffer.alloc(0) : encodeJavaString(b, cs), headers)
  }
  return events
}

export function createJsonHandler(): HttpSourceHandler {
  return {
    getEvents(req: HttpHandlerRequest): Event[] {
      const cs = jsonCharset(req.charset)
      return parseJsonEvents(decodeJsonText(req.body, cs), cs)
    },
  }
}
