/**
 * The failover RpcClient (Flume's FailoverRpcClient): sends to one host at a time, sticking to it until it
 * fails, then moves to the next host in the configured order (wrapping around). One `append`/`appendBatch`
 * makes at most `max-attempts` tries (default: the number of hosts); a try fails when the host cannot be
 * reached or does not answer OK, and the batch is then sent whole to the next host — events the failed
 * host had already accepted arrive twice (at-least-once).
 *
 * Flume's failover client is Avro-only; flumen also offers it over Thrift (`thrift_failover`).
 */

import { EventDeliveryError } from '../core/errors.ts'
import type { HostAddress, ResolvedClientConfig } from './config.ts'
import type { RpcClient, RpcEvent } from './types.ts'

export class FailoverRpcClient implements RpcClient {
  readonly batchSize: number
  readonly #cfg: ResolvedClientConfig
  readonly #make: (h: HostAddress) => RpcClient
  #current: RpcClient | undefined
  #lastChecked = -1
  #closed = false

  constructor(cfg: ResolvedClientConfig, make: (h: HostAddress) => RpcClient) {
    this.#cfg = cfg
    this.#make = make
    this.batchSize = cfg.batchSize
  }

  isActive(): boolean {
    return !this.#closed
  }

  /** The host the client currently sends to, if connected. */
  get currentHost(): HostAddress | undefined {
    return this.#current === undefined ? undefined : this.#cfg.hosts[this.#lastChecked]
  }

  async connect(): Promise<void> {
    await this.#client()
  }

  async #client(): Promise<RpcClient> {
    if (this.#current?.isActive()) return this.#current
    const hosts = this.#cfg.hosts
    const n = hosts.length
    for (let k = 1; k <= n; k++) {
      const i = (this.#lastChecked + k) % n
      const h = hosts[i] as HostAddress
      const c = this.#make(h)
      try {
        await c.connect()
        this.#lastChecked = i
        this.#current = c
        return c
      } catch (e) {
        this.#cfg.logger.info(
          { host: h.name, error: (e as Error).message },
          'Could not connect to a failover host',
        )
        await c.close()
      }
    }
    this.#lastChecked = -1
    throw new EventDeliveryError('No clients currently active: none of the failover hosts could be reached')
  }

  append(event: RpcEvent): Promise<void> {
    return this.#send((c) => c.append(event))
  }

  appendBatch(events: readonly RpcEvent[]): Promise<void> {
    return this.#send((c) => c.appendBatch(events))
  }

  async #send(f: (c: RpcClient) => Promise<void>): Promise<void> {
    if (this.#closed) throw new EventDeliveryError('Attempting to append to an already closed client.')
    for (let tries = 0; tries < this.#cfg.maxAttempts; tries++) {
      const c = await this.#client()
      try {
        await f(c)
        return
      } catch (e) {
        this.#cfg.logger.warn(
          { host: this.#cfg.hosts[this.#lastChecked]?.name, error: (e as Error).message },
          'Failover client: host failed; trying the next one',
        )
        await c.close()
        if (this.#current === c) this.#current = undefined
      }
    }
    throw new EventDeliveryError(`Failed to send the events after ${this.#cfg.maxAttempts} attempts`)
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#current?.close()
    this.#current = undefined
  }
}
