/**
 * Kafka channel (org.apache.flume.channel.kafka.KafkaChannel; Flume registers it by class name only,
 * flumen also answers to `kafka`). The channel's events live in a Kafka topic: a replicated, durable
 * buffer shared by every agent of the consumer group.
 *
 * Transactions (reference §4.6):
 * - puts are held in the transaction and produced on commit; the commit resolves once the broker
 *   acknowledged every record (`kafka.producer.acks`, default `all`) and fails with ChannelError
 *   otherwise, so the source retries;
 * - takes hand out, first, events of rolled-back takes (in rollback order), then records from the
 *   consumer; a take commit commits the consumed offsets (synchronously; a failed offset commit is logged
 *   and retried with the next one: the events may come again after a crash, never get lost);
 * - a take rollback keeps its events in memory and hands them out again first (RollbackCount).
 *
 * Crash guarantee: whatever a put commit acknowledged survives a crash of this agent (and, with
 * replication, of a broker); a take whose commit did not complete is delivered again after a restart.
 *
 * With parseAsFlumeEvent (default) records are Avro AvroFlumeEvent datums, the format Java Flume's Kafka
 * channel writes, so Java and flumen agents can share a channel topic; without it, records are raw bodies
 * and headers are lost. The `key` header becomes the record key; a record key becomes the `key` header.
 *
 * Several sinks can take from one channel concurrently: a take commit commits a partition's offset only
 * up to the oldest event still held by another transaction (../protocols/kafka/offset-tracker.ts).
 * The consumer is created on the first take, so a channel only written to (a fast way into Kafka) never
 * joins the group. A take waits, bounded, until the consumer has fetched what this channel's own put
 * commits wrote to the partitions it owns, then up to `kafka.pollTimeout` for a first record.
 *
 * Differences from Flume: mixed transactions (puts and takes) apply both on commit; a record that is not
 * a valid AvroFlumeEvent is skipped with a warning (Flume throws once per take and moves past it);
 * `pollTimeout`, which Flume's user guide documents but its code ignores, is honoured as an alias of
 * kafka.pollTimeout. ChannelSize/ChannelCapacity stay 0 as in Flume; size() (used to drain at shutdown)
 * counts events held for redelivery plus records fetched and not yet taken.
 */

import type { Logger } from 'pino'
import type { Channel, Transaction } from '../core/channel.ts'
import { BaseTransaction } from '../core/channel.ts'
import { ChannelCounter } from '../core/counters.ts'
import { ChannelError, describeError } from '../core/errors.ts'
import { Event, newHeaders } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { bool, custom, defineChannel, int, long, str } from '../core/spec.ts'
import { decodeFlumeEvent, encodeFlumeEventsSeparately } from '../protocols/avro/flume-event.ts'
import type {
  ClientLog,
  ConsumerSettings,
  IncomingRecord,
  KafkaBackend,
  KafkaConsumer,
  KafkaProducer,
  OutgoingRecord,
  ProducerSettings,
} from '../protocols/kafka/client.ts'
import {
  clientLog,
  clientPropsField,
  consumerFor,
  javaInt,
  kafkaChannelCounter,
  loadBackend,
  parseBootstrapList,
  producerFor,
} from '../protocols/kafka/flume.ts'
import { OffsetTracker, type Ticket } from '../protocols/kafka/offset-tracker.ts'

/** Longest a take waits for the consumer to join and catch up with this channel's own writes. */
const CATCH_UP_MS = 5_000

export interface KafkaChannelOptions {
  readonly topic: string
  readonly parseAsFlumeEvent: boolean
  readonly pollTimeoutMs: number
  readonly defaultPartitionId: number | undefined
  readonly partitionIdHeader: string | undefined
  /** flumen extension: most puts or takes per transaction (Flume's Kafka channel has no limit). */
  readonly transactionCapacity: number | undefined
  readonly producer: ProducerSettings
  readonly consumer: ConsumerSettings
}

/** One contiguous run of events from one partition held by a transaction (or waiting after rollback). */
interface Piece {
  ticket: Ticket
  events: Event[]
  /** Offset of each event (records skipped as malformed have none). */
  offsets: number[]
}

export class KafkaChannel implements Channel {
  readonly name: string
  readonly counter: ChannelCounter
  /** Committed events live in Kafka: a reload replaces the channel without moving events. */
  readonly durable = true
  readonly #o: KafkaChannelOptions
  readonly #backend: KafkaBackend
  readonly #log: Logger
  readonly #clientLog: ClientLog
  readonly #readErrors: RateLimitedLog
  readonly #commitErrors: RateLimitedLog
  #producer: KafkaProducer | undefined
  #consumer: KafkaConsumer | undefined
  #tracker = new OffsetTracker()
  /** Pieces of rolled-back takes, handed out again first. */
  readonly #failed: Piece[] = []
  /** Offsets the consumer must reach to see this channel's acknowledged writes (owned partitions). */
  readonly #written = new Map<string, Map<number, number>>()
  #commitWanted = 0
  #commitDone = 0
  #committing: Promise<void> | undefined
  #started = false

  constructor(name: string, o: KafkaChannelOptions, backend: KafkaBackend, logger: Logger) {
    this.name = name
    this.#o = o
    this.#backend = backend
    this.#log = logger
    this.#clientLog = clientLog(logger)
    this.#readErrors = new RateLimitedLog(logger, 10_000)
    this.#commitErrors = new RateLimitedLog(logger, 10_000)
    this.counter = kafkaChannelCounter(new ChannelCounter(name))
  }

  get transactionCapacity(): number | undefined {
    return this.#o.transactionCapacity
  }

  get options(): KafkaChannelOptions {
    return this.#o
  }

  size(): number {
    let n = this.#consumer?.buffered ?? 0
    for (const p of this.#failed) n += p.events.length
    return n
  }

  async start(): Promise<void> {
    this.counter.start()
    this.#producer = this.#backend.createProducer(this.#o.producer, this.#clientLog)
    this.#started = true
    this.#log.info(
      { topic: this.#o.topic, group: this.#o.consumer.groupId, parseAsFlumeEvent: this.#o.parseAsFlumeEvent },
      'Kafka channel started',
    )
  }

  async stop(): Promise<void> {
    this.#started = false
    const consumer = this.#consumer
    const producer = this.#producer
    this.#consumer = undefined
    this.#producer = undefined
    if (consumer !== undefined) {
      await this.#flushCommits(consumer)
      await consumer.close()
    }
    await producer?.close()
    // Rolled-back events are still in Kafka (their offsets were not committed): a restart reads them again.
    this.#failed.length = 0
    this.#written.clear()
    this.#tracker = new OffsetTracker()
    this.counter.stop()
  }

  begin(): Transaction {
    return new KafkaTransaction(this)
  }

  // --- used by KafkaTransaction --------------------------------------------------------------------

  /** @internal */ get txLimit(): number {
    return this.#o.transactionCapacity ?? Number.POSITIVE_INFINITY
  }

  /** @internal Validates the partition of an event at put time (Flume throws from doPut). */
  partitionOf(e: Event): number | undefined {
    let partition = this.#o.defaultPartitionId
    const h = this.#o.partitionIdHeader
    if (h !== undefined) {
      const v = e.headers[h]
      if (v !== undefined) {
        partition = javaInt(v)
        if (partition === undefined) {
          throw new ChannelError(
            `Kafka channel ${this.name}: non integer partition id specified in header ${h}: '${v}'`,
            {
              component: `CHANNEL.${this.name}`,
            },
          )
        }
      }
    }
    return partition
  }

  /** @internal Produces a transaction's puts; resolves once acknowledged. */
  async produce(events: readonly Event[], partitions: readonly (number | undefined)[]): Promise<void> {
    const p = this.#producer
    if (p === undefined)
      throw new ChannelError(`Kafka channel ${this.name} is not started`, {
        component: `CHANNEL.${this.name}`,
      })
    const values = this.#o.parseAsFlumeEvent ? encodeFlumeEventsSeparately(events) : undefined
    const records = new Array<OutgoingRecord>(events.length)
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as Event
      const key = e.headers.key
      records[i] = {
        topic: this.#o.topic,
        partition: partitions[i],
        key: key === undefined ? undefined : Buffer.from(key, 'utf8'),
        value: values !== undefined ? (values[i] as Buffer) : e.body,
        timestamp: undefined,
        headers: undefined,
      }
    }
    const t0 = performance.now()
    let written: Map<string, Map<number, number>>
    try {
      written = await p.send(records)
    } catch (e) {
      throw new ChannelError(
        `Kafka channel ${this.name}: commit failed as send to Kafka failed: ${describeError(e)}`,
        {
          cause: e,
          component: `CHANNEL.${this.name}`,
        },
      )
    }
    this.counter.add('KafkaEventSendTimer', Math.round(performance.now() - t0))
    this.counter.eventPutSuccessCount += events.length
    for (const [t, m] of written) {
      let w = this.#written.get(t)
      if (w === undefined) this.#written.set(t, (w = new Map()))
      for (const [part, o] of m) if ((w.get(part) ?? -1) < o) w.set(part, o)
    }
  }

  #ensureConsumer(): KafkaConsumer {
    let c = this.#consumer
    if (c === undefined) {
      if (!this.#started)
        throw new ChannelError(`Kafka channel ${this.name} is not started`, {
          component: `CHANNEL.${this.name}`,
        })
      const tracker = this.#tracker
      c = this.#backend.createConsumer(this.#o.consumer, { topics: [this.#o.topic] }, this.#clientLog, {
        revoked: (parts) => {
          for (const tp of parts) {
            tracker.retire(tp.topic, tp.partition)
            this.#written.get(tp.topic)?.delete(tp.partition)
          }
        },
        assigned: () => {},
      })
      this.#consumer = c
      c.start().catch((e: unknown) =>
        this.#log.warn({ error: describeError(e) }, 'Kafka channel consumer could not start; retrying'),
      )
    }
    return c
  }

  /** @internal Takes up to `max` events into `pieces`. */
  async takeInto(max: number, pieces: Piece[], signal: AbortSignal | undefined): Promise<Event[]> {
    const out: Event[] = []
    // 1. Events of rolled-back takes, oldest rollback first.
    while (out.length < max && this.#failed.length > 0) {
      const p = this.#failed[0] as Piece
      if (p.ticket.ledger.retired) {
        // The partition moved (or was re-assigned): its new owner reads these again from the committed offset.
        this.#failed.shift()
        continue
      }
      const want = max - out.length
      if (p.events.length <= want) {
        this.#failed.shift()
        pieces.push(p)
        for (const e of p.events) out.push(e)
      } else {
        const rest = this.#tracker.split(p.ticket, p.offsets[want] as number)
        const head: Piece = {
          ticket: p.ticket,
          events: p.events.slice(0, want),
          offsets: p.offsets.slice(0, want),
        }
        this.#failed[0] = { ticket: rest, events: p.events.slice(want), offsets: p.offsets.slice(want) }
        pieces.push(head)
        for (const e of head.events) out.push(e)
      }
    }
    if (out.length >= max) return out
    // 2. Records from the consumer.
    const c = this.#ensureConsumer()
    const t0 = performance.now()
    await c.awaitPositions(this.#written, CATCH_UP_MS + this.#o.pollTimeoutMs, signal)
    this.#pruneWritten()
    const records = await c.poll(max - out.length, out.length > 0 ? 0 : this.#o.pollTimeoutMs, signal)
    if (records.length > 0) {
      this.counter.add('KafkaEventGetTimer', Math.round(performance.now() - t0))
      let i = 0
      while (i < records.length) {
        const first = records[i] as IncomingRecord
        let j = i + 1
        while (
          j < records.length &&
          (records[j] as IncomingRecord).partition === first.partition &&
          (records[j] as IncomingRecord).topic === first.topic
        )
          j++
        const last = records[j - 1] as IncomingRecord
        const piece: Piece = {
          ticket: this.#tracker.issue(first.topic, first.partition, first.offset, last.offset + 1),
          events: [],
          offsets: [],
        }
        for (let k = i; k < j; k++) {
          const r = records[k] as IncomingRecord
          const e = this.#toEvent(r)
          if (e !== undefined) {
            piece.events.push(e)
            piece.offsets.push(r.offset)
            out.push(e)
          }
        }
        pieces.push(piece)
        i = j
      }
    }
    return out
  }

  #pruneWritten(): void {
    // Writes the consumer has read past need no more waiting; the map stays small.
    const c = this.#consumer
    if (c === undefined || this.#written.size === 0) return
    for (const [t, m] of this.#written) {
      for (const [p, o] of m) if ((c.position(t, p) ?? -1) >= o) m.delete(p)
      if (m.size === 0) this.#written.delete(t)
    }
  }

  #toEvent(r: IncomingRecord): Event | undefined {
    let e: Event
    if (this.#o.parseAsFlumeEvent) {
      try {
        const d = decodeFlumeEvent(r.value ?? Buffer.alloc(0))
        e = new Event(d.body, newHeaders(d.headers))
      } catch (err) {
        this.#readErrors.warn(
          { topic: r.topic, partition: r.partition, offset: r.offset, error: describeError(err) },
          'Kafka channel record is not an Avro FlumeEvent; skipped (is parseAsFlumeEvent right for this topic?)',
        )
        return undefined
      }
    } else {
      e = new Event(r.value ?? Buffer.alloc(0))
    }
    if (r.key !== null) e.headers.key = r.key.toString('utf8')
    return e
  }

  /** @internal A take transaction committed: its events are delivered; commit what the offsets allow. */
  async takesCommitted(pieces: readonly Piece[], events: number): Promise<void> {
    this.counter.eventTakeSuccessCount += events
    if (pieces.length === 0) return
    this.#tracker.complete(pieces.map((p) => p.ticket))
    const c = this.#consumer
    if (c !== undefined) await this.#flushCommits(c)
  }

  /** @internal A take transaction rolled back: hand its events out again first. */
  takesRolledBack(pieces: readonly Piece[], events: number): void {
    for (const p of pieces) this.#failed.push(p)
    if (events > 0) this.counter.add('RollbackCount', events)
  }

  /**
   * Commits what the tracker allows, one commit at a time: a caller returns once a commit that started
   * after its tickets completed has finished (so the offsets it made committable are covered).
   */
  async #flushCommits(c: KafkaConsumer): Promise<void> {
    const mine = ++this.#commitWanted
    while (this.#commitDone < mine) {
      if (this.#committing !== undefined) {
        await this.#committing
        continue
      }
      const target = this.#commitWanted
      const due = this.#tracker.due()
      this.#committing = (async () => {
        if (due.size > 0) {
          const t0 = performance.now()
          try {
            await c.commit(due)
            this.#tracker.committed(due)
          } catch (e) {
            // Flume compat: a failed offset commit is logged and the take still succeeds.
            this.#commitErrors.warn(
              { error: describeError(e) },
              'Could not commit Kafka channel offsets; retrying with the next commit',
            )
          }
          this.counter.add('KafkaCommitTimer', Math.round(performance.now() - t0))
        }
      })().finally(() => {
        this.#commitDone = Math.max(this.#commitDone, target)
        this.#committing = undefined
      })
      await this.#committing
    }
  }
}

class KafkaTransaction extends BaseTransaction {
  readonly #ch: KafkaChannel
  readonly #puts: Event[] = []
  readonly #partitions: (number | undefined)[] = []
  readonly #pieces: Piece[] = []
  #taken = 0

  constructor(ch: KafkaChannel) {
    super(ch.name)
    this.#ch = ch
  }

  protected doPut(events: readonly Event[]): void {
    const ch = this.#ch
    if (this.#puts.length + events.length > ch.txLimit) {
      throw new ChannelError(
        `Put list of a transaction on Kafka channel ${ch.name} is full (transactionCapacity ${ch.txLimit})`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    const parts: (number | undefined)[] = []
    for (const e of events) parts.push(ch.partitionOf(e))
    ch.counter.eventPutAttemptCount += events.length
    for (let i = 0; i < events.length; i++) {
      this.#puts.push(events[i] as Event)
      this.#partitions.push(parts[i])
    }
  }

  protected async doTake(max: number, signal?: AbortSignal): Promise<Event[]> {
    const ch = this.#ch
    const room = ch.txLimit - this.#taken
    if (room <= 0 && max > 0) {
      throw new ChannelError(
        `Take list of a transaction on Kafka channel ${ch.name} is full (transactionCapacity ${ch.txLimit})`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    const want = Math.min(max, room)
    if (want <= 0) return []
    let got: Event[]
    try {
      got = await ch.takeInto(want, this.#pieces, signal)
    } catch (e) {
      if (e instanceof ChannelError) throw e
      throw new ChannelError(
        `Kafka channel ${ch.name}: error while getting events from Kafka: ${describeError(e)}`,
        {
          cause: e,
          component: `CHANNEL.${ch.name}`,
        },
      )
    }
    this.#taken += got.length
    ch.counter.eventTakeAttemptCount += got.length
    return got
  }

  protected async doCommit(): Promise<void> {
    if (this.#puts.length > 0) {
      await this.#ch.produce(this.#puts, this.#partitions)
      this.#puts.length = 0
      this.#partitions.length = 0
    }
    if (this.#pieces.length > 0 || this.#taken > 0) {
      const pieces = this.#pieces.splice(0)
      const n = this.#taken
      this.#taken = 0
      await this.#ch.takesCommitted(pieces, n)
    }
  }

  protected async doRollback(): Promise<void> {
    this.#puts.length = 0
    this.#partitions.length = 0
    const pieces = this.#pieces.splice(0)
    this.#ch.takesRolledBack(pieces, this.#taken)
    this.#taken = 0
  }
}

export const spec = defineChannel({
  type: 'kafka',
  classNames: ['org.apache.flume.channel.kafka.KafkaChannel'],
  summary: 'Events stored in a Kafka topic: a replicated, durable channel shared by a consumer group.',
  fields: {
    bootstrapServers: custom({
      key: 'kafka.bootstrap.servers',
      aliases: ['brokerList'],
      required: true,
      typeName: 'host:port list',
      doc: 'Brokers to bootstrap from, comma-separated host:port.',
      parse: parseBootstrapList,
    }),
    topic: str({
      key: 'kafka.topic',
      aliases: ['topic'],
      default: 'flume-channel',
      doc: 'Topic holding the events.',
    }),
    groupId: str({
      key: 'kafka.consumer.group.id',
      aliases: ['groupId'],
      default: 'flume',
      doc: 'Consumer group of the channel (agents sharing it share the events).',
    }),
    parseAsFlumeEvent: bool({
      key: 'parseAsFlumeEvent',
      default: true,
      doc: 'Store events as Avro AvroFlumeEvent datums (headers kept); false stores bodies only.',
    }),
    pollTimeout: long({
      key: 'kafka.pollTimeout',
      aliases: ['pollTimeout'],
      default: 500,
      min: 0,
      doc: 'How long (ms) a take waits for a first record.',
    }),
    defaultPartitionId: int({ key: 'defaultPartitionId', min: 0, doc: 'Partition for every event.' }),
    partitionIdHeader: str({
      key: 'partitionIdHeader',
      doc: 'Header holding the partition for the event; a non-integer value fails the put.',
    }),
    readSmallestOffset: bool({
      key: 'readSmallestOffset',
      doc: 'Deprecated: true = kafka.consumer.auto.offset.reset earliest, false = latest (only when that key is not set).',
    }),
    migrateZookeeperOffsets: bool({
      key: 'migrateZookeeperOffsets',
      doc: 'Flume 1.7 migration of offsets stored in ZooKeeper by Flume 1.6 (default true, effective only with zookeeperConnect): accepted with a warning, not performed.',
    }),
    zookeeperConnect: str({
      key: 'zookeeperConnect',
      doc: 'Deprecated ZooKeeper address; only used for offset migration, which is not supported.',
    }),
    transactionCapacity: int({
      key: 'transactionCapacity',
      min: 1,
      doc: 'flumen extension: most puts or takes per transaction (Flume has no limit for this channel).',
    }),
    producer: clientPropsField('producer'),
    consumer: clientPropsField('consumer'),
  },
  async build(cfg, ctx) {
    const env = {
      agentName: ctx.agentName,
      name: ctx.name,
      kind: 'CHANNEL' as const,
      sys: ctx.sys,
      logger: ctx.logger,
    }
    if (cfg.migrateZookeeperOffsets !== undefined || cfg.zookeeperConnect !== undefined) {
      ctx.logger.warn(
        {
          migrateZookeeperOffsets: cfg.migrateZookeeperOffsets ?? true,
          zookeeperConnect: cfg.zookeeperConnect,
        },
        'migrateZookeeperOffsets: offsets that Flume 1.6 stored in ZooKeeper are not migrated; the group starts from its Kafka-committed offsets (or auto.offset.reset)',
      )
    }
    const consumerDefaults: Record<string, string> = {
      'key.deserializer': 'org.apache.kafka.common.serialization.StringDeserializer',
      'value.deserializer': 'org.apache.kafka.common.serialization.ByteArrayDeserializer',
      // Flume compat: the channel's default is earliest (its user guide says latest).
      'auto.offset.reset': 'earliest',
    }
    const user = new Map(cfg.consumer)
    if (cfg.readSmallestOffset !== undefined) {
      ctx.logger.warn(
        { property: 'readSmallestOffset' },
        'readSmallestOffset is deprecated; use kafka.consumer.auto.offset.reset',
      )
      // Flume compat: only applies when auto.offset.reset is not set.
      if (!user.has('auto.offset.reset'))
        user.set('auto.offset.reset', cfg.readSmallestOffset ? 'earliest' : 'latest')
    }
    const producer = await producerFor(
      cfg.bootstrapServers,
      cfg.producer,
      {
        acks: 'all',
        'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
        'value.serializer': 'org.apache.kafka.common.serialization.ByteArraySerializer',
      },
      env,
    )
    const consumer = await consumerFor(cfg.bootstrapServers, cfg.groupId, user, consumerDefaults, env)
    const ch = new KafkaChannel(
      ctx.name,
      {
        topic: cfg.topic,
        parseAsFlumeEvent: cfg.parseAsFlumeEvent,
        pollTimeoutMs: cfg.pollTimeout,
        defaultPartitionId: cfg.defaultPartitionId,
        partitionIdHeader: cfg.partitionIdHeader,
        transactionCapacity: cfg.transactionCapacity,
        producer,
        consumer,
      },
      await loadBackend(),
      ctx.logger,
    )
    ctx.metrics.register(ch.counter)
    return ch
  },
})
