/**
 * `http` source (org.apache.flume.source.http.HTTPSource): events over HTTP(S) POST (and GET), turned into
 * events by a handler (./handler.ts; JSON by default) and committed in one transaction per request.
 *
 * Answers (reference §5):
 * - 200, empty body: every event of the request is committed;
 * - 400: the handler rejected the request (malformed JSON, wrong shape, a missing mandatory parameter);
 * - 413: the body is larger than `maxRequestBytes` (flumen's bound; Flume has none), or the request holds
 *   more events than the channel takes in one transaction (Flume answers 503 to such a request forever);
 * - 415: a charset the handler cannot read (Flume: 500);
 * - 500: the handler failed otherwise, or an unexpected processing error;
 * - 503: the channel refused the batch (full, or a required channel failed) — nothing of the request was
 *   accepted, the client retries;
 * - 403 for TRACE and OPTIONS and 405 for methods other than GET/HEAD/POST, as Flume's Jetty does.
 * Any path is accepted. GET and HEAD run the handler like POST (Flume compat; "for experimentation").
 *
 * Flume's Jetty bean properties are mapped where Node has an equivalent — `ServerConnector.idleTimeout`
 * (keep-alive idle ms), `HttpConfiguration.requestHeaderSize` (largest request head), `QueuedThreadPool.
 * maxThreads` (requests processed at once; more wait, unread) — and otherwise reported and ignored.
 *
 * Counters (Flume's): AppendBatchReceived/Accepted per request, EventReceived/Accepted per event,
 * EventReadFail for handler rejections, ChannelWriteFail for 503s, GenericProcessingFail for 500s after the
 * handler. flumen adds OpenConnectionCount.
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../../core/channel-processor.ts'
import { SourceCounter } from '../../core/counters.ts'
import { ChannelError, describeError } from '../../core/errors.ts'
import type { Event } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import {
  defineSource,
  type Field,
  type FieldReader,
  Invalid,
  long,
  parseJavaInteger,
  str,
} from '../../core/spec.ts'
import { portField } from '../netcat.ts'
import { resolveBindAddress } from '../util/bind.ts'
import { buildTlsServerOptions, tlsServerFields } from '../util/tls-server.ts'
import { createBlobHandler, createCoreBlobHandler } from './blob-handler.ts'
import {
  type HttpHandlerRequest,
  type HttpSourceHandler,
  isHandlerModule,
  loadHandlerModule,
  statusOf,
  toEvents,
} from './handler.ts'
import { createJsonHandler } from './json-handler.ts'

export const JSON_HANDLER = 'org.apache.flume.source.http.JSONHandler'
export const BLOB_HANDLER = 'org.apache.flume.sink.solr.morphline.BlobHandler'
export const CORE_BLOB_HANDLER = 'org.apache.flume.source.http.BLOBHandler'
const DEFAULT_MAX_BLOB = 100_000_000
const DEFAULT_MAX_REQUEST = 16 * 1024 * 1024

type HandlerChoice =
  | { readonly kind: 'json' }
  | { readonly kind: 'blob'; readonly maxBlobLength: number }
  | { readonly kind: 'coreBlob'; readonly mandatory: readonly string[] }
  | {
      readonly kind: 'module'
      readonly ref: string
      readonly properties: ReadonlyMap<string, string>
      readonly baseDir: string
    }

function warnUnknown(
  r: FieldReader,
  props: ReadonlyMap<string, unknown>,
  known: readonly string[],
  handler: string,
) {
  for (const k of props.keys()) {
    if (!known.includes(k))
      r.warn(`handler.${k}`, `unknown property for ${handler}; ignored`, 'UNKNOWN_PROPERTY')
  }
}

/** `handler` and `handler.*`, parsed together (the handler decides which sub-keys exist). */
const handlerField: Field<HandlerChoice> = {
  key: 'handler',
  aliases: [],
  doc: `Handler: ${JSON_HANDLER} (default), ${BLOB_HANDLER}, ${CORE_BLOB_HANDLER}, or a module path (./my-handler.js) exporting createHandler(). Sub-properties handler.* configure it.`,
  typeName: 'handler class or module',
  defaultText: JSON_HANDLER,
  required: false,
  consumes: ['handler', 'handler.'],
  read(r) {
    const pv = r.get('handler')
    const ref = pv?.value.trim() || JSON_HANDLER
    const props = r.prefixed('handler.')
    if (ref === JSON_HANDLER) {
      warnUnknown(r, props, [], 'JSONHandler')
      return { kind: 'json' }
    }
    if (ref === BLOB_HANDLER) {
      warnUnknown(r, props, ['maxBlobLength'], 'BlobHandler')
      const raw = props.get('maxBlobLength')
      if (raw === undefined) return { kind: 'blob', maxBlobLength: DEFAULT_MAX_BLOB }
      const n = parseJavaInteger(raw.value, 32)
      if (n === undefined || n <= 0) {
        r.error(
          'handler.maxBlobLength',
          `must be an int greater than zero, not '${raw.value}'`,
          'INVALID_VALUE',
        )
        return Invalid
      }
      return { kind: 'blob', maxBlobLength: n }
    }
    if (ref === CORE_BLOB_HANDLER) {
      warnUnknown(r, props, ['mandatoryParameters'], 'BLOBHandler')
      const raw = props.get('mandatoryParameters')?.value ?? ''
      return {
        kind: 'coreBlob',
        mandatory: raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      }
    }
    if (isHandlerModule(ref)) {
      const properties = new Map<string, string>()
      for (const [k, v] of props) properties.set(k, v.value)
      return { kind: 'module', ref, properties, baseDir: pv === undefined ? process.cwd() : dirname(pv.file) }
    }
    r.error(
      'handler',
      `unknown HTTP source handler '${ref}'. Built in: ${JSON_HANDLER}, ${BLOB_HANDLER}, ${CORE_BLOB_HANDLER}; a handler of your own is a module path (handler = ./my-handler.js)`,
      'UNKNOWN_COMPONENT_TYPE',
    )
    return Invalid
  },
}

interface JettySettings {
  readonly idleTimeoutMs: number | undefined
  readonly maxHeaderSize: number | undefined
  readonly maxThreads: number | undefined
}

/** Flume's Jetty bean properties: the few with a Node equivalent are mapped, the others reported. */
const jettyField: Field<JettySettings> = {
  key: '<Jetty bean>.*',
  aliases: [],
  doc: 'QueuedThreadPool.*, HttpConfiguration.*, SslContextFactory.*, ServerConnector.*: ServerConnector.idleTimeout, HttpConfiguration.requestHeaderSize and QueuedThreadPool.maxThreads are honoured; others are ignored with a warning.',
  typeName: 'map',
  defaultText: undefined,
  required: false,
  consumes: ['QueuedThreadPool.', 'HttpConfiguration.', 'SslContextFactory.', 'ServerConnector.'],
  read(r) {
    const out: { idleTimeoutMs?: number; maxHeaderSize?: number; maxThreads?: number } = {}
    const mapped: Record<string, keyof typeof out> = {
      'ServerConnector.idleTimeout': 'idleTimeoutMs',
      'HttpConfiguration.requestHeaderSize': 'maxHeaderSize',
      'QueuedThreadPool.maxThreads': 'maxThreads',
    }
    let ok = true
    for (const prefix of [
      'QueuedThreadPool.',
      'HttpConfiguration.',
      'SslContextFactory.',
      'ServerConnector.',
    ]) {
      for (const [k, v] of r.prefixed(prefix)) {
        const key = prefix + k
        const target = mapped[key]
        if (target === undefined) {
          r.warn(key, 'Jetty setting with no equivalent in flumen; ignored', 'UNKNOWN_PROPERTY')
          continue
        }
        const n = parseJavaInteger(v.value, 64)
        if (n === undefined || n <= 0) {
          r.error(key, `'${v.value}' is not a positive number`, 'INVALID_VALUE')
          ok = false
          continue
        }
        out[target] = n
      }
    }
    if (!ok) return Invalid
    return { idleTimeoutMs: out.idleTimeoutMs, maxHeaderSize: out.maxHeaderSize, maxThreads: out.maxThreads }
  },
}

/** The `charset` parameter of a Content-Type value. */
export function charsetParam(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const m = /;\s*charset\s*=\s*("[^"]*"|[^;\s]*)/i.exec(contentType)
  if (m === null) return undefined
  const v = (m[1] as string).replace(/^"|"$/g, '')
  return v.length > 0 ? v : undefined
}

class HttpSource {
  readonly counter: SourceCounter
  readonly #processor: ChannelProcessor
  readonly #handler: HttpSourceHandler
  readonly #errors: RateLimitedLog
  readonly #maxRequest: number
  readonly #maxActive: number
  #active = 0
  readonly #waiting: (() => void)[] = []
  readonly #inflight = new Set<Promise<void>>()
  readonly #sockets = new Set<Socket>()

  constructor(
    name: string,
    processor: ChannelProcessor,
    handler: HttpSourceHandler,
    logger: Logger,
    maxRequest: number,
    maxActive: number,
  ) {
    this.counter = new SourceCounter(name)
    this.#processor = processor
    this.#handler = handler
    this.#errors = new RateLimitedLog(logger)
    this.#maxRequest = maxRequest
    this.#maxActive = maxActive
  }

  trackSocket(s: Socket): void {
    this.#sockets.add(s)
    this.counter.openConnectionCount = this.#sockets.size
    s.once('close', () => {
      this.#sockets.delete(s)
      this.counter.openConnectionCount = this.#sockets.size
    })
  }

  /** `Expect: 100-continue`: refuse an oversized body before the client sends it. */
  onCheckContinue(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers['content-length'])
    if (!(Number.isFinite(declared) && declared > this.#maxRequest)) res.writeContinue()
    this.onRequest(req, res)
  }

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const p = this.#serve(req, res).catch((e: unknown) => {
      this.#errors.error({ error: describeError(e) }, 'Unexpected error serving an HTTP request')
      if (!res.headersSent) this.#answer(res, 500, `Unexpected error: ${describeError(e)}`)
      else res.destroy()
    })
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p))
  }

  /** Resolves when every request being served has been answered. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight])
  }

  #answer(res: ServerResponse, status: number, message: string, close = false): void {
    if (res.headersSent) return
    const body = status === 200 ? '' : `${message}\n`
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      ...(status === 405 ? { Allow: 'GET, HEAD, POST' } : {}),
      ...(close ? { Connection: 'close' } : {}),
    })
    res.end(body)
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#maxActive) {
      this.#active++
      return
    }
    await new Promise<void>((r) => this.#waiting.push(r))
  }

  #release(): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next()
    else this.#active--
  }

  /** Reads the body up to the limit; undefined (and a 413 sent) when it is larger. */
  #readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    const limit = this.#maxRequest
    const declared = Number(req.headers['content-length'])
    const tooLarge = () => {
      this.counter.eventReadFail++
      this.#errors.warn(
        { remote: req.socket.remoteAddress, limit },
        'HTTP request body larger than maxRequestBytes; answered 413',
      )
      this.#answer(res, 413, `Request body larger than ${limit} bytes (maxRequestBytes)`, true)
      // Discard the rest (no memory kept) so the client can read the answer; the connection then closes.
      req.resume()
      setTimeout(() => req.socket.destroy(), 5000).unref()
    }
    if (Number.isFinite(declared) && declared > limit) {
      tooLarge()
      return Promise.resolve(undefined)
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let total = 0
      let done = false
      req.on('data', (c: Buffer) => {
        if (done) return
        total += c.length
        if (total > limit) {
          done = true
          tooLarge()
          resolve(undefined)
          return
        }
        chunks.push(c)
      })
      req.on('end', () => {
        if (done) return
        done = true
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total))
      })
      req.on('error', (e) => {
        if (done) return
        done = true
        reject(e)
      })
      // The client went away before the body was complete: nothing to answer.
      req.on('close', () => {
        if (done) return
        done = true
        resolve(undefined)
      })
    })
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    if (method === 'TRACE' || method === 'OPTIONS') {
      this.#answer(res, 403, 'Forbidden')
      req.resume()
      return
    }
    if (method !== 'POST' && method !== 'GET' && method !== 'HEAD') {
      this.#answer(res, 405, `Method ${method} is not allowed; use POST`)
      req.resume()
      return
    }
    await this.#acquire()
    try {
      const body = await this.#readBody(req, res)
      if (body === undefined) return
      const url = new URL(req.url ?? '/', 'http://x')
      const contentType = req.headers['content-type']
      const request: HttpHandlerRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        contentType,
        charset: charsetParam(contentType),
        remoteAddress: req.socket.remoteAddress,
        body,
      }
      let events: Event[]
      try {
        events = toEvents(await this.#handler.getEvents(request))
      } catch (e) {
        const status = statusOf(e)
        this.counter.eventReadFail++
        this.#errors.warn(
          { remote: req.socket.remoteAddress, status, error: describeError(e) },
          status === 500 ? 'HTTP handler failed on a request' : 'Rejected a bad HTTP request',
        )
        this.#answer(
          res,
          status,
          status === 500
            ? `Deserializer threw unexpected exception. ${describeError(e)}`
            : `Bad request from client. ${describeError(e)}`,
        )
        return
      }
      const counter = this.counter
      counter.appendBatchReceivedCount++
      counter.eventReceivedCount += events.length
      const max = this.#processor.maxBatch
      if (events.length > max) {
        counter.channelWriteFail++
        this.#errors.warn(
          { remote: req.socket.remoteAddress, events: events.length, transactionCapacity: max },
          'HTTP request holds more events than the channel takes in one transaction; answered 413',
        )
        this.#answer(
          res,
          413,
          `The request holds ${events.length} events; the channel takes at most ${max} per transaction (transactionCapacity). Send smaller batches.`,
        )
        return
      }
      try {
        await this.#processor.processEventBatch(events)
      } catch (e) {
        if (e instanceof ChannelError) {
          counter.channelWriteFail++
          this.#errors.warn(
            { events: events.length, error: describeError(e) },
            'Channel refused an HTTP batch; answered 503 (the channel may be full: raise its capacity or check the sinks)',
          )
          this.#answer(
            res,
            503,
            `Error appending event to channel. Channel might be full. ${describeError(e)}`,
          )
        } else {
          counter.genericProcessingFail++
          this.#errors.error(
            { error: describeError(e) },
            'Unexpected error putting an HTTP batch; answered 500',
          )
          this.#answer(res, 500, `Unexpected error while appending event to channel. ${describeError(e)}`)
        }
        return
      }
      counter.appendBatchAcceptedCount++
      counter.eventAcceptedCount += events.length
      this.#answer(res, 200, '')
    } finally {
      this.#release()
    }
  }
}

export const spec = defineSource({
  type: 'http',
  classNames: ['org.apache.flume.source.http.HTTPSource'],
  summary: 'Accepts events over HTTP(S) POST; JSON, blob or custom handlers.',
  fields: {
    bind: str({ key: 'bind', default: '0.0.0.0', doc: 'Address to listen on.' }),
    port: portField('port', 'TCP port to listen on.'),
    handler: handlerField,
    maxRequestBytes: long({
      key: 'maxRequestBytes',
      default: DEFAULT_MAX_REQUEST,
      min: 1,
      doc: 'flumen: largest request body in bytes; a larger one is answered 413 (Flume has no limit).',
    }),
    jetty: jettyField,
    ...tlsServerFields({ httpAliases: true }),
  },
  validate(cfg) {
    return cfg.bind.trim().length === 0 ? ['bind is empty'] : []
  },
  async build(cfg, ctx) {
    const tls = await buildTlsServerOptions(cfg, {
      sys: ctx.sys,
      env: process.env,
      logger: ctx.logger,
      component: `SOURCE.${ctx.name}`,
    })
    const h = cfg.handler
    let handler: HttpSourceHandler
    if (h.kind === 'json') handler = createJsonHandler()
    else if (h.kind === 'blob') {
      handler = createBlobHandler(h.maxBlobLength, ctx.logger)
      if (h.maxBlobLength > cfg.maxRequestBytes) {
        ctx.logger.warn(
          { maxBlobLength: h.maxBlobLength, maxRequestBytes: cfg.maxRequestBytes },
          'Requests larger than maxRequestBytes are refused (413) before handler.maxBlobLength applies; raise maxRequestBytes for larger blobs',
        )
      }
    } else if (h.kind === 'coreBlob') handler = createCoreBlobHandler(h.mandatory)
    else {
      handler = await loadHandlerModule(h.ref, h.baseDir, {
        properties: h.properties,
        logger: ctx.logger,
        name: ctx.name,
      })
    }
    const source = new HttpSource(
      ctx.name,
      ctx.processor,
      handler,
      ctx.logger,
      cfg.maxRequestBytes,
      cfg.jetty.maxThreads ?? 200,
    )
    ctx.metrics.register(source.counter)
    let server: Server | undefined
    return {
      async start() {
        source.counter.start()
        const host = await resolveBindAddress(cfg.bind)
        const onRequest = (req: IncomingMessage, res: ServerResponse) => source.onRequest(req, res)
        const opts = cfg.jetty.maxHeaderSize === undefined ? {} : { maxHeaderSize: cfg.jetty.maxHeaderSize }
        const s: Server =
          tls === undefined
            ? createHttpServer(opts, onRequest)
            : createHttpsServer({ ...tls, ...opts }, onRequest)
        // Jetty's default idle timeout is 30 s.
        s.keepAliveTimeout = cfg.jetty.idleTimeoutMs ?? 30_000
        s.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => source.onCheckContinue(req, res))
        s.on(tls === undefined ? 'connection' : 'secureConnection', (sock: Socket) =>
          source.trackSocket(sock),
        )
        s.on('clientError', (err, sock) => {
          // Malformed request heads, oversized headers, TLS failures: this connection only.
          if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
          else sock.destroy()
          ctx.logger.debug({ error: describeError(err) }, 'Bad HTTP client connection closed')
        })
        return new Promise<void>((resolve, reject) => {
          s.once('error', (e) =>
            reject(new Error(`cannot listen on ${cfg.bind}:${cfg.port}: ${describeError(e)}`)),
          )
          s.listen({ host, port: cfg.port }, () => {
            s.removeAllListeners('error')
            s.on('error', (e) => ctx.logger.error({ error: describeError(e) }, 'HTTP source listener error'))
            server = s
            const a = s.address()
            ctx.logger.info(
              {
                bind: cfg.bind,
                port: typeof a === 'object' && a !== null ? a.port : cfg.port,
                tls: tls !== undefined,
                handler: h.kind === 'module' ? h.ref : h.kind,
              },
              'HTTP source listening',
            )
            resolve()
          })
        })
      },
      async stop() {
        const s = server
        server = undefined
        if (s !== undefined) {
          const closed = new Promise<void>((r) => s.close(() => r()))
          s.closeIdleConnections()
          await source.idle()
          s.closeAllConnections()
          await closed
        }
        source.counter.stop()
      },
    }
  },
})
