/**
 * `failover` sink processor (org.apache.flume.sink.FailoverSinkProcessor), reference §7.2.
 *
 * The live sink with the highest `priority.<sink>` is active. When it throws, it moves to the failed set
 * with a cool-down of min(maxpenalty, 2^failures × 1000) ms (first failure: 2 s) and the next live sink is
 * tried in the same call. At the start of every call, failed sinks whose cool-down expired are probed by
 * calling their `process()` (consuming real events): READY returns the sink to the live set; BACKOFF keeps
 * it failed without extra penalty; an exception lengthens its penalty and the next expired one is probed.
 * The first probe that does not throw decides the call's result.
 *
 * Deliberate difference: sinks without a priority get −1, −2, … in the order the group lists them (Flume
 * uses hash-map order, which its own guide describes as declaration order). A duplicate priority keeps the
 * first sink and never uses the other, as Flume does; `flumen check` warns about it.
 */

import type { Logger } from 'pino'
import { EventDeliveryError } from '../core/errors.ts'
import type { Sink, SinkProcessor, Status } from '../core/spec.ts'
import { defineSinkProcessor, int, parseJavaInteger, prefixed } from '../core/spec.ts'

const FAILURE_PENALTY = 1000

interface FailedSink {
  readonly name: string
  readonly sink: Sink
  readonly priority: number
  failures: number
  refresh: number
}

export class FailoverSinkProcessor implements SinkProcessor {
  readonly #maxPenalty: number
  readonly #live = new Map<number, { name: string; sink: Sink }>()
  readonly #failed: FailedSink[] = []
  readonly #logger: Logger
  #active: { name: string; sink: Sink; priority: number } | undefined

  constructor(
    sinks: readonly { name: string; sink: Sink; priority: number }[],
    maxPenalty: number,
    logger: Logger,
  ) {
    this.#maxPenalty = maxPenalty
    this.#logger = logger
    for (const s of sinks) this.#live.set(s.priority, { name: s.name, sink: s.sink })
    this.#active = this.#highest()
  }

  #highest(): { name: string; sink: Sink; priority: number } | undefined {
    let best: number | undefined
    for (const p of this.#live.keys()) if (best === undefined || p > best) best = p
    if (best === undefined) return undefined
    const s = this.#live.get(best) as { name: string; sink: Sink }
    return { ...s, priority: best }
  }

  #adjust(f: FailedSink, now: number): void {
    f.refresh = now + Math.min(this.#maxPenalty, 2 ** f.failures * FAILURE_PENALTY)
    this.#failed.sort((a, b) => a.refresh - b.refresh)
  }

  /** Names of sinks currently in the failed set, for dashboards and tests. */
  failedSinks(): string[] {
    return this.#failed.map((f) => f.name)
  }

  async process(signal?: AbortSignal): Promise<Status> {
    const now = Date.now()
    while (this.#failed.length > 0 && (this.#failed[0] as FailedSink).refresh < now) {
      const cur = this.#failed.shift() as FailedSink
      try {
        const s = await cur.sink.process(signal)
        if (s === 'ready') {
          this.#live.set(cur.priority, { name: cur.name, sink: cur.sink })
          this.#active = this.#highest()
          this.#logger.info({ sink: cur.name }, 'Sink recovered and is back in the failover pool')
        } else {
          this.#failed.push(cur)
          this.#failed.sort((a, b) => a.refresh - b.refresh)
        }
        return s
      } catch (e) {
        cur.failures++
        this.#failed.push(cur)
        this.#adjust(cur, Date.now())
        this.#logger.warn(
          {
            sink: cur.name,
            failures: cur.failures,
            retryInMs: cur.refresh - Date.now(),
            error: (e as Error).message,
          },
          'Sink still failing after its cool-down; penalty extended',
        )
      }
    }
    while (this.#active !== undefined) {
      const active = this.#active
      try {
        return await active.sink.process(signal)
      } catch (e) {
        this.#live.delete(active.priority)
        const f: FailedSink = { ...active, failures: 1, refresh: 0 }
        this.#failed.push(f)
        this.#adjust(f, Date.now())
        this.#active = this.#highest()
        this.#logger.warn(
          {
            sink: active.name,
            error: (e as Error).message,
            retryInMs: f.refresh - Date.now(),
            next: this.#active?.name ?? null,
          },
          this.#active === undefined
            ? 'Sink failed and no other sink is live'
            : 'Sink failed; failing over to the next sink by priority',
        )
      }
    }
    throw new EventDeliveryError('All sinks failed to process, nothing left to failover to')
  }
}

export const spec = defineSinkProcessor({
  type: 'failover',
  classNames: ['org.apache.flume.sink.FailoverSinkProcessor'],
  summary: 'Sends to the highest-priority live sink; fails over on errors.',
  fields: {
    maxpenalty: int({
      key: 'maxpenalty',
      default: 30_000,
      invalid: 'default',
      doc: 'Maximum cool-down (ms) of a failed sink.',
    }),
    priority: prefixed({ prefix: 'priority.', doc: '`priority.<sink>` = integer, higher is preferred.' }),
  },
  validateSinks(cfg, sinks) {
    const problems: string[] = []
    for (const name of cfg.priority.keys()) {
      if (!sinks.includes(name))
        problems.push(`priority is set for '${name}', which is not a sink of this group`)
    }
    return problems
  },
  build(cfg, ctx) {
    const assigned: { name: string; sink: Sink; priority: number }[] = []
    const used = new Set<number>()
    let next = 0
    for (const [name, sink] of ctx.sinks) {
      const raw = cfg.priority.get(name)
      const parsed = raw === undefined ? undefined : parseJavaInteger(raw, 32)
      const priority = parsed ?? --next
      if (used.has(priority)) {
        ctx.logger.warn(
          { sink: name, priority },
          "Sink not added to the failover group: its priority duplicates another sink's; it will never be used",
        )
        continue
      }
      used.add(priority)
      assigned.push({ name, sink, priority })
    }
    return new FailoverSinkProcessor(assigned, cfg.maxpenalty, ctx.logger)
  },
})
