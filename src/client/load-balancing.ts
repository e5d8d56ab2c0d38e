/**
 * The load-balancing RpcClient (Flume's LoadBalancingRpcClient): every `append`/`appendBatch` orders the
 * hosts with Flume's OrderSelector (round robin — rotating by one per call — or random; with `backoff`,
 * failed hosts sit out an exponential back-off capped by `maxBackoff`) and tries them in that order until
 * one answers OK. All failing is an EventDeliveryError. Needs at least two hosts. One client per host is
 * created on first use and replaced when it fails.
 *
 * Flume's is Avro-only; flumen also offers it over Thrift (`thrift_loadbalance`).
 */

import { EventDeliveryError } from '../core/errors.ts'
import { OrderSelector } from '../core/order-selector.ts'
import type { HostAddress, ResolvedClientConfig } from './config.ts'
import type { RpcClient, RpcEvent } from './types.ts'

export class LoadBalancingRpcClient implements RpcClient {
  readonly batchSize: number
  readonly #cfg: ResolvedClientConfig
  readonly #make: (h: HostAddress) => RpcClient
  readonly #selector: OrderSelector<HostAddress>
  readonly #clients = new Map<HostAddress, RpcClient>()
  #open = true

  constructor(cfg: ResolvedClientConfig, make: (h: HostAddress) => RpcClient) {
    this.#cfg = cfg
    this.#make = make
    this.batchSize = cfg.batchSize
    this.#selector = new OrderSelector(cfg.hosts, cfg.hostSelector, cfg.backoff, cfg.maxBackoffMs)
  }

  isActive(): boolean {
    return this.#open
  }

  async connect(): Promise<void> {
    // Hosts are connected on first use, as Flume's client does.
  }

  #client(h: HostAddress): RpcClient {
    let c = this.#clients.get(h)
    if (c === undefined || !c.isActive()) {
      if (c !== undefined) void c.close()
      c = this.#make(h)
      this.#clients.set(h, c)
    }
    return c
  }

  append(event: RpcEvent): Promise<void> {
    return this.#send((c) => c.append(event), 'event')
  }

  appendBatch(events: readonly RpcEvent[]): Promise<void> {
    return this.#send((c) => c.appendBatch(events), 'batch')
  }

  async #send(f: (c: RpcClient) => Promise<void>, what: string): Promise<void> {
    if (!this.#open) throw new EventDeliveryError('Rpc Client is closed')
    for (const h of this.#selector.order()) {
      try {
        await f(this.#client(h))
        return
      } catch (e) {
        this.#selector.informFailure(h)
        this.#cfg.logger.warn({ host: h.name, error: (e as Error).message }, `Failed to send ${what} to host`)
      }
    }
    throw new EventDeliveryError(`Unable to send ${what} to any host`)
  }

  async close(): Promise<void> {
    this.#open = false
    const all = [...this.#clients.values()]
    this.#clients.clear()
    await Promise.all(all.map((c) => c.close()))
  }
}
