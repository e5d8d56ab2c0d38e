/**
 * `memory` channel (org.apache.flume.channel.MemoryChannel): a bounded in-memory queue with Flume's
 * transaction semantics. Crash guarantee: none — events in it are lost if the process dies (use `file`
 * for durability). A graceful stop drains it through healthy sinks first.
 *
 * Accounting, as Flume's semaphores (reference §4.2):
 * - `queueRemaining` = capacity − stored − taken-but-uncommitted. Commit of a transaction that adds more
 *   events than it takes needs that many slots; taken events hold their slot until their take commits.
 * - `bytesRemaining` counts body bytes in 100-byte slots (ceil, min 1 per event), limit
 *   byteCapacity × (1 − byteCapacityBufferPercentage/100). Checked first at commit.
 * - Commit waits up to keep-alive seconds for both; then it fails with ChannelError (bytes) or
 *   ChannelFullError (slots) and the caller rolls back. Takes wait up to keep-alive for a first event.
 *
 * Waiting uses the shared FIFO helpers in ./util/waiters.ts, woken when a commit or rollback releases room
 * or adds events; nothing polls. Everything else (put staging, taking available events, committing with
 * room) is synchronous.
 */

import { getHeapStatistics } from 'node:v8'
import type { Channel, Transaction } from '../core/channel.ts'
import { BaseTransaction } from '../core/channel.ts'
import { ChannelCounter } from '../core/counters.ts'
import { ChannelError, ChannelFullError } from '../core/errors.ts'
import type { Event } from '../core/event.ts'
import { type ConfigOf, defineChannel, int, long } from '../core/spec.ts'
import { RingDeque } from './util/ring-deque.ts'
import { DataWaiters, SpaceGate } from './util/waiters.ts'

const SLOT_SIZE = 100

/** Flume compat: each event costs ceil(bodyLength / 100) byte slots, at least one. */
function slotsOf(e: Event): number {
  const n = e.body.length
  return n === 0 ? 1 : Math.ceil(n / SLOT_SIZE)
}

/**
 * Flume's default byteCapacity is 80% of the JVM's max heap. The closest Node equivalent is the V8 heap
 * limit: bodies live outside the heap as Buffers, but the limit tracks the memory the process was sized
 * for. Documented in docs/components.
 */
export function defaultByteCapacity(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.8)
}

const fields = {
  capacity: int({
    key: 'capacity',
    default: 100,
    min: 1,
    invalid: 'default',
    doc: 'Maximum number of events stored in the channel.',
  }),
  transactionCapacity: int({
    key: 'transactionCapacity',
    default: 100,
    min: 1,
    invalid: 'default',
    doc: 'Maximum puts or takes in one transaction; must not exceed capacity.',
  }),
  keepAlive: int({
    key: 'keep-alive',
    default: 3,
    min: 0,
    invalid: 'default',
    doc: 'Seconds a commit waits for space, and a take waits for an event.',
  }),
  byteCapacityBufferPercentage: int({
    key: 'byteCapacityBufferPercentage',
    default: 20,
    min: 0,
    max: 100,
    invalid: 'default',
    doc: 'Percentage of byteCapacity kept as headroom for headers (only bodies are counted).',
  }),
  byteCapacity: long({
    key: 'byteCapacity',
    invalid: 'error',
    doc: 'Maximum total body bytes; default 80% of the V8 heap limit. 0 means no byte limit.',
  }),
}

export type MemoryChannelConfig = ConfigOf<typeof fields>

export class MemoryChannel implements Channel {
  readonly name: string
  readonly counter: ChannelCounter
  #capacity: number
  #transactionCapacity: number
  #keepAliveMs: number
  #byteSlots: number
  readonly #queue = new RingDeque<Event>()
  readonly #space: SpaceGate
  readonly #dataWaiters = new DataWaiters()
  #stopped = false

  constructor(name: string, cfg: MemoryChannelConfig) {
    this.name = name
    this.counter = new ChannelCounter(name)
    this.#capacity = cfg.capacity
    this.#transactionCapacity = cfg.transactionCapacity
    this.#keepAliveMs = cfg.keepAlive * 1000
    this.#byteSlots = MemoryChannel.byteSlots(cfg)
    this.#space = new SpaceGate(cfg.capacity, this.#byteSlots)
    this.counter.channelCapacity = cfg.capacity
  }

  static byteSlots(cfg: MemoryChannelConfig): number {
    const bytes = cfg.byteCapacity ?? defaultByteCapacity()
    const slots = Math.floor((bytes * (1 - cfg.byteCapacityBufferPercentage * 0.01)) / SLOT_SIZE)
    // Flume compat: a result below one slot (including byteCapacity = 0) means "no byte limit".
    return slots < 1 ? 2 ** 31 - 1 : slots
  }

  get transactionCapacity(): number {
    return this.#transactionCapacity
  }

  get capacity(): number {
    return this.#capacity
  }

  size(): number {
    return this.#queue.size
  }

  async start(): Promise<void> {
    this.#stopped = false
    this.counter.start()
    this.counter.channelSize = this.#queue.size
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.counter.stop()
    this.#dataWaiters.wakeAll()
    this.#space.cancelAll()
  }

  /**
   * Applies a new configuration in place, keeping queued events (Flume reuses a memory channel across
   * reloads when its name and type are unchanged). A capacity below the current fill is applied too: the
   * channel holds more than its capacity until the sinks drain it, and commits that add events wait
   * (keep-alive) or fail as full meanwhile. Returns how many events are over the new capacity (0 normally).
   *
   * Deliberate difference: Flume waits keep-alive seconds for the room to free up and, failing that,
   * keeps the old capacity with a warning; flumen applies the configuration that was asked for at once.
   */
  reconfigure(cfg: MemoryChannelConfig): number {
    const used = this.#capacity - this.#space.remainingSlots
    this.#capacity = cfg.capacity
    this.counter.channelCapacity = cfg.capacity
    this.#transactionCapacity = cfg.transactionCapacity
    this.#keepAliveMs = cfg.keepAlive * 1000
    this.#byteSlots = MemoryChannel.byteSlots(cfg)
    this.#space.resize(cfg.capacity, this.#byteSlots)
    return Math.max(0, used - cfg.capacity)
  }

  begin(): Transaction {
    return new MemoryTransaction(this)
  }

  // --- called by MemoryTransaction -------------------------------------------------------------------

  /** @internal */ get txCapacity(): number {
    return this.#transactionCapacity
  }

  /** @internal */ takeAvailable(max: number, out: Event[]): number {
    const n = this.#queue.popFrontInto(max, out)
    if (n > 0) this.counter.channelSize = this.#queue.size
    return n
  }

  /** @internal Waits up to keep-alive for the queue to be non-empty. */
  waitForData(signal: AbortSignal | undefined): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    return this.#dataWaiters.wait(this.#keepAliveMs, signal)
  }

  /** @internal Commits puts and takes atomically; waits for room when the puts need it. */
  async commit(puts: Event[], putSlots: number, takes: number, takeSlots: number): Promise<void> {
    const needSlots = puts.length - takes
    if (needSlots > 0) {
      // (A successful reservation returns with the room already taken for this commit.)
      const ok =
        this.#space.tryReserve(needSlots, putSlots) ||
        (await this.#space.reserve(needSlots, putSlots, this.#stopped ? 0 : this.#keepAliveMs))
      if (!ok) {
        if (this.#space.remainingBytes < putSlots) {
          throw new ChannelError(
            `Memory channel ${this.name} cannot commit: its byte capacity of ${this.#byteSlots * SLOT_SIZE} bytes of event bodies is used up; sinks are not keeping up, or raise byteCapacity`,
            { component: `CHANNEL.${this.name}`, code: 'FLUME_ERR_CHANNEL_BYTE_CAPACITY' },
          )
        }
        throw new ChannelFullError(
          `Memory channel ${this.name} is full (capacity ${this.#capacity}); no space within keep-alive ${this.#keepAliveMs / 1000}s. Sinks are likely not keeping up with sources, or the capacity is too small`,
          { component: `CHANNEL.${this.name}` },
        )
      }
    } else {
      // Flume compat: a transaction that takes at least as many as it puts never waits; bytes are netted.
      this.#space.force(needSlots, putSlots)
    }
    if (puts.length > 0) {
      this.#queue.pushBackAll(puts)
      this.counter.eventPutSuccessCount += puts.length
    }
    if (takes > 0) this.counter.eventTakeSuccessCount += takes
    this.counter.channelSize = this.#queue.size
    if (puts.length > 0) this.#dataWaiters.wakeAll()
    if (needSlots < 0 || takeSlots > 0) this.#space.release(0, takeSlots)
  }

  /** @internal */ rollback(takes: Event[]): void {
    if (takes.length > 0) {
      this.#queue.pushFrontAll(takes)
      this.counter.channelSize = this.#queue.size
      this.#dataWaiters.wakeAll()
    }
  }
}

class MemoryTransaction extends BaseTransaction {
  readonly #ch: MemoryChannel
  readonly #puts: Event[] = []
  readonly #takes: Event[] = []
  #putSlots = 0
  #takeSlots = 0

  constructor(ch: MemoryChannel) {
    super(ch.name)
    this.#ch = ch
  }

  protected doPut(events: readonly Event[]): void {
    const ch = this.#ch
    ch.counter.eventPutAttemptCount += events.length
    if (this.#puts.length + events.length > ch.txCapacity) {
      throw new ChannelError(
        `Put list of a transaction on memory channel ${ch.name} is full (transactionCapacity ${ch.txCapacity}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    let slots = 0
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as Event
      slots += slotsOf(e)
      this.#puts.push(e)
    }
    this.#putSlots += slots
  }

  protected async doTake(max: number, signal?: AbortSignal): Promise<Event[]> {
    const ch = this.#ch
    const room = ch.txCapacity - this.#takes.length
    if (room <= 0 && max > 0) {
      ch.counter.eventTakeAttemptCount++
      throw new ChannelError(
        `Take list of a transaction on memory channel ${ch.name} is full (transactionCapacity ${ch.txCapacity}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    const want = Math.min(max, room)
    const out: Event[] = []
    if (want <= 0) return out
    let n = ch.takeAvailable(want, out)
    if (n === 0) {
      await ch.waitForData(signal)
      if (this.state === 'open') n = ch.takeAvailable(want, out)
    }
    // Flume compat: a sink calls take() until it gets null, so a short batch costs one extra attempt.
    ch.counter.eventTakeAttemptCount += n < max ? n + 1 : n
    let slots = 0
    for (let i = 0; i < n; i++) {
      const e = out[i] as Event
      slots += slotsOf(e)
      this.#takes.push(e)
    }
    this.#takeSlots += slots
    return out
  }

  protected async doCommit(): Promise<void> {
    await this.#ch.commit(this.#puts, this.#putSlots, this.#takes.length, this.#takeSlots)
    this.#puts.length = 0
    this.#takes.length = 0
    this.#putSlots = 0
    this.#takeSlots = 0
  }

  protected async doRollback(): Promise<void> {
    this.#ch.rollback(this.#takes)
    this.#puts.length = 0
    this.#takes.length = 0
    this.#putSlots = 0
    this.#takeSlots = 0
  }
}

export const spec = defineChannel({
  type: 'memory',
  classNames: ['org.apache.flume.channel.MemoryChannel'],
  summary: 'Bounded in-memory queue; fast, not durable.',
  fields,
  validate(cfg) {
    return cfg.transactionCapacity > cfg.capacity
      ? [
          {
            key: 'transactionCapacity',
            message: `transactionCapacity (${cfg.transactionCapacity}) cannot be higher than capacity (${cfg.capacity})`,
          },
        ]
      : []
  },
  transactionCapacity: (cfg) => cfg.transactionCapacity,
  build: (cfg, ctx) => {
    const ch = new MemoryChannel(ctx.name, cfg)
    ctx.metrics.register(ch.counter)
    return ch
  },
})
