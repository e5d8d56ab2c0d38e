/**
 * The loops that drive sinks (through their processor) and pollable sources, with Flume's timing
 * (reference §2, §7.4; SinkRunner / PollableSourceRunner):
 *
 * | outcome        | sink runner                         | pollable source runner                        |
 * |----------------|-------------------------------------|-----------------------------------------------|
 * | READY          | loop at once                        | loop at once                                  |
 * | BACKOFF        | sleep min(k × 1000, 5000) ms        | sleep min(k × increment, maxBackoffSleep) ms   |
 * | error          | sleep 5000 ms                       | delivery error: loop; other: sleep max         |
 *
 * k counts consecutive BACKOFFs. "Loop at once" still yields to the event loop after each call
 * (setImmediate), so a sink that always has data cannot starve sockets, timers or other runners.
 *
 * Stopping: `stop()` aborts any sleep, lets the current call finish, and (for sinks) keeps calling
 * `process()` while the channel has events and the drain deadline has not passed, so a healthy sink
 * empties a memory channel before the agent exits.
 */

import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { Logger } from 'pino'
import { describeError, EventDeliveryError } from './errors.ts'
import { RateLimitedLog } from './rate-limited-log.ts'
import type { SinkProcessor, Source, Status } from './spec.ts'

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t)
      resolve()
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export interface RunnerTiming {
  readonly backoffIncrement: number
  readonly maxBackoff: number
  /** Sleep after an unexpected error. */
  readonly errorSleep: number
}

/** Flume's SinkRunner constants (hard-coded in 1.x, not configurable). */
export const SINK_RUNNER_TIMING: RunnerTiming = { backoffIncrement: 1000, maxBackoff: 5000, errorSleep: 5000 }

export class SinkRunner {
  readonly #name: string
  readonly #processor: SinkProcessor
  readonly #timing: RunnerTiming
  readonly #errors: RateLimitedLog
  /** Returns the number of events still waiting in the channel(s) this runner drains. */
  readonly #pending: () => number
  #abort = new AbortController()
  #loop: Promise<void> | undefined
  #draining = false
  #drainDeadline = 0
  /** Runner counters (Flume keeps them in a CounterGroup: runner.backoffs, runner.errors...). */
  readonly stats = { backoffs: 0, deliveryErrors: 0, errors: 0 }

  constructor(
    name: string,
    processor: SinkProcessor,
    logger: Logger,
    pending: () => number,
    timing: RunnerTiming = SINK_RUNNER_TIMING,
  ) {
    this.#name = name
    this.#processor = processor
    this.#pending = pending
    this.#timing = timing
    this.#errors = new RateLimitedLog(logger, 5_000)
  }

  start(): void {
    if (this.#loop !== undefined) return
    this.#abort = new AbortController()
    this.#draining = false
    this.#loop = this.#run(this.#abort.signal)
  }

  /** Stops the loop; with `drainMs` > 0, keeps delivering until the channel is empty or the time is up. */
  async stop(drainMs = 0): Promise<void> {
    if (this.#loop === undefined) return
    this.#draining = drainMs > 0
    this.#drainDeadline = Date.now() + drainMs
    this.#abort.abort()
    await this.#loop
    this.#loop = undefined
  }

  #shouldContinue(signal: AbortSignal): boolean {
    if (!signal.aborted) return true
    return this.#draining && Date.now() < this.#drainDeadline && this.#pending() > 0
  }

  async #run(signal: AbortSignal): Promise<void> {
    let consecutiveBackoffs = 0
    while (this.#shouldContinue(signal)) {
      let status: Status
      try {
        status = await this.#processor.process(signal)
      } catch (e) {
        const delivery = e instanceof EventDeliveryError
        if (delivery) this.stats.deliveryErrors++
        else this.stats.errors++
        this.#errors.error(
          {
            sinkRunner: this.#name,
            error: describeError(e),
            cause: causeOf(e),
            retryInMs: this.#timing.errorSleep,
          },
          delivery
            ? 'Sink could not deliver a batch; it was rolled back and will be retried'
            : 'Sink failed unexpectedly; the batch was rolled back and will be retried',
        )
        if (signal.aborted) break // draining stops at the first failure: nothing more can be delivered.
        await sleep(this.#timing.errorSleep, signal)
        continue
      }
      if (status === 'backoff') {
        this.stats.backoffs++
        if (signal.aborted) break // channel empty (or sink not ready) while draining: done.
        consecutiveBackoffs++
        await sleep(
          Math.min(consecutiveBackoffs * this.#timing.backoffIncrement, this.#timing.maxBackoff),
          signal,
        )
      } else {
        consecutiveBackoffs = 0
        await yieldToLoop()
      }
    }
  }
}

export class PollableSourceRunner {
  readonly #name: string
  readonly #source: Source & { process(): Promise<Status> }
  readonly #timing: RunnerTiming
  readonly #errors: RateLimitedLog
  #abort = new AbortController()
  #loop: Promise<void> | undefined
  readonly stats = { polls: 0, backoffs: 0, deliveryErrors: 0, errors: 0 }

  constructor(
    name: string,
    source: Source & { process(): Promise<Status> },
    logger: Logger,
    backoff: { increment: number; max: number },
  ) {
    this.#name = name
    this.#source = source
    this.#timing = { backoffIncrement: backoff.increment, maxBackoff: backoff.max, errorSleep: backoff.max }
    this.#errors = new RateLimitedLog(logger, 5_000)
  }

  start(): void {
    if (this.#loop !== undefined) return
    this.#abort = new AbortController()
    this.#loop = this.#run(this.#abort.signal)
  }

  async stop(): Promise<void> {
    if (this.#loop === undefined) return
    this.#abort.abort()
    await this.#loop
    this.#loop = undefined
  }

  async #run(signal: AbortSignal): Promise<void> {
    let consecutiveBackoffs = 0
    while (!signal.aborted) {
      this.stats.polls++
      try {
        const status = await this.#source.process()
        if (status === 'backoff') {
          this.stats.backoffs++
          consecutiveBackoffs++
          await sleep(
            Math.min(consecutiveBackoffs * this.#timing.backoffIncrement, this.#timing.maxBackoff),
            signal,
          )
        } else {
          consecutiveBackoffs = 0
          await yieldToLoop()
        }
      } catch (e) {
        if (e instanceof EventDeliveryError) {
          // Flume compat: PollableSourceRunner logs delivery failures and polls again without sleeping.
          this.stats.deliveryErrors++
          this.#errors.error(
            { sourceRunner: this.#name, error: describeError(e), cause: causeOf(e) },
            'Source could not deliver events to its channels; it will retry',
          )
          await yieldToLoop()
        } else {
          this.stats.errors++
          this.#errors.error(
            { sourceRunner: this.#name, error: describeError(e), retryInMs: this.#timing.errorSleep },
            'Source failed unexpectedly; retrying after a pause',
          )
          await sleep(this.#timing.errorSleep, signal)
        }
      }
    }
  }
}

function causeOf(e: unknown): string | undefined {
  return e instanceof Error && e.cause !== undefined ? describeError(e.cause) : undefined
}
