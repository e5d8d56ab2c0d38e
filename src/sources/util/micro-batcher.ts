/**
 * Groups events from sources that cannot push back (UDP) into channel batches: everything that arrives
 * while a batch is being committed forms the next batch, up to `maxBatch` events each. Pending events are
 * bounded by `maxPending`; beyond it, and when the channel refuses a batch, events are dropped and
 * reported through `onDrop` (UDP senders get no answer, so dropping and counting is all that can be done).
 */

import type { ChannelProcessor } from '../../core/channel-processor.ts'
import type { Event } from '../../core/event.ts'

export class MicroBatcher {
  readonly #processor: ChannelProcessor
  readonly #maxBatch: number
  readonly #maxPending: number
  readonly #onAccepted: (n: number) => void
  readonly #onDrop: (n: number, error: unknown) => void
  #pending: Event[] = []
  #running: Promise<void> | undefined

  constructor(
    processor: ChannelProcessor,
    opts: {
      maxBatch: number
      maxPending: number
      onAccepted: (n: number) => void
      onDrop: (n: number, error: unknown) => void
    },
  ) {
    this.#processor = processor
    this.#maxBatch = Math.max(1, opts.maxBatch)
    this.#maxPending = opts.maxPending
    this.#onAccepted = opts.onAccepted
    this.#onDrop = opts.onDrop
  }

  push(e: Event): void {
    if (this.#pending.length >= this.#maxPending) {
      this.#onDrop(1, new Error(`more than ${this.#maxPending} events waiting for the channel`))
      return
    }
    this.#pending.push(e)
    if (this.#running === undefined) {
      this.#running = new Promise<void>((r) => setImmediate(r)).then(() => this.#run())
    }
  }

  async #run(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch =
        this.#pending.length <= this.#maxBatch ? this.#pending : this.#pending.slice(0, this.#maxBatch)
      this.#pending = batch === this.#pending ? [] : this.#pending.slice(batch.length)
      try {
        await this.#processor.processEventBatch(batch)
        this.#onAccepted(batch.length)
      } catch (e) {
        this.#onDrop(batch.length, e)
      }
    }
    this.#running = undefined
  }

  /** Resolves when every pending event has been committed or dropped. */
  async drain(): Promise<void> {
    while (this.#running !== undefined) await this.#running
  }
}
