/**
 * `load_balance` sink processor (org.apache.flume.sink.LoadBalancingSinkProcessor), reference §7.3.
 *
 * Each call orders the eligible sinks (round robin rotates the first sink by one per call, i.e. per batch;
 * random shuffles) and calls them in turn until one returns without throwing; its status is the result.
 * With `backoff = true` a failed sink sits out an exponential back-off capped by `selector.maxTimeOut`.
 * All sinks failing (or none eligible) is an EventDeliveryError. Needs at least two sinks.
 */

import type { Logger } from 'pino'
import { EventDeliveryError } from '../core/errors.ts'
import { OrderSelector } from '../core/order-selector.ts'
import type { Sink, SinkProcessor, Status } from '../core/spec.ts'
import { bool, defineSinkProcessor, long, str } from '../core/spec.ts'

export class LoadBalancingSinkProcessor implements SinkProcessor {
  readonly #selector: OrderSelector<{ name: string; sink: Sink }>
  readonly #logger: Logger

  constructor(selector: OrderSelector<{ name: string; sink: Sink }>, logger: Logger) {
    this.#selector = selector
    this.#logger = logger
  }

  async process(signal?: AbortSignal): Promise<Status> {
    for (const s of this.#selector.order()) {
      try {
        return await s.sink.process(signal)
      } catch (e) {
        this.#selector.informFailure(s)
        this.#logger.warn(
          { sink: s.name, error: (e as Error).message },
          'Sink failed to take a batch; trying the next sink of the group',
        )
      }
    }
    throw new EventDeliveryError('All configured sinks have failed')
  }
}

export const spec = defineSinkProcessor({
  type: 'load_balance',
  classNames: ['org.apache.flume.sink.LoadBalancingSinkProcessor'],
  summary: 'Spreads batches over several sinks, round robin or random, with optional back-off.',
  fields: {
    backoff: bool({
      key: 'backoff',
      default: false,
      doc: 'Exclude failed sinks for an exponential back-off.',
    }),
    selector: str({
      key: 'selector',
      default: 'round_robin',
      doc: '`round_robin` or `random` (case-insensitive).',
    }),
    maxTimeOut: long({
      key: 'selector.maxTimeOut',
      default: 30_000,
      min: 0,
      doc: 'Back-off cap in ms.',
    }),
  },
  validate(cfg) {
    const s = cfg.selector.toLowerCase()
    return s === 'round_robin' || s === 'random'
      ? []
      : [
          `selector '${cfg.selector}' is not supported: use round_robin or random (custom Java SinkSelector classes cannot be loaded)`,
        ]
  },
  validateSinks: (_cfg, sinks) =>
    sinks.length > 1
      ? []
      : ['the load_balance processor cannot be used for a single sink; configure more than one sink'],
  build(cfg, ctx) {
    const items = [...ctx.sinks].map(([name, sink]) => ({ name, sink }))
    const policy = cfg.selector.toLowerCase() === 'random' ? 'random' : 'round_robin'
    // Flume compat: maxTimeOut = 0 keeps the built-in 30 s cap.
    const selector = new OrderSelector(
      items,
      policy,
      cfg.backoff,
      cfg.maxTimeOut === 0 ? 30_000 : cfg.maxTimeOut,
    )
    return new LoadBalancingSinkProcessor(selector, ctx.logger)
  },
})
