/**
 * A bounded cache of recently committed puts, for channels that keep events outside memory (file, jdbc):
 * a sink that keeps up with its sources takes events straight from memory instead of reading back what
 * was just written. Entries are whole committed batches (the transaction's own event array), looked up by
 * sequence number (or row id); the oldest batches are dropped when the byte budget is exceeded. A miss
 * costs nothing but the read it would have done anyway.
 */

import type { Event } from '../../core/event.ts'

export class RecentPuts {
  readonly #limit: number
  #first: number[] = []
  #events: (readonly Event[])[] = []
  #bytes: number[] = []
  #head = 0
  #total = 0

  constructor(limitBytes: number) {
    this.#limit = limitBytes
  }

  get bytes(): number {
    return this.#total
  }

  add(firstSeq: number, events: readonly Event[], bytes: number): void {
    if (this.#limit <= 0 || bytes > this.#limit) return
    // Batches arrive in sequence order, except across data directories, where they may be slightly out of
    // order: insert from the end to keep the array sorted.
    let i = this.#first.length
    while (i > this.#head && (this.#first[i - 1] as number) > firstSeq) i--
    if (i === this.#first.length) {
      this.#first.push(firstSeq)
      this.#events.push(events)
      this.#bytes.push(bytes)
    } else {
      this.#first.splice(i, 0, firstSeq)
      this.#events.splice(i, 0, events)
      this.#bytes.splice(i, 0, bytes)
    }
    this.#total += bytes
    while (this.#total > this.#limit && this.#head < this.#first.length) this.#evictOne()
  }

  #evictOne(): void {
    this.#total -= this.#bytes[this.#head] as number
    this.#events[this.#head] = []
    this.#head++
    if (this.#head > 1024 && this.#head * 2 > this.#first.length) {
      this.#first = this.#first.slice(this.#head)
      this.#events = this.#events.slice(this.#head)
      this.#bytes = this.#bytes.slice(this.#head)
      this.#head = 0
    }
  }

  get(seq: number): Event | undefined {
    let lo = this.#head
    let hi = this.#first.length - 1
    if (hi < lo || seq < (this.#first[lo] as number)) return undefined
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.#first[mid] as number) <= seq) lo = mid
      else hi = mid - 1
    }
    const ev = this.#events[lo] as readonly Event[]
    return ev[seq - (this.#first[lo] as number)]
  }

  clear(): void {
    this.#first = []
    this.#events = []
    this.#bytes = []
    this.#head = 0
    this.#total = 0
  }
}
