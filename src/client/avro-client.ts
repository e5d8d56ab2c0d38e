/**
 * The default RpcClient (Flume's NettyAvroRpcClient): one connection to one host, Avro IPC with the
 * handshake Java sends, optional deflate and TLS.
 *
 * - `appendBatch` sends consecutive `appendBatch` RPCs of at most `batchSize` events, each waiting for its
 *   Status; any failure (non-OK status, timeout, broken connection) rejects with EventDeliveryError and
 *   marks the client dead (Flume's DEAD: `isActive()` is false, make a new client). Sub-batches sent
 *   before the failure stay delivered, so a retry duplicates them — as in Flume.
 * - Calls from concurrent callers are pipelined on the one connection (Java serialises them); each is
 *   matched to its reply by serial.
 * - The connection opens at the first call (or `connect()`), within `connectTimeoutMs`; the first call's
 *   round trip, handshake included, must also finish within it, later calls within `requestTimeoutMs`.
 */

import { EventDeliveryError } from '../core/errors.ts'
import { AvroRequestor } from '../protocols/avro-ipc/requestor.ts'
import type { HostAddress, ResolvedClientConfig } from './config.ts'
import { openTransport } from './transport.ts'
import { type RpcClient, type RpcEvent, toWireEvents, type WireEvent } from './types.ts'

export class AvroRpcClient implements RpcClient {
  readonly batchSize: number
  readonly #host: HostAddress
  readonly #cfg: ResolvedClientConfig
  #state: 'init' | 'ready' | 'dead' = 'init'
  #requestor: AvroRequestor | undefined
  #connecting: Promise<AvroRequestor> | undefined

  constructor(host: HostAddress, cfg: ResolvedClientConfig) {
    this.#host = host
    this.#cfg = cfg
    this.batchSize = cfg.batchSize
  }

  toString(): string {
    return `NettyAvroRpcClient { host: ${this.#host.host}, port: ${this.#host.port} }`
  }

  isActive(): boolean {
    return this.#state !== 'dead' && (this.#requestor === undefined || this.#requestor.active)
  }

  async connect(): Promise<void> {
    await this.#ensure()
  }

  #ensure(): Promise<AvroRequestor> {
    if (this.#state === 'dead') {
      return Promise.reject(new EventDeliveryError(`${this}: RPC failed, client in an invalid state: DEAD`))
    }
    if (this.#requestor !== undefined) return Promise.resolve(this.#requestor)
    this.#connecting ??= (async () => {
      const h = this.#host
      try {
        const stream = await openTransport({
          host: h.host,
          port: h.port,
          connectTimeoutMs: this.#cfg.connectTimeoutMs,
          tls: this.#cfg.tls,
          deflateLevel: this.#cfg.compressionLevel,
        })
        const r = new AvroRequestor(stream, {
          peer: `${h.host}:${h.port}`,
          connectTimeoutMs: this.#cfg.connectTimeoutMs,
          requestTimeoutMs: this.#cfg.requestTimeoutMs,
        })
        if (this.#state === 'dead') {
          r.close()
          throw new EventDeliveryError(`${this}: closed while connecting`)
        }
        this.#requestor = r
        this.#state = 'ready'
        return r
      } catch (e) {
        this.#state = 'dead'
        if (e instanceof EventDeliveryError) throw e
        throw new EventDeliveryError(`${this}: RPC connection error: ${(e as Error).message}`, { cause: e })
      } finally {
        this.#connecting = undefined
      }
    })()
    return this.#connecting
  }

  async append(event: RpcEvent): Promise<void> {
    const r = await this.#ensure()
    const [e] = toWireEvents([event])
    try {
      const status = await r.append(e as WireEvent)
      if (status !== 'OK') throw new EventDeliveryError(`${this}: Avro RPC call returned Status: ${status}`)
    } catch (err) {
      throw this.#dead(err, 'Failed to send event')
    }
  }

  async appendBatch(events: readonly RpcEvent[]): Promise<void> {
    if (events.length === 0) return
    const r = await this.#ensure()
    const wire = toWireEvents(events)
    const n = this.batchSize
    try {
      for (let i = 0; i < wire.length; i += n) {
        const chunk = i === 0 && wire.length <= n ? wire : wire.slice(i, i + n)
        const status = await r.appendBatch(chunk)
        if (status !== 'OK') throw new EventDeliveryError(`${this}: Avro RPC call returned Status: ${status}`)
      }
    } catch (err) {
      throw this.#dead(err, 'Failed to send batch')
    }
  }

  #dead(err: unknown, what: string): EventDeliveryError {
    this.#state = 'dead'
    this.#requestor?.close()
    if (err instanceof EventDeliveryError) return err
    return new EventDeliveryError(`${this}: ${what}: ${(err as Error).message}`, { cause: err })
  }

  async close(): Promise<void> {
    this.#state = 'dead'
    this.#requestor?.close()
    this.#requestor = undefined
  }
}
