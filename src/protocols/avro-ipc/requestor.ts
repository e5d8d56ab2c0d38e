/**
 * The client side of one Avro IPC connection (Java's Requestor + NettyTransceiver, reference §1.4, 1.7),
 * over any duplex byte stream.
 *
 * - The first call carries the handshake: our hash as clientHash, as serverHash the hash last learnt for
 *   this peer (else ours: "guess the server speaks my protocol"), no protocol text, meta an empty map —
 *   exactly what Java sends, so a Flume server answers BOTH at once. On NONE the same call is resent in
 *   a new pack with our protocol text; on CLIENT the server's hash is remembered for the next connection.
 * - Calls made before the handshake reply are queued (never pipelined ahead of it: Java servers decode
 *   packs on several threads); afterwards calls are pipelined and matched to replies by serial.
 * - Each call has a deadline: the first (handshake) call `connectTimeout`, later ones `requestTimeout`.
 *   A timeout, a closed stream or an undecodable reply fails every outstanding call and closes the
 *   connection: its state is unknown, and the owner makes a new one (Java marks its client DEAD).
 */

import type { Duplex } from 'node:stream'
import { AvroError } from '../avro/errors.ts'
import type { FlumeEventLike } from '../avro/flume-event.ts'
import { FrameDecoder, FrameError } from './frame.ts'
import { decodeResponse, encodeRequest, type HandshakeRequest } from './messages.ts'
import { type AvroStatus, FLUME_PROTOCOL_HASH, FLUME_PROTOCOL_JSON } from './protocol.ts'

/** Server hashes learnt per peer address (Java keeps the same JVM-wide map in Requestor). */
const learntServerHashes = new Map<string, Buffer>()

export class AvroRpcError extends Error {
  override readonly name = 'AvroRpcError'
  readonly code:
    | 'FLUME_ERR_RPC_TIMEOUT'
    | 'FLUME_ERR_RPC_CLOSED'
    | 'FLUME_ERR_RPC_REMOTE'
    | 'FLUME_ERR_RPC_PROTOCOL'

  constructor(code: AvroRpcError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export interface RequestorOptions {
  /** Key for the learnt-hash cache, e.g. `host:port`. */
  readonly peer: string
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  /** Largest reply accepted (replies are a few bytes, or our protocol text). Default 1 MiB. */
  readonly maxReplyBytes?: number
}

interface Call {
  readonly message: 'append' | 'appendBatch'
  readonly events: readonly FlumeEventLike[]
  resolve: (s: AvroStatus) => void
  reject: (e: Error) => void
  timer: NodeJS.Timeout | undefined
  /** Whether the pack carrying this call carried a handshake (the reply then starts with one). */
  withHandshake: boolean
  /** Protocol text already sent once (a second NONE is fatal). */
  sentProtocol: boolean
}

export class AvroRequestor {
  readonly #stream: Duplex
  readonly #opts: RequestorOptions
  readonly #decoder: FrameDecoder
  readonly #pending = new Map<number, Call>()
  /** Calls waiting for the handshake reply. */
  #queue: Call[] = []
  #serial = 0
  #handshaken = false
  #handshaking = false
  #closed: AvroRpcError | undefined

  constructor(stream: Duplex, opts: RequestorOptions) {
    this.#stream = stream
    this.#opts = opts
    this.#decoder = new FrameDecoder((serial, payload) => this.#onFrame(serial, payload), {
      maxFrameBytes: opts.maxReplyBytes ?? 1024 * 1024,
    })
    stream.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk)
      } catch (e) {
        const why = e instanceof FrameError || e instanceof AvroError ? e.message : String(e)
        this.#fail(new AvroRpcError('FLUME_ERR_RPC_PROTOCOL', `Malformed reply from ${opts.peer}: ${why}`))
      }
    })
    stream.on('error', (e: Error) =>
      this.#fail(
        new AvroRpcError('FLUME_ERR_RPC_CLOSED', `Connection to ${opts.peer} failed: ${e.message}`, {
          cause: e,
        }),
      ),
    )
    stream.on('close', () =>
      this.#fail(new AvroRpcError('FLUME_ERR_RPC_CLOSED', `Connection to ${opts.peer} closed`)),
    )
  }

  /** Whether calls can still be made. */
  get active(): boolean {
    return this.#closed === undefined
  }

  /** Calls sent and not answered yet. */
  get outstanding(): number {
    return this.#pending.size + this.#queue.length
  }

  appendBatch(events: readonly FlumeEventLike[]): Promise<AvroStatus> {
    return this.#call('appendBatch', events)
  }

  append(event: FlumeEventLike): Promise<AvroStatus> {
    return this.#call('append', [event])
  }

  /** Closes the connection; outstanding calls fail. */
  close(): void {
    this.#fail(new AvroRpcError('FLUME_ERR_RPC_CLOSED', `Connection to ${this.#opts.peer} closed by us`))
  }

  #call(message: 'append' | 'appendBatch', events: readonly FlumeEventLike[]): Promise<AvroStatus> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    return new Promise<AvroStatus>((resolve, reject) => {
      const call: Call = {
        message,
        events,
        resolve,
        reject,
        timer: undefined,
        withHandshake: false,
        sentProtocol: false,
      }
      if (this.#handshaken) this.#send(call, this.#opts.requestTimeoutMs)
      else if (this.#handshaking) this.#queue.push(call)
      else {
        this.#handshaking = true
        this.#send(call, this.#opts.connectTimeoutMs, this.#handshakeRequest(false))
      }
    })
  }

  #handshakeRequest(withProtocol: boolean): HandshakeRequest {
    return {
      clientHash: FLUME_PROTOCOL_HASH,
      clientProtocol: withProtocol ? FLUME_PROTOCOL_JSON : null,
      serverHash: learntServerHashes.get(this.#opts.peer) ?? FLUME_PROTOCOL_HASH,
      meta: EMPTY_META,
    }
  }

  #send(call: Call, timeoutMs: number, handshake?: HandshakeRequest): void {
    this.#serial = this.#serial >= 0x7fffffff ? 1 : this.#serial + 1
    const serial = this.#serial
    call.withHandshake = handshake !== undefined
    if (handshake?.clientProtocol != null) call.sentProtocol = true
    this.#pending.set(serial, call)
    if (call.timer === undefined) {
      call.timer = setTimeout(() => {
        const what = call.withHandshake ? 'Handshake' : 'RPC request'
        this.#fail(
          new AvroRpcError(
            'FLUME_ERR_RPC_TIMEOUT',
            `${what} to ${this.#opts.peer} timed out after ${timeoutMs} ms`,
          ),
        )
      }, timeoutMs)
    }
    this.#stream.write(encodeRequest(serial, handshake, call.message, call.events))
  }

  #onFrame(serial: number, payload: Buffer): void {
    const call = this.#pending.get(serial)
    if (call === undefined) {
      throw new AvroRpcError('FLUME_ERR_RPC_PROTOCOL', `reply with unknown serial ${serial}`)
    }
    this.#pending.delete(serial)
    const res = decodeResponse(payload, call.withHandshake)
    const hs = res.handshake
    if (hs !== undefined) {
      if (hs.serverHash !== null) learntServerHashes.set(this.#opts.peer, Buffer.from(hs.serverHash))
      if (hs.match === 'NONE') {
        if (call.sentProtocol) {
          throw new AvroRpcError(
            'FLUME_ERR_RPC_PROTOCOL',
            `${this.#opts.peer} does not accept Flume's AvroSourceProtocol (handshake NONE twice)`,
          )
        }
        this.#send(call, this.#opts.connectTimeoutMs, this.#handshakeRequest(true))
        return
      }
      this.#handshaken = true
      this.#handshaking = false
    }
    clearTimeout(call.timer)
    const out = res.outcome
    if (out === undefined) {
      call.reject(new AvroRpcError('FLUME_ERR_RPC_PROTOCOL', `${this.#opts.peer} answered without a result`))
    } else if ('error' in out) {
      call.reject(
        new AvroRpcError('FLUME_ERR_RPC_REMOTE', `${this.#opts.peer} answered with an error: ${out.error}`),
      )
    } else {
      call.resolve(out.status)
    }
    if (hs !== undefined && this.#queue.length > 0) {
      const q = this.#queue
      this.#queue = []
      for (const c of q) this.#send(c, this.#opts.requestTimeoutMs)
    }
  }

  #fail(err: AvroRpcError): void {
    if (this.#closed !== undefined) return
    this.#closed = err
    const calls = [...this.#pending.values(), ...this.#queue]
    this.#pending.clear()
    this.#queue = []
    for (const c of calls) {
      clearTimeout(c.timer)
      c.reject(err)
    }
    if (!this.#stream.destroyed) this.#stream.destroy()
  }
}

const EMPTY_META: ReadonlyMap<string, Buffer> = new Map()

/** Forgets learnt server hashes (tests). */
export function resetLearntServerHashes(): void {
  learntServerHashes.clear()
}
