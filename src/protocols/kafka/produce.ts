/**
 * The produce path of the @platformatic/kafka backend: record batches encoded straight into one buffer
 * per partition and sent with Produce v9+ over the library's connections (its metadata, connection pool,
 * TLS, SASL and version negotiation are reused). The library's own `send` builds several small buffers
 * and objects per record (one per varint); with Flume's many small events that was most of the sink's CPU
 * time and garbage. Idempotent producers (`enable.idempotence`) and brokers without Produce v9 (before
 * Kafka 2.4) keep the library's path.
 *
 * Record batch (message format v2): baseOffset 0, partitionLeaderEpoch -1, magic 2, CRC-32C over the rest,
 * attributes (compression codec; CreateTime), lastOffsetDelta, base/max timestamp, producerId/epoch/
 * sequence -1 (no idempotence), record count, then the records — compressed as a whole when a codec is
 * set — each `length, attributes 0, timestampDelta, offsetDelta, key, value, headers` in zigzag varints.
 *
 * Delivery, as Java's producer: partitions are chosen once per record (an explicit partition outside the
 * topic is an error, as in Java; a key goes to murmur2(key) & 0x7fffffff % partitions); each partition's
 * batch is retried on retriable errors (leader moved, not enough replicas, broker unreachable...) after a
 * fresh metadata lookup, every retry.backoff.ms, within the retry budget; a non-retriable error (record
 * too large, authorization...) fails the send at once.
 */

import {
  compressionsAlgorithms,
  crc32c,
  kGetApi,
  kGetConnection,
  murmur2,
  type Producer,
  produceV9,
  produceV10,
  produceV11,
  Writer,
} from '@platformatic/kafka'
import type { OutgoingRecord, ProducerSettings } from './client.ts'
import { KafkaClientError } from './client.ts'

type Parser = typeof produceV9.parseResponse
type Metadata = Awaited<ReturnType<Producer<Buffer, Buffer, Buffer, Buffer>['metadata']>>

const PARSERS: Readonly<Record<number, Parser>> = {
  9: produceV9.parseResponse,
  10: produceV10.parseResponse,
  11: produceV11.parseResponse,
}

const CODEC_BITS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const

/** Kafka error codes a producer retries (Java's RetriableException subclasses). */
const RETRIABLE = new Set([2, 3, 5, 6, 7, 13, 19, 20, 56, 74, 75, 78, 80, 89])

const ERROR_NAMES: Readonly<Record<number, string>> = {
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  10: 'MESSAGE_TOO_LARGE',
  13: 'NETWORK_EXCEPTION',
  18: 'RECORD_LIST_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  87: 'INVALID_RECORD',
}

// --- varints ------------------------------------------------------------------------------------------

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function uvarintSize(v: number): number {
  let n = 1
  while (v >= 128) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

function writeUvarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v & 0x7f) | 0x80
    v = Math.floor(v / 128)
  }
  buf[pos++] = v
  return pos
}

// --- record batches -----------------------------------------------------------------------------------

const BATCH_HEADER = 61

/** Encodes one record batch (message format v2) for the records at `idx` of `records`. */
export function encodeBatch(
  records: readonly OutgoingRecord[],
  idx: readonly number[],
  compression: ProducerSettings['compression'],
  now: number,
): Buffer {
  const n = idx.length
  const first = records[idx[0] as number] as OutgoingRecord
  const base = first.timestamp ?? now
  let max = base
  // Pass 1: sizes. Header keys are UTF-8 encoded once and kept for pass 2.
  const bodySizes = new Array<number>(n)
  let hkeys: (Buffer[] | undefined)[] | undefined
  let total = 0
  for (let i = 0; i < n; i++) {
    const r = records[idx[i] as number] as OutgoingRecord
    const ts = r.timestamp ?? now
    if (ts > max) max = ts
    let size = 1 + uvarintSize(zigzag(ts - base)) + uvarintSize(zigzag(i))
    size += r.key === undefined ? 1 : uvarintSize(zigzag(r.key.length)) + r.key.length
    size += uvarintSize(zigzag(r.value.length)) + r.value.length
    const h = r.headers
    if (h === undefined || h.length === 0) {
      size += 1
    } else {
      const ks: Buffer[] = []
      size += uvarintSize(zigzag(h.length))
      for (const [k, v] of h) {
        const kb = Buffer.from(k, 'utf8')
        ks.push(kb)
        size += uvarintSize(zigzag(kb.length)) + kb.length + uvarintSize(zigzag(v.length)) + v.length
      }
      hkeys ??= new Array(n)
      hkeys[i] = ks
    }
    bodySizes[i] = size
    total += uvarintSize(zigzag(size)) + size
  }
  // Pass 2: write.
  const buf = Buffer.allocUnsafe(BATCH_HEADER + total)
  let pos = BATCH_HEADER
  for (let i = 0; i < n; i++) {
    const r = records[idx[i] as number] as OutgoingRecord
    pos = writeUvarint(buf, pos, zigzag(bodySizes[i] as number))
    buf[pos++] = 0
    pos = writeUvarint(buf, pos, zigzag((r.timestamp ?? now) - base))
    pos = writeUvarint(buf, pos, zigzag(i))
    if (r.key === undefined) {
      buf[pos++] = 1 // zigzag(-1): null key
    } else {
      pos = writeUvarint(buf, pos, zigzag(r.key.length))
      pos += r.key.copy(buf, pos)
    }
    pos = writeUvarint(buf, pos, zigzag(r.value.length))
    pos += r.value.copy(buf, pos)
    const h = r.headers
    if (h === undefined || h.length === 0) {
      buf[pos++] = 0
    } else {
      const ks = (hkeys as Buffer[][])[i] as Buffer[]
      pos = writeUvarint(buf, pos, zigzag(h.length))
      for (let j = 0; j < h.length; j++) {
        const kb = ks[j] as Buffer
        const v = (h[j] as readonly [string, Buffer])[1]
        pos = writeUvarint(buf, pos, zigzag(kb.length))
        pos += kb.copy(buf, pos)
        pos = writeUvarint(buf, pos, zigzag(v.length))
        pos += v.copy(buf, pos)
      }
    }
  }
  let out = buf
  if (compression !== 'none') {
    const packed = compressionsAlgorithms[compression].compressSync(buf.subarray(BATCH_HEADER))
    out = Buffer.allocUnsafe(BATCH_HEADER + packed.length)
    packed.copy(out, BATCH_HEADER)
  }
  out.writeBigInt64BE(0n, 0) // baseOffset
  out.writeInt32BE(out.length - 12, 8) // batchLength
  out.writeInt32BE(-1, 12) // partitionLeaderEpoch
  out.writeInt8(2, 16) // magic
  out.writeInt16BE(CODEC_BITS[compression], 21) // attributes: codec, CreateTime, not transactional
  out.writeInt32BE(n - 1, 23) // lastOffsetDelta
  out.writeBigInt64BE(BigInt(base), 27)
  out.writeBigInt64BE(BigInt(max), 35)
  out.writeBigInt64BE(-1n, 43) // producerId
  out.writeInt16BE(-1, 51) // producerEpoch
  out.writeInt32BE(-1, 53) // baseSequence
  out.writeInt32BE(n, 57) // records
  out.writeUInt32BE(crc32c(out.subarray(21)), 17)
  return out
}

// --- requests -----------------------------------------------------------------------------------------

interface PartQueue {
  readonly topic: string
  readonly partition: number
  /** Record indices still to send, in batches; the head is sent first. */
  readonly chunks: number[][]
  /** Encoded batches for the head chunks (kept across retries). */
  readonly batches: Buffer[]
}

interface PartBatch {
  readonly topic: string
  readonly partition: number
  readonly batch: Buffer
  readonly queue: PartQueue
}

/** Produce request v9-v11 body (same layout): compact strings and arrays, empty tagged fields. */
function encodeRequest(acks: number, timeoutMs: number, parts: readonly PartBatch[]): Buffer {
  const byTopic = new Map<string, PartBatch[]>()
  for (const p of parts) {
    const l = byTopic.get(p.topic)
    if (l === undefined) byTopic.set(p.topic, [p])
    else l.push(p)
  }
  const names = new Map<string, Buffer>()
  let size = 1 + 2 + 4 + uvarintSize(byTopic.size + 1) + 1
  for (const [t, ps] of byTopic) {
    const nb = Buffer.from(t, 'utf8')
    names.set(t, nb)
    size += uvarintSize(nb.length + 1) + nb.length + uvarintSize(ps.length + 1) + 1
    for (const p of ps) size += 4 + uvarintSize(p.batch.length + 1) + p.batch.length + 1
  }
  const buf = Buffer.allocUnsafe(size)
  let pos = 0
  buf[pos++] = 0 // transactional_id: null
  buf.writeInt16BE(acks, pos)
  pos += 2
  buf.writeInt32BE(timeoutMs, pos)
  pos += 4
  pos = writeUvarint(buf, pos, byTopic.size + 1)
  for (const [t, ps] of byTopic) {
    const nb = names.get(t) as Buffer
    pos = writeUvarint(buf, pos, nb.length + 1)
    pos += nb.copy(buf, pos)
    pos = writeUvarint(buf, pos, ps.length + 1)
    for (const p of ps) {
      buf.writeInt32BE(p.partition, pos)
      pos += 4
      pos = writeUvarint(buf, pos, p.batch.length + 1)
      pos += p.batch.copy(buf, pos)
      buf[pos++] = 0 // partition tagged fields
    }
    buf[pos++] = 0 // topic tagged fields
  }
  buf[pos++] = 0 // request tagged fields
  return buf
}

interface ProduceResponse {
  responses: {
    name: string
    partitionResponses: { index: number; errorCode: number; baseOffset: bigint }[]
  }[]
}

interface Connection {
  send(
    apiKey: number,
    apiVersion: number,
    createPayload: () => unknown,
    parser: Parser,
    hasRequestHeaderTaggedFields: boolean,
    hasResponseHeaderTaggedFields: boolean,
    cb: (error: Error | null, response: unknown) => void,
  ): void
}

type Internals = {
  [kGetApi](name: string, cb: (error: Error | null, api: { version: number }) => void): void
  [kGetConnection](broker: unknown, cb: (error: Error | null, connection: Connection) => void): void
}

function call<T>(fn: (cb: (error: Error | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, v) => (e ? reject(e) : resolve(v))))
}

/** Sends records through the library's producer connections with batches encoded here. */
export class BatchProducer {
  readonly #p: Producer<Buffer, Buffer, Buffer, Buffer>
  readonly #s: ProducerSettings
  #version: number | undefined
  #sticky = 0
  #rr = 0
  #closed = false

  constructor(p: Producer<Buffer, Buffer, Buffer, Buffer>, s: ProducerSettings) {
    this.#p = p
    this.#s = s
  }

  /** The negotiated Produce version when it is one this path writes (9-11), else undefined. */
  async version(): Promise<number | undefined> {
    if (this.#version === undefined) {
      const api = await call<{ version: number }>((cb) =>
        (this.#p as unknown as Internals)[kGetApi]('Produce', cb),
      )
      this.#version = api.version
    }
    return PARSERS[this.#version] !== undefined ? this.#version : undefined
  }

  close(): void {
    this.#closed = true
  }

  async send(records: readonly OutgoingRecord[], written: Map<string, Map<number, number>>): Promise<void> {
    const version = (await this.version()) as number
    const parser = PARSERS[version] as Parser
    const topics = [...new Set(records.map((r) => r.topic))]
    const deadline = Date.now() + this.#s.deliveryTimeoutMs
    let md = await this.#metadata(topics, false, deadline)
    // The partition of every record, fixed for all attempts.
    this.#sticky++
    const byPartition = new Map<string, number[]>()
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as OutgoingRecord
      const count = md.topics.get(r.topic)?.partitionsCount ?? 0
      if (count === 0) throw new KafkaClientError(`topic ${r.topic} has no partitions (does it exist?)`)
      let p: number
      if (r.partition !== undefined) {
        if (r.partition >= count) {
          throw new KafkaClientError(
            `invalid partition ${r.partition} for topic ${r.topic}: it has partitions 0 to ${count - 1}`,
            { retriable: false },
          )
        }
        p = r.partition
      } else if (r.key !== undefined) {
        p = (murmur2(r.key) & 0x7fffffff) % count
      } else {
        p = (this.#s.unkeyed === 'sticky' ? this.#sticky : this.#rr++) % count
      }
      const k = `${p}:${r.topic}`
      const l = byPartition.get(k)
      if (l === undefined) byPartition.set(k, [i])
      else l.push(i)
    }
    // A partition's records in batches of at most max.request.size (a broker takes one batch per
    // partition per request, and refuses batches above its message.max.bytes), sent in order.
    const limit = this.#s.maxRequestBytes - 512
    const queues: PartQueue[] = []
    for (const [k, idx] of byPartition) {
      const c = k.indexOf(':')
      const q: PartQueue = {
        topic: k.slice(c + 1),
        partition: Number(k.slice(0, c)),
        chunks: [],
        batches: [],
      }
      let chunk: number[] = []
      let bytes = 0
      for (const i of idx) {
        const r = records[i] as OutgoingRecord
        let size = 24 + r.value.length + (r.key?.length ?? 0)
        if (r.headers !== undefined) for (const [hk, hv] of r.headers) size += hk.length * 3 + hv.length + 10
        if (bytes + size > limit && chunk.length > 0) {
          q.chunks.push(chunk)
          chunk = []
          bytes = 0
        }
        chunk.push(i)
        bytes += size
      }
      q.chunks.push(chunk)
      queues.push(q)
    }
    const now = Date.now()
    let lastError: unknown
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) {
        throw new KafkaClientError('producer closed while sending', { cause: lastError, retriable: false })
      }
      const byLeader = new Map<number, PartQueue[]>()
      for (const q of queues) {
        if (q.chunks.length === 0) continue
        const leader = md.topics.get(q.topic)?.partitions[q.partition]?.leader ?? -1
        if (leader < 0 || !md.brokers.has(leader)) {
          lastError = new KafkaClientError(`no leader for ${q.topic}-${q.partition}`)
          continue
        }
        const l = byLeader.get(leader)
        if (l === undefined) byLeader.set(leader, [q])
        else l.push(q)
      }
      await Promise.all(
        [...byLeader].map(async ([leader, qs]) => {
          try {
            const conn = await call<Connection>((cb) =>
              (this.#p as unknown as Internals)[kGetConnection](md.brokers.get(leader), cb),
            )
            // Rounds: the next chunk of every partition still going, packed into requests.
            let live = qs.filter((q) => q.chunks.length > 0)
            while (live.length > 0) {
              let group: PartBatch[] = []
              let bytes = 0
              const failed = new Set<PartQueue>()
              const flush = async () => {
                const sent = group
                group = []
                bytes = 0
                if (sent.length === 0) return
                for (const f of await this.#request(conn, version, parser, sent, written)) failed.add(f.queue)
              }
              for (const q of live) {
                let batch = q.batches[0]
                if (batch === undefined) {
                  batch = encodeBatch(records, q.chunks[0] as number[], this.#s.compression, now)
                  q.batches[0] = batch
                }
                if (bytes + batch.length > this.#s.maxRequestBytes) await flush()
                group.push({ topic: q.topic, partition: q.partition, batch, queue: q })
                bytes += batch.length
              }
              await flush()
              for (const q of live) {
                if (failed.has(q)) continue
                q.chunks.shift()
                q.batches.shift()
              }
              live = live.filter((q) => !failed.has(q) && q.chunks.length > 0)
              if (failed.size > 0) lastError = new KafkaClientError('the broker asked to retry')
            }
          } catch (e) {
            if (e instanceof KafkaClientError && !e.retriable) throw e
            lastError = e
          }
        }),
      )
      if (queues.every((q) => q.chunks.length === 0)) return
      if (attempt >= this.#s.retries || Date.now() + this.#s.retryBackoffMs > deadline) {
        throw new KafkaClientError(`produce failed ${attempt + 1} times`, { cause: lastError })
      }
      await new Promise((r) => setTimeout(r, this.#s.retryBackoffMs))
      this.#p.clearMetadata()
      md = await this.#metadata(topics, true, deadline)
    }
  }

  /** Metadata for the topics, retried every retry.backoff.ms until the deadline (broker down, new topic). */
  async #metadata(topics: string[], force: boolean, deadline: number): Promise<Metadata> {
    for (let attempt = 0; ; attempt++) {
      try {
        // One attempt per call: the retry budget is delivery.timeout.ms, counted here.
        return await this.#p.metadata({
          topics,
          autocreateTopics: true,
          forceUpdate: force || attempt > 0,
          retries: 0,
        })
      } catch (e) {
        if (this.#closed || Date.now() + this.#s.retryBackoffMs > deadline) {
          throw new KafkaClientError(`could not get metadata for ${topics.join(', ')}`, { cause: e })
        }
        await new Promise((r) => setTimeout(r, this.#s.retryBackoffMs))
      }
    }
  }

  /** One Produce request; resolves with the partitions to retry, rejects on a fatal error. */
  async #request(
    conn: Connection,
    version: number,
    parser: Parser,
    group: readonly PartBatch[],
    written: Map<string, Map<number, number>>,
  ): Promise<PartBatch[]> {
    const acks = this.#s.acks
    const payload = Writer.create().append(encodeRequest(acks, this.#s.requestTimeoutMs, group))
    if (acks === 0) payload.context.noResponse = true
    let response: ProduceResponse | undefined
    try {
      response = await call<ProduceResponse | undefined>((cb) =>
        conn.send(0, version, () => payload, parser, true, true, cb as never),
      )
    } catch (e) {
      // Partition-level errors arrive as a ResponseError carrying the whole response.
      response = (e as { response?: ProduceResponse }).response
      if (response?.responses === undefined) throw e
    }
    if (acks === 0 || response === undefined) return []
    const retry: PartBatch[] = []
    for (const t of response.responses) {
      for (const pr of t.partitionResponses) {
        const pb = group.find((g) => g.topic === t.name && g.partition === pr.index)
        if (pb === undefined) continue
        if (pr.errorCode === 0) {
          let m = written.get(t.name)
          if (m === undefined) written.set(t.name, (m = new Map()))
          const end = Number(pr.baseOffset) + 1
          if ((m.get(pr.index) ?? -1) < end) m.set(pr.index, end)
        } else if (RETRIABLE.has(pr.errorCode)) {
          retry.push(pb)
        } else {
          throw new KafkaClientError(
            `the broker refused the batch for ${t.name}-${pr.index}: ${ERROR_NAMES[pr.errorCode] ?? `error ${pr.errorCode}`}`,
            { retriable: false },
          )
        }
      }
    }
    return retry
  }
}
