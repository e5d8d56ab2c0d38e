/**
 * Flume's OrderSelector (flume-ng-sdk util): orders a fixed set of targets for one attempt, optionally
 * backing failed targets off. Shared by the load_balance sink processor and the load-balancing RPC client.
 *
 * Back-off (when enabled): a failed target is skipped until `now + min(maxTimeout, 1000 × 2^n)`, where n
 * counts sequential failures (1 on the first, capped at 16). A failure more than (the last back-off +
 * one hour) after the previous one starts again at n = 1.
 */

const EXP_BACKOFF_COUNTER_LIMIT = 16
const CONSIDER_SEQUENTIAL_RANGE = 3_600_000

interface FailureState {
  lastFail: number
  restoreTime: number
  sequentialFails: number
}

export type OrderPolicy = 'round_robin' | 'random'

export class OrderSelector<T> {
  readonly #items: readonly T[]
  readonly #state: FailureState[]
  readonly #backoff: boolean
  readonly #maxTimeout: number
  readonly #policy: OrderPolicy
  #nextHead = 0

  constructor(items: readonly T[], policy: OrderPolicy, backoff: boolean, maxTimeout = 30_000) {
    this.#items = items
    this.#state = items.map(() => ({ lastFail: 0, restoreTime: 0, sequentialFails: 0 }))
    this.#backoff = backoff
    this.#maxTimeout = maxTimeout
    this.#policy = policy
  }

  /** The targets to try, in order, for one attempt (backed-off targets left out). */
  order(now = Date.now()): T[] {
    const active: number[] = []
    for (let i = 0; i < this.#items.length; i++) {
      if (!this.#backoff || (this.#state[i] as FailureState).restoreTime < now) active.push(i)
    }
    const size = active.length
    if (this.#policy === 'random') {
      // Fisher–Yates over the active indices.
      for (let i = size - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1))
        const t = active[i] as number
        active[i] = active[j] as number
        active[j] = t
      }
      return active.map((i) => this.#items[i] as T)
    }
    // Flume compat: round robin rotates the starting point by one per call (per batch, not per event).
    if (this.#nextHead >= size) this.#nextHead = 0
    const begin = this.#nextHead++
    if (this.#nextHead === size) this.#nextHead = 0
    const out: T[] = []
    for (let i = 0; i < size; i++) out.push(this.#items[active[(begin + i) % size] as number] as T)
    return out
  }

  informFailure(item: T, now = Date.now()): void {
    if (!this.#backoff) return
    const idx = this.#items.indexOf(item)
    if (idx < 0) return
    const s = this.#state[idx] as FailureState
    const delta = now - s.lastFail
    const lastBackoff = Math.min(this.#maxTimeout, 1000 * 2 ** s.sequentialFails)
    if (lastBackoff + CONSIDER_SEQUENTIAL_RANGE > delta) {
      if (s.sequentialFails < EXP_BACKOFF_COUNTER_LIMIT) s.sequentialFails++
    } else {
      s.sequentialFails = 1
    }
    s.lastFail = now
    s.restoreTime = now + Math.min(this.#maxTimeout, 1000 * 2 ** s.sequentialFails)
  }

  /** Milliseconds until `item` is eligible again (0 when it is). */
  backedOffFor(item: T, now = Date.now()): number {
    const idx = this.#items.indexOf(item)
    if (idx < 0 || !this.#backoff) return 0
    return Math.max(0, (this.#state[idx] as FailureState).restoreTime - now)
  }
}
