/**
 * What the avro and thrift sinks share (Flume's AbstractRpcSink, reference §6.4–6.5):
 *
 * - `start()` tries to connect; a failure is only logged (the sink keeps retrying from `process()`).
 * - `process()` first makes sure a connection is up — reconnecting after a failure, or after
 *   `reset-connection-interval` seconds when that is set — and only then opens a transaction, so a down
 *   peer costs no take/rollback. It takes up to `batch-size` events, sends them as one `appendBatch`,
 *   and commits the take only after the peer answered OK. Any delivery failure rolls the batch back to the
 *   channel, drops the connection and surfaces as EventDeliveryError (the runner waits 5 s).
 * - Counters: ConnectionCreated/Closed/Failed plus the standard batch and drain counters.
 */

import type { Logger } from 'pino'
import type { RpcClient } from '../../client/types.ts'
import type { Channel } from '../../core/channel.ts'
import type { SinkCounter } from '../../core/counters.ts'
import { ChannelError, describeError, EventDeliveryError } from '../../core/errors.ts'
import { int, long, type Sink, type Status, str } from '../../core/spec.ts'
import { takeAndDeliver } from './take-batch.ts'

export interface RpcSinkOptions {
  readonly name: string
  /** `Avro sink k1` — for messages. */
  readonly label: string
  readonly peer: string
  readonly channel: Channel
  readonly counter: SinkCounter
  readonly logger: Logger
  readonly batchSize: number
  /** Seconds; 0 = never reset. */
  readonly resetConnectionInterval: number
  readonly makeClient: () => RpcClient
}

export class RpcSink implements Sink {
  readonly #o: RpcSinkOptions
  #client: RpcClient | undefined
  #connectedAt = 0

  constructor(o: RpcSinkOptions) {
    this.#o = o
  }

  async start(): Promise<void> {
    this.#o.counter.start()
    try {
      await this.#connect()
    } catch (e) {
      this.#o.logger.warn(
        { peer: this.#o.peer, error: describeError(e) },
        'Unable to create the RPC client; the sink will retry when it has events to send',
      )
    }
  }

  async stop(): Promise<void> {
    await this.#destroy()
    this.#o.counter.stop()
  }

  async #connect(): Promise<RpcClient> {
    const c = this.#o.makeClient()
    try {
      await c.connect()
    } catch (e) {
      this.#o.counter.connectionFailedCount++
      await c.close()
      throw e
    }
    this.#client = c
    this.#connectedAt = Date.now()
    this.#o.counter.connectionCreatedCount++
    this.#o.logger.info({ peer: this.#o.peer }, `${this.#o.label}: connected`)
    return c
  }

  async #destroy(): Promise<void> {
    const c = this.#client
    this.#client = undefined
    if (c !== undefined) {
      await c.close()
      this.#o.counter.connectionClosedCount++
    }
  }

  async process(signal?: AbortSignal): Promise<Status> {
    const o = this.#o
    if (
      this.#client !== undefined &&
      o.resetConnectionInterval > 0 &&
      Date.now() - this.#connectedAt >= o.resetConnectionInterval * 1000
    ) {
      o.logger.debug({ peer: o.peer }, 'reset-connection-interval elapsed; reconnecting')
      await this.#destroy()
    }
    let client = this.#client
    if (client === undefined || !client.isActive()) {
      await this.#destroy()
      try {
        client = await this.#connect()
      } catch (e) {
        throw new EventDeliveryError(`${o.label}: cannot connect to ${o.peer}: ${describeError(e)}`, {
          cause: e,
          component: `SINK.${o.name}`,
        })
      }
    }
    const c = client
    try {
      return await takeAndDeliver(
        o.channel,
        o.batchSize,
        o.counter,
        o.name,
        (events) => c.appendBatch(events),
        signal,
      )
    } catch (e) {
      // A channel failure leaves the connection alone; a delivery failure drops it (Flume destroys it).
      if (!(e instanceof EventDeliveryError && e.cause instanceof ChannelError)) await this.#destroy()
      throw e
    }
  }
}

/** Spec fields every RPC sink has. */
export function rpcSinkFields() {
  return {
    hostname: str({ key: 'hostname', required: true, doc: 'Host of the next hop.' }),
    port: int({ key: 'port', required: true, min: 0, max: 65535, doc: 'Port of the next hop.' }),
    batchSize: int({
      key: 'batch-size',
      default: 100,
      min: 1,
      invalid: 'default',
      doc: 'Events per transaction and per appendBatch (< 1 → 100).',
    }),
    requestTimeout: long({
      key: 'request-timeout',
      default: 20_000,
      min: 1000,
      invalid: 'default',
      doc: 'ms to wait for the answer to a batch (< 1000 → 20000).',
    }),
    resetConnectionInterval: int({
      key: 'reset-connection-interval',
      default: 0,
      min: 0,
      doc: 'Seconds after which the connection is closed and reopened (0: never), e.g. to rebalance behind a load balancer.',
    }),
  }
}
