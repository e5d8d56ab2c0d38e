/**
 * The listening side shared by the RPC sources (avro, thrift): accepts TCP connections, applies the IP
 * filter and the connection limit, layers deflate and TLS in Flume's order, and hands each connection's
 * byte stream to the protocol (`connect`). It owns the hardening that is not protocol-specific:
 *
 * - `maxConnections`: connections beyond it are closed at once, with a (rate-limited) warning;
 * - `stallTimeoutMs`: a connection that has half a request buffered, has replies it does not read, or
 *   has not finished its TLS handshake for that long is closed ("slow client"). A coarse sweep checks
 *   every second, so no timer is armed per request;
 * - any problem closes that one connection with a logged reason; the listener and the agent go on.
 *
 * Layering, as Flume 1.10+ builds its Netty pipeline: [ipFilter] → zlib → TLS → protocol frames, so with
 * both deflate and TLS the wire carries zlib(TLS(frames)).
 */

import { createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TLSSocket, TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import { tls } from '../../core/builtin-modules.ts'
import type { SourceCounter } from '../../core/counters.ts'
import { describeError } from '../../core/errors.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import { int, str } from '../../core/spec.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../protocols/avro-ipc/frame.ts'
import { resolveBindAddress } from './bind.ts'
import type { IpFilter } from './ip-filter.ts'

/** What a protocol hands back for one connection. */
export interface RpcConnection {
  /** Epoch ms since when the connection is stalled (see module doc); 0 when it is not. */
  stalledSince(): number
  /** Stops reading, answers what is in flight, then ends the connection. */
  shutdown(): Promise<void>
  /** Closes at once; `reason` is logged. */
  close(reason: string): void
}

export type ConnectionFactory = (
  stream: Duplex,
  remote: string,
  onClose: (reason: string | undefined) => void,
) => RpcConnection

export interface RpcServerOptions {
  /** For log lines, e.g. `Avro source r1`. */
  readonly label: string
  readonly bind: string
  readonly port: number
  readonly logger: Logger
  readonly counter: SourceCounter
  readonly tls?: TlsOptions | undefined
  /** zlib layer (avro `compression-type = deflate`) with this level for our direction. */
  readonly deflateLevel?: number | undefined
  readonly ipFilter?: IpFilter | undefined
  readonly maxConnections: number
  readonly stallTimeoutMs: number
  /** How long stop() lets in-flight requests finish before closing connections. */
  readonly shutdownGraceMs?: number
}

interface Live {
  readonly socket: Socket
  readonly remote: string
  conn: RpcConnection | undefined
  /** Epoch ms the TLS handshake started (0 once done or without TLS). */
  tlsPendingSince: number
}

export class RpcServer {
  readonly #o: RpcServerOptions
  readonly #live = new Set<Live>()
  /** One limiter per kind of problem (the text before the first colon), so distinct reasons all show. */
  readonly #problems = new Map<string, RateLimitedLog>()
  #server: Server | undefined
  #sweep: NodeJS.Timeout | undefined
  #secureContext: import('node:tls').SecureContext | undefined
  /** Loaded only when deflate is on (node:zlib costs memory an agent without it should not pay). */
  #ZlibDuplex: typeof import('../../protocols/avro-ipc/zlib-stream.ts').ZlibDuplex | undefined

  constructor(options: RpcServerOptions) {
    this.#o = options
  }

  #problem(kind: string): RateLimitedLog {
    let l = this.#problems.get(kind)
    if (l === undefined) {
      if (this.#problems.size > 64) this.#problems.clear()
      l = new RateLimitedLog(this.#o.logger, 1_000)
      this.#problems.set(kind, l)
    }
    return l
  }

  /** The bound address (useful with port 0). */
  address(): { address: string; port: number } | undefined {
    const a = this.#server?.address()
    return a !== null && typeof a === 'object' ? { address: a.address, port: a.port } : undefined
  }

  get connections(): number {
    return this.#live.size
  }

  async start(connect: ConnectionFactory): Promise<void> {
    const o = this.#o
    if (o.tls !== undefined) this.#secureContext = tls().createSecureContext(o.tls)
    if (o.deflateLevel !== undefined) {
      this.#ZlibDuplex = (await import('../../protocols/avro-ipc/zlib-stream.ts')).ZlibDuplex
    }
    const host = await resolveBindAddress(o.bind)
    const server = createServer({ noDelay: true, keepAlive: true }, (socket) => this.#accept(socket, connect))
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new Error(`cannot listen on ${o.bind}:${o.port}: ${describeError(e)}`)),
      )
      server.listen({ host, port: o.port, backlog: 1024 }, () => {
        server.removeAllListeners('error')
        server.on('error', (e) => o.logger.error({ error: describeError(e) }, `${o.label}: listener error`))
        resolve()
      })
    })
    this.#server = server
    this.#sweep = setInterval(() => this.#checkStalls(), 1000)
    this.#sweep.unref()
  }

  #accept(socket: Socket, connect: ConnectionFactory): void {
    const o = this.#o
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    socket.on('error', () => {}) // reported through the protocol's close reason or ignored (resets)
    if (this.#live.size >= o.maxConnections) {
      this.#problem('max-connections').warn(
        { client: remote, maxConnections: o.maxConnections },
        `${o.label}: connection refused, max-connections reached`,
      )
      socket.destroy()
      return
    }
    const live: Live = { socket, remote, conn: undefined, tlsPendingSince: 0 }
    this.#live.add(live)
    o.counter.openConnectionCount = this.#live.size
    socket.once('close', () => {
      this.#live.delete(live)
      o.counter.openConnectionCount = this.#live.size
    })
    const filter = o.ipFilter
    if (filter === undefined) {
      this.#open(live, connect)
      return
    }
    socket.pause()
    filter.check(socket.remoteAddress ?? '').then(
      (d) => {
        if (d.allowed) {
          this.#open(live, connect)
          socket.resume()
        } else {
          this.#problem('denied').warn(
            { client: remote, rule: d.rule },
            `${o.label}: connection denied by ipFilter`,
          )
          socket.destroy()
        }
      },
      (e: unknown) => {
        this.#problem('ipFilter').warn(
          { client: remote, error: describeError(e) },
          `${o.label}: ipFilter failed; closing`,
        )
        socket.destroy()
      },
    )
  }

  #open(live: Live, connect: ConnectionFactory): void {
    const o = this.#o
    if (live.socket.destroyed) return
    let stream: Duplex = live.socket
    if (o.deflateLevel !== undefined && this.#ZlibDuplex !== undefined)
      stream = new this.#ZlibDuplex(stream, o.deflateLevel)
    if (this.#secureContext !== undefined) {
      const t: TLSSocket = new (tls().TLSSocket)(stream, {
        isServer: true,
        secureContext: this.#secureContext,
        requestCert: false,
      })
      live.tlsPendingSince = Date.now()
      t.once('secure', () => {
        live.tlsPendingSince = 0
      })
      t.on('error', (e: Error) => {
        if (live.tlsPendingSince !== 0) {
          this.#problem('tls').warn(
            { client: live.remote, error: e.message },
            `${o.label}: TLS handshake failed; connection closed`,
          )
        }
        live.socket.destroy()
      })
      stream = t
    }
    stream.on('close', () => live.socket.destroy())
    live.conn = connect(stream, live.remote, (reason) => {
      if (reason !== undefined) {
        this.#problem(reason.split(':')[0] ?? reason).warn(
          { client: live.remote, reason },
          `${o.label}: closed a client connection`,
        )
      }
      live.socket.destroy()
    })
  }

  #checkStalls(): void {
    const now = Date.now()
    const limit = this.#o.stallTimeoutMs
    for (const live of this.#live) {
      if (live.tlsPendingSince !== 0 && now - live.tlsPendingSince > limit) {
        this.#problem('tls-stall').warn(
          { client: live.remote, stallTimeoutMs: limit },
          `${this.#o.label}: closed a client that did not complete its TLS handshake in time`,
        )
        live.socket.destroy()
        continue
      }
      const since = live.conn?.stalledSince() ?? 0
      if (since !== 0 && now - since > limit) {
        live.conn?.close(
          `slow client: a request stayed incomplete or replies stayed unread for more than ${limit} ms (stall-timeout)`,
        )
      }
    }
  }

  /** Stops accepting, lets requests in flight finish (bounded), then closes every connection. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (this.#sweep !== undefined) clearInterval(this.#sweep)
    const closed =
      server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()))
    const grace = this.#o.shutdownGraceMs ?? 5000
    const all = [...this.#live]
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(all.map((l) => l.conn?.shutdown() ?? Promise.resolve())),
      new Promise<void>((r) => {
        timer = setTimeout(r, grace)
      }),
    ])
    clearTimeout(timer)
    for (const l of this.#live) l.socket.destroy()
    await closed
  }
}

/** Spec fields every RPC source has: where to listen, and flumen's hardening limits. */
export function rpcServerFields() {
  return {
    bind: str({ key: 'bind', required: true, doc: 'Address to listen on (e.g. 0.0.0.0 or 127.0.0.1).' }),
    port: int({ key: 'port', required: true, min: 0, max: 65535, doc: 'TCP port to listen on.' }),
    threads: int({
      key: 'threads',
      default: 0,
      invalid: 'default',
      doc: 'Accepted for compatibility; no effect (requests are handled on the event loop).',
    }),
    maxFrameBytes: int({
      key: 'max-frame-bytes',
      default: DEFAULT_MAX_FRAME_BYTES,
      min: 1024,
      doc: 'flumen: largest request accepted, in bytes; a larger one closes its connection.',
    }),
    maxConnections: int({
      key: 'max-connections',
      default: 10_000,
      min: 1,
      doc: 'flumen: most client connections open at once; further ones are closed at once.',
    }),
    stallTimeout: int({
      key: 'stall-timeout',
      default: 60_000,
      min: 100,
      doc: 'flumen: ms a request may stay half-received, replies unread or a TLS handshake unfinished, before the connection is closed.',
    }),
  }
}
