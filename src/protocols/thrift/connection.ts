/**
 * One Thrift connection of Flume's service over a duplex byte stream (TCP or TLS), both sides.
 *
 * Server (`ThriftResponder`): frames are answered one at a time, in order (Java's servers do not process
 * two calls of one connection at once); frames a client sends ahead wait in a short queue, beyond which
 * reading pauses. An unknown method is answered with a TApplicationException (UNKNOWN_METHOD) as Java
 * does; a handler that throws with INTERNAL_ERROR. A malformed or oversized frame, or a message in the
 * other protocol, closes the connection with a reason.
 *
 * Client (`ThriftRequestor`): one call at a time per connection, like Java's ThriftSourceProtocol.Client;
 * seqids count from 1 per connection and a reply must echo its call's (else BAD_SEQUENCE_ID, and the
 * connection is dropped). A timeout or a broken stream fails the call and closes the connection.
 */

import type { Duplex } from 'node:stream'
import { MessageType, ThriftError, type ThriftProtocolName } from './codec.ts'
import {
  AppExceptionType,
  DEFAULT_MAX_THRIFT_FRAME,
  type DecodedThriftEvent,
  decodeCall,
  decodeReply,
  encodeCall,
  encodeException,
  encodeReply,
  type ThriftEventLike,
  ThriftFrameDecoder,
  type ThriftStatus,
} from './flume.ts'

export interface ThriftRpcHandler {
  append(event: DecodedThriftEvent): ThriftStatus | Promise<ThriftStatus>
  appendBatch(events: DecodedThriftEvent[]): ThriftStatus | Promise<ThriftStatus>
}

export interface ThriftResponderOptions {
  readonly protocol: ThriftProtocolName
  readonly maxFrameBytes?: number
  readonly onClose?: (reason: string | undefined) => void
  /** Makes each event's header object (default: null-prototype objects). */
  readonly newHeaders?: () => Record<string, string>
}

const MAX_QUEUED = 16

export class ThriftResponder {
  readonly #stream: Duplex
  readonly #handler: ThriftRpcHandler
  readonly #protocol: ThriftProtocolName
  readonly #decoder: ThriftFrameDecoder
  readonly #onClose: ((reason: string | undefined) => void) | undefined
  readonly #newHeaders: (() => Record<string, string>) | undefined
  readonly #queue: Buffer[] = []
  #busy = false
  #paused = false
  #closed = false
  #partialSince = 0
  #writeBlocked = 0
  #idleWaiters: (() => void)[] = []

  constructor(stream: Duplex, handler: ThriftRpcHandler, options: ThriftResponderOptions) {
    this.#stream = stream
    this.#handler = handler
    this.#protocol = options.protocol
    this.#onClose = options.onClose
    this.#newHeaders = options.newHeaders
    this.#decoder = new ThriftFrameDecoder(
      (p) => this.#enqueue(p),
      options.maxFrameBytes ?? DEFAULT_MAX_THRIFT_FRAME,
    )
    stream.on('data', (chunk: Buffer) => {
      if (this.#closed) return
      try {
        this.#decoder.push(chunk)
      } catch (e) {
        const tooLarge = e instanceof ThriftError && e.code === 'FLUME_ERR_THRIFT_LIMIT'
        this.#close(`${tooLarge ? 'request too large' : 'malformed request'}: ${(e as Error).message}`)
        return
      }
      if (this.#decoder.partial) {
        if (this.#partialSince === 0) this.#partialSince = Date.now()
      } else this.#partialSince = 0
    })
    stream.on('drain', () => {
      this.#writeBlocked = 0
      this.#resume()
    })
    stream.on('error', () => this.#close(undefined))
    stream.on('close', () => this.#close(undefined))
  }

  stalledSince(): number {
    if (this.#writeBlocked !== 0) return this.#writeBlocked
    // Paused because we are busy: a half-read request is then our delay, not the client's.
    return this.#paused ? 0 : this.#partialSince
  }

  close(reason?: string): void {
    this.#close(reason)
  }

  async shutdown(): Promise<void> {
    this.#stream.pause()
    this.#queue.length = 0
    if (this.#busy) await new Promise<void>((r) => this.#idleWaiters.push(r))
    if (!this.#closed) this.#stream.end()
  }

  #close(reason: string | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#queue.length = 0
    if (!this.#stream.destroyed) this.#stream.destroy()
    this.#onClose?.(reason)
  }

  #enqueue(payload: Buffer): void {
    // A complete request is progress: the stall clock restarts with the next partial one.
    this.#partialSince = 0
    this.#queue.push(payload)
    if (this.#queue.length >= MAX_QUEUED && !this.#paused) {
      this.#paused = true
      this.#stream.pause()
    }
    if (!this.#busy) void this.#drain()
  }

  #resume(): void {
    if (this.#paused && !this.#closed && this.#writeBlocked === 0 && this.#queue.length < MAX_QUEUED) {
      this.#paused = false
      this.#stream.resume()
    }
  }

  async #drain(): Promise<void> {
    this.#busy = true
    while (this.#queue.length > 0 && !this.#closed) {
      const payload = this.#queue.shift() as Buffer
      const reply = await this.#process(payload)
      if (reply === undefined) break
      this.#write(reply)
      this.#resume()
    }
    this.#busy = false
    const w = this.#idleWaiters
    this.#idleWaiters = []
    for (const f of w) f()
  }

  /** Returns the reply frame, or undefined after closing the connection. */
  async #process(payload: Buffer): Promise<Buffer | undefined> {
    const proto = this.#protocol
    let call: ReturnType<typeof decodeCall>
    try {
      call = decodeCall(proto, payload, this.#newHeaders)
    } catch (e) {
      this.#close(`malformed request: ${e instanceof ThriftError ? e.message : String(e)}`)
      return undefined
    }
    if (call.type !== MessageType.CALL && call.type !== MessageType.ONEWAY) {
      this.#close(`unexpected message type ${call.type} from a client`)
      return undefined
    }
    if (call.events === undefined) {
      return encodeException(
        proto,
        call.name,
        call.seqid,
        `Invalid method name: '${call.name}'`,
        AppExceptionType.UNKNOWN_METHOD,
      )
    }
    try {
      const status =
        call.name === 'append'
          ? await this.#handler.append(call.events[0] as DecodedThriftEvent)
          : await this.#handler.appendBatch(call.events)
      return encodeReply(proto, call.name, call.seqid, status)
    } catch (e) {
      return encodeException(
        proto,
        call.name,
        call.seqid,
        `Internal error processing ${call.name}: ${(e as Error).message}`,
        AppExceptionType.INTERNAL_ERROR,
      )
    }
  }

  #write(buf: Buffer): void {
    if (this.#closed || !this.#stream.writable) return
    if (!this.#stream.write(buf) && this.#writeBlocked === 0) {
      this.#writeBlocked = Date.now()
      this.#paused = true
      this.#stream.pause()
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

export class ThriftRpcError extends Error {
  override readonly name = 'ThriftRpcError'
  readonly code:
    | 'FLUME_ERR_RPC_TIMEOUT'
    | 'FLUME_ERR_RPC_CLOSED'
    | 'FLUME_ERR_RPC_REMOTE'
    | 'FLUME_ERR_RPC_PROTOCOL'

  constructor(code: ThriftRpcError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export interface ThriftRequestorOptions {
  readonly peer: string
  readonly protocol: ThriftProtocolName
  readonly requestTimeoutMs: number
  /** Largest reply accepted. Default 1 MiB. */
  readonly maxReplyBytes?: number
}

export class ThriftRequestor {
  readonly #stream: Duplex
  readonly #o: ThriftRequestorOptions
  readonly #decoder: ThriftFrameDecoder
  #seqid = 0
  #current:
    | {
        seqid: number
        name: string
        resolve: (s: ThriftStatus) => void
        reject: (e: Error) => void
        timer: NodeJS.Timeout
      }
    | undefined
  #closed: ThriftRpcError | undefined

  constructor(stream: Duplex, options: ThriftRequestorOptions) {
    this.#stream = stream
    this.#o = options
    this.#decoder = new ThriftFrameDecoder((p) => this.#onFrame(p), options.maxReplyBytes ?? 1024 * 1024)
    stream.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk)
      } catch (e) {
        this.#fail(
          new ThriftRpcError(
            'FLUME_ERR_RPC_PROTOCOL',
            `Malformed reply from ${options.peer}: ${(e as Error).message}`,
          ),
        )
      }
    })
    stream.on('error', (e: Error) =>
      this.#fail(
        new ThriftRpcError('FLUME_ERR_RPC_CLOSED', `Connection to ${options.peer} failed: ${e.message}`, {
          cause: e,
        }),
      ),
    )
    stream.on('close', () =>
      this.#fail(new ThriftRpcError('FLUME_ERR_RPC_CLOSED', `Connection to ${options.peer} closed`)),
    )
  }

  get active(): boolean {
    return this.#closed === undefined
  }

  get busy(): boolean {
    return this.#current !== undefined
  }

  /** Sends `append` (one event) or `appendBatch`; only one call may be outstanding. */
  call(message: 'append' | 'appendBatch', events: readonly ThriftEventLike[]): Promise<ThriftStatus> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    if (this.#current !== undefined)
      return Promise.reject(new Error('ThriftRequestor: a call is already in flight'))
    this.#seqid = this.#seqid >= 0x7fffffff ? 1 : this.#seqid + 1
    const seqid = this.#seqid
    return new Promise<ThriftStatus>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#fail(
            new ThriftRpcError(
              'FLUME_ERR_RPC_TIMEOUT',
              `${message} to ${this.#o.peer} timed out after ${this.#o.requestTimeoutMs} ms`,
            ),
          ),
        this.#o.requestTimeoutMs,
      )
      this.#current = { seqid, name: message, resolve, reject, timer }
      this.#stream.write(encodeCall(this.#o.protocol, message, seqid, events))
    })
  }

  close(): void {
    this.#fail(new ThriftRpcError('FLUME_ERR_RPC_CLOSED', `Connection to ${this.#o.peer} closed by us`))
  }

  #onFrame(payload: Buffer): void {
    const cur = this.#current
    if (cur === undefined)
      throw new ThriftError('FLUME_ERR_THRIFT_PROTOCOL', 'a reply arrived with no call outstanding')
    const reply = decodeReply(this.#o.protocol, payload)
    if (reply.seqid !== cur.seqid || reply.name !== cur.name) {
      throw new ThriftError(
        'FLUME_ERR_THRIFT_PROTOCOL',
        `${cur.name} failed: out of sequence response (seqid ${reply.seqid}, expected ${cur.seqid})`,
      )
    }
    this.#current = undefined
    clearTimeout(cur.timer)
    if ('exception' in reply)
      cur.reject(
        new ThriftRpcError(
          'FLUME_ERR_RPC_REMOTE',
          `${this.#o.peer} answered ${cur.name} with an exception: ${reply.exception}`,
        ),
      )
    else cur.resolve(reply.status)
  }

  #fail(err: ThriftRpcError): void {
    if (this.#closed !== undefined) return
    this.#closed = err
    const cur = this.#current
    this.#current = undefined
    if (cur !== undefined) {
      clearTimeout(cur.timer)
      cur.reject(err)
    }
    if (!this.#stream.destroyed) this.#stream.destroy()
  }
}
