/**
 * The file channel's in-memory queue: pointers to committed events in the data log, in take order. Only
 * pointers live in memory (20 bytes an event: sequence number, file id, offset, payload length), so a
 * million queued events cost 20 MB whatever their size; bodies are read back from the log at take time
 * (or served from the recent-puts cache).
 *
 * A growable ring of four parallel typed arrays (struct of arrays): no object per event, batches move with
 * index loops, and the backing arrays only grow (doubling). Same arithmetic as util/ring-deque.ts: one slot
 * always stays free, so head === tail means empty.
 */

/** A batch of pointers in plain arrays (a transaction's take list, a replay's put list). */
export class PointerList {
  seqs: number[] = []
  files: number[] = []
  offsets: number[] = []
  lengths: number[] = []

  get length(): number {
    return this.seqs.length
  }

  push(seq: number, file: number, offset: number, length: number): void {
    this.seqs.push(seq)
    this.files.push(file)
    this.offsets.push(offset)
    this.lengths.push(length)
  }

  clear(): void {
    this.seqs.length = 0
    this.files.length = 0
    this.offsets.length = 0
    this.lengths.length = 0
  }

  /** Removes entries [from, length). */
  truncate(from: number): void {
    this.seqs.length = from
    this.files.length = from
    this.offsets.length = from
    this.lengths.length = from
  }
}

export class PointerQueue {
  #seq: Float64Array
  #file: Uint32Array
  #off: Uint32Array
  #len: Uint32Array
  #mask: number
  #head = 0
  #tail = 0

  constructor(initialCapacity = 1024) {
    let cap = 16
    while (cap < initialCapacity + 1) cap *= 2
    this.#seq = new Float64Array(cap)
    this.#file = new Uint32Array(cap)
    this.#off = new Uint32Array(cap)
    this.#len = new Uint32Array(cap)
    this.#mask = cap - 1
  }

  get size(): number {
    return (this.#tail - this.#head) & this.#mask
  }

  #ensureRoom(extra: number): void {
    const needed = this.size + extra + 1
    const cap0 = this.#seq.length
    if (needed <= cap0) return
    let cap = cap0
    while (cap < needed) cap *= 2
    const n = this.size
    const seq = new Float64Array(cap)
    const file = new Uint32Array(cap)
    const off = new Uint32Array(cap)
    const len = new Uint32Array(cap)
    for (let i = 0; i < n; i++) {
      const j = (this.#head + i) & this.#mask
      seq[i] = this.#seq[j] as number
      file[i] = this.#file[j] as number
      off[i] = this.#off[j] as number
      len[i] = this.#len[j] as number
    }
    this.#seq = seq
    this.#file = file
    this.#off = off
    this.#len = len
    this.#mask = cap - 1
    this.#head = 0
    this.#tail = n
  }

  pushBack(seq: number, file: number, offset: number, length: number): void {
    this.#ensureRoom(1)
    const t = this.#tail
    this.#seq[t] = seq
    this.#file[t] = file
    this.#off[t] = offset
    this.#len[t] = length
    this.#tail = (t + 1) & this.#mask
  }

  /** Appends a list's entries [from, to) at the tail. */
  pushBackList(list: PointerList, from = 0, to = list.length): void {
    this.#ensureRoom(to - from)
    const mask = this.#mask
    let t = this.#tail
    for (let i = from; i < to; i++) {
      this.#seq[t] = list.seqs[i] as number
      this.#file[t] = list.files[i] as number
      this.#off[t] = list.offsets[i] as number
      this.#len[t] = list.lengths[i] as number
      t = (t + 1) & mask
    }
    this.#tail = t
  }

  /** Puts a list back in front of the head, keeping its order (rollback of takes). */
  pushFrontList(list: PointerList): void {
    this.#ensureRoom(list.length)
    const mask = this.#mask
    let h = this.#head
    for (let i = list.length - 1; i >= 0; i--) {
      h = (h - 1) & mask
      this.#seq[h] = list.seqs[i] as number
      this.#file[h] = list.files[i] as number
      this.#off[h] = list.offsets[i] as number
      this.#len[h] = list.lengths[i] as number
    }
    this.#head = h
  }

  /** Moves up to `n` entries from the head to `out`. Returns how many moved. */
  popFrontInto(n: number, out: PointerList): number {
    const k = Math.min(n, this.size)
    const mask = this.#mask
    let h = this.#head
    for (let i = 0; i < k; i++) {
      out.push(
        this.#seq[h] as number,
        this.#file[h] as number,
        this.#off[h] as number,
        this.#len[h] as number,
      )
      h = (h + 1) & mask
    }
    this.#head = h
    return k
  }

  /** Visits every entry from head to tail. */
  forEach(fn: (seq: number, file: number, offset: number, length: number) => void): void {
    const n = this.size
    const mask = this.#mask
    for (let i = 0; i < n; i++) {
      const j = (this.#head + i) & mask
      fn(this.#seq[j] as number, this.#file[j] as number, this.#off[j] as number, this.#len[j] as number)
    }
  }

  /** Copies the entries, head first, into columns starting at `at` (checkpoint snapshots). */
  copyInto(seq: Float64Array, file: Uint32Array, off: Uint32Array, len: Uint32Array, at: number): void {
    const n = this.size
    const mask = this.#mask
    for (let i = 0; i < n; i++) {
      const j = (this.#head + i) & mask
      seq[at + i] = this.#seq[j] as number
      file[at + i] = this.#file[j] as number
      off[at + i] = this.#off[j] as number
      len[at + i] = this.#len[j] as number
    }
  }

  clear(): void {
    this.#head = 0
    this.#tail = 0
  }
}
