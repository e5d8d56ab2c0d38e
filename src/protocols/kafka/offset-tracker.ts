/**
 * Which offset may be committed when several take transactions share one consumer (the Kafka channel
 * with several sinks, each taking and committing on its own schedule).
 *
 * Records leave the consumer in offset order per partition. Each contiguous run handed to one transaction
 * becomes a Ticket [start, end). A ticket is done when the transaction that holds it commits; a rolled
 * back ticket stays pending until a later transaction takes its events again and commits. The committable
 * offset of a partition is the start of its oldest pending ticket, or the end of the newest ticket when
 * none is pending: everything below it was delivered, nothing at or above it is lost by a crash.
 *
 * (Flume's KafkaChannel gets the same guarantee differently: one consumer per sink thread, and offsets are
 * not committed while that consumer holds rolled-back events.)
 *
 * When a partition is revoked its ledger is retired: tickets still held complete harmlessly, and the
 * partition's new owner starts from the last committed offset (so those events may be delivered twice,
 * never lost).
 */

export class Ticket {
  readonly ledger: PartitionLedger
  start: number
  end: number
  done = false

  constructor(ledger: PartitionLedger, start: number, end: number) {
    this.ledger = ledger
    this.start = start
    this.end = end
  }
}

export class PartitionLedger {
  readonly topic: string
  readonly partition: number
  /** Pending and done tickets, oldest first; done ones are dropped from the front. */
  readonly tickets: Ticket[] = []
  /** End of the newest ticket issued (the consumer's position as far as handed-out records go). */
  highest = -1
  /** Last offset committed (or known committed) for this partition; -1 when none. */
  committed = -1
  retired = false

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }

  /** The offset everything below which has been delivered; -1 when nothing was ever handed out. */
  committable(): number {
    while (this.tickets.length > 0 && (this.tickets[0] as Ticket).done) this.tickets.shift()
    const head = this.tickets[0]
    return head !== undefined ? head.start : this.highest
  }
}

const key = (topic: string, partition: number): string => `${partition}:${topic}`

export class OffsetTracker {
  readonly #ledgers = new Map<string, PartitionLedger>()

  ledger(topic: string, partition: number): PartitionLedger {
    const k = key(topic, partition)
    let l = this.#ledgers.get(k)
    if (l === undefined) {
      l = new PartitionLedger(topic, partition)
      this.#ledgers.set(k, l)
    }
    return l
  }

  /** Records [start, end) of one partition were handed out (in order). */
  issue(topic: string, partition: number, start: number, end: number): Ticket {
    const l = this.ledger(topic, partition)
    // The first records handed out start at the consumer's start position: nothing to commit below it.
    if (l.highest < 0 && l.committed < start) l.committed = start
    const t = new Ticket(l, start, end)
    l.tickets.push(t)
    if (end > l.highest) l.highest = end
    return t
  }

  /**
   * Splits a pending ticket at `at` (start < at < end): the ticket keeps [start, at) and the returned one
   * covers [at, end), placed right after it. Used when only part of a rolled-back run is taken again.
   */
  split(t: Ticket, at: number): Ticket {
    const second = new Ticket(t.ledger, at, t.end)
    t.end = at
    const list = t.ledger.tickets
    const i = list.indexOf(t)
    if (i >= 0) list.splice(i + 1, 0, second)
    return second
  }

  /** Marks tickets delivered; returns the ledgers whose committable offset may have moved. */
  complete(tickets: readonly Ticket[]): Set<PartitionLedger> {
    const touched = new Set<PartitionLedger>()
    for (const t of tickets) {
      t.done = true
      if (!t.ledger.retired) touched.add(t.ledger)
    }
    return touched
  }

  /** Offsets to commit now (topic → partition → offset) for ledgers that moved past their last commit. */
  due(ledgers: Iterable<PartitionLedger> = this.#ledgers.values()): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>()
    for (const l of ledgers) {
      if (l.retired) continue
      const c = l.committable()
      if (c > l.committed) {
        let m = out.get(l.topic)
        if (m === undefined) out.set(l.topic, (m = new Map()))
        m.set(l.partition, c)
      }
    }
    return out
  }

  /** Records a successful commit (never moves backwards). */
  committed(offsets: ReadonlyMap<string, ReadonlyMap<number, number>>): void {
    for (const [topic, parts] of offsets) {
      for (const [p, o] of parts) {
        const l = this.#ledgers.get(key(topic, p))
        if (l !== undefined && !l.retired && o > l.committed) l.committed = o
      }
    }
  }

  /** Forgets a partition (revoked): its outstanding tickets no longer lead to commits. */
  retire(topic: string, partition: number): void {
    const k = key(topic, partition)
    const l = this.#ledgers.get(k)
    if (l !== undefined) {
      l.retired = true
      this.#ledgers.delete(k)
    }
  }

  /** Pending (taken, not yet committed) tickets across partitions, for metrics and tests. */
  get pending(): number {
    let n = 0
    for (const l of this.#ledgers.values()) for (const t of l.tickets) if (!t.done) n++
    return n
  }
}
