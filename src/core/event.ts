/**
 * The unit that travels through an agent: string headers and a byte body, nothing else (Flume's Event).
 *
 * Headers are a null-prototype object: a header literally named `__proto__` or `constructor` must be stored
 * like any other (a plain `{}` would silently drop `__proto__`), and lookups must not see Object.prototype.
 * Events keep one fixed shape so V8 keeps property access monomorphic on the hot path.
 */

export type Headers = Record<string, string>

export function newHeaders(from?: Readonly<Record<string, string>>): Headers {
  const h = Object.create(null) as Headers
  if (from !== undefined) {
    for (const k of Object.keys(from)) h[k] = from[k] as string
  }
  return h
}

export class Event {
  headers: Headers
  body: Buffer

  constructor(body: Buffer, headers?: Headers) {
    this.body = body
    this.headers = headers ?? newHeaders()
  }

  static fromString(body: string, headers?: Readonly<Record<string, string>>): Event {
    return new Event(Buffer.from(body, 'utf8'), headers === undefined ? undefined : newHeaders(headers))
  }
}

/** Sum of body lengths, the unit Flume uses for byte accounting and "MB/s" figures. */
export function bodyBytes(events: readonly Event[]): number {
  let n = 0
  for (let i = 0; i < events.length; i++) n += (events[i] as Event).body.length
  return n
}

/** Flume's `Map.toString()` rendering of headers: `{k1=v1, k2=v2}`. */
export function headersToJavaString(headers: Headers): string {
  let s = '{'
  let first = true
  for (const k in headers) {
    if (!first) s += ', '
    s += k + '=' + headers[k]
    first = false
  }
  return s + '}'
}
