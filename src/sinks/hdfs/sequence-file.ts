/**
 * Hadoop SequenceFile writer (format version 6, what `SequenceFile.Writer` in Hadoop 2/3 writes), for the
 * HDFS sink's `hdfs.fileType = SequenceFile`: key `org.apache.hadoop.io.LongWritable` (the event time),
 * value `org.apache.hadoop.io.BytesWritable` (writeFormat Writable) or `org.apache.hadoop.io.Text`
 * (writeFormat Text), as Flume's HDFSWritableSerializer / HDFSTextSerializer.
 *
 * Layout (checked against Hadoop's SequenceFile.Writer / Reader):
 * - header: `SEQ` 6, key and value class names (Hadoop Text: vint length + UTF-8), `compressed` and
 *   `blockCompressed` booleans, the codec class name when compressed, metadata (int count 0), 16 sync bytes;
 * - uncompressed records: int record length, int key length, key bytes, value bytes; a sync escape (int -1)
 *   and the sync bytes are written before a record once SYNC_INTERVAL bytes passed since the last one;
 * - block compression (Flume uses it whenever hdfs.codeC is set): sync escape + sync, vint record count,
 *   then four compressed buffers (key lengths, keys, value lengths, values), each a vint size + one whole
 *   codec stream (zlib for DefaultCodec, gzip for GzipCodec).
 *
 * `encode()` returns bytes that end on a record (or block) boundary, so every batch the sink appends leaves
 * a readable file. Each batch is one block, like Flume's hflush of a BlockCompressWriter.
 */

import { randomBytes } from 'node:crypto'
import { deflateSync, gzipSync } from 'node:zlib'

/** Hadoop's SYNC_SIZE is 4 + 16; Hadoop 2 checked every 100 * SYNC_SIZE bytes. */
export const SYNC_INTERVAL = 2000

export type SeqValueFormat = 'Writable' | 'Text'
export type SeqCodec = 'DefaultCodec' | 'GzipCodec'

export const KEY_CLASS = 'org.apache.hadoop.io.LongWritable'
export const VALUE_CLASS: Record<SeqValueFormat, string> = {
  Writable: 'org.apache.hadoop.io.BytesWritable',
  Text: 'org.apache.hadoop.io.Text',
}
export const CODEC_CLASS: Record<SeqCodec, string> = {
  DefaultCodec: 'org.apache.hadoop.io.compress.DefaultCodec',
  GzipCodec: 'org.apache.hadoop.io.compress.GzipCodec',
}

/** WritableUtils.writeVLong. */
export function vlong(n: number): Buffer {
  if (n >= -112 && n <= 127) return Buffer.from([n & 0xff])
  let len = -112
  let v = BigInt(n)
  if (v < 0n) {
    v = ~v
    len = -120
  }
  let tmp = v
  while (tmp !== 0n) {
    tmp >>= 8n
    len--
  }
  const bytes = len < -120 ? -(len + 120) : -(len + 112)
  const out = Buffer.allocUnsafe(1 + bytes)
  out[0] = len & 0xff
  for (let i = bytes; i > 0; i--) out[1 + bytes - i] = Number((v >> BigInt((i - 1) * 8)) & 0xffn)
  return out
}

/** Hadoop Text.writeString: vint byte length + UTF-8. */
function text(s: string): Buffer {
  const b = Buffer.from(s, 'utf8')
  return Buffer.concat([vlong(b.length), b])
}

export interface SeqRecord {
  readonly key: number
  readonly value: Buffer
}

export class SequenceFileWriter {
  readonly #format: SeqValueFormat
  readonly #codec: SeqCodec | undefined
  readonly sync: Buffer
  /** Bytes of the file so far (header included once `header()` was taken). */
  #pos = 0
  #lastSync = 0

  constructor(format: SeqValueFormat, codec?: SeqCodec, sync: Buffer = randomBytes(16)) {
    this.#format = format
    this.#codec = codec
    this.sync = sync
  }

  header(): Buffer {
    const compressed = this.#codec !== undefined
    const parts = [
      Buffer.from([0x53, 0x45, 0x51, 6]),
      text(KEY_CLASS),
      text(VALUE_CLASS[this.#format]),
      Buffer.from([compressed ? 1 : 0, compressed ? 1 : 0]),
    ]
    if (this.#codec !== undefined) parts.push(text(CODEC_CLASS[this.#codec]))
    parts.push(Buffer.alloc(4), this.sync)
    const h = Buffer.concat(parts)
    this.#pos += h.length
    return h
  }

  #value(body: Buffer): Buffer {
    if (this.#format === 'Text') return Buffer.concat([vlong(body.length), body])
    const b = Buffer.allocUnsafe(4 + body.length)
    b.writeInt32BE(body.length, 0)
    body.copy(b, 4)
    return b
  }

  #syncMark(): Buffer {
    const b = Buffer.allocUnsafe(20)
    b.writeInt32BE(-1, 0)
    this.sync.copy(b, 4)
    return b
  }

  /** Encodes one batch: records (uncompressed) or one compressed block. */
  encode(records: readonly SeqRecord[]): Buffer {
    if (records.length === 0) return Buffer.alloc(0)
    return this.#codec === undefined ? this.#records(records) : this.#block(records, this.#codec)
  }

  #records(records: readonly SeqRecord[]): Buffer {
    const parts: Buffer[] = []
    for (const r of records) {
      if (this.#pos >= this.#lastSync + SYNC_INTERVAL) {
        parts.push(this.#syncMark())
        this.#pos += 20
        this.#lastSync = this.#pos
      }
      const value = this.#value(r.value)
      const head = Buffer.allocUnsafe(16)
      head.writeInt32BE(8 + value.length, 0)
      head.writeInt32BE(8, 4)
      head.writeBigInt64BE(BigInt(r.key), 8)
      parts.push(head, value)
      this.#pos += 16 + value.length
    }
    return Buffer.concat(parts)
  }

  #block(records: readonly SeqRecord[], codec: SeqCodec): Buffer {
    const keyLens: Buffer[] = []
    const keys: Buffer[] = []
    const valLens: Buffer[] = []
    const vals: Buffer[] = []
    const eight = vlong(8)
    for (const r of records) {
      const k = Buffer.allocUnsafe(8)
      k.writeBigInt64BE(BigInt(r.key), 0)
      const v = this.#value(r.value)
      keyLens.push(eight)
      keys.push(k)
      valLens.push(vlong(v.length))
      vals.push(v)
    }
    const compress = codec === 'GzipCodec' ? gzipSync : deflateSync
    const parts: Buffer[] = [this.#syncMark(), vlong(records.length)]
    for (const buf of [keyLens, keys, valLens, vals]) {
      const c = compress(Buffer.concat(buf))
      parts.push(vlong(c.length), c)
    }
    const out = Buffer.concat(parts)
    this.#pos += out.length
    this.#lastSync = this.#pos
    return out
  }
}
