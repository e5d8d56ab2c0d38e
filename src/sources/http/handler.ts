/**
 * HTTP source handlers: what turns one request into events (Flume's HTTPSourceHandler).
 *
 * Built in: `org.apache.flume.source.http.JSONHandler` (default), `org.apache.flume.sink.solr.morphline.
 * BlobHandler` and `org.apache.flume.source.http.BLOBHandler`. A handler of your own is a module named by
 * path in `handler` (`./my-handler.js`, `/opt/x/h.mjs`, `file:…`, `npm:<package>`); it exports
 *
 * ```js
 * export function createHandler({ properties, logger, name }) {
 *   // properties: the source's handler.* keys, without the prefix
 *   return {
 *     getEvents(request) {        // may be async
 *       // request: { method, path, query, headers, contentType, charset, remoteAddress, body (Buffer) }
 *       if (!ok) throw Object.assign(new Error('why'), { code: 'FLUMEN_HTTP_BAD_REQUEST' }) // → 400
 *       return [{ headers: { k: 'v' }, body: Buffer.from('...') }]  // body: Buffer | Uint8Array | string
 *     },
 *   }
 * }
 * ```
 * A thrown error whose `code` is `FLUMEN_HTTP_BAD_REQUEST` (or an HttpClientError) answers 400 (or its
 * `status`); any other error answers 500, as Flume does for handler exceptions other than
 * HTTPBadRequestException.
 */

import type { IncomingHttpHeaders } from 'node:http'
import { isAbsolute, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Logger } from 'pino'
import { Event, newHeaders } from '../../core/event.ts'

export interface HttpHandlerRequest {
  readonly method: string
  /** The path part of the URL (any path is accepted, as in Flume). */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  /** The Content-Type header as sent. */
  readonly contentType: string | undefined
  /** The `charset` parameter of Content-Type, as sent (undefined when absent). */
  readonly charset: string | undefined
  readonly remoteAddress: string | undefined
  /** The whole request body (bounded by the source's maxRequestBytes). */
  readonly body: Buffer
}

export interface HandlerEvent {
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: Buffer | Uint8Array | string | undefined
}

export interface HttpSourceHandler {
  getEvents(
    request: HttpHandlerRequest,
  ): Event[] | readonly HandlerEvent[] | Promise<Event[] | readonly HandlerEvent[]>
}

export const BAD_REQUEST = 'FLUMEN_HTTP_BAD_REQUEST'

/** A request the client must fix: 400 by default (Flume's HTTPBadRequestException), or another 4xx. */
export class HttpClientError extends Error {
  readonly code = BAD_REQUEST
  readonly status: number
  constructor(message: string, status = 400) {
    super(message)
    this.status = status
  }
}

/** The status a handler error answers: its 4xx for client errors, else 500. */
export function statusOf(e: unknown): number {
  if (e instanceof HttpClientError) return e.status
  if (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === BAD_REQUEST) {
    const s = (e as { status?: unknown }).status
    return typeof s === 'number' && s >= 400 && s < 500 ? s : 400
  }
  return 500
}

/** Turns what a plugin handler returned into events, checking the shape (a bad shape is the plugin's bug). */
export function toEvents(list: readonly (Event | HandlerEvent)[]): Event[] {
  if (!Array.isArray(list)) throw new TypeError('the handler did not return an array of events')
  const out: Event[] = new Array(list.length)
  for (let i = 0; i < list.length; i++) {
    const e = list[i]
    if (e instanceof Event) {
      out[i] = e
      continue
    }
    if (typeof e !== 'object' || e === null)
      throw new TypeError(`event ${i} returned by the handler is not an object`)
    const headers = newHeaders()
    if (e.headers !== undefined) {
      for (const k of Object.keys(e.headers)) {
        const v = e.headers[k]
        if (typeof v !== 'string') throw new TypeError(`header '${k}' of event ${i} is not a string`)
        headers[k] = v
      }
    }
    const b = e.body
    const body =
      b === undefined
        ? Buffer.alloc(0)
        : typeof b === 'string'
          ? Buffer.from(b, 'utf8')
          : Buffer.isBuffer(b)
            ? b
            : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    out[i] = new Event(body, headers)
  }
  return out
}

export function isHandlerModule(ref: string): boolean {
  return (
    ref.startsWith('./') ||
    ref.startsWith('../') ||
    ref.startsWith('/') ||
    ref.startsWith('file:') ||
    ref.startsWith('npm:') ||
    /\.(m?js|ts)$/.test(ref)
  )
}

export interface HandlerContext {
  readonly properties: ReadonlyMap<string, string>
  readonly logger: Logger
  /** The source's name. */
  readonly name: string
}

/** Imports a handler module and creates its handler. Throws with a message naming the module. */
export async function loadHandlerModule(
  ref: string,
  baseDir: string,
  ctx: HandlerContext,
): Promise<HttpSourceHandler> {
  let specifier: string
  if (ref.startsWith('npm:')) specifier = ref.slice(4)
  else if (ref.startsWith('file:')) specifier = ref
  else specifier = pathToFileURL(isAbsolute(ref) ? ref : resolvePath(baseDir, ref)).href
  let mod: Record<string, unknown>
  try {
    mod = (await import(specifier)) as Record<string, unknown>
  } catch (e) {
    throw new Error(`cannot load HTTP handler module '${ref}': ${(e as Error).message}`)
  }
  const create = (mod.createHandler ?? (mod.default as Record<string, unknown> | undefined)?.createHandler) as
    | ((c: HandlerContext) => unknown)
    | undefined
  if (typeof create !== 'function') {
    throw new Error(
      `HTTP handler module '${ref}' does not export createHandler({ properties, logger, name })`,
    )
  }
  const h = (await create(ctx)) as HttpSourceHandler | undefined
  if (h === undefined || h === null || typeof h.getEvents !== 'function') {
    throw new Error(`createHandler() of '${ref}' did not return an object with getEvents(request)`)
  }
  return h
}
