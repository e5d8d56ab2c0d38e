/**
 * The small Kafka client interface flumen's Kafka source, sink and channel are written against. One backend
 * implements it today (`./platformatic.ts`, on the pure-TypeScript @platformatic/kafka client); another
 * (librdkafka, for GSSAPI or pre-3.5 brokers) can be added without touching the components.
 *
 * The shapes follow what Flume's components need from the Java client, not the Java API itself:
 * - a producer that sends one Flume batch and resolves once the broker acknowledged every record (Flume's
 *   `send` for each event, `flush()`, then `future.get()` on each);
 * - a group consumer with Java's poll model: records are prefetched in the background into a bounded
 *   buffer, `poll(max, timeout)` hands out what is there (waiting up to `timeout` for the first record),
 *   offsets are committed only when the caller says so (`enable.auto.commit` is always false in Flume).
 *
 * Settings are already translated from Java client property names (see ./java-config.ts), so a backend
 * never sees `kafka.producer.*` strings.
 */

import type { ConnectionOptions } from 'node:tls'

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface SaslSettings {
  readonly mechanism: SaslMechanism
  readonly username: string
  readonly password: string
}

/** Settings shared by producers and consumers. */
export interface ClientSettings {
  /** `host:port` entries (Java's bootstrap.servers). */
  readonly bootstrap: readonly string[]
  readonly clientId: string
  readonly clientRack: string | undefined
  /** node:tls options when security.protocol is SSL or SASL_SSL; undefined for plaintext. */
  readonly tls: ConnectionOptions | undefined
  readonly sasl: SaslSettings | undefined
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly metadataMaxAgeMs: number
  /** Attempts after the first for retriable failures, and the pause between them. */
  readonly retries: number
  readonly retryBackoffMs: number
}

export type Acks = -1 | 0 | 1
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
/** How records without a partition and without a key are spread (Java 2.7's default is sticky per batch). */
export type UnkeyedPartitioning = 'sticky' | 'round-robin'

export interface ProducerSettings extends ClientSettings {
  readonly acks: Acks
  readonly compression: Compression
  readonly idempotent: boolean
  /** Largest produce request we build; bigger Flume batches are sent in several requests, in order. */
  readonly maxRequestBytes: number
  /** Give up on a send after this long (Java's delivery.timeout.ms). */
  readonly deliveryTimeoutMs: number
  readonly unkeyed: UnkeyedPartitioning
}

export type OffsetReset = 'earliest' | 'latest' | 'none'
export type AssignmentStrategy = 'range' | 'roundrobin'

export interface ConsumerSettings extends ClientSettings {
  readonly groupId: string
  readonly groupInstanceId: string | undefined
  readonly autoOffsetReset: OffsetReset
  readonly sessionTimeoutMs: number
  readonly heartbeatIntervalMs: number
  /** Java's max.poll.interval.ms: how long the group waits for members to rejoin during a rebalance. */
  readonly rebalanceTimeoutMs: number
  readonly fetchMinBytes: number
  readonly fetchMaxBytes: number
  readonly maxPartitionFetchBytes: number
  readonly fetchMaxWaitMs: number
  readonly readCommitted: boolean
  /** Whether subscribing to a missing topic creates it (Java's allow.auto.create.topics, default true). */
  readonly autoCreateTopics: boolean
  /** Assignors offered to the group, in preference order (Java's partition.assignment.strategy). */
  readonly assignmentStrategies: readonly AssignmentStrategy[]
}

/** One record to produce. `partition` undefined: by key (Java's murmur2), else per `unkeyed`. */
export interface OutgoingRecord {
  readonly topic: string
  readonly partition: number | undefined
  readonly key: Buffer | undefined
  readonly value: Buffer
  /** Epoch ms; undefined lets the client stamp it (CreateTime = now), as Java does. */
  readonly timestamp: number | undefined
  readonly headers: ReadonlyArray<readonly [string, Buffer]> | undefined
}

export interface KafkaProducer {
  /**
   * Sends the records and resolves once every one was acknowledged per `acks` (immediately after writing
   * with acks = 0). Rejects when any record could not be delivered within the retry budget; records of
   * the batch may then have been written (at-least-once, as Java's producer without idempotence).
   * Resolves with, per partition written, an offset a consumer has reached once it fetched the whole
   * batch (the base offset of the last request + 1: record batches are fetched whole); empty with acks 0.
   */
  send(records: readonly OutgoingRecord[]): Promise<Map<string, Map<number, number>>>
  /** Closes connections; an in-flight `send` is failed rather than retried further. */
  close(): Promise<void>
}

/** A record as consumed. `offset` is a number: Kafka offsets stay far below 2^53 in practice. */
export interface IncomingRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  /** Epoch ms (CreateTime or LogAppendTime, whichever the topic uses). */
  readonly timestamp: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: ReadonlyArray<readonly [Buffer | null, Buffer | null]>
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/**
 * What the consumer subscribes to: a topic list, or a pattern that must match a whole topic name (Java's
 * Pattern.matcher(topic).matches()), checked against the cluster's topics every metadata.max.age.ms.
 */
export type Subscription =
  | { readonly topics: readonly string[] }
  | { readonly pattern: { test(topic: string): boolean }; readonly patternText: string }

export interface RebalanceListener {
  /** Partitions taken away; their buffered records were dropped. */
  revoked(partitions: readonly TopicPartition[]): void
  /** Partitions given to this consumer (positions are the committed offsets, or the reset policy). */
  assigned(partitions: readonly TopicPartition[]): void
}

export interface KafkaConsumer {
  /** Joins the group and starts prefetching. Resolves once the first assignment is known. */
  start(): Promise<void>
  /**
   * Up to `max` buffered records in partition order, waiting up to `timeoutMs` for at least one.
   * Broker trouble never rejects: the consumer keeps retrying in the background and polls return
   * nothing meanwhile (as Java's poll does). Rejects only when the consumer is closed.
   */
  poll(max: number, timeoutMs: number, signal?: AbortSignal): Promise<IncomingRecord[]>
  /**
   * Resolves true once the consumer has its assignment with known positions and, on the partitions it
   * owns, has fetched up to `offsets` (partitions it does not own are ignored); false after `timeoutMs`.
   * Lets the Kafka channel read its own acknowledged writes.
   */
  awaitPositions(
    offsets: ReadonlyMap<string, ReadonlyMap<number, number>>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean>
  /** The next offset this consumer will fetch on a partition it owns; undefined otherwise. */
  position(topic: string, partition: number): number | undefined
  /** Commits "next offset to read" per partition (Java's commitSync). Rejects on failure. */
  commit(offsets: ReadonlyMap<string, ReadonlyMap<number, number>>): Promise<void>
  /** Number of records fetched and not yet handed out by poll. */
  readonly buffered: number
  close(): Promise<void>
}

/** Where a backend reports trouble it handles itself (rate-limited by the caller). */
export interface ClientLog {
  warn(message: string, detail: Record<string, unknown>): void
  info(message: string, detail: Record<string, unknown>): void
  debug(message: string, detail: Record<string, unknown>): void
}

export interface KafkaBackend {
  readonly name: string
  createProducer(settings: ProducerSettings, log: ClientLog): KafkaProducer
  createConsumer(
    settings: ConsumerSettings,
    subscription: Subscription,
    log: ClientLog,
    listener?: RebalanceListener,
  ): KafkaConsumer
}

/** Thrown by the client layer; `retriable` says whether trying again later can succeed. */
export class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError'
  readonly retriable: boolean
  constructor(message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.retriable = options?.retriable ?? true
  }
}
