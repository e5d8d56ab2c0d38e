/**
 * Routes a source's events into its channels, exactly as Flume's ChannelProcessor does (reference §5.1):
 *
 * 1. the interceptor chain runs on the whole batch, in configured order; an empty result ends the call;
 * 2. the selector splits channels into required and optional, per event, keeping event order per channel;
 * 3. each required channel in turn gets one transaction (put all, commit). The first failure rolls that
 *    channel back and rejects the call with a ChannelError; channels committed before it stay committed,
 *    so the source's retry duplicates there (Flume's documented behaviour);
 * 4. only then each optional channel gets one transaction; failures are logged and counted, never thrown.
 *
 * An event no selector rule sends anywhere is discarded and the source sees success (Flume compat).
 */

import type { Logger } from 'pino'
import type { Channel } from './channel.ts'
import { withTransaction } from './channel.ts'
import { ChannelError, describeError } from './errors.ts'
import type { Event } from './event.ts'
import { RateLimitedLog } from './rate-limited-log.ts'
import type { ChannelSelector, Interceptor } from './spec.ts'

export class ChannelProcessor {
  #selector: ChannelSelector
  #interceptors: readonly Interceptor[]
  readonly #optionalFailures: RateLimitedLog
  /** Optional-channel failures since start, exposed for metrics. */
  optionalChannelFailures = 0
  /** Events dropped by interceptors since start. */
  interceptorDrops = 0

  /**
   * The largest batch every channel of the source accepts in one transaction (the smallest
   * transactionCapacity among them). Sources that batch on their own (netcat) split at this size.
   */
  readonly maxBatch: number

  constructor(
    selector: ChannelSelector,
    interceptors: readonly Interceptor[],
    logger: Logger,
    channels: readonly Channel[] = [],
  ) {
    this.#selector = selector
    let max = Number.POSITIVE_INFINITY
    for (const c of channels)
      if (c.transactionCapacity !== undefined) max = Math.min(max, c.transactionCapacity)
    this.maxBatch = max
    this.#interceptors = interceptors
    this.#optionalFailures = new RateLimitedLog(logger, 10_000)
  }

  get selector(): ChannelSelector {
    return this.#selector
  }

  /**
   * Swaps the selector and interceptor chain (a reload that changed only those). Takes effect with the
   * next batch: a batch already being routed finishes with the chain it started with. The selector must
   * route to the same channels this processor was built for (its maxBatch is not recomputed).
   */
  reroute(selector: ChannelSelector, interceptors: readonly Interceptor[]): void {
    this.#selector = selector
    this.#interceptors = interceptors
  }

  /** Runs the interceptor chain; exposed so sources that need the filtered count can use it. */
  intercept(events: Event[]): Event[] {
    let out = events
    for (let i = 0; i < this.#interceptors.length && out.length > 0; i++) {
      const before = out.length
      out = (this.#interceptors[i] as Interceptor).intercept(out)
      this.interceptorDrops += before - out.length
    }
    return out
  }

  processEvent(event: Event): Promise<void> {
    return this.processEventBatch([event])
  }

  async processEventBatch(batch: Event[]): Promise<void> {
    const events = this.intercept(batch)
    if (events.length === 0) return
    const fixed = this.#selector.fixed
    if (fixed !== undefined) {
      for (const ch of fixed.required) await this.#putRequired(ch, events)
      for (const ch of fixed.optional) await this.#putOptional(ch, events)
      return
    }
    const required = new Map<Channel, Event[]>()
    const optional = new Map<Channel, Event[]>()
    for (const e of events) {
      for (const ch of this.#selector.required(e)) group(required, ch, e)
      for (const ch of this.#selector.optional(e)) group(optional, ch, e)
    }
    for (const [ch, evs] of required) await this.#putRequired(ch, evs)
    for (const [ch, evs] of optional) await this.#putOptional(ch, evs)
  }

  async #putRequired(ch: Channel, events: readonly Event[]): Promise<void> {
    try {
      await withTransaction(ch, (tx) => tx.put(events))
    } catch (e) {
      if (e instanceof ChannelError) throw e
      throw new ChannelError(`Unable to put batch on required channel ${ch.name}: ${describeError(e)}`, {
        cause: e,
        component: `CHANNEL.${ch.name}`,
      })
    }
  }

  async #putOptional(ch: Channel, events: readonly Event[]): Promise<void> {
    try {
      await withTransaction(ch, (tx) => tx.put(events))
    } catch (e) {
      this.optionalChannelFailures++
      this.#optionalFailures.warn(
        { channel: ch.name, events: events.length, error: describeError(e) },
        'Optional channel refused a batch; the events were not written to it and will not be retried',
      )
    }
  }
}

function group(m: Map<Channel, Event[]>, ch: Channel, e: Event): void {
  const list = m.get(ch)
  if (list === undefined) m.set(ch, [e])
  else list.push(e)
}
