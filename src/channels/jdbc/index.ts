/**
 * `jdbc` channel (org.apache.flume.channel.jdbc.JdbcChannel): events kept in a database. Flume embedded
 * Derby; flumen embeds SQLite (node:sqlite, in a worker thread) by default, and uses PostgreSQL or
 * MariaDB/MySQL when `driver.url` names one (config.ts has the mapping, docs/jdbc-channel.md the rest).
 *
 * Crash guarantee: a commit resolves after the database committed it (SQLite: WAL with synchronous=FULL;
 * servers: their own durability settings). After a crash the channel holds exactly the committed,
 * not-taken events.
 *
 * How it works: the channel keeps the ids of its rows in memory, in order; a commit is one database
 * transaction that inserts the transaction's puts and deletes its takes; a take reads the rows it pops
 * (or serves recent puts from memory). Nothing is written for put(), take() or rollback(), so a rollback
 * is free and a crash in the middle of a transaction leaves nothing behind. Concurrent SQLite commits
 * share one SQLite transaction (group commit); server databases take them in parallel over the pool.
 *
 * Differences from Flume: Flume's JDBC channel stores each put and take immediately inside a database
 * transaction bound to the calling thread; here the database sees only commits. Flume has no capacity
 * wait, no transaction limit and no metrics for this channel; flumen adds `keep-alive` and
 * `transactionCapacity` (both off by default, as in Flume) and the standard channel counters. A full
 * channel (`maximum.capacity`) is a ChannelFullError, so sources push back.
 */

import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { parseProperties } from '../../config/properties.ts'
import type { Channel, Transaction } from '../../core/channel.ts'
import { BaseTransaction } from '../../core/channel.ts'
import { ChannelCounter } from '../../core/counters.ts'
import { ChannelError, ChannelFullError, describeError } from '../../core/errors.ts'
import { Event, newHeaders } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import { defineChannel } from '../../core/spec.ts'
import { RecentPuts } from '../util/recent-puts.ts'
import { RingDeque } from '../util/ring-deque.ts'
import { DataWaiters, SpaceGate } from '../util/waiters.ts'
import type { JdbcBackend, NewRow, SchemaOptions, StoredEvent } from './backend.ts'
import {
  isolationOf,
  type JdbcChannelConfig,
  type JdbcTarget,
  jdbcFields,
  jdbcWarnings,
  resolveTarget,
} from './config.ts'

export type { JdbcChannelConfig } from './config.ts'

const CACHE_BYTES = 16 * 1024 * 1024

export interface JdbcSettings {
  readonly target: JdbcTarget
  readonly schema: SchemaOptions
  readonly maxCapacity: number
  readonly keepAliveMs: number
  readonly transactionCapacity: number
  readonly maxConnections: number
  readonly isolation: ReturnType<typeof isolationOf>
  readonly username: string | undefined
  readonly password: string | undefined
  readonly propertiesFile: string | undefined
}

export function jdbcSettings(cfg: JdbcChannelConfig, target: JdbcTarget): JdbcSettings {
  return {
    target,
    schema: { createSchema: cfg.createSchema, createIndex: cfg.createIndex },
    maxCapacity: cfg.maxCapacity,
    keepAliveMs: cfg.keepAlive * 1000,
    transactionCapacity: cfg.transactionCapacity,
    maxConnections: cfg.maxConnections,
    isolation: isolationOf(cfg),
    username: cfg.username,
    password: cfg.password,
    propertiesFile: cfg.propertiesFile,
  }
}

/**
 * Builds the backend for the target, reading connection.properties.file (Flume: explicit user wins). Each
 * backend module (and its client library) is loaded only when a channel uses it.
 */
async function makeBackend(s: JdbcSettings): Promise<JdbcBackend> {
  const t = s.target
  if (t.kind === 'sqlite') {
    const { SqliteBackend } = await import('./sqlite.ts')
    return new SqliteBackend(t.file, t.dir)
  }
  const fileProps: Record<string, string> = {}
  if (s.propertiesFile !== undefined) {
    let text: Buffer
    try {
      text = await readFile(s.propertiesFile)
    } catch (e) {
      throw new Error(`cannot read connection.properties.file ${s.propertiesFile}: ${describeError(e)}`)
    }
    for (const e of parseProperties(text, s.propertiesFile).properties.values()) fileProps[e.key] = e.value
  }
  const extra = { ...fileProps, ...t.extra }
  const o = {
    host: t.host,
    port: t.port,
    database: t.database,
    user: s.username ?? t.user ?? fileProps.user,
    password: s.password ?? t.password ?? fileProps.password,
    maxConnections: s.maxConnections,
    isolation: s.isolation,
    extra,
  }
  if (t.kind === 'postgresql') {
    const { PostgresBackend } = await import('./postgres.ts')
    return new PostgresBackend(o)
  }
  const { MariaDbBackend } = await import('./mariadb.ts')
  return new MariaDbBackend(o)
}

export class JdbcChannel implements Channel {
  readonly name: string
  readonly durable = true
  readonly counter: ChannelCounter
  readonly #s: JdbcSettings
  readonly #logger: Logger
  readonly #component: string
  #backend: JdbcBackend | undefined
  #open = false
  #startError: string | undefined
  readonly #queue = new RingDeque<number>()
  #nextId = 1
  #gate: SpaceGate
  readonly #data = new DataWaiters()
  readonly #cache: RecentPuts
  readonly #errors: RateLimitedLog

  constructor(name: string, s: JdbcSettings, logger: Logger, opts: { cacheBytes?: number } = {}) {
    this.name = name
    this.#s = s
    this.#logger = logger
    this.#component = `CHANNEL.${name}`
    this.counter = new ChannelCounter(name)
    this.counter.channelCapacity = s.maxCapacity
    this.counter.extra.set('EventPutErrorCount', 0)
    this.counter.extra.set('EventTakeErrorCount', 0)
    this.#gate = new SpaceGate(s.maxCapacity > 0 ? s.maxCapacity : Number.MAX_SAFE_INTEGER)
    this.#cache = new RecentPuts(opts.cacheBytes ?? CACHE_BYTES)
    this.#errors = new RateLimitedLog(logger, 5000)
  }

  get transactionCapacity(): number | undefined {
    return this.#s.transactionCapacity > 0 ? this.#s.transactionCapacity : undefined
  }

  get description(): string {
    return this.#backend?.description ?? this.#s.target.kind
  }

  size(): number {
    return this.#queue.size
  }

  begin(): Transaction {
    return new JdbcTransaction(this)
  }

  async start(): Promise<void> {
    if (this.#open) return
    this.counter.start()
    let backend: JdbcBackend | undefined
    try {
      backend = await makeBackend(this.#s)
      await backend.open(this.name, this.#s.schema)
      const ids = await backend.loadIds(this.name)
      this.#queue.clear()
      this.#queue.pushBackAll(ids)
      this.#nextId = ids.length > 0 ? (ids[ids.length - 1] as number) + 1 : 1
      this.#gate = new SpaceGate(this.#s.maxCapacity > 0 ? this.#s.maxCapacity : Number.MAX_SAFE_INTEGER)
      this.#gate.force(ids.length)
      this.#cache.clear()
      this.#backend = backend
      this.#open = true
      this.#startError = undefined
      this.counter.channelSize = this.#queue.size
      if (this.#s.maxCapacity > 0 && ids.length > this.#s.maxCapacity) {
        this.#logger.warn(
          { events: ids.length, capacity: this.#s.maxCapacity },
          'JDBC channel holds more events than maximum.capacity; puts are refused until it drains',
        )
      }
      this.#logger.info({ database: backend.description, events: ids.length }, 'JDBC channel open')
    } catch (e) {
      await backend?.close().catch(() => {})
      this.#startError = describeError(e)
      throw new ChannelError(`JDBC channel ${this.name} failed to start: ${describeError(e)}`, {
        cause: e,
        component: this.#component,
      })
    }
  }

  async stop(): Promise<void> {
    this.#open = false
    this.#data.wakeAll()
    this.#gate.cancelAll()
    const b = this.#backend
    this.#backend = undefined
    await b?.close()
    this.counter.channelSize = this.#queue.size
    this.counter.stop()
  }

  /** @internal */ requireOpen(): JdbcBackend {
    if (this.#open && this.#backend !== undefined) return this.#backend
    throw new ChannelError(
      `JDBC channel ${this.name} is not open${this.#startError === undefined ? '' : `: ${this.#startError}`}`,
      { component: this.#component, code: 'FLUME_ERR_CHANNEL_CLOSED' },
    )
  }

  /** @internal Pops up to `max` ids (waiting up to keep-alive for one) and reads their events. */
  async take(tx: JdbcTransaction, max: number, signal?: AbortSignal): Promise<Event[]> {
    const backend = this.requireOpen()
    const ids: number[] = []
    let n = this.#queue.popFrontInto(max, ids)
    if (n === 0) {
      await this.#data.wait(this.#s.keepAliveMs, signal)
      if (tx.state !== 'open' || !this.#open) return []
      n = this.#queue.popFrontInto(max, ids)
    }
    if (n === 0) return []
    for (const id of ids) tx.takes.push(id)
    this.counter.channelSize = this.#queue.size
    const out: (Event | undefined)[] = new Array(n)
    const misses: number[] = []
    for (let i = 0; i < n; i++) {
      const e = this.#cache.get(ids[i] as number)
      if (e !== undefined) out[i] = e
      else misses.push(i)
    }
    if (misses.length > 0) {
      let rows: StoredEvent[]
      try {
        rows = await backend.fetch(
          this.name,
          misses.map((i) => ids[i] as number),
        )
      } catch (e) {
        this.counter.add('EventTakeErrorCount', n)
        throw new ChannelError(
          `JDBC channel ${this.name}: take failed reading ${backend.description}: ${describeError(e)}`,
          {
            cause: e,
            component: this.#component,
          },
        )
      }
      const byId = new Map(rows.map((r) => [r.id, r]))
      for (const i of misses) {
        const r = byId.get(ids[i] as number)
        if (r === undefined) {
          this.counter.add('EventTakeErrorCount')
          this.#errors.error(
            { id: ids[i], database: backend.description },
            'An event of the JDBC channel is missing from the database (deleted outside flumen?): skipped',
          )
          continue
        }
        try {
          out[i] = new Event(r.body, newHeaders(JSON.parse(r.headers) as Record<string, string>))
        } catch (e) {
          this.counter.add('EventTakeErrorCount')
          this.#errors.error(
            { id: r.id, error: describeError(e) },
            'An event of the JDBC channel has unreadable headers: skipped',
          )
        }
      }
    }
    return out.filter((e): e is Event => e !== undefined)
  }

  /** @internal One database transaction: insert the puts, delete the takes. */
  async commit(puts: Event[], takes: readonly number[]): Promise<void> {
    const backend = this.requireOpen()
    if (puts.length === 0 && takes.length === 0) return
    const need = puts.length - takes.length
    let reserved = 0
    if (need > 0 && this.#s.maxCapacity > 0) {
      const ok =
        this.#gate.tryReserve(need) ||
        (await this.#gate.reserve(need, 0, this.#open ? this.#s.keepAliveMs : 0))
      if (!ok) {
        throw new ChannelFullError(
          `JDBC channel ${this.name} is full (maximum.capacity ${this.#s.maxCapacity}); sinks are not keeping up, or the capacity is too small`,
          { component: this.#component },
        )
      }
      reserved = need
    }
    const first = this.#nextId
    this.#nextId += puts.length
    const rows: NewRow[] = new Array(puts.length)
    let bytes = 0
    for (let i = 0; i < puts.length; i++) {
      const e = puts[i] as Event
      rows[i] = { id: first + i, headers: JSON.stringify(e.headers), body: e.body }
      bytes += e.body.length + 64
    }
    try {
      await backend.commit(this.name, rows, takes)
    } catch (e) {
      if (reserved > 0) this.#gate.release(reserved)
      if (puts.length > 0) this.counter.add('EventPutErrorCount', puts.length)
      throw new ChannelError(
        `JDBC channel ${this.name}: commit failed in ${backend.description}: ${describeError(e)}`,
        {
          cause: e,
          component: this.#component,
        },
      )
    }
    if (puts.length > 0) {
      for (let i = 0; i < puts.length; i++) this.#queue.pushBack(first + i)
      this.#cache.add(first, puts, bytes)
      this.counter.eventPutSuccessCount += puts.length
      this.#data.wakeAll()
    }
    if (this.#s.maxCapacity > 0 && need < 0) this.#gate.release(-need)
    this.counter.eventTakeSuccessCount += takes.length
    this.counter.channelSize = this.#queue.size
  }

  /** @internal */ rollback(takes: readonly number[]): void {
    if (takes.length === 0) return
    this.#queue.pushFrontAll(takes)
    this.counter.channelSize = this.#queue.size
    this.#data.wakeAll()
  }
}

class JdbcTransaction extends BaseTransaction {
  readonly #ch: JdbcChannel
  #puts: Event[] = []
  readonly takes: number[] = []

  constructor(ch: JdbcChannel) {
    super(ch.name)
    this.#ch = ch
  }

  protected doPut(events: readonly Event[]): void {
    const ch = this.#ch
    ch.counter.eventPutAttemptCount += events.length
    ch.requireOpen()
    const cap = ch.transactionCapacity
    if (cap !== undefined && this.#puts.length + events.length > cap) {
      throw new ChannelError(
        `Put list of a transaction on JDBC channel ${ch.name} is full (transactionCapacity ${cap}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    for (let i = 0; i < events.length; i++) this.#puts.push(events[i] as Event)
  }

  protected async doTake(max: number, signal?: AbortSignal): Promise<Event[]> {
    const ch = this.#ch
    const cap = ch.transactionCapacity
    const room = cap === undefined ? max : cap - this.takes.length
    if (room <= 0 && max > 0) {
      ch.counter.eventTakeAttemptCount++
      throw new ChannelError(
        `Take list of a transaction on JDBC channel ${ch.name} is full (transactionCapacity ${cap}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    const want = Math.min(max, room)
    if (want <= 0) return []
    const before = this.takes.length
    const got = await ch.take(this, want, signal)
    const n = this.takes.length - before
    ch.counter.eventTakeAttemptCount += n < max ? n + 1 : n
    return got
  }

  protected async doCommit(): Promise<void> {
    await this.#ch.commit(this.#puts, this.takes)
    this.#puts = []
    this.takes.length = 0
  }

  protected async doRollback(): Promise<void> {
    this.#ch.rollback(this.takes)
    this.#puts = []
    this.takes.length = 0
  }
}

export const spec = defineChannel({
  type: 'jdbc',
  classNames: ['org.apache.flume.channel.jdbc.JdbcChannel'],
  summary: 'Events in a database: embedded SQLite by default, PostgreSQL or MariaDB/MySQL by URL.',
  fields: jdbcFields,
  validate(cfg) {
    const t = resolveTarget(cfg, new Map())
    return typeof t === 'string' ? [t] : []
  },
  build(cfg, ctx) {
    const t = resolveTarget(cfg, ctx.sys)
    if (typeof t === 'string') throw new ChannelError(t, { component: `CHANNEL.${ctx.name}` })
    for (const w of jdbcWarnings(cfg, t)) ctx.logger.warn(w)
    const ch = new JdbcChannel(ctx.name, jdbcSettings(cfg, t), ctx.logger)
    ctx.metrics.register(ch.counter)
    return ch
  },
})
