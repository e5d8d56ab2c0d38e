/**
 * `spillablememory` channel (org.apache.flume.channel.SpillableMemoryChannel): a memory queue that spills to
 * a file channel (the "overflow") when it is full, keeping the order of events across the spill.
 *
 * Crash guarantee: only events in the overflow survive a crash (they are in a file channel, with its full
 * guarantees); events in the memory queue are lost, as with the memory channel.
 *
 * How it works (Flume's design):
 * - A commit's puts go to memory if `memoryCapacity` and `byteCapacity` have room, waiting up to
 *   `overflowTimeout` for it; otherwise the overflow is activated and they go to the file channel. While the
 *   overflow is active, puts do not wait for memory (they take it if it is free at once, else spill) until
 *   the memory queue is at least `overflowDeactivationThreshold` percent free again.
 * - A "drain order" records runs of events by place (memory n, overflow m, memory k, …) in commit order.
 *   Takes follow it, so events come out in put order whichever side holds them. A transaction takes from
 *   one side only: when the run it is reading ends and the next one is on the other side, its batch ends
 *   there (the next transaction continues on the other side).
 * - Byte accounting for the memory queue: each event costs ceil(body length / avgEventSize) slots (at least
 *   one); the budget is byteCapacity × (1 − byteCapacityBufferPercentage/100) / avgEventSize slots.
 * - `capacity` and `keep-alive` are not used (Flume overrides them): the overflow's capacity is
 *   `overflowCapacity`, and takes wait up to `overflowTimeout` for an event.
 *
 * Deliberate differences from Flume:
 * - A put to a full overflow waits up to overflowTimeout for room (Flume sleeps overflowTimeout and retries
 *   once): same bound, but it proceeds as soon as room appears.
 * - On a graceful stop, events still in the memory queue are written to the overflow instead of being lost
 *   (after a restart they come after the events already in the overflow). Without an overflow they are
 *   lost, and a warning says how many.
 * - With `overflowCapacity = 0` no file channel is created at all (Flume still starts one on the default
 *   directories).
 * - A transaction may both put and take; the file channel part of it commits atomically.
 */

import type { Logger } from 'pino'
import type { Channel, Transaction } from '../core/channel.ts'
import { BaseTransaction } from '../core/channel.ts'
import { ChannelCounter } from '../core/counters.ts'
import { ChannelError, ChannelFullError } from '../core/errors.ts'
import type { Event } from '../core/event.ts'
import { type ConfigOf, defineChannel, int, long, str } from '../core/spec.ts'
import { fileChannelCommonFields, resolveConfig, validateCommon } from './file/config.ts'
import { FileChannel, type FileChannelOptions } from './file/index.ts'
import { defaultByteCapacity } from './memory.ts'
import { RingDeque } from './util/ring-deque.ts'
import { DataWaiters, SpaceGate } from './util/waiters.ts'

export const DEFAULT_MEMORY_CAPACITY = 10000
export const DEFAULT_OVERFLOW_CAPACITY = 100000000

const fields = {
  memoryCapacity: int({
    key: 'memoryCapacity',
    default: DEFAULT_MEMORY_CAPACITY,
    min: 0,
    invalid: 'default',
    doc: 'Maximum events in the memory queue; 0 disables it (everything goes to the overflow).',
  }),
  overflowCapacity: int({
    key: 'overflowCapacity',
    default: DEFAULT_OVERFLOW_CAPACITY,
    min: 0,
    invalid: 'default',
    doc: 'Maximum events in the overflow file channel; 0 disables the overflow. Both 0: the overflow gets its default.',
  }),
  overflowTimeout: int({
    key: 'overflowTimeout',
    default: 3,
    min: 0,
    invalid: 'default',
    doc: 'Seconds a put waits for memory before spilling to the overflow; also how long a take waits for an event.',
  }),
  overflowDeactivationThreshold: int({
    key: 'overflowDeactivationThreshold',
    default: 5,
    min: 0,
    max: 100,
    invalid: 'default',
    doc: 'Percent of the memory queue that must be free again before commits wait for memory again (while the overflow is active they spill at once).',
  }),
  byteCapacityBufferPercentage: int({
    key: 'byteCapacityBufferPercentage',
    default: 20,
    min: 0,
    max: 100,
    invalid: 'default',
    doc: 'Percentage of byteCapacity kept as headroom (only bodies are counted).',
  }),
  byteCapacity: long({
    key: 'byteCapacity',
    invalid: 'default',
    doc: 'Maximum body bytes in the memory queue; default 80% of the V8 heap limit.',
  }),
  avgEventSize: int({
    key: 'avgEventSize',
    default: 500,
    min: 1,
    invalid: 'default',
    doc: 'Estimated average body size: the unit of byte accounting for the memory queue.',
  }),
  ignoredCapacity: str({
    key: 'capacity',
    doc: 'Not used: Flume overrides it (the overflow capacity is overflowCapacity).',
  }),
  ignoredKeepAlive: str({
    key: 'keep-alive',
    doc: 'Not used: Flume overrides it (takes wait overflowTimeout).',
  }),
  ...fileChannelCommonFields,
}

export type SpillableMemoryConfig = ConfigOf<typeof fields>

/**
 * Runs of events by place, in take order: positive = memory, negative = overflow; never a 0. Adjacent
 * runs on the same side are merged, so the deque stays short (a new run starts only when the side
 * changes).
 */
export class DrainOrder {
  #runs: number[] = []
  #head = 0
  overflowCount = 0
  memoryCount = 0

  get isEmpty(): boolean {
    return this.#head >= this.#runs.length
  }

  /** The head run (> 0 memory, < 0 overflow), or 0 when empty. */
  front(): number {
    return this.#runs[this.#head] ?? 0
  }

  /** The runs, head first (tests, debugging). */
  runs(): number[] {
    return this.#runs.slice(this.#head)
  }

  #pushBack(v: number): void {
    const last = this.#runs.length - 1
    if (last >= this.#head && Math.sign(this.#runs[last] as number) === Math.sign(v)) {
      this.#runs[last] = (this.#runs[last] as number) + v
    } else this.#runs.push(v)
  }

  #pushFront(v: number): void {
    if (!this.isEmpty && Math.sign(this.#runs[this.#head] as number) === Math.sign(v)) {
      this.#runs[this.#head] = (this.#runs[this.#head] as number) + v
    } else if (this.#head > 0) this.#runs[--this.#head] = v
    else this.#runs.unshift(v)
  }

  #shrinkHead(by: number): void {
    const v = (this.#runs[this.#head] as number) - by
    if (v !== 0) {
      this.#runs[this.#head] = v
      return
    }
    this.#head++
    if (this.#head >= this.#runs.length) {
      this.#runs = []
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#runs.length) {
      this.#runs = this.#runs.slice(this.#head)
      this.#head = 0
    }
  }

  putPrimary(n: number): void {
    if (n <= 0) return
    this.#pushBack(n)
    this.memoryCount += n
  }

  putOverflow(n: number): void {
    if (n <= 0) return
    this.#pushBack(-n)
    this.overflowCount += n
  }

  putFirstPrimary(n: number): void {
    if (n <= 0) return
    this.#pushFront(n)
    this.memoryCount += n
  }

  putFirstOverflow(n: number): void {
    if (n <= 0) return
    this.#pushFront(-n)
    this.overflowCount += n
  }

  takePrimary(n: number): void {
    if (n <= 0) return
    if (this.front() < n) throw new Error(`drain order: cannot take ${n} from memory run ${this.front()}`)
    this.#shrinkHead(n)
    this.memoryCount -= n
  }

  takeOverflow(n: number): void {
    if (n <= 0) return
    if (-this.front() < n) throw new Error(`drain order: cannot take ${n} from overflow run ${this.front()}`)
    this.#shrinkHead(-n)
    this.overflowCount -= n
  }

  clear(): void {
    this.#runs = []
    this.#head = 0
    this.overflowCount = 0
    this.memoryCount = 0
  }
}

export interface SpillableSettings {
  readonly memoryCapacity: number
  /** 0: no overflow. */
  readonly overflowCapacity: number
  readonly overflowTimeoutMs: number
  readonly deactivationThreshold: number
  readonly byteSlots: number
  readonly avgEventSize: number
  readonly transactionCapacity: number
}

export function spillableSettings(cfg: SpillableMemoryConfig): SpillableSettings {
  let overflow = cfg.overflowCapacity
  // Flume compat: both capacities 0 → the overflow gets its default.
  if (cfg.memoryCapacity < 1 && overflow < 1) overflow = DEFAULT_OVERFLOW_CAPACITY
  const bytes = cfg.byteCapacity ?? defaultByteCapacity()
  let slots = Math.floor((bytes * (1 - cfg.byteCapacityBufferPercentage * 0.01)) / cfg.avgEventSize)
  // Flume compat: a budget under one slot (including byteCapacity = 0) means no byte limit.
  if (slots < 1) slots = 2 ** 31 - 1
  return {
    memoryCapacity: cfg.memoryCapacity,
    overflowCapacity: overflow,
    overflowTimeoutMs: cfg.overflowTimeout * 1000,
    deactivationThreshold: cfg.overflowDeactivationThreshold / 100,
    byteSlots: slots,
    avgEventSize: cfg.avgEventSize,
    transactionCapacity: cfg.transactionCapacity,
  }
}

export class SpillableMemoryChannel implements Channel {
  readonly name: string
  readonly counter: ChannelCounter
  readonly #s: SpillableSettings
  readonly #logger: Logger
  readonly #overflow: FileChannel | undefined
  readonly #queue = new RingDeque<Event>()
  #mem: SpaceGate
  readonly #data = new DataWaiters()
  readonly drain = new DrainOrder()
  #overflowActive = false
  #open = false

  constructor(name: string, s: SpillableSettings, overflow: FileChannel | undefined, logger: Logger) {
    this.name = name
    this.#s = s
    this.#overflow = overflow
    this.#logger = logger
    this.counter = new ChannelCounter(name)
    this.counter.channelCapacity = s.memoryCapacity + s.overflowCapacity
    this.#mem = new SpaceGate(s.memoryCapacity, s.byteSlots)
    this.counter.gauges.set('MemorySize', () => this.#queue.size)
    this.counter.gauges.set('OverflowSize', () => this.drain.overflowCount)
    this.counter.gauges.set('OverflowActive', () => (this.#overflowActive ? 1 : 0))
  }

  get transactionCapacity(): number {
    return this.#s.transactionCapacity
  }

  /** Durable when it has an overflow: a graceful stop spills the memory queue into it. */
  get durable(): boolean {
    return this.#overflow !== undefined
  }

  get settings(): SpillableSettings {
    return this.#s
  }

  get overflow(): FileChannel | undefined {
    return this.#overflow
  }

  size(): number {
    return this.#queue.size + this.drain.overflowCount
  }

  begin(): Transaction {
    return new SpillableTransaction(this)
  }

  async start(): Promise<void> {
    this.counter.start()
    if (this.#overflow !== undefined) {
      await this.#overflow.start()
      const n = this.#overflow.size()
      // The drain order starts as the overflow's content.
      this.drain.clear()
      this.drain.putOverflow(n)
    } else this.drain.clear()
    // Nothing of the memory queue survives a restart (a graceful stop moved it to the overflow).
    this.#queue.clear()
    this.#mem = new SpaceGate(this.#s.memoryCapacity, this.#s.byteSlots)
    this.#open = true
    this.counter.channelSize = this.size()
  }

  async stop(): Promise<void> {
    this.#open = false
    this.#data.wakeAll()
    this.#mem.cancelAll()
    const left = this.#queue.size
    if (left > 0 && this.#overflow?.isOpen === true) await this.#spillMemory()
    else if (left > 0) {
      this.#logger.warn(
        { events: left },
        'Spillable memory channel stopped with events in memory and no overflow: they are lost',
      )
    }
    await this.#overflow?.stop()
    this.counter.channelSize = this.size()
    this.counter.stop()
  }

  /** At a graceful stop, moves what is still in memory to the overflow, in batches. */
  async #spillMemory(): Promise<void> {
    const overflow = this.#overflow as FileChannel
    let moved = 0
    try {
      while (this.#queue.size > 0) {
        const batch: Event[] = []
        this.#queue.popFrontInto(this.#s.transactionCapacity, batch)
        const tx = overflow.begin()
        try {
          tx.put(batch)
          await tx.commit()
        } catch (e) {
          if (tx.state === 'open') await tx.rollback()
          this.#queue.pushFrontAll(batch)
          throw e
        } finally {
          tx.close()
        }
        moved += batch.length
      }
      this.#logger.info(
        { events: moved },
        'Spillable memory channel wrote its memory queue to the overflow at stop',
      )
    } catch (e) {
      this.#logger.error(
        { events: this.#queue.size, moved, error: (e as Error).message },
        'Spillable memory channel could not write its memory queue to the overflow at stop: those events are lost',
      )
    }
  }

  // --- called by SpillableTransaction ---

  /** @internal */ requireOpen(): void {
    if (!this.#open) {
      throw new ChannelError(`Spillable memory channel ${this.name} is not open`, {
        component: `CHANNEL.${this.name}`,
        code: 'FLUME_ERR_CHANNEL_CLOSED',
      })
    }
  }

  /** @internal */ slotsOf(e: Event): number {
    const n = e.body.length
    return n === 0 ? 1 : Math.ceil(n / this.#s.avgEventSize)
  }

  /** @internal */ waitForData(signal: AbortSignal | undefined): Promise<void> {
    return this.#open ? this.#data.wait(this.#s.overflowTimeoutMs, signal) : Promise.resolve()
  }

  /** @internal */ popMemory(n: number, out: Event[]): number {
    const k = this.#queue.popFrontInto(Math.min(n, this.drain.front()), out)
    this.drain.takePrimary(k)
    if (k > 0) this.counter.channelSize = this.size()
    return k
  }

  /**
   * @internal Decides where a commit's puts go: reserves memory (waiting up to overflowTimeout unless the
   * overflow is active), else returns false (overflow), else throws when there is no overflow.
   */
  async reserveMemory(n: number, slots: number): Promise<boolean> {
    const s = this.#s
    if (s.memoryCapacity === 0) return false
    const timeout = this.#overflowActive ? 0 : s.overflowTimeoutMs
    if (this.#mem.tryReserve(n, slots) || (await this.#mem.reserve(n, slots, this.#open ? timeout : 0))) {
      return true
    }
    if (this.#overflow === undefined) {
      throw new ChannelFullError(
        this.#mem.remainingBytes < slots
          ? `Spillable memory channel ${this.name}: the memory byte capacity is used up and the overflow is disabled (overflowCapacity = 0); raise byteCapacity, or enable the overflow`
          : `Spillable memory channel ${this.name}: memory is full (memoryCapacity ${s.memoryCapacity}) and the overflow is disabled (overflowCapacity = 0); raise memoryCapacity, or enable the overflow`,
        { component: `CHANNEL.${this.name}` },
      )
    }
    if (!this.#overflowActive) {
      this.#overflowActive = true
      this.#logger.info(
        { memoryEvents: this.#queue.size },
        'Spillable memory channel: memory full, spilling to the overflow',
      )
    }
    return false
  }

  /** @internal */ releaseMemory(n: number, slots: number): void {
    this.#mem.release(n, slots)
  }

  /** @internal Applies the in-memory part of a successful commit. */
  applyCommit(
    memPuts: Event[] | undefined,
    overflowPuts: number,
    memTakes: number,
    memTakeSlots: number,
    overflowTakes: number,
  ): void {
    if (memPuts !== undefined && memPuts.length > 0) {
      this.#queue.pushBackAll(memPuts)
      this.drain.putPrimary(memPuts.length)
    }
    this.drain.putOverflow(overflowPuts)
    if (memTakes > 0) this.#mem.release(memTakes, memTakeSlots)
    const puts = (memPuts?.length ?? 0) + overflowPuts
    this.counter.eventPutSuccessCount += puts
    this.counter.eventTakeSuccessCount += memTakes + overflowTakes
    if (this.#overflowActive && (memTakes > 0 || overflowTakes > 0)) {
      const s = this.#s
      const free = s.memoryCapacity === 0 ? 0 : (s.memoryCapacity - this.#queue.size) / s.memoryCapacity
      if (free >= s.deactivationThreshold) {
        this.#overflowActive = false
        this.#logger.info(
          { memoryEvents: this.#queue.size },
          'Spillable memory channel: memory has room again, overflow deactivated',
        )
      }
    }
    this.counter.channelSize = this.size()
    if (puts > 0) this.#data.wakeAll()
  }

  /** @internal */ rollbackMemory(takes: Event[]): void {
    if (takes.length === 0) return
    this.#queue.pushFrontAll(takes)
    this.drain.putFirstPrimary(takes.length)
    this.counter.channelSize = this.size()
    this.#data.wakeAll()
  }

  /** @internal */ rollbackOverflow(n: number): void {
    if (n === 0) return
    this.drain.putFirstOverflow(n)
    this.counter.channelSize = this.size()
    this.#data.wakeAll()
  }
}

class SpillableTransaction extends BaseTransaction {
  readonly #ch: SpillableMemoryChannel
  #puts: Event[] = []
  readonly #memTakes: Event[] = []
  #memTakeSlots = 0
  #overflowTx: Transaction | undefined
  /** Events taken from the overflow (popped from its queue, including damaged ones it skipped). */
  #overflowTakes = 0
  #side: 'memory' | 'overflow' | undefined

  constructor(ch: SpillableMemoryChannel) {
    super(ch.name)
    this.#ch = ch
  }

  protected doPut(events: readonly Event[]): void {
    const ch = this.#ch
    ch.counter.eventPutAttemptCount += events.length
    ch.requireOpen()
    if (this.#puts.length + events.length > ch.transactionCapacity) {
      throw new ChannelError(
        `Put list of a transaction on spillable memory channel ${ch.name} is full (transactionCapacity ${ch.transactionCapacity}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    for (let i = 0; i < events.length; i++) this.#puts.push(events[i] as Event)
  }

  protected async doTake(max: number, signal?: AbortSignal): Promise<Event[]> {
    const ch = this.#ch
    ch.requireOpen()
    const taken = this.#memTakes.length + this.#overflowTakes
    const room = ch.transactionCapacity - taken
    if (room <= 0 && max > 0) {
      ch.counter.eventTakeAttemptCount++
      throw new ChannelError(
        `Take list of a transaction on spillable memory channel ${ch.name} is full (transactionCapacity ${ch.transactionCapacity}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    const want = Math.min(max, room)
    if (want <= 0) return []
    if (ch.drain.isEmpty) {
      await ch.waitForData(signal)
      if (this.state !== 'open' || ch.drain.isEmpty) {
        ch.counter.eventTakeAttemptCount++
        return []
      }
    }
    const head = ch.drain.front()
    // A transaction takes from one side only; the batch ends where the run on that side ends.
    this.#side ??= head > 0 ? 'memory' : 'overflow'
    let out: Event[] = []
    if (this.#side === 'memory') {
      if (head > 0) {
        const n = ch.popMemory(want, out)
        for (let i = 0; i < n; i++) this.#memTakeSlots += ch.slotsOf(out[i] as Event)
        for (const e of out) this.#memTakes.push(e)
      }
    } else if (head < 0) {
      const overflow = ch.overflow as FileChannel
      const n = Math.min(want, -head)
      this.#overflowTx ??= overflow.begin()
      // The drain order moves now, synchronously with the overflow's own queue (its take pops before any
      // await), so a concurrent transaction never reads the same run.
      const before = overflow.size()
      ch.drain.takeOverflow(n)
      const pending = this.#overflowTx.take(n)
      const popped = before - overflow.size()
      if (popped < n) ch.drain.putFirstOverflow(n - popped)
      this.#overflowTakes += popped
      out = await pending
    }
    ch.counter.eventTakeAttemptCount += out.length < max ? out.length + 1 : out.length
    return out
  }

  protected async doCommit(): Promise<void> {
    const ch = this.#ch
    ch.requireOpen()
    const puts = this.#puts
    let slots = 0
    for (let i = 0; i < puts.length; i++) slots += ch.slotsOf(puts[i] as Event)
    const toMemory = puts.length > 0 && (await ch.reserveMemory(puts.length, slots))
    try {
      if (puts.length > 0 && !toMemory) {
        this.#overflowTx ??= (ch.overflow as FileChannel).begin()
        this.#overflowTx.put(puts)
      }
      if (this.#overflowTx !== undefined) await this.#overflowTx.commit()
    } catch (e) {
      if (toMemory) ch.releaseMemory(puts.length, slots)
      throw e
    }
    this.#overflowTx?.close()
    this.#overflowTx = undefined
    ch.applyCommit(
      toMemory ? puts : undefined,
      toMemory ? 0 : puts.length,
      this.#memTakes.length,
      this.#memTakeSlots,
      this.#overflowTakes,
    )
    this.#reset()
  }

  protected async doRollback(): Promise<void> {
    const ch = this.#ch
    ch.rollbackMemory(this.#memTakes)
    if (this.#overflowTx !== undefined) {
      const tx = this.#overflowTx
      this.#overflowTx = undefined
      try {
        if (tx.state === 'open') await tx.rollback()
      } finally {
        tx.close()
        ch.rollbackOverflow(this.#overflowTakes)
      }
    }
    this.#reset()
  }

  #reset(): void {
    this.#puts = []
    this.#memTakes.length = 0
    this.#memTakeSlots = 0
    this.#overflowTakes = 0
    this.#side = undefined
  }
}

export function buildSpillable(
  name: string,
  cfg: SpillableMemoryConfig,
  sys: ReadonlyMap<string, string>,
  logger: Logger,
  opts: FileChannelOptions = {},
): SpillableMemoryChannel {
  const s = spillableSettings(cfg)
  let overflow: FileChannel | undefined
  if (s.overflowCapacity > 0) {
    // Flume compat: the overflow is a file channel with capacity = overflowCapacity; keep-alive is
    // overflowTimeout here (see the module header).
    const fc = resolveConfig({ ...cfg, capacity: s.overflowCapacity, keepAlive: cfg.overflowTimeout }, sys)
    overflow = new FileChannel(`${name}.overflow`, fc, logger.child({ part: 'overflow' }), opts)
  }
  return new SpillableMemoryChannel(name, s, overflow, logger)
}

export const spec = defineChannel({
  type: 'spillablememory',
  classNames: ['org.apache.flume.channel.SpillableMemoryChannel'],
  summary: 'Memory queue that spills to a file channel when full, keeping event order.',
  fields,
  validate(cfg) {
    const errors = cfg.overflowCapacity > 0 ? validateCommon(cfg) : []
    const s = spillableSettings(cfg)
    if (s.overflowCapacity > 0 && cfg.transactionCapacity > s.overflowCapacity) {
      errors.push(
        `transactionCapacity (${cfg.transactionCapacity}) cannot be higher than overflowCapacity (${s.overflowCapacity})`,
      )
    }
    return errors
  },
  transactionCapacity: (cfg) => cfg.transactionCapacity,
  build(cfg, ctx) {
    for (const [key, v] of [
      ['capacity', cfg.ignoredCapacity],
      ['keep-alive', cfg.ignoredKeepAlive],
    ] as const) {
      if (v !== undefined) {
        ctx.logger.warn(
          { property: key },
          `'${key}' is not used by the spillable memory channel (Flume overrides it: overflowCapacity and overflowTimeout apply)`,
        )
      }
    }
    const ch = buildSpillable(ctx.name, cfg, ctx.sys, ctx.logger)
    ctx.metrics.register(ch.counter)
    return ch
  },
})
