/**
 * TCP ingestion shared by `syslogtcp` and `multiport_syslogtcp`: listeners (plain or TLS), one framing
 * decoder per connection, batches into the channel, and push back.
 *
 * Per connection: bytes are framed (newline or RFC 6587 octet counting, cut at eventSize), each frame is
 * parsed into an event, and the events of one read are committed in transactions of at most `maxBatch`
 * events. While a batch commits, the socket is paused, so a slow channel slows the sender through TCP flow
 * control. When the channel refuses a batch (full), the batch is retried with a growing pause (50 ms up to
 * 2 s) while the socket stays paused: the sender is pushed back instead of losing events. (Flume drops the
 * event and counts ChannelWriteFail.) Only when the source stops are events still refused dropped — counted
 * in EventDropCount and logged. Errors that are not channel errors (an interceptor that throws) drop the
 * batch and count GenericProcessingFail.
 *
 * Garbage, oversized lines, resets, TLS handshake failures and half-open peers stay inside their
 * connection: framing bounds memory to about eventSize per connection, TCP keep-alive (60 s) reaps dead
 * peers, and errors are logged (rate-limited), never thrown.
 */

import type { Server, Socket } from 'node:net'
import { createServer as createNetServer } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../../core/channel-processor.ts'
import type { SourceCounter } from '../../core/counters.ts'
import { ChannelError, describeError } from '../../core/errors.ts'
import type { Event } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import { sleep } from '../../core/runners.ts'
import { type FrameSink, SyslogFrameDecoder } from '../../protocols/syslog/framing.ts'
import { resolveBindAddress } from './bind.ts'
import { type HostnameResolver, javaIp } from './client-address.ts'

export const DROP_COUNT = 'EventDropCount'
const RETRY_MIN_MS = 50
const RETRY_MAX_MS = 2000
const KEEPALIVE_MS = 60_000

/** Turns one frame into an event (called synchronously, once per frame). */
export type FrameParser = (frame: Buffer, incomplete: boolean) => Event

export interface TcpIngestOptions {
  readonly logger: Logger
  readonly counter: SourceCounter
  readonly processor: ChannelProcessor
  /** Events per transaction. */
  readonly maxBatch: number
  readonly maxFrame: number
  readonly octetCounting: boolean
  readonly clientIPHeader: string | undefined
  readonly clientHostnameHeader: string | undefined
  readonly resolver: HostnameResolver | undefined
  /** Header that receives the local port (multiport's portHeader). */
  readonly portHeader?: string | undefined
  readonly tls: TlsOptions | undefined
  /** The parser for connections accepted on `localPort`. */
  parserFor(localPort: number): FrameParser
}

export class TcpIngest {
  readonly opts: TcpIngestOptions
  readonly log: Logger
  readonly channelErrors: RateLimitedLog
  readonly connErrors: RateLimitedLog
  readonly #conns = new Set<Connection>()
  readonly #servers: Server[] = []
  #stop = new AbortController()

  constructor(opts: TcpIngestOptions) {
    this.opts = opts
    this.log = opts.logger
    this.channelErrors = new RateLimitedLog(opts.logger)
    this.connErrors = new RateLimitedLog(opts.logger)
  }

  get stopSignal(): AbortSignal {
    return this.#stop.signal
  }

  /** Starts accepting connections again after a stop (counters are the caller's). */
  reset(): void {
    this.#stop = new AbortController()
  }

  /** Listens on host:port (a host name binds its IPv4 address first, as Java does); resolves with the port. */
  async listen(hostName: string | undefined, port: number): Promise<number> {
    const host = hostName === undefined ? undefined : await resolveBindAddress(hostName)
    const onSocket = (socket: Socket) => this.#accept(socket)
    const server = this.opts.tls === undefined ? createNetServer(onSocket) : createTlsServer(this.opts.tls)
    if (this.opts.tls !== undefined) {
      server.on('secureConnection', onSocket)
      server.on('tlsClientError', (err, socket) => {
        this.connErrors.warn(
          { remote: socket.remoteAddress, error: describeError(err) },
          'TLS handshake with a syslog client failed; connection closed',
        )
        socket.destroy()
      })
    }
    return new Promise((resolve, reject) => {
      server.once('error', (e) =>
        reject(new Error(`cannot listen on ${host ?? '*'}:${port}: ${describeError(e)}`, { cause: e })),
      )
      server.listen(host === undefined ? { port } : { host, port }, () => {
        server.removeAllListeners('error')
        server.on('error', (e) => this.log.error({ error: describeError(e), port }, 'Syslog listener error'))
        if (this.#stop.signal.aborted) {
          // Bound by a retry while the source was stopping.
          server.close()
          reject(new Error('the source is stopping'))
          return
        }
        this.#servers.push(server)
        const a = server.address()
        resolve(typeof a === 'object' && a !== null ? a.port : port)
      })
    })
  }

  #accept(socket: Socket): void {
    if (this.#stop.signal.aborted) {
      socket.destroy()
      return
    }
    const c = new Connection(socket, this)
    this.#conns.add(c)
    this.opts.counter.openConnectionCount = this.#conns.size
  }

  connectionClosed(c: Connection): void {
    if (this.#conns.delete(c)) this.opts.counter.openConnectionCount = this.#conns.size
  }

  get connections(): number {
    return this.#conns.size
  }

  /** Stops listening; in-flight batches finish (retries end), then connections are closed. */
  async stop(): Promise<void> {
    this.#stop.abort()
    const servers = this.#servers.splice(0)
    const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))))
    await Promise.all([...this.#conns].map((c) => c.idle()))
    for (const c of this.#conns) c.destroy()
    await closed
  }
}

class Connection implements FrameSink {
  readonly #socket: Socket
  readonly #ingest: TcpIngest
  readonly #decoder: SyslogFrameDecoder
  readonly #parse: FrameParser
  readonly #ip: string
  readonly #port: string
  #hostname: string | Promise<string> | undefined
  #events: Event[] = []
  #busy: Promise<void> | undefined
  #ended = false
  #closed = false

  constructor(socket: Socket, ingest: TcpIngest) {
    const o = ingest.opts
    this.#socket = socket
    this.#ingest = ingest
    this.#decoder = new SyslogFrameDecoder({ maxFrame: o.maxFrame, octetCounting: o.octetCounting })
    this.#parse = o.parserFor(socket.localPort ?? 0)
    this.#ip = javaIp(socket.remoteAddress)
    this.#port = String(socket.localPort ?? '')
    if (
      o.clientHostnameHeader !== undefined &&
      o.resolver !== undefined &&
      socket.remoteAddress !== undefined
    ) {
      const name = o.resolver.cached(socket.remoteAddress)
      this.#hostname = name ?? o.resolver.resolve(socket.remoteAddress)
    }
    socket.setKeepAlive(true, KEEPALIVE_MS)
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk, this)
      } catch (e) {
        // A parser bug must cost this connection's data, not the agent.
        o.counter.eventReadFail++
        ingest.connErrors.error(
          { remote: this.#ip, error: describeError(e) },
          'Cannot parse syslog data; connection closed',
        )
        socket.destroy()
        return
      }
      if (this.#events.length > 0) this.#kick()
    })
    socket.on('end', () => {
      this.#ended = true
      this.#decoder.end(this)
      this.#kick()
    })
    socket.on('error', (e) => {
      ingest.connErrors.warn({ remote: this.#ip, error: describeError(e) }, 'Syslog connection error')
    })
    socket.on('close', () => {
      this.#closed = true
      ingest.connectionClosed(this)
    })
  }

  /** FrameSink: one frame → one event, queued for the next batch. */
  frame(data: Buffer, incomplete: boolean): void {
    this.#events.push(this.#parse(data, incomplete))
  }

  idle(): Promise<void> {
    return this.#busy ?? Promise.resolve()
  }

  destroy(): void {
    if (!this.#closed) this.#socket.destroy()
  }

  #kick(): void {
    if (this.#busy !== undefined) return
    this.#busy = this.#pump().finally(() => {
      this.#busy = undefined
      if (this.#closed) return
      if (this.#events.length > 0) this.#kick()
      else if (this.#ended) this.#socket.end()
      else this.#socket.resume()
    })
  }

  async #pump(): Promise<void> {
    const ingest = this.#ingest
    const o = ingest.opts
    this.#socket.pause()
    if (this.#hostname !== undefined && typeof this.#hostname !== 'string')
      this.#hostname = await this.#hostname
    while (this.#events.length > 0) {
      const all = this.#events
      const batch = all.length <= o.maxBatch ? all : all.slice(0, o.maxBatch)
      this.#events = batch === all ? [] : all.slice(batch.length)
      this.#stamp(batch)
      o.counter.eventReceivedCount += batch.length
      await this.#deliver(batch)
    }
  }

  /** Adds the per-connection headers (after parsing, so they win over parsed ones, as in Flume). */
  #stamp(batch: Event[]): void {
    const o = this.#ingest.opts
    const ipH = o.clientIPHeader
    const hostH = o.clientHostnameHeader
    const portH = o.portHeader
    if (ipH === undefined && hostH === undefined && portH === undefined) return
    const host = typeof this.#hostname === 'string' ? this.#hostname : this.#ip
    for (let i = 0; i < batch.length; i++) {
      const h = (batch[i] as Event).headers
      if (portH !== undefined) h[portH] = this.#port
      if (ipH !== undefined) h[ipH] = this.#ip
      if (hostH !== undefined) h[hostH] = host
    }
  }

  async #deliver(batch: Event[]): Promise<void> {
    const ingest = this.#ingest
    const counter = ingest.opts.counter
    let wait = RETRY_MIN_MS
    for (;;) {
      try {
        await ingest.opts.processor.processEventBatch(batch)
        counter.eventAcceptedCount += batch.length
        return
      } catch (e) {
        if (!(e instanceof ChannelError)) {
          counter.genericProcessingFail++
          counter.add(DROP_COUNT, batch.length)
          ingest.channelErrors.error(
            { remote: this.#ip, events: batch.length, error: describeError(e) },
            'Processing syslog events failed; the batch was dropped',
          )
          return
        }
        counter.channelWriteFail++
        if (ingest.stopSignal.aborted) {
          counter.add(DROP_COUNT, batch.length)
          ingest.channelErrors.error(
            { remote: this.#ip, events: batch.length, error: describeError(e) },
            'Channel still refuses syslog events while the source stops; they were dropped',
          )
          return
        }
        ingest.channelErrors.warn(
          { remote: this.#ip, events: batch.length, error: describeError(e), retryInMs: wait },
          'Channel refused syslog events; holding the sender back and retrying',
        )
        await sleep(wait, ingest.stopSignal)
        wait = Math.min(wait * 2, RETRY_MAX_MS)
      }
    }
  }
}
