/**
 * The server side of one Avro IPC connection (Java's Responder + NettyServer handler, reference §1.4–1.7),
 * over any duplex byte stream (a TCP socket, a TLS socket, the zlib layer).
 *
 * - The first pack of a connection carries a HandshakeRequest. A client speaking our exact protocol text
 *   gets BOTH; a compatible protocol with another hash (another Avro version's doc, avsc) gets CLIENT;
 *   an unknown hash without protocol text gets NONE plus our protocol, and the call is not executed — the
 *   client resends it with its text. The handshake is parsed synchronously as its pack arrives, so the
 *   connection state is settled before the next pack is looked at.
 * - After the handshake, packs are dispatched as they arrive: several requests of one connection run
 *   concurrently (up to `maxInFlight`; then reading pauses) and each reply carries its request's serial,
 *   so replies may leave out of order, exactly like Java's NettyServer.
 * - Bounded: packs larger than `maxFrameBytes` and event batches beyond the decode limits are refused.
 *   A malformed pack, an undecodable handshake or an incompatible protocol closes this connection with a
 *   reason (`onClose`), never anything else. Replies the peer does not read stop further reading
 *   (TCP backpressure); `stalledSince()` lets the owner disconnect clients that stall for too long.
 */

import type { Duplex } from 'node:stream'
import { AvroReader } from '../avro/binary.ts'
import { AvroError } from '../avro/errors.ts'
import {
  DEFAULT_FLUME_EVENT_LIMITS,
  type DecodedFlumeEvent,
  type FlumeEventLimits,
} from '../avro/flume-event.ts'
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, FrameError } from './frame.ts'
import {
  type CallOutcome,
  encodeResponse,
  type HandshakeMatch,
  type HandshakeResponse,
  readCall,
  readHandshakeRequest,
} from './messages.ts'
import { type AvroStatus, checkPeerProtocol, FLUME_PROTOCOL_HASH, FLUME_PROTOCOL_JSON } from './protocol.ts'

export interface AvroRpcHandler {
  /** `append`: one event. Throwing becomes an Avro system error for the caller. */
  append(event: DecodedFlumeEvent): AvroStatus | Promise<AvroStatus>
  /** `appendBatch`. Throwing becomes an Avro system error for the caller. */
  appendBatch(events: DecodedFlumeEvent[]): AvroStatus | Promise<AvroStatus>
}

export interface ResponderOptions {
  readonly maxFrameBytes?: number
  /** Requests of one connection processed at the same time; more pause reading. Default 16. */
  readonly maxInFlight?: number
  readonly eventLimits?: FlumeEventLimits
  /** Makes each event's header object (default: null-prototype objects). */
  readonly newHeaders?: () => Record<string, string>
  /** Called once when the connection ends; `reason` is set when we closed it because of the peer. */
  readonly onClose?: (reason: string | undefined) => void
}

/**
 * Client protocols seen with a hash other than ours: hash → undefined (compatible) or the reason it is
 * not. Shared by all connections like Java's Responder cache, and bounded so a peer cycling through
 * made-up protocols cannot grow it.
 */
const peerProtocols = new Map<string, string | undefined>()
const MAX_CACHED_PROTOCOLS = 64

const OUR_HASH_HEX = FLUME_PROTOCOL_HASH.toString('hex')

export class AvroResponder {
  readonly #stream: Duplex
  readonly #handler: AvroRpcHandler
  readonly #decoder: FrameDecoder
  readonly #maxInFlight: number
  readonly #limits: FlumeEventLimits
  readonly #maxEvents: number
  readonly #onClose: ((reason: string | undefined) => void) | undefined
  readonly #newHeaders: (() => Record<string, string>) | undefined
  #handshaken = false
  #inFlight = 0
  #pausedForInFlight = false
  #writeBlocked = 0
  #partialSince = 0
  #closed = false
  /** The client half-closed while requests were in flight: end our side once they are answered. */
  #endWhenIdle = false
  #idleWaiters: (() => void)[] = []
  /** Calls dispatched to the handler (tests, diagnostics). */
  requests = 0

  constructor(stream: Duplex, handler: AvroRpcHandler, options: ResponderOptions = {}) {
    this.#stream = stream
    this.#handler = handler
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.#decoder = new FrameDecoder((serial, payload) => this.#onFrame(serial, payload), { maxFrameBytes })
    this.#maxInFlight = options.maxInFlight ?? 16
    this.#limits = options.eventLimits ?? DEFAULT_FLUME_EVENT_LIMITS
    // Every event takes at least two bytes (empty header map, empty body).
    this.#maxEvents = Math.max(1, Math.floor(maxFrameBytes / 2))
    this.#onClose = options.onClose
    this.#newHeaders = options.newHeaders
    stream.on('data', (chunk: Buffer) => this.#onData(chunk))
    stream.on('drain', () => {
      this.#writeBlocked = 0
      this.#maybeResume()
    })
    stream.on('error', () => this.#close(undefined))
    stream.on('close', () => this.#close(undefined))
    stream.on('end', () => {
      // The client half-closed: finish what is in flight, then close our side.
      if (this.#inFlight === 0) stream.end()
      else this.#endWhenIdle = true
    })
  }

  /** Epoch ms since when this connection has been stalled (half a pack received, or replies unread); 0 when not. */
  stalledSince(): number {
    if (this.#writeBlocked !== 0) return this.#writeBlocked
    // Paused because we are busy: a half-read request is then our delay, not the client's.
    if (this.#pausedForInFlight) return 0
    return this.#partialSince
  }

  get inFlight(): number {
    return this.#inFlight
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Resolves once no request is being processed. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve()
    return new Promise((r) => this.#idleWaiters.push(r))
  }

  /** Closes the connection; `reason` (a peer problem) is reported through onClose. */
  close(reason?: string): void {
    this.#close(reason)
  }

  /** Ends the connection politely after the requests in flight have been answered. */
  async shutdown(): Promise<void> {
    this.#stream.pause()
    await this.idle()
    if (!this.#closed) this.#stream.end()
  }

  /** `reason` is set when we close because of the peer; resets and errors of the stream are not reported. */
  #close(reason: string | undefined): void {
    if (this.#closed) return
    this.#closed = true
    if (!this.#stream.destroyed) this.#stream.destroy()
    this.#onClose?.(reason)
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return
    try {
      this.#decoder.push(chunk)
    } catch (e) {
      const why = e instanceof FrameError || e instanceof AvroError ? e.message : String(e)
      const tooLarge = e instanceof FrameError && e.code === 'FLUME_ERR_FRAME_TOO_LARGE'
      this.#close(`${tooLarge ? 'request too large' : 'malformed request'}: ${why}`)
      return
    }
    if (this.#decoder.partial) {
      if (this.#partialSince === 0) this.#partialSince = Date.now()
    } else {
      this.#partialSince = 0
    }
  }

  #onFrame(serial: number, payload: Buffer): void {
    if (this.#closed) return
    // A complete request is progress: the stall clock restarts with the next partial one.
    this.#partialSince = 0
    const r = new AvroReader(payload)
    let handshake: HandshakeResponse | undefined
    if (!this.#handshaken) {
      if (payload.length === 0) {
        this.#close('empty request where the handshake was expected')
        return
      }
      const req = readHandshakeRequest(r, payload.length)
      const clientHex = req.clientHash.toString('hex')
      let known = clientHex === OUR_HASH_HEX
      if (!known) {
        let reason: string | undefined
        let seen = peerProtocols.has(clientHex)
        if (seen) reason = peerProtocols.get(clientHex)
        else if (req.clientProtocol !== null) {
          reason = checkPeerProtocol(req.clientProtocol)
          if (peerProtocols.size >= MAX_CACHED_PROTOCOLS) peerProtocols.clear()
          peerProtocols.set(clientHex, reason)
          seen = true
        }
        if (reason !== undefined) {
          this.#close(`incompatible client protocol (hash ${clientHex}): ${reason}`)
          return
        }
        known = seen
      }
      const serverMatches = req.serverHash.equals(FLUME_PROTOCOL_HASH)
      const match: HandshakeMatch = known ? (serverMatches ? 'BOTH' : 'CLIENT') : 'NONE'
      handshake =
        match === 'BOTH'
          ? BOTH
          : {
              match,
              serverProtocol: FLUME_PROTOCOL_JSON,
              serverHash: FLUME_PROTOCOL_HASH,
              meta: null,
            }
      if (match === 'NONE') {
        // The call is not executed; the client resends it with its protocol text.
        this.#write(encodeResponse(serial, handshake, undefined))
        return
      }
      this.#handshaken = true
    }
    const call = readCall(r, this.#maxEvents, this.#limits, this.#newHeaders)
    switch (call.kind) {
      case 'ping':
        this.#write(encodeResponse(serial, handshake, undefined))
        return
      case 'unknown':
        this.#reply(serial, handshake, {
          error: `org.apache.avro.AvroRuntimeException: No message named ${call.message}`,
        })
        return
      default:
        break
    }
    this.requests++
    let result: AvroStatus | Promise<AvroStatus>
    try {
      result =
        call.kind === 'append' ? this.#handler.append(call.event) : this.#handler.appendBatch(call.events)
    } catch (e) {
      this.#reply(serial, handshake, { error: systemError(e) })
      return
    }
    if (typeof result === 'string') {
      this.#reply(serial, handshake, { status: result })
      return
    }
    this.#inFlight++
    if (this.#inFlight >= this.#maxInFlight && !this.#pausedForInFlight) {
      this.#pausedForInFlight = true
      this.#stream.pause()
    }
    result.then(
      (status) => this.#settled(serial, handshake, { status }),
      (e: unknown) => this.#settled(serial, handshake, { error: systemError(e) }),
    )
  }

  #settled(serial: number, handshake: HandshakeResponse | undefined, outcome: CallOutcome): void {
    this.#inFlight--
    this.#reply(serial, handshake, outcome)
    if (this.#inFlight === 0) {
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
      if (this.#endWhenIdle && !this.#closed) this.#stream.end()
    }
    this.#maybeResume()
  }

  #maybeResume(): void {
    if (this.#closed) return
    if (this.#pausedForInFlight && this.#inFlight < this.#maxInFlight && this.#writeBlocked === 0) {
      this.#pausedForInFlight = false
      this.#stream.resume()
    }
  }

  #reply(serial: number, handshake: HandshakeResponse | undefined, outcome: CallOutcome): void {
    this.#write(encodeResponse(serial, handshake, outcome))
  }

  #write(buf: Buffer): void {
    if (this.#closed || !this.#stream.writable) return
    if (!this.#stream.write(buf) && this.#writeBlocked === 0) {
      // The peer is not reading its replies: stop reading its requests until it does.
      this.#writeBlocked = Date.now()
      this.#pausedForInFlight = true
      this.#stream.pause()
    }
  }
}

const BOTH: HandshakeResponse = Object.freeze({
  match: 'BOTH',
  serverProtocol: null,
  serverHash: null,
  meta: null,
})

/** Java puts `exception.toString()` (class name: message) in the system-error string. */
function systemError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`
  return String(e)
}
