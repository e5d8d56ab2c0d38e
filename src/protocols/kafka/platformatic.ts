/**
 * The @platformatic/kafka backend of ./client.ts (pure TypeScript, no native code). This module and
 * ./produce.ts are the only ones that import the library, and they are loaded only by the Kafka components.
 *
 * Producer: one `send` per Flume batch, through ./produce.ts (batches encoded in one buffer per
 * partition, requests of at most max.request.size bytes, sent in order). Records with a key go to murmur2(key) & 0x7fffffff % partitions, exactly Java's default
 * partitioner, so a key lands on the same partition whichever agent wrote it; records without one stick
 * to one partition per batch (Java 2.7's sticky partitioner) or rotate per record (RoundRobinPartitioner).
 *
 * Consumer: the library's group membership (JoinGroup/SyncGroup/heartbeats) with our own fetch loop on
 * top of its `fetch()` call, instead of its MessagesStream, because Flume's semantics need it:
 * - positions are ours: a rejoin that keeps a partition does not rewind it to the committed offset, so
 *   records already handed out (and maybe not yet committed by the channel) are not fetched twice;
 * - offsets are committed only when Flume says so, never in the background;
 * - one array per fetched partition instead of one object per message with promises and closures.
 * Records are prefetched into a bounded buffer (PREFETCH_BYTES); `poll()` hands them out in order.
 *
 * Group assignment: Java 2.7's default assignor is RangeAssignor ("range"), which the library lacks, so
 * it is implemented here (./range-assignor.ts) and offered by default: a flumen agent can join a group
 * that Java Flume agents are already in (during a migration) without INCONSISTENT_GROUP_PROTOCOL.
 */

import {
  Admin,
  ConnectionPool,
  Consumer,
  type GroupAssignment,
  type GroupPartitionsAssigner,
  type MessageToProduce,
  murmur2,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'
import type {
  ClientLog,
  ClientSettings,
  ConsumerSettings,
  IncomingRecord,
  KafkaBackend,
  KafkaConsumer,
  KafkaProducer,
  OutgoingRecord,
  ProducerSettings,
  RebalanceListener,
  Subscription,
  TopicPartition,
} from './client.ts'
import { KafkaClientError } from './client.ts'
import { BatchProducer } from './produce.ts'
import { rangeAssigner, roundRobinAssigner } from './range-assignor.ts'

/** Most record bytes buffered ahead of `poll()`; fetching pauses above it. */
const PREFETCH_BYTES = 4 * 1024 * 1024
/** Per-record overhead estimate for request sizing (record framing, varints, header framing). */
const RECORD_OVERHEAD = 72

function baseOptions(s: ClientSettings) {
  return {
    clientId: s.clientId,
    bootstrapBrokers: [...s.bootstrap],
    ...(s.clientRack !== undefined ? { clientRack: s.clientRack } : {}),
    timeout: s.requestTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    connectTimeout: s.connectTimeoutMs,
    retries: s.retries,
    retryDelay: s.retryBackoffMs,
    metadataMaxAge: s.metadataMaxAgeMs,
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.sasl !== undefined
      ? { sasl: { mechanism: s.sasl.mechanism, username: s.sasl.username, password: s.sasl.password } }
      : {}),
  }
}

/**
 * One line from the library's nested errors (MultipleErrors → NetworkError → AuthenticationError → ...):
 * the messages along the path of the last error at each level, without repeats, so the root cause
 * ("SASL authentication failed") is not hidden behind "Cannot connect to any broker".
 */
export function describe(e: unknown): string {
  const parts: string[] = []
  let cur: unknown = e
  for (let depth = 0; cur !== undefined && cur !== null && depth < 12; depth++) {
    const msg = cur instanceof Error ? cur.message.replace(/\.$/, '') : String(cur)
    if (!parts.includes(msg) && !/^Received response with error while executing API/.test(msg))
      parts.push(msg)
    if (cur instanceof AggregateError && cur.errors.length > 0) cur = cur.errors[cur.errors.length - 1]
    else cur = cur instanceof Error ? cur.cause : undefined
  }
  return parts.join(': ')
}

function wrap(what: string, e: unknown): KafkaClientError {
  return new KafkaClientError(`${what}: ${describe(e)}`, { cause: e })
}

// ---------------------------------------------------------------------------------------------------------
// Producer

class PlatformaticProducer implements KafkaProducer {
  readonly #p: Producer<Buffer, Buffer, Buffer, Buffer>
  readonly #batches: BatchProducer
  readonly #s: ProducerSettings
  #sticky = 0
  #closed = false

  constructor(s: ProducerSettings, log: ClientLog) {
    this.#s = s
    this.#p = new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...baseOptions(s),
      acks: s.acks === -1 ? ProduceAcks.ALL : s.acks === 0 ? ProduceAcks.NO_RESPONSE : ProduceAcks.LEADER,
      compression: s.compression,
      idempotent: s.idempotent,
      // Java's partitioner: murmur2 of the key bytes, made positive; the library applies % partitions.
      partitioner: (_message, key) =>
        key !== undefined
          ? murmur2(key) & 0x7fffffff
          : s.unkeyed === 'sticky'
            ? this.#sticky
            : this.#sticky++,
      autocreateTopics: true,
    })
    this.#p.on('error', (e: Error) => log.warn('Kafka producer error', { error: describe(e) }))
    this.#batches = new BatchProducer(this.#p, s)
  }

  async send(records: readonly OutgoingRecord[]): Promise<Map<string, Map<number, number>>> {
    if (this.#closed) throw new KafkaClientError('producer is closed', { retriable: false })
    const written = new Map<string, Map<number, number>>()
    if (records.length === 0) return written
    if (!this.#s.idempotent) {
      let fast: number | undefined
      try {
        fast = await this.#batches.version()
      } catch (e) {
        throw wrap(`could not send ${records.length} record(s) to Kafka`, e)
      }
      if (fast !== undefined) {
        try {
          await this.#batches.send(records, written)
        } catch (e) {
          throw wrap(`could not send ${records.length} record(s) to Kafka`, e)
        }
        return written
      }
    }
    if (this.#s.unkeyed === 'sticky') this.#sticky++
    const max = this.#s.maxRequestBytes
    let chunk: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = []
    let bytes = 0
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as OutgoingRecord
      let size = RECORD_OVERHEAD + r.value.length + (r.key?.length ?? 0)
      let headers: Map<Buffer, Buffer> | undefined
      if (r.headers !== undefined && r.headers.length > 0) {
        headers = new Map()
        for (const [k, v] of r.headers) {
          const kb = Buffer.from(k, 'utf8')
          headers.set(kb, v)
          size += kb.length + v.length + 8
        }
      }
      if (bytes + size > max && chunk.length > 0) {
        await this.#sendChunk(chunk, written)
        chunk = []
        bytes = 0
      }
      const m: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = { topic: r.topic, value: r.value }
      if (r.key !== undefined) m.key = r.key
      if (r.partition !== undefined) m.partition = r.partition
      if (r.timestamp !== undefined) m.timestamp = BigInt(r.timestamp)
      if (headers !== undefined) m.headers = headers
      chunk.push(m)
      bytes += size
    }
    await this.#sendChunk(chunk, written)
    return written
  }

  async #sendChunk(
    messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[],
    written: Map<string, Map<number, number>>,
  ): Promise<void> {
    try {
      const res = await this.#p.send({ messages })
      for (const o of res.offsets ?? []) {
        let m = written.get(o.topic)
        if (m === undefined) written.set(o.topic, (m = new Map()))
        const end = Number(o.offset) + 1
        if ((m.get(o.partition) ?? -1) < end) m.set(o.partition, end)
      }
    } catch (e) {
      throw wrap(`could not send ${messages.length} record(s) to Kafka`, e)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#batches.close()
    await this.#p.close(true).catch(() => {})
  }
}

// ---------------------------------------------------------------------------------------------------------
// Consumer

interface PartState {
  readonly topic: string
  readonly partition: number
  /** Next offset to fetch; undefined while the start position is being looked up. */
  position: number | undefined
  /** Bumped whenever the position is reset, so a fetch answer for an older position is dropped. */
  epoch: number
}

interface Waiter {
  resolve: () => void
}

const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true

const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

// Record batch attribute bits (Kafka message format v2).
const ATTR_CONTROL = 0x20
const ATTR_LOG_APPEND_TIME = 0x08

class PlatformaticConsumer implements KafkaConsumer {
  readonly #c: Consumer<Buffer, Buffer, Buffer, Buffer>
  /**
   * Fetches use their own connections: a broker answers one request per connection at a time, so a
   * long-polling fetch on the group connection would hold every offset commit for fetch.max.wait.ms.
   */
  readonly #fetchPool: ConnectionPool
  readonly #s: ConsumerSettings
  readonly #sub: Subscription
  readonly #log: ClientLog
  readonly #listener: RebalanceListener | undefined
  readonly #parts = new Map<string, PartState>()
  /** Fetched records not yet handed out: one array per partition answer, oldest first. */
  readonly #chunks: IncomingRecord[][] = []
  #chunkPos = 0
  #buffered = 0
  #bufferedBytes = 0
  readonly #waiters: Waiter[] = []
  readonly #inflight = new Set<number>()
  #pumping = false
  #pumpAgain = false
  /** Distinct partition leaders at the last lookup. */
  #leaders = 0
  #memberId: string | null = null
  #closed = false
  #started = false
  #joining: Promise<void> | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #failures = 0
  #patternTimer: NodeJS.Timeout | undefined
  #admin: Admin | undefined
  #topics: string[] = []

  constructor(s: ConsumerSettings, sub: Subscription, log: ClientLog, listener?: RebalanceListener) {
    this.#s = s
    this.#sub = sub
    this.#log = log
    this.#listener = listener
    const strategy = s.assignmentStrategies[0] ?? 'range'
    const assigner: GroupPartitionsAssigner = strategy === 'range' ? rangeAssigner : roundRobinAssigner
    this.#c = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...baseOptions(s),
      groupId: s.groupId,
      ...(s.groupInstanceId !== undefined ? { groupInstanceId: s.groupInstanceId } : {}),
      autocommit: false,
      sessionTimeout: s.sessionTimeoutMs,
      heartbeatInterval: s.heartbeatIntervalMs,
      rebalanceTimeout: s.rebalanceTimeoutMs,
      protocols: [{ name: strategy, version: 0 }],
      partitionAssigner: assigner,
      minBytes: s.fetchMinBytes,
      maxBytes: s.fetchMaxBytes,
      maxWaitTime: s.fetchMaxWaitMs,
      isolationLevel: s.readCommitted ? 1 : 0,
    })
    this.#fetchPool = new ConnectionPool(s.clientId, {
      connectTimeout: s.connectTimeoutMs,
      requestTimeout: s.requestTimeoutMs,
      ...(s.tls !== undefined ? { tls: s.tls } : {}),
      ...(s.sasl !== undefined
        ? { sasl: { mechanism: s.sasl.mechanism, username: s.sasl.username, password: s.sasl.password } }
        : {}),
    })
    this.#fetchPool.on('failed', () => {})
    // The library emits 'error' when a rejoin fails; unhandled it would crash the process.
    this.#c.on('error', (e: Error) => {
      this.#log.warn('Kafka consumer group error; will rejoin', { group: s.groupId, error: describe(e) })
      this.#scheduleRetry()
    })
    this.#c.on('consumer:group:join', (p: { memberId: string; assignments?: GroupAssignment[] }) => {
      this.#onAssignment(p.memberId, p.assignments ?? [])
    })
  }

  get buffered(): number {
    return this.#buffered
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    if ('topics' in this.#sub) {
      this.#topics = [...this.#sub.topics]
      this.#c.topics.trackAll(...this.#topics)
    } else {
      await this.#refreshPattern(true)
      this.#patternTimer = setInterval(
        () => {
          this.#refreshPattern(false).catch((e: unknown) =>
            this.#log.warn('Could not list topics for the subscription pattern', { error: describe(e) }),
          )
        },
        Math.max(this.#s.metadataMaxAgeMs, 1000),
      )
      this.#patternTimer.unref()
    }
    if (this.#topics.length > 0) {
      try {
        await this.#join()
      } catch (e) {
        // Broker not reachable yet: keep trying in the background, as Java's consumer does.
        this.#log.warn('Could not join the Kafka consumer group yet; retrying', {
          group: this.#s.groupId,
          error: describe(e),
        })
        this.#scheduleRetry()
      }
    }
  }

  #join(): Promise<void> {
    this.#joining ??= (async () => {
      try {
        // Java 2.7's consumer asks for missing topics to be created (allow.auto.create.topics), so a
        // subscription to a topic nobody wrote yet works where the broker allows auto-creation.
        if (this.#s.autoCreateTopics) {
          await this.#c.metadata({ topics: this.#topics, autocreateTopics: true, forceUpdate: true })
        }
        await this.#c.joinGroup({})
        this.#failures = 0
      } finally {
        this.#joining = undefined
      }
    })()
    return this.#joining
  }

  async #refreshPattern(initial: boolean): Promise<void> {
    if (!('pattern' in this.#sub) || this.#closed) return
    this.#admin ??= new Admin(baseOptions(this.#s))
    let all: string[]
    try {
      all = await this.#admin.listTopics({ includeInternals: false })
    } catch (e) {
      if (initial) {
        this.#log.warn('Could not list topics for the subscription pattern yet', { error: describe(e) })
        return
      }
      throw e
    }
    const re = this.#sub.pattern
    const matched = all.filter((t) => re.test(t)).sort()
    if (matched.join('\n') === this.#topics.join('\n')) return
    const added = matched.filter((t) => !this.#topics.includes(t))
    const removed = this.#topics.filter((t) => !matched.includes(t))
    if (removed.length > 0) this.#c.topics.untrackAll(...removed)
    if (added.length > 0) this.#c.topics.trackAll(...added)
    this.#topics = matched
    this.#log.info('Kafka subscription pattern matches a new set of topics', {
      pattern: this.#sub.patternText,
      topics: matched,
    })
    if (!initial && this.#topics.length > 0) {
      await this.#join().catch((e: unknown) => {
        this.#log.warn('Could not rejoin the group after the topic set changed', { error: describe(e) })
        this.#scheduleRetry()
      })
    }
  }

  /** Applies a (new) group assignment: revoke what left, look up start positions for what arrived. */
  #onAssignment(memberId: string, assignments: readonly GroupAssignment[]): void {
    if (this.#closed) return
    const sameMember = memberId === this.#memberId
    this.#memberId = memberId
    this.#leaders = 0
    const next = new Set<string>()
    for (const a of assignments) for (const p of a.partitions) next.add(tpKey(a.topic, p))
    const revoked: TopicPartition[] = []
    for (const [k, st] of this.#parts) {
      // A new member id means the group forgot us in between: someone else may have moved the partition
      // on, so start again from its committed offset.
      if (!next.has(k) || !sameMember) {
        this.#parts.delete(k)
        st.epoch++
        revoked.push({ topic: st.topic, partition: st.partition })
      }
    }
    if (revoked.length > 0) {
      this.#dropBuffered(new Set(revoked.map((tp) => tpKey(tp.topic, tp.partition))))
      this.#listener?.revoked(revoked)
    }
    const added: PartState[] = []
    for (const a of assignments) {
      for (const p of a.partitions) {
        const k = tpKey(a.topic, p)
        if (this.#parts.has(k)) continue
        const st: PartState = { topic: a.topic, partition: p, position: undefined, epoch: 0 }
        this.#parts.set(k, st)
        added.push(st)
      }
    }
    this.#log.info('Kafka consumer group assignment', {
      group: this.#s.groupId,
      partitions: [...this.#parts.values()].map((s) => `${s.topic}-${s.partition}`),
    })
    if (added.length > 0) {
      this.#listener?.assigned(added.map((s) => ({ topic: s.topic, partition: s.partition })))
      this.#resolvePositions(added).catch((e: unknown) => {
        this.#log.warn('Could not look up start offsets; retrying', { error: describe(e) })
        this.#scheduleRetry()
      })
    }
  }

  /** Committed offsets for new partitions; where there is none, the auto.offset.reset policy. */
  async #resolvePositions(states: readonly PartState[]): Promise<void> {
    const byTopic = new Map<string, number[]>()
    for (const st of states) {
      const l = byTopic.get(st.topic)
      if (l === undefined) byTopic.set(st.topic, [st.partition])
      else l.push(st.partition)
    }
    const committed = await this.#c.listCommittedOffsets({
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    })
    const missing: PartState[] = []
    for (const st of states) {
      const o = committed.get(st.topic)?.[st.partition]
      if (o !== undefined && o >= 0n) this.#setPosition(st, Number(o))
      else missing.push(st)
    }
    if (missing.length > 0) await this.#resetPositions(missing)
    this.#pump()
  }

  async #resetPositions(states: readonly PartState[]): Promise<void> {
    const policy = this.#s.autoOffsetReset
    if (policy === 'none') {
      this.#log.warn(
        'No committed offset for the group and auto.offset.reset = none: these partitions are not consumed',
        { group: this.#s.groupId, partitions: states.map((s) => `${s.topic}-${s.partition}`) },
      )
      return
    }
    const topics = [...new Set(states.map((s) => s.topic))]
    const offsets = await this.#c.listOffsets({ topics, timestamp: policy === 'earliest' ? -2n : -1n })
    for (const st of states) {
      const o = offsets.get(st.topic)?.[st.partition]
      if (o !== undefined && o >= 0n) {
        this.#setPosition(st, Number(o))
        this.#log.info('No committed offset; starting from the reset position', {
          partition: `${st.topic}-${st.partition}`,
          policy,
          offset: Number(o),
        })
      }
    }
  }

  #setPosition(st: PartState, offset: number): void {
    if (this.#parts.get(tpKey(st.topic, st.partition)) !== st) return // revoked meanwhile
    st.position = offset
    st.epoch++
    this.#wake()
  }

  #dropBuffered(keys: ReadonlySet<string>): void {
    let n = 0
    let bytes = 0
    for (let i = this.#chunkPos; i < this.#chunks.length; i++) {
      const c = this.#chunks[i] as IncomingRecord[]
      const first = c[0]
      if (first !== undefined && keys.has(tpKey(first.topic, first.partition))) {
        n += c.length
        for (const r of c) bytes += r.value?.length ?? 0
        this.#chunks[i] = []
      }
    }
    this.#buffered -= n
    this.#bufferedBytes -= bytes
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer !== undefined) return
    this.#failures++
    const delay = Math.min(5000, Math.max(this.#s.retryBackoffMs, 250) * 2 ** Math.min(this.#failures, 5))
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#recover()
    }, delay)
  }

  /** After trouble: rejoin if the membership lapsed, look up missing positions, fetch again. */
  #recover(): void {
    if (this.#closed || this.#topics.length === 0) return
    if (!this.#c.isActive()) {
      this.#join().then(
        () => this.#pump(),
        (e: unknown) => {
          this.#log.warn('Could not rejoin the Kafka consumer group; retrying', {
            group: this.#s.groupId,
            error: describe(e),
          })
          this.#scheduleRetry()
        },
      )
      return
    }
    const unknown = [...this.#parts.values()].filter((s) => s.position === undefined)
    if (unknown.length > 0) {
      this.#resolvePositions(unknown).catch((e: unknown) => {
        this.#log.warn('Could not look up start offsets; retrying', { error: describe(e) })
        this.#scheduleRetry()
      })
      return
    }
    this.#pump()
  }

  /** Starts a fetch on every partition leader that has none in flight, while the buffer has room. */
  #pump(): void {
    if (this.#closed || this.#bufferedBytes >= PREFETCH_BYTES || this.#parts.size === 0) return
    // One lookup at a time (a pump asked for meanwhile runs after it), and nothing to do while every
    // leader already has a fetch in flight: poll() pumps on every call.
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    if (this.#leaders > 0 && this.#inflight.size >= this.#leaders) return
    const ready = [...this.#parts.values()].filter((s) => s.position !== undefined)
    if (ready.length === 0) return
    this.#pumping = true
    this.#c.metadata({ topics: [...new Set(ready.map((s) => s.topic))] }).then(
      (md) => {
        this.#pumping = false
        const leaders = new Set<number>()
        const byNode = new Map<number, PartState[]>()
        for (const st of ready) {
          const t = md.topics.get(st.topic)
          const leader = t?.partitions[st.partition]?.leader
          if (leader !== undefined && leader >= 0) leaders.add(leader)
          if (t === undefined || leader === undefined || leader < 0 || this.#inflight.has(leader)) continue
          const l = byNode.get(leader)
          if (l === undefined) byNode.set(leader, [st])
          else l.push(st)
        }
        this.#leaders = leaders.size
        for (const [node, states] of byNode) this.#fetch(node, states, md.topics)
        if (this.#pumpAgain) {
          this.#pumpAgain = false
          this.#pump()
        }
      },
      (e: unknown) => {
        this.#pumping = false
        this.#pumpAgain = false
        this.#log.warn('Could not get Kafka metadata; retrying', { error: describe(e) })
        this.#scheduleRetry()
      },
    )
  }

  #fetch(node: number, states: PartState[], topics: ReadonlyMap<string, { id: string }>): void {
    if (this.#closed) return
    this.#inflight.add(node)
    const requested = states.map((s) => ({ st: s, position: s.position as number, epoch: s.epoch }))
    const byTopic = new Map<string, { topicId: string; partitions: unknown[] }>()
    const names = new Map<string, string>()
    for (const r of requested) {
      const id = (topics.get(r.st.topic) as { id: string }).id
      names.set(id, r.st.topic)
      let t = byTopic.get(id)
      if (t === undefined) byTopic.set(id, (t = { topicId: id, partitions: [] }))
      t.partitions.push({
        partition: r.st.partition,
        fetchOffset: BigInt(r.position),
        partitionMaxBytes: this.#s.maxPartitionFetchBytes,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      })
    }
    const room = Math.max(1024 * 1024, PREFETCH_BYTES - this.#bufferedBytes)
    this.#c
      .fetch({
        node,
        topics: [...byTopic.values()] as never,
        maxWaitTime: this.#s.fetchMaxWaitMs,
        minBytes: this.#s.fetchMinBytes,
        maxBytes: Math.min(this.#s.fetchMaxBytes, room),
        isolationLevel: this.#s.readCommitted ? 1 : 0,
        connectionPool: this.#fetchPool,
      })
      .then(
        (res) => {
          this.#inflight.delete(node)
          this.#failures = 0
          this.#accept(res.responses, names, requested)
          this.#pump()
        },
        (e: unknown) => {
          this.#inflight.delete(node)
          if (this.#closed) return
          const response = (e as { response?: { responses?: unknown } }).response
          if (this.#handleOutOfRange(e, names, requested)) return
          if (response?.responses !== undefined) {
            // Some partitions answered: keep their records, retry the rest later.
            this.#accept(response.responses as never, names, requested)
          }
          this.#log.warn('Kafka fetch failed; retrying', { node, error: describe(e) })
          this.#scheduleRetry()
        },
      )
  }

  #accept(
    responses: ReadonlyArray<{
      topicId: string
      partitions: ReadonlyArray<{
        partitionIndex: number
        errorCode: number
        records?: ReadonlyArray<{
          firstOffset: bigint
          lastOffsetDelta: number
          firstTimestamp: bigint
          maxTimestamp: bigint
          attributes: number
          records: ReadonlyArray<{
            offsetDelta: number
            timestampDelta: bigint
            key: Buffer | null
            value: Buffer | null
            headers: [Buffer | null, Buffer | null][]
          }>
        }> | null
      }>
    }>,
    names: ReadonlyMap<string, string>,
    requested: ReadonlyArray<{ st: PartState; position: number; epoch: number }>,
  ): void {
    let added = 0
    let moved = false
    for (const t of responses) {
      const topic = names.get(t.topicId)
      if (topic === undefined) continue
      for (const p of t.partitions) {
        if (p.errorCode !== 0 || p.records == null || p.records.length === 0) continue
        const req = requested.find((r) => r.st.topic === topic && r.st.partition === p.partitionIndex)
        // Drop answers for partitions revoked or repositioned while the fetch was in flight.
        if (req === undefined || req.st.epoch !== req.epoch || req.st.position !== req.position) continue
        if (this.#parts.get(tpKey(topic, p.partitionIndex)) !== req.st) continue
        const out: IncomingRecord[] = []
        let bytes = 0
        let next = req.position
        for (const b of p.records) {
          const first = Number(b.firstOffset)
          const last = first + b.lastOffsetDelta
          if (last + 1 > next) next = last + 1
          if ((b.attributes & ATTR_CONTROL) !== 0) continue
          const appendTime = (b.attributes & ATTR_LOG_APPEND_TIME) !== 0
          const baseTs = Number(b.firstTimestamp)
          const maxTs = Number(b.maxTimestamp)
          for (const r of b.records) {
            const offset = first + r.offsetDelta
            if (offset < req.position) continue // a batch can start before the requested offset
            out.push({
              topic,
              partition: p.partitionIndex,
              offset,
              timestamp: appendTime ? maxTs : baseTs + Number(r.timestampDelta),
              key: r.key,
              value: r.value,
              headers: r.headers,
            })
            bytes += r.value?.length ?? 0
          }
        }
        if (next !== req.st.position) moved = true
        req.st.position = next
        if (out.length > 0) {
          this.#chunks.push(out)
          this.#buffered += out.length
          this.#bufferedBytes += bytes
          added += out.length
        }
      }
    }
    if (added > 0 || moved) this.#wake()
  }

  /** OFFSET_OUT_OF_RANGE (retention deleted the position): jump per auto.offset.reset, as Java does. */
  #handleOutOfRange(
    e: unknown,
    names: ReadonlyMap<string, string>,
    requested: ReadonlyArray<{ st: PartState; position: number; epoch: number }>,
  ): boolean {
    const response = (
      e as {
        response?: {
          responses?: ReadonlyArray<{
            topicId: string
            partitions: ReadonlyArray<{ partitionIndex: number; errorCode: number }>
          }>
        }
      }
    ).response
    if (response?.responses === undefined) return false
    const reset: PartState[] = []
    for (const t of response.responses) {
      const topic = names.get(t.topicId)
      for (const p of t.partitions) {
        // 1 = OFFSET_OUT_OF_RANGE
        if (p.errorCode !== 1) continue
        const req = requested.find((r) => r.st.topic === topic && r.st.partition === p.partitionIndex)
        if (req !== undefined && req.st.epoch === req.epoch) reset.push(req.st)
      }
    }
    if (reset.length === 0) return false
    this.#log.warn('Kafka offset out of range (deleted by retention?); resetting per auto.offset.reset', {
      partitions: reset.map((s) => `${s.topic}-${s.partition}`),
      policy: this.#s.autoOffsetReset,
    })
    for (const st of reset) {
      st.position = undefined
      st.epoch++
    }
    this.#resetPositions(reset).then(
      () => this.#pump(),
      (err: unknown) => {
        this.#log.warn('Could not reset offsets; retrying', { error: describe(err) })
        this.#scheduleRetry()
      },
    )
    return true
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w.resolve()
  }

  position(topic: string, partition: number): number | undefined {
    return this.#parts.get(tpKey(topic, partition))?.position
  }

  /** Joined at least once, and every assigned partition has a known position. */
  #ready(): boolean {
    if (this.#memberId === null) return false
    for (const st of this.#parts.values()) if (st.position === undefined) return false
    return true
  }

  #reached(offsets: ReadonlyMap<string, ReadonlyMap<number, number>>): boolean {
    if (!this.#ready()) return false
    for (const [topic, parts] of offsets) {
      for (const [p, o] of parts) {
        const st = this.#parts.get(tpKey(topic, p))
        if (st !== undefined && (st.position as number) < o) return false
      }
    }
    return true
  }

  async awaitPositions(
    offsets: ReadonlyMap<string, ReadonlyMap<number, number>>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#closed) return false
      if (this.#reached(offsets)) return true
      const left = deadline - Date.now()
      if (left <= 0 || signal?.aborted === true) return false
      this.#pump()
      await this.#waitForChange(left, signal)
    }
  }

  #waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const w: Waiter = { resolve: () => {} }
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        const i = this.#waiters.indexOf(w)
        if (i >= 0) this.#waiters.splice(i, 1)
        resolve()
      }
      w.resolve = done
      const timer = setTimeout(done, timeoutMs)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.push(w)
    })
  }

  #take(max: number): IncomingRecord[] {
    let out: IncomingRecord[] | undefined
    let bytes = 0
    while (this.#chunkPos < this.#chunks.length && (out === undefined || out.length < max)) {
      const c = this.#chunks[this.#chunkPos] as IncomingRecord[]
      if (c.length === 0) {
        this.#chunkPos++
        continue
      }
      const want = max - (out?.length ?? 0)
      let part: IncomingRecord[]
      if (c.length <= want) {
        part = c
        this.#chunks[this.#chunkPos++] = []
      } else {
        part = c.slice(0, want)
        this.#chunks[this.#chunkPos] = c.slice(want)
      }
      for (const r of part) bytes += r.value?.length ?? 0
      if (out === undefined) out = part
      else for (const r of part) out.push(r)
    }
    if (this.#chunkPos > 64 && this.#chunkPos * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#chunkPos)
      this.#chunkPos = 0
    }
    const n = out?.length ?? 0
    this.#buffered -= n
    this.#bufferedBytes -= bytes
    if (n > 0) this.#pump()
    return out ?? []
  }

  async poll(max: number, timeoutMs: number, signal?: AbortSignal): Promise<IncomingRecord[]> {
    if (this.#closed) throw new KafkaClientError('consumer is closed', { retriable: false })
    if (this.#buffered > 0 || max <= 0) return this.#take(max)
    if (timeoutMs > 0 && signal?.aborted !== true) {
      this.#pump()
      const deadline = Date.now() + timeoutMs
      // Position changes also wake waiters; keep waiting for records until the deadline.
      while (this.#buffered === 0 && !this.#closed) {
        const left = deadline - Date.now()
        if (left <= 0 || isAborted(signal)) break
        await this.#waitForChange(left, signal)
      }
    }
    return this.#closed ? [] : this.#take(max)
  }

  async commit(offsets: ReadonlyMap<string, ReadonlyMap<number, number>>): Promise<void> {
    const list: { topic: string; partition: number; offset: bigint; leaderEpoch: number }[] = []
    for (const [topic, parts] of offsets) {
      for (const [partition, offset] of parts)
        list.push({ topic, partition, offset: BigInt(offset), leaderEpoch: -1 })
    }
    if (list.length === 0) return
    try {
      await this.#c.commit({ offsets: list })
    } catch (e) {
      throw wrap('could not commit offsets', e)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    if (this.#patternTimer !== undefined) clearInterval(this.#patternTimer)
    this.#wake()
    const admin = this.#admin
    // Leaving the group lets the partitions move at once; when the broker is gone, do not wait for it.
    const leave = this.#c.close().catch(() => this.#c.close(true).catch(() => {}))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([leave, new Promise<void>((r) => (timer = setTimeout(r, 5000)))])
    clearTimeout(timer)
    await this.#fetchPool.close().catch(() => {})
    if (admin !== undefined) await admin.close().catch(() => {})
  }
}

export const platformaticBackend: KafkaBackend = {
  name: '@platformatic/kafka',
  createProducer: (settings, log) => new PlatformaticProducer(settings, log),
  createConsumer: (settings, subscription, log, listener) =>
    new PlatformaticConsumer(settings, subscription, log, listener),
}
