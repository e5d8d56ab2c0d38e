/**
 * The two waits every bounded channel needs, shared by memory, file, spillable memory and jdbc:
 *
 * - `DataWaiters`: takers waiting (up to keep-alive) for a first event on an empty channel. A commit that
 *   adds events wakes them all; each then takes what is there (possibly nothing, if another got there
 *   first). One promise per waiting take, never per event.
 * - `SpaceGate`: room in slots (events) and bytes, reserved first-in first-out. A reservation either
 *   succeeds at once, or waits up to a timeout for releases; room is handed to the head waiter
 *   synchronously inside `release()`, so a commit that runs between the wake-up and the waiter's
 *   continuation cannot take it (Flume's fair semaphores, without polling).
 */

interface DataWaiter {
  done: () => void
  timer: NodeJS.Timeout | undefined
}

export class DataWaiters {
  readonly #waiters: DataWaiter[] = []

  get size(): number {
    return this.#waiters.length
  }

  /** Resolves after `timeoutMs`, on `wakeAll()`, or when `signal` aborts; never rejects. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve()
    return new Promise((resolve) => {
      const w: DataWaiter = { done: () => {}, timer: undefined }
      const done = () => {
        const i = this.#waiters.indexOf(w)
        if (i >= 0) this.#waiters.splice(i, 1)
        if (w.timer !== undefined) clearTimeout(w.timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      w.done = done
      w.timer = setTimeout(done, timeoutMs)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.push(w)
    })
  }

  wakeAll(): void {
    if (this.#waiters.length === 0) return
    for (const w of this.#waiters.splice(0)) w.done()
  }
}

interface SpaceWaiter {
  readonly slots: number
  readonly bytes: number
  resolve: (ok: boolean) => void
  timer: NodeJS.Timeout | undefined
}

export class SpaceGate {
  #slots: number
  #bytes: number
  #maxSlots: number
  #maxBytes: number
  readonly #waiters: SpaceWaiter[] = []

  constructor(slots: number, bytes = Number.MAX_SAFE_INTEGER) {
    this.#slots = slots
    this.#bytes = bytes
    this.#maxSlots = slots
    this.#maxBytes = bytes
  }

  get remainingSlots(): number {
    return this.#slots
  }

  get remainingBytes(): number {
    return this.#bytes
  }

  get maxSlots(): number {
    return this.#maxSlots
  }

  get maxBytes(): number {
    return this.#maxBytes
  }

  /** Reserves at once if there is room and nobody is queued ahead (FIFO fairness). */
  tryReserve(slots: number, bytes = 0): boolean {
    if (this.#waiters.length > 0 || this.#slots < slots || this.#bytes < bytes) return false
    this.#slots -= slots
    this.#bytes -= bytes
    return true
  }

  /** Takes room unconditionally (it may go negative): for netted commits and replayed state. */
  force(slots: number, bytes = 0): void {
    this.#slots -= slots
    this.#bytes -= bytes
  }

  /**
   * Reserves, waiting up to `timeoutMs` for room. Resolves true with the room reserved, or false.
   * A request larger than the whole gate fails at once (it could never be satisfied).
   */
  reserve(slots: number, bytes: number, timeoutMs: number): Promise<boolean> {
    if (this.tryReserve(slots, bytes)) return Promise.resolve(true)
    if (timeoutMs <= 0 || slots > this.#maxSlots || bytes > this.#maxBytes) return Promise.resolve(false)
    return new Promise((resolve) => {
      const w: SpaceWaiter = { slots, bytes, resolve, timer: undefined }
      w.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(w)
        if (i >= 0) this.#waiters.splice(i, 1)
        resolve(false)
        this.#wake() // the head may have been this waiter; let the next one try.
      }, timeoutMs)
      this.#waiters.push(w)
    })
  }

  release(slots: number, bytes = 0): void {
    this.#slots += slots
    this.#bytes += bytes
    this.#wake()
  }

  /** Changes the limits, keeping what is in use. */
  resize(maxSlots: number, maxBytes = this.#maxBytes): void {
    this.#slots += maxSlots - this.#maxSlots
    this.#bytes += maxBytes - this.#maxBytes
    this.#maxSlots = maxSlots
    this.#maxBytes = maxBytes
    this.#wake()
  }

  /** Fails every waiting reservation (channel stopping). */
  cancelAll(): void {
    for (const w of this.#waiters.splice(0)) {
      if (w.timer !== undefined) clearTimeout(w.timer)
      w.resolve(false)
    }
  }

  #wake(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0] as SpaceWaiter
      if (this.#slots < w.slots || this.#bytes < w.bytes) return
      this.#waiters.shift()
      if (w.timer !== undefined) clearTimeout(w.timer)
      this.#slots -= w.slots
      this.#bytes -= w.bytes
      w.resolve(true)
    }
  }
}
