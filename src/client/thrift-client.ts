/**
 * The Thrift RpcClient (Flume's ThriftRpcClient): a pool of up to `maxConnections` connections to one host
 * (the thrift sink uses 1), one call at a time per connection, compact or binary protocol, optional TLS.
 *
 * - A non-OK Status (FAILED, ERROR, UNKNOWN) rejects with EventDeliveryError and keeps the connection;
 *   a timeout, an exception reply or a broken connection also drops that connection. The client itself
 *   stays usable until `close()` (Flume's client is only DEAD after close).
 * - `appendBatch` sends consecutive calls of at most `batchSize` events on one checked-out connection.
 */

import type { Duplex } from 'node:stream'
import { EventDeliveryError } from '../core/errors.ts'
import { ThriftRequestor } from '../protocols/thrift/connection.ts'
import type { HostAddress, ResolvedClientConfig } from './config.ts'
import { openTransport } from './transport.ts'
import { type RpcClient, type RpcEvent, toWireEvents, type WireEvent } from './types.ts'

export class ThriftRpcClient implements RpcClient {
  readonly batchSize: number
  readonly #host: HostAddress
  readonly #cfg: ResolvedClientConfig
  readonly #idle: ThriftRequestor[] = []
  readonly #waiters: ((r: ThriftRequestor | Error) => void)[] = []
  #open = 0
  #closed = false

  constructor(host: HostAddress, cfg: ResolvedClientConfig) {
    this.#host = host
    this.#cfg = cfg
    this.batchSize = cfg.batchSize
  }

  toString(): string {
    return `ThriftRpcClient { host: ${this.#host.host}, port: ${this.#host.port} }`
  }

  isActive(): boolean {
    return !this.#closed
  }

  async connect(): Promise<void> {
    this.#checkin(await this.#checkout())
  }

  async #checkout(): Promise<ThriftRequestor> {
    if (this.#closed)
      throw new EventDeliveryError(`${this}: Client was closed due to error or is not yet configured.`)
    while (this.#idle.length > 0) {
      const r = this.#idle.pop() as ThriftRequestor
      if (r.active) return r
      this.#open--
    }
    if (this.#open < this.#cfg.maxConnections) {
      this.#open++
      try {
        return await this.#newConnection()
      } catch (e) {
        this.#open--
        throw new EventDeliveryError(`${this}: cannot connect: ${(e as Error).message}`, { cause: e })
      }
    }
    const got = await new Promise<ThriftRequestor | Error>((resolve) => this.#waiters.push(resolve))
    if (got instanceof Error) throw got
    return got
  }

  async #newConnection(): Promise<ThriftRequestor> {
    const h = this.#host
    const stream: Duplex = await openTransport({
      host: h.host,
      port: h.port,
      connectTimeoutMs: this.#cfg.connectTimeoutMs,
      tls: this.#cfg.tls,
    })
    return new ThriftRequestor(stream, {
      peer: `${h.host}:${h.port}`,
      protocol: this.#cfg.thriftProtocol,
      requestTimeoutMs: this.#cfg.requestTimeoutMs,
    })
  }

  #checkin(r: ThriftRequestor): void {
    if (!r.active || this.#closed) {
      this.#open--
      r.close()
      // A waiter may now open its own connection.
      const w = this.#waiters.shift()
      if (w !== undefined) {
        this.#checkout().then(w, (e: Error) => w(e))
      }
      return
    }
    const w = this.#waiters.shift()
    if (w !== undefined) w(r)
    else this.#idle.push(r)
  }

  async append(event: RpcEvent): Promise<void> {
    await this.#send([toWireEvents([event])[0] as WireEvent], 'append')
  }

  async appendBatch(events: readonly RpcEvent[]): Promise<void> {
    if (events.length === 0) return
    await this.#send(toWireEvents(events), 'appendBatch')
  }

  async #send(events: readonly WireEvent[], message: 'append' | 'appendBatch'): Promise<void> {
    const r = await this.#checkout()
    try {
      const n = this.batchSize
      for (let i = 0; i < events.length; i += n) {
        const chunk = i === 0 && events.length <= n ? events : events.slice(i, i + n)
        const status = await r.call(message, chunk)
        if (status !== 'OK') {
          throw new EventDeliveryError(
            `${this}: Failed to deliver events. Server returned status : ${status}`,
          )
        }
      }
    } catch (e) {
      if (e instanceof EventDeliveryError) throw e
      r.close()
      throw new EventDeliveryError(`${this}: Failed to send event: ${(e as Error).message}`, { cause: e })
    } finally {
      this.#checkin(r)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const r of this.#idle.splice(0)) r.close()
    for (const w of this.#waiters.splice(0)) w(new EventDeliveryError(`${this}: closed`))
  }
}
