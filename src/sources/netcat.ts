/**
 * `netcat` source (org.apache.flume.source.NetcatSource): a line-oriented TCP listener (reference §3.8).
 *
 * - Lines end at `\n` only; a `\r` before it stays in the body. Bytes are decoded with `encoding` and the
 *   body is the UTF-8 encoding of the text (malformed input becomes U+FFFD, as Java's reader does).
 * - Each accepted line is answered `OK\n` (unless `ack-every-event = false`); a channel failure answers
 *   `FAILED: <reason>\n` for each line of the batch and the lines are not retried by us (the client knows
 *   they were not accepted).
 * - A line of `max-line-length` characters or more (Java chars, newline included in Flume's count) is
 *   answered `FAILED: Event exceeds the maximum length (<n> chars, including newline)\n` and the
 *   connection is closed; lines before it are processed first. At EOF, complete lines are processed and a
 *   trailing partial line is discarded.
 *
 * Deliberate difference, for throughput: the complete lines of one read are committed together (one
 * transaction of up to the channels' transactionCapacity) instead of one transaction per line; every line
 * still gets its own reply after the commit, so a client never sees OK for an uncommitted line. While a
 * batch is committing the socket is paused, so a slow channel pushes back on the client through TCP.
 *
 * flumen adds a SourceCounter (Flume's netcat has none): EventReceived/Accepted, ChannelWriteFail,
 * OpenConnectionCount, and EventReadFail for over-long lines.
 */

import type { Server, Socket } from 'node:net'
import { createServer } from 'node:net'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../core/channel-processor.ts'
import { SourceCounter } from '../core/counters.ts'
import { describeError } from '../core/errors.ts'
import { Event } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { bool, custom, defineSource, Invalid, int, str } from '../core/spec.ts'
import { resolveBindAddress } from './util/bind.ts'
import { encode, javaCharLength, normalizeCharset, toUtf8 } from './util/charset.ts'

const NL = 0x0a

export function portField(key = 'port', doc = 'TCP port to listen on.') {
  return int({ key, required: true, min: 0, max: 65535, doc })
}

export function charsetField(key: string, dflt: string, doc: string) {
  return custom({
    key,
    default: dflt,
    typeName: 'charset',
    doc,
    parse(raw, report) {
      const c = normalizeCharset(raw)
      if (c === undefined) {
        report(`unsupported charset '${raw}'`)
        return Invalid
      }
      return c
    },
  })
}

const fields = {
  bind: str({ key: 'bind', required: true, doc: 'Address to listen on (e.g. 0.0.0.0 or 127.0.0.1).' }),
  port: portField(),
  maxLineLength: int({
    key: 'max-line-length',
    default: 512,
    min: 1,
    doc: 'Maximum line length in characters, newline included; longer lines close the connection.',
  }),
  ackEveryEvent: bool({ key: 'ack-every-event', default: true, doc: 'Answer OK after each accepted line.' }),
  encoding: charsetField('encoding', 'utf-8', 'Charset of the socket text (bodies are stored as UTF-8).'),
}

type NetcatConfig = {
  readonly bind: string
  readonly port: number
  readonly maxLineLength: number
  readonly ackEveryEvent: boolean
  readonly encoding: string
}

class Connection {
  readonly #socket: Socket
  readonly #src: NetcatSource
  #pending: Buffer = Buffer.alloc(0)
  #busy: Promise<void> | undefined
  #ended = false
  #closed = false

  constructor(socket: Socket, src: NetcatSource) {
    this.#socket = socket
    this.#src = src
    socket.on('data', (chunk: Buffer) => {
      this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
      this.#kick()
    })
    socket.on('end', () => {
      this.#ended = true
      this.#kick()
    })
    socket.on('error', () => {
      // A reset by the peer is normal for netcat clients; the close handler cleans up.
    })
    socket.on('close', () => {
      this.#closed = true
      src.connectionClosed(this)
    })
  }

  /** Resolves when the batch being committed (if any) has been answered. */
  idle(): Promise<void> {
    return this.#busy ?? Promise.resolve()
  }

  end(): void {
    if (!this.#closed) this.#socket.end()
  }

  #kick(): void {
    if (this.#busy !== undefined) return
    this.#busy = this.#pump().finally(() => {
      this.#busy = undefined
      if (!this.#closed) {
        if (this.#ended) this.#socket.end()
        else this.#socket.resume()
      }
    })
  }

  async #pump(): Promise<void> {
    const src = this.#src
    this.#socket.pause()
    while (!this.#closed) {
      const lines: Buffer[] = []
      let start = 0
      let tooLong = false
      const data = this.#pending
      while (lines.length < src.maxBatch) {
        const nl = data.indexOf(NL, start)
        if (nl < 0) break
        const line = data.subarray(start, nl)
        if (src.exceeds(line)) {
          tooLong = true
          break
        }
        lines.push(line)
        start = nl + 1
      }
      this.#pending = data.subarray(start)
      if (lines.length > 0) await this.#deliver(lines)
      if (tooLong || (lines.length === 0 && src.exceeds(this.#pending))) {
        src.counter.eventReadFail++
        src.log.warn(
          { remote: this.#socket.remoteAddress },
          'Client sent a line exceeding max-line-length; closing the connection',
        )
        this.#write(
          `FAILED: Event exceeds the maximum length (${src.cfg.maxLineLength} chars, including newline)\n`,
        )
        this.#pending = Buffer.alloc(0)
        this.#socket.end()
        this.#closed = true
        return
      }
      if (lines.length === 0) break
    }
  }

  async #deliver(lines: Buffer[]): Promise<void> {
    const src = this.#src
    const events = lines.map((l) => new Event(Buffer.from(toUtf8(l, src.cfg.encoding))))
    src.counter.eventReceivedCount += events.length
    try {
      await src.processor.processEventBatch(events)
    } catch (e) {
      src.counter.channelWriteFail += events.length
      src.errors.warn(
        { error: describeError(e), lines: events.length },
        'Channel refused lines from a netcat client; answered FAILED',
      )
      const reply = `FAILED: ${describeError(e)}\n`
      this.#write(reply.repeat(events.length))
      return
    }
    src.counter.eventAcceptedCount += events.length
    if (src.cfg.ackEveryEvent) this.#write('OK\n'.repeat(events.length))
  }

  #write(text: string): void {
    if (!this.#closed && this.#socket.writable) this.#socket.write(encode(text, this.#src.cfg.encoding))
  }
}

export class NetcatSource {
  readonly cfg: NetcatConfig
  readonly counter: SourceCounter
  readonly processor: ChannelProcessor
  readonly log: Logger
  readonly errors: RateLimitedLog
  readonly maxBatch: number
  #server: Server | undefined
  readonly #conns = new Set<Connection>()

  constructor(name: string, cfg: NetcatConfig, processor: ChannelProcessor, logger: Logger) {
    this.cfg = cfg
    this.counter = new SourceCounter(name)
    this.processor = processor
    this.log = logger
    this.errors = new RateLimitedLog(logger)
    this.maxBatch = Math.max(1, Math.min(processor.maxBatch, 10_000))
  }

  /** Whether `bytes` (a line without its newline) is at or over the limit, in Java chars. */
  exceeds(bytes: Buffer): boolean {
    // Chars never outnumber bytes in an ASCII-compatible charset, so most lines skip the decode.
    if (bytes.length < this.cfg.maxLineLength) return false
    return javaCharLength(bytes, this.cfg.encoding) + 1 > this.cfg.maxLineLength
  }

  connectionClosed(c: Connection): void {
    if (this.#conns.delete(c)) this.counter.openConnectionCount = this.#conns.size
  }

  /** The bound address (useful with port 0). */
  address(): { address: string; port: number } | undefined {
    const a = this.#server?.address()
    return a !== null && typeof a === 'object' ? { address: a.address, port: a.port } : undefined
  }

  async start(): Promise<void> {
    this.counter.start()
    const host = await resolveBindAddress(this.cfg.bind)
    const server = createServer((socket) => {
      const c = new Connection(socket, this)
      this.#conns.add(c)
      this.counter.openConnectionCount = this.#conns.size
    })
    return new Promise((resolve, reject) => {
      server.once('error', (e) =>
        reject(new Error(`cannot listen on ${this.cfg.bind}:${this.cfg.port}: ${describeError(e)}`)),
      )
      server.listen({ host, port: this.cfg.port }, () => {
        server.removeAllListeners('error')
        server.on('error', (e) => this.log.error({ error: describeError(e) }, 'Netcat listener error'))
        this.#server = server
        this.log.info({ bind: this.cfg.bind, port: this.address()?.port }, 'Netcat source listening')
        resolve()
      })
    })
  }

  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    const closed =
      server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()))
    // In-flight batches finish and are answered before their connections are closed.
    await Promise.all([...this.#conns].map((c) => c.idle()))
    for (const c of this.#conns) c.end()
    await closed
    this.counter.stop()
  }
}

export const spec = defineSource({
  type: 'netcat',
  classNames: ['org.apache.flume.source.NetcatSource'],
  summary: 'Accepts newline-terminated text lines over TCP, one event per line.',
  fields,
  validate(cfg) {
    return /^utf-(16|32)/.test(cfg.encoding)
      ? [`encoding '${cfg.encoding}' is not supported by the netcat source (use an ASCII-compatible charset)`]
      : []
  },
  build(cfg, ctx) {
    const s = new NetcatSource(ctx.name, cfg, ctx.processor, ctx.logger)
    ctx.metrics.register(s.counter)
    return s
  },
})
