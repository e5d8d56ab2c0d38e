/**
 * A growable ring-buffer deque for the memory channel's queue (the idea of undici's fixed-queue, as a single
 * power-of-two ring).
 *
 *        head                tail
 *         v                   v
 *   [ . . a b c d e f g . . . . . ]      size = (tail - head) & mask; one slot always stays free,
 *                                        so head === tail means empty.
 *
 * Batches move with a loop over indices, never with Array.prototype.splice/shift (O(n) per call), and the
 * backing array only grows (doubling) when a push would fill it, so a steady-state channel allocates
 * nothing per batch. Slots are cleared on removal so taken events can be collected.
 */

export class RingDeque<T> {
  #buf: (T | undefined)[]
  #mask: number
  #head = 0
  #tail = 0

  constructor(initialCapacity = 16) {
    let cap = 16
    while (cap < initialCapacity + 1) cap *= 2
    this.#buf = new Array<T | undefined>(cap)
    this.#mask = cap - 1
  }

  get size(): number {
    return (this.#tail - this.#head) & this.#mask
  }

  #ensureRoom(extra: number): void {
    const needed = this.size + extra + 1
    if (needed <= this.#buf.length) return
    let cap = this.#buf.length
    while (cap < needed) cap *= 2
    const next = new Array<T | undefined>(cap)
    const n = this.size
    for (let i = 0; i < n; i++) next[i] = this.#buf[(this.#head + i) & this.#mask]
    this.#buf = next
    this.#mask = cap - 1
    this.#head = 0
    this.#tail = n
  }

  pushBack(item: T): void {
    this.#ensureRoom(1)
    this.#buf[this.#tail] = item
    this.#tail = (this.#tail + 1) & this.#mask
  }

  pushBackAll(items: readonly T[]): void {
    this.#ensureRoom(items.length)
    const buf = this.#buf
    const mask = this.#mask
    let t = this.#tail
    for (let i = 0; i < items.length; i++) {
      buf[t] = items[i]
      t = (t + 1) & mask
    }
    this.#tail = t
  }

  /** Puts `items` back in front of the current head, keeping their order (rollback of takes). */
  pushFrontAll(items: readonly T[]): void {
    this.#ensureRoom(items.length)
    const buf = this.#buf
    const mask = this.#mask
    let h = this.#head
    for (let i = items.length - 1; i >= 0; i--) {
      h = (h - 1) & mask
      buf[h] = items[i]
    }
    this.#head = h
  }

  /** Removes up to `n` items from the front, appending them to `out`. Returns how many were moved. */
  popFrontInto(n: number, out: T[]): number {
    const k = Math.min(n, this.size)
    const buf = this.#buf
    const mask = this.#mask
    let h = this.#head
    for (let i = 0; i < k; i++) {
      out.push(buf[h] as T)
      buf[h] = undefined
      h = (h + 1) & mask
    }
    this.#head = h
    return k
  }

  peekFront(): T | undefined {
    return this.size === 0 ? undefined : this.#buf[this.#head]
  }

  clear(): void {
    this.#buf.fill(undefined)
    this.#head = 0
    this.#tail = 0
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const n = this.size
    for (let i = 0; i < n; i++) yield this.#buf[(this.#head + i) & this.#mask] as T
  }
}
