/**
 * Avro object container files (Avro 1.11 spec, "Object Container Files"), written the way Java's
 * DataFileWriter writes them and read the way DataFileReader reads them.
 *
 * Layout:
 *
 *     header: 4f 62 6a 01 ("Obj" 1)
 *             metadata map<bytes>  (avro.schema = schema JSON, avro.codec = codec name, user keys)
 *             16-byte sync marker  (random per file)
 *     block*: long object count, long byte size (after compression), data, the same 16-byte sync marker
 *
 * Writing: datums are encoded straight into the current block buffer; after each datum, if the block holds
 * at least `syncIntervalBytes` uncompressed bytes it is compressed and emitted (Java's
 * `writeIfBlockFull`), so with the same inputs, interval and sync marker our files are byte-identical to
 * Java's for the null codec. `flush()` ends the current block early (Java's `sync()`/`flush()`).
 * Metadata entries are emitted in java.util.HashMap iteration order, as DataFileWriter does, which keeps
 * the header identical too. The writer pushes finished byte chunks to a synchronous sink; the caller
 * owns each chunk once pushed and writes it out however it likes (file handle, HDFS stream).
 *
 * Reading: blocks are fetched one at a time from a `ByteSource` (a Buffer or a file handle) and checked
 * before use: sizes against caps, sync marker present and equal, decompressed size capped, datums filling
 * the block exactly (Java: "Block read partially"). A cut or corrupt block raises a typed error carrying
 * the block's offset and leaves the reader positioned at that block; blocks before it were already
 * returned, and `seekToSync(offset + 1)` resumes at the next intact block.
 *
 * Resuming follows DataFileReader: `previousSync` is the start of the block the next datum comes from
 * (Flume's spooldir marks `previousSync - 16`), and `seekToSync(pos)` continues after the first sync
 * marker found at or after `pos`, or at the end of the file when there is none.
 */

import { randomBytes } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import { AvroReader, AvroWriter, varintSize } from './binary.ts'
import { type Codec, type CodecName, getCodec } from './codecs.ts'
import {
  type AvroValue,
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  minEncodedSize,
  readDatum,
  skipDatum,
  transcodeDatum,
  writeDatum,
} from './datum.ts'
import {
  AvroClosedError,
  AvroError,
  AvroLimitError,
  AvroMalformedError,
  AvroOptionError,
  AvroSchemaError,
  AvroTruncatedError,
} from './errors.ts'
import {
  DEFAULT_FLUME_EVENT_LIMITS,
  type DecodedFlumeEvent,
  type FlumeEventLike,
  type FlumeEventLimits,
  readFlumeEvent,
  writeFlumeEvent,
} from './flume-event.ts'
import { parseSchema, type Schema } from './schema.ts'

export const CONTAINER_MAGIC: Buffer = Buffer.from([0x4f, 0x62, 0x6a, 0x01])
export const SYNC_SIZE = 16
/** DataFileWriter's default (DataFileConstants.DEFAULT_SYNC_INTERVAL = 4000 * 16). */
export const DEFAULT_SYNC_INTERVAL_BYTES = 64000
/** DataFileWriter.setSyncInterval accepts 32 .. 2^30. */
const MIN_SYNC_INTERVAL = 32
const MAX_SYNC_INTERVAL = 1 << 30
/** Room reserved in front of a block's data for its count and size varints (10 bytes each at most). */
const PREFIX_ROOM = 20

// --- metadata order -------------------------------------------------------------------------------------

function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}

/**
 * Orders keys as a java.util.HashMap<String, ?> iterates them when they were put in the given order:
 * by bucket (spread String.hashCode() masked by the table size: 16, doubled past 75% load), then by
 * insertion within a bucket (resizes keep that relative order).
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  let capacity = 16
  while (keys.length > capacity * 0.75) capacity *= 2
  return keys
    .map((k, i) => {
      const h = javaStringHash(k)
      return { k, i, bucket: (h ^ (h >>> 16)) & (capacity - 1) }
    })
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map((e) => e.k)
}

// --- writer ---------------------------------------------------------------------------------------------

/** Receives finished chunks in file order. A chunk is never touched by the writer after it is passed on. */
export interface ContainerSink {
  write(chunk: Buffer): void
}

export interface ContainerWriterOptions {
  /** Writer schema as JSON text; stored verbatim as `avro.schema` (use the constants in schemas.ts for Flume's). */
  readonly schema: string
  /** `avro.codec`: null (default), deflate, snappy, zstandard. */
  readonly codec?: string
  /** deflate 0-9 / -1, zstandard 1-22; Java's defaults when absent. */
  readonly codecLevel?: number
  /** Uncompressed bytes after which a block is ended; Java's DataFileWriter default 64000. 32 .. 2^30. */
  readonly syncIntervalBytes?: number
  /** Extra metadata. Keys starting with "avro." are reserved, as in Java's setMeta. */
  readonly metadata?: Readonly<Record<string, string | Uint8Array>>
  /**
   * Whether `avro.codec` is written. Java writes it only when setCodec() was called: Flume's avro_event
   * always calls it (so "null" appears), spooldir's tracker file never does. Default true.
   */
  readonly writeCodecMetadata?: boolean
  /** 16 bytes; a random marker is generated when absent. Fixed markers are for tests and reproducible files. */
  readonly syncMarker?: Uint8Array
}

function isFlumeEventSchema(s: Schema): boolean {
  return (
    s.type === 'record' &&
    s.fields.length === 2 &&
    s.fields[0]?.type.type === 'map' &&
    s.fields[0].type.values.type === 'string' &&
    s.fields[1]?.type.type === 'bytes'
  )
}

export class ContainerWriter {
  readonly schema: Schema
  readonly codec: Codec
  readonly syncMarker: Buffer
  readonly syncIntervalBytes: number
  readonly #sink: ContainerSink
  readonly #header: Buffer
  readonly #eventShaped: boolean
  #block: AvroWriter
  #count = 0
  #headerWritten = false
  #closed = false
  #bytesWritten = 0

  constructor(sink: ContainerSink, options: ContainerWriterOptions) {
    this.#sink = sink
    this.schema = parseSchema(options.schema)
    this.codec = getCodec(
      options.codec ?? 'null',
      options.codecLevel === undefined ? {} : { level: options.codecLevel },
    )
    const interval = options.syncIntervalBytes ?? DEFAULT_SYNC_INTERVAL_BYTES
    if (!Number.isInteger(interval) || interval < MIN_SYNC_INTERVAL || interval > MAX_SYNC_INTERVAL) {
      throw new AvroOptionError(
        `Invalid syncIntervalBytes ${interval}: must be an integer from ${MIN_SYNC_INTERVAL} to ${MAX_SYNC_INTERVAL}`,
      )
    }
    this.syncIntervalBytes = interval
    if (options.syncMarker !== undefined && options.syncMarker.length !== SYNC_SIZE) {
      throw new AvroOptionError(`syncMarker must be ${SYNC_SIZE} bytes, got ${options.syncMarker.length}`)
    }
    this.syncMarker = Buffer.from(options.syncMarker ?? randomBytes(SYNC_SIZE))
    this.#eventShaped = isFlumeEventSchema(this.schema)

    // Insertion order as Java does it: setCodec (at configure time), setMeta calls, then create() adds the schema.
    const entries = new Map<string, Buffer>()
    if (options.writeCodecMetadata !== false) entries.set('avro.codec', Buffer.from(this.codec.name, 'utf8'))
    for (const [k, v] of Object.entries(options.metadata ?? {})) {
      if (k.startsWith('avro.')) throw new AvroOptionError(`Cannot set reserved meta key: ${k}`)
      entries.set(k, typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v))
    }
    entries.set('avro.schema', Buffer.from(options.schema, 'utf8'))
    const w = new AvroWriter(256 + options.schema.length * 3)
    w.writeFixed(CONTAINER_MAGIC)
    w.writeBlockStart(entries.size)
    for (const k of javaHashMapOrder([...entries.keys()])) {
      w.writeString(k)
      w.writeBytes(entries.get(k) as Buffer)
    }
    w.writeBlockEnd()
    w.writeFixed(this.syncMarker)
    this.#header = w.finish(16)
    this.#block = this.#newBlock()
  }

  #newBlock(): AvroWriter {
    // Java sizes its block buffer at 1.25 x the interval; never start huge for tiny writers.
    const w = new AvroWriter(
      Math.min(PREFIX_ROOM + Math.ceil(this.syncIntervalBytes * 1.25) + SYNC_SIZE, 4 << 20),
    )
    w.pos = PREFIX_ROOM
    return w
  }

  /** Total bytes handed to the sink so far (the file length once everything is written out). */
  get bytesWritten(): number {
    return this.#bytesWritten
  }

  /** Datums in the current, not yet emitted block. */
  get pendingCount(): number {
    return this.#count
  }

  /** Uncompressed bytes in the current block. */
  get pendingBytes(): number {
    return this.#block.pos - PREFIX_ROOM
  }

  #emit(chunk: Buffer): void {
    this.#bytesWritten += chunk.length
    this.#sink.write(chunk)
  }

  #check(): void {
    if (this.#closed) throw new AvroClosedError('Avro container writer is closed')
    if (!this.#headerWritten) this.writeHeader()
  }

  /** Emits the header (magic, metadata, sync marker) unless already done. Called implicitly by the first write. */
  writeHeader(): void {
    if (this.#headerWritten) return
    this.#headerWritten = true
    this.#emit(this.#header)
  }

  /** Appends Flume events (schema must be Flume's event record: map<string> headers, then bytes body). */
  append(events: readonly FlumeEventLike[]): void {
    this.#check()
    if (!this.#eventShaped) {
      throw new AvroSchemaError(
        `append() needs a {headers: map<string>, body: bytes} schema; use appendValue()`,
      )
    }
    const limit = this.syncIntervalBytes + PREFIX_ROOM
    for (let i = 0; i < events.length; i++) {
      writeFlumeEvent(this.#block, events[i] as FlumeEventLike)
      this.#count++
      if (this.#block.pos >= limit) this.#writeBlock()
    }
  }

  /** Appends one already encoded datum (Java's appendEncoded); it must be valid for the writer schema. */
  appendDatum(datum: Uint8Array): void {
    this.#check()
    this.#block.writeFixed(datum)
    this.#count++
    if (this.#block.pos >= this.syncIntervalBytes + PREFIX_ROOM) this.#writeBlock()
  }

  /** Encodes and appends a value with the writer schema (see writeDatum for the value mapping). */
  appendValue(value: unknown): void {
    this.#check()
    const w = this.#block
    const before = w.pos
    try {
      writeDatum(w, this.schema, value)
    } catch (e) {
      w.pos = before // a value that does not fit leaves the block as it was
      throw e
    }
    this.#count++
    if (w.pos >= this.syncIntervalBytes + PREFIX_ROOM) this.#writeBlock()
  }

  /** Ends the current block (if it holds anything) and emits it: Java's DataFileWriter.sync()/flush(). */
  flush(): void {
    this.#check()
    this.#writeBlock()
  }

  /** Flushes and refuses further writes. Emits the header if nothing else was written (an empty file is valid). */
  close(): void {
    if (this.#closed) return
    this.#check()
    this.#writeBlock()
    this.#closed = true
  }

  #writeBlock(): void {
    if (this.#count === 0) return
    const w = this.#block
    const count = this.#count
    const data = w.buf.subarray(PREFIX_ROOM, w.pos)
    if (this.codec.name === 'null') {
      // Zero copy: count and size go right-aligned into the reserved room, the sync right after the data.
      const size = data.length
      const prefix = varintSize(count * 2) + varintSize(size * 2)
      const end = w.pos
      w.ensure(SYNC_SIZE)
      w.buf.set(this.syncMarker, end)
      const start = PREFIX_ROOM - prefix
      w.pos = start
      w.writeLong(count)
      w.writeLong(size)
      const chunk = w.buf.subarray(start, end + SYNC_SIZE)
      this.#block = this.#newBlock()
      this.#count = 0
      this.#emit(chunk)
      return
    }
    const compressed = this.codec.compress(data)
    const out = new AvroWriter(PREFIX_ROOM + compressed.length + SYNC_SIZE)
    out.writeLong(count)
    out.writeLong(compressed.length)
    out.writeFixed(compressed)
    out.writeFixed(this.syncMarker)
    // The block buffer was only read by compress(): keep it for the next block.
    w.pos = PREFIX_ROOM
    this.#count = 0
    this.#emit(out.finish(16))
  }
}

/** Writes a whole container into one Buffer (tests, small files). */
export function encodeContainer(
  options: ContainerWriterOptions,
  write: (writer: ContainerWriter) => void,
): Buffer {
  const chunks: Buffer[] = []
  const writer = new ContainerWriter({ write: (c) => chunks.push(c) }, options)
  writer.writeHeader()
  write(writer)
  writer.close()
  return Buffer.concat(chunks)
}

// --- reader ---------------------------------------------------------------------------------------------

export interface ContainerHeader {
  /** The `avro.schema` text as stored. */
  readonly schemaJson: string
  readonly schema: Schema
  /** `avro.codec`, "null" when absent. */
  readonly codec: CodecName
  /** All metadata entries as stored (copies, in file order). */
  readonly metadata: ReadonlyMap<string, Buffer>
  readonly syncMarker: Buffer
  /** Offset of the first block (= header length). */
  readonly length: number
}

export interface ContainerReaderOptions {
  /** Largest block accepted, compressed or not. Default 64 MiB (Flume's blocks are ~2 MB). */
  readonly maxBlockBytes?: number
  /** Largest header accepted. Default 1 MiB. */
  readonly maxHeaderBytes?: number
  /** Caps for generic datum decoding. */
  readonly limits?: DecodeLimits
  /** Caps for the Flume event fast path. */
  readonly eventLimits?: FlumeEventLimits
}

const DEFAULT_MAX_BLOCK_BYTES = 64 << 20
const DEFAULT_MAX_HEADER_BYTES = 1 << 20

/**
 * Parses a container header from the start of `buf`. Throws AvroTruncatedError when `buf` ends before the
 * header does (the async reader then fetches more).
 */
export function parseContainerHeader(buf: Uint8Array, options?: ContainerReaderOptions): ContainerHeader {
  const r = new AvroReader(buf)
  if (buf.length < 4) throw new AvroTruncatedError('Input ends inside the container magic', { offset: 0 })
  for (let i = 0; i < 4; i++) {
    if (buf[i] !== CONTAINER_MAGIC[i]) {
      throw new AvroMalformedError('Not an Avro object container file (magic "Obj\\x01" missing)', {
        offset: 0,
      })
    }
  }
  r.pos = 4
  const maxHeader = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES
  const metadata = new Map<string, Buffer>()
  for (let n = r.readBlockCount(maxHeader); n !== 0; n = r.readBlockCount(maxHeader)) {
    for (let i = 0; i < n; i++) {
      const k = r.readString(maxHeader)
      metadata.set(k, Buffer.from(r.readBytes(maxHeader)))
    }
  }
  const syncMarker = Buffer.from(r.readFixed(SYNC_SIZE))
  const schemaBytes = metadata.get('avro.schema')
  if (schemaBytes === undefined) {
    throw new AvroMalformedError('Container header has no avro.schema metadata', { offset: 4 })
  }
  const schemaJson = schemaBytes.toString('utf8')
  const schema = parseSchema(schemaJson)
  const codecName = metadata.get('avro.codec')?.toString('utf8') ?? 'null'
  const codec = getCodec(codecName).name
  return { schemaJson, schema, codec, metadata, syncMarker, length: r.pos }
}

/** Random access to the bytes of a container. */
export interface ByteSource {
  /** Up to `length` bytes at `position`; fewer only at the end of the input. */
  readAt(position: number, length: number): Promise<Buffer>
}

/** An in-memory container: reads are views, no copy. */
export function bufferSource(buf: Uint8Array): ByteSource {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  return {
    readAt: (position, length) =>
      Promise.resolve(b.subarray(Math.min(position, b.length), Math.min(position + length, b.length))),
  }
}

/** A container read through an open file handle (positional reads; the handle's own position is unused). */
export function fileSource(fh: FileHandle): ByteSource {
  return {
    async readAt(position, length) {
      const buf = Buffer.allocUnsafe(length)
      let n = 0
      while (n < length) {
        const { bytesRead } = await fh.read(buf, n, length - n, position + n)
        if (bytesRead === 0) break
        n += bytesRead
      }
      return n === length ? buf : buf.subarray(0, n)
    },
  }
}

/** One block of a container: its position in the file and its uncompressed data. */
export class ContainerBlock {
  /** File offset of the block's first byte (just after the previous sync marker). */
  readonly offset: number
  /** File offset just after this block's sync marker (where the next block starts). */
  readonly end: number
  /** Number of datums. */
  readonly count: number
  /** Uncompressed datums, back to back. Its memory may be shared with the input (null codec, Buffer input). */
  readonly data: Buffer
  readonly #schema: Schema
  readonly #options: ContainerReaderOptions | undefined

  constructor(
    offset: number,
    end: number,
    count: number,
    data: Buffer,
    schema: Schema,
    options?: ContainerReaderOptions,
  ) {
    this.offset = offset
    this.end = end
    this.count = count
    this.data = data
    this.#schema = schema
    this.#options = options
  }

  /** Runs `each` for every datum, then checks the datums filled the block exactly. */
  #walk(each: (r: AvroReader, i: number) => void): void {
    const r = new AvroReader(this.data)
    try {
      for (let i = 0; i < this.count; i++) each(r, i)
    } catch (e) {
      if (e instanceof AvroTruncatedError || e instanceof AvroMalformedError) {
        throw new AvroMalformedError(
          `Corrupt datum in the block at offset ${this.offset} (byte ${r.pos} of its data): ${e.message}`,
          { offset: this.offset, cause: e },
        )
      }
      throw e
    }
    if (r.pos !== r.end) {
      throw new AvroMalformedError(
        `Block at offset ${this.offset} read partially: ${this.count} datums end at byte ${r.pos} of ${r.end}`,
        { offset: this.offset },
      )
    }
  }

  /**
   * The raw bytes of each datum, as views into `data`. With `canonical`, each datum is re-encoded the way
   * Java's GenericDatumWriter would (what Flume's spooldir AVRO deserializer puts in event bodies); the
   * result differs from the raw bytes only for non-canonical writers (see transcodeDatum).
   */
  datums(options?: { canonical?: boolean }): Buffer[] {
    const out = new Array<Buffer>(this.count)
    const limits = this.#options?.limits ?? DEFAULT_DECODE_LIMITS
    if (options?.canonical === true) {
      const w = new AvroWriter(this.data.length + 64)
      const ends = new Array<number>(this.count)
      this.#walk((r, i) => {
        transcodeDatum(r, this.#schema, w, limits)
        ends[i] = w.pos
      })
      const buf = w.finish(16)
      let start = 0
      for (let i = 0; i < this.count; i++) {
        out[i] = buf.subarray(start, ends[i])
        start = ends[i] as number
      }
      return out
    }
    this.#walk((r, i) => {
      const start = r.pos
      skipDatum(r, this.#schema, limits)
      out[i] = this.data.subarray(start, r.pos)
    })
    return out
  }

  /** Decodes every datum with the file's schema. */
  values(): AvroValue[] {
    const out = new Array<AvroValue>(this.count)
    const limits = this.#options?.limits ?? DEFAULT_DECODE_LIMITS
    this.#walk((r, i) => {
      out[i] = readDatum(r, this.#schema, limits)
    })
    return out
  }

  /** Decodes every datum as a Flume event (fast path; the schema must be Flume's event record shape). */
  events(): DecodedFlumeEvent[] {
    if (!isFlumeEventSchema(this.#schema)) {
      throw new AvroSchemaError('events() needs a {headers: map<string>, body: bytes} schema; use values()')
    }
    const out = new Array<DecodedFlumeEvent>(this.count)
    const limits = this.#options?.eventLimits ?? DEFAULT_FLUME_EVENT_LIMITS
    this.#walk((r, i) => {
      out[i] = readFlumeEvent(r, limits)
    })
    return out
  }
}

/** Step 1 of reading a block: its count and size from (up to) the first 20 bytes at `offset`. */
function parseBlockPrefix(
  prefix: Buffer,
  offset: number,
  maxBlockBytes: number,
): { count: number; size: number; dataOffset: number } {
  const r = new AvroReader(prefix)
  let count: number
  let size: number
  try {
    count = r.readLong()
    size = r.readLong()
  } catch (e) {
    if (e instanceof AvroTruncatedError) {
      throw new AvroTruncatedError(`Input ends inside the header of the block at offset ${offset}`, {
        offset,
      })
    }
    if (e instanceof AvroError) {
      throw new AvroMalformedError(`Invalid block header at offset ${offset}: ${e.message}`, {
        offset,
        cause: e,
      })
    }
    throw e
  }
  if (count < 0 || size < 0) {
    throw new AvroMalformedError(`Invalid block at offset ${offset}: count ${count}, size ${size}`, {
      offset,
    })
  }
  if (size > maxBlockBytes) {
    throw new AvroLimitError(
      `Block at offset ${offset} has ${size} bytes, more than the limit of ${maxBlockBytes}`,
      {
        offset,
      },
    )
  }
  return { count, size, dataOffset: offset + r.pos }
}

/** Step 2: checks the sync marker after the data and decompresses it. */
function finishBlock(
  header: ContainerHeader,
  codec: Codec,
  minDatumSize: number,
  offset: number,
  count: number,
  size: number,
  dataOffset: number,
  body: Buffer,
  options: ContainerReaderOptions | undefined,
): ContainerBlock {
  if (body.length < size + SYNC_SIZE) {
    throw new AvroTruncatedError(
      `Input ends inside the block at offset ${offset} (${size} data + ${SYNC_SIZE} sync bytes expected, ` +
        `${body.length} present)`,
      { offset },
    )
  }
  if (!header.syncMarker.equals(body.subarray(size, size + SYNC_SIZE))) {
    throw new AvroMalformedError(
      `Sync marker mismatch after the block at offset ${offset}: corrupt block or not a single container file`,
      { offset },
    )
  }
  const data = codec.decompress(
    body.subarray(0, size),
    options?.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES,
    offset,
  )
  if (count > 0 && count * minDatumSize > data.length) {
    throw new AvroMalformedError(
      `Block at offset ${offset} claims ${count} datums in ${data.length} bytes, impossible for its schema`,
      { offset },
    )
  }
  return new ContainerBlock(offset, dataOffset + size + SYNC_SIZE, count, data, header.schema, options)
}

const SCAN_CHUNK = 64 * 1024

export class ContainerReader {
  readonly header: ContainerHeader
  readonly #source: ByteSource
  readonly #options: ContainerReaderOptions | undefined
  readonly #codec: Codec
  readonly #minDatumSize: number
  #position: number
  // Datum cursor (readDatums / previousSync).
  #datums: Buffer[] | null = null
  #index = 0
  #blockOffset = 0

  private constructor(
    source: ByteSource,
    header: ContainerHeader,
    options: ContainerReaderOptions | undefined,
  ) {
    this.#source = source
    this.header = header
    this.#options = options
    this.#codec = getCodec(header.codec)
    this.#minDatumSize = minEncodedSize(header.schema)
    this.#position = header.length
  }

  /** Reads and checks the header. `input` is a whole file in memory or a ByteSource (see fileSource). */
  static async open(
    input: Uint8Array | ByteSource,
    options?: ContainerReaderOptions,
  ): Promise<ContainerReader> {
    const source = input instanceof Uint8Array ? bufferSource(input) : input
    const maxHeader = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES
    let want = Math.min(4096, maxHeader)
    for (;;) {
      const chunk = await source.readAt(0, want)
      try {
        return new ContainerReader(source, parseContainerHeader(chunk, options), options)
      } catch (e) {
        if (!(e instanceof AvroTruncatedError) || chunk.length < want) throw e
        if (want >= maxHeader) {
          throw new AvroLimitError(`Container header is larger than the limit of ${maxHeader} bytes`, {
            offset: 0,
          })
        }
        want = Math.min(want * 4, maxHeader)
      }
    }
  }

  /** File offset where the next block will be read. */
  get position(): number {
    return this.#position
  }

  /**
   * Java's DataFileReader.previousSync(): the start of the block the next datum of `readDatums` comes from
   * (the next block's start once the current one is used up). Flume's spooldir records
   * `previousSync - 16` as its mark and rewinds with `seekToSync(mark)`.
   */
  get previousSync(): number {
    if (this.#datums !== null && this.#index < this.#datums.length) return this.#blockOffset
    return this.#position
  }

  /** Reads the next block, or null at the end of the input. Drops what is left of the datum cursor. */
  async nextBlock(): Promise<ContainerBlock | null> {
    this.#datums = null
    const offset = this.#position
    const maxBlock = this.#options?.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES
    const prefix = await this.#source.readAt(offset, PREFIX_ROOM)
    if (prefix.length === 0) return null
    const { count, size, dataOffset } = parseBlockPrefix(prefix, offset, maxBlock)
    const body = await this.#source.readAt(dataOffset, size + SYNC_SIZE)
    const block = finishBlock(
      this.header,
      this.#codec,
      this.#minDatumSize,
      offset,
      count,
      size,
      dataOffset,
      body,
      this.#options,
    )
    this.#position = block.end
    return block
  }

  /** Yields the remaining blocks. */
  async *blocks(): AsyncGenerator<ContainerBlock> {
    for (let b = await this.nextBlock(); b !== null; b = await this.nextBlock()) yield b
  }

  /**
   * Up to `max` raw datums (fewer only at the end of the file), crossing blocks as needed: the spooldir
   * AVRO deserializer's readEvents(). `canonical` re-encodes as Java would (see ContainerBlock.datums).
   */
  async readDatums(max: number, options?: { canonical?: boolean }): Promise<Buffer[]> {
    const out: Buffer[] = []
    while (out.length < max) {
      if (this.#datums === null || this.#index >= this.#datums.length) {
        const block = await this.nextBlock()
        if (block === null) break
        this.#datums = block.datums(options)
        this.#index = 0
        this.#blockOffset = block.offset
        continue
      }
      out.push(this.#datums[this.#index++] as Buffer)
    }
    return out
  }

  /**
   * Java's DataFileReader.sync(position): continue with the block after the first sync marker that starts
   * at or after `position`; at the end of the input when there is none.
   */
  async seekToSync(position: number): Promise<void> {
    this.#datums = null
    const sync = this.header.syncMarker
    if (position <= this.header.length - SYNC_SIZE) {
      // The header's own marker is the first one (Java finds it by scanning; same result).
      this.#position = this.header.length
      return
    }
    let p = position
    let carry = Buffer.alloc(0)
    for (;;) {
      const chunk = await this.#source.readAt(p, SCAN_CHUNK)
      const hay = carry.length === 0 ? chunk : Buffer.concat([carry, chunk])
      const i = hay.indexOf(sync)
      if (i >= 0) {
        this.#position = p - carry.length + i + SYNC_SIZE
        return
      }
      if (chunk.length < SCAN_CHUNK) {
        this.#position = p + chunk.length
        return
      }
      carry = Buffer.from(hay.subarray(hay.length - (SYNC_SIZE - 1)))
      p += chunk.length
    }
  }
}

/** Reads a whole in-memory container synchronously: header plus every block (errors stop at the bad block). */
export function decodeContainer(
  buf: Uint8Array,
  options?: ContainerReaderOptions,
): { header: ContainerHeader; blocks: ContainerBlock[] } {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const header = parseContainerHeader(b, options)
  const codec = getCodec(header.codec)
  const minSize = minEncodedSize(header.schema)
  const maxBlock = options?.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES
  const blocks: ContainerBlock[] = []
  let p = header.length
  while (p < b.length) {
    const { count, size, dataOffset } = parseBlockPrefix(b.subarray(p, p + PREFIX_ROOM), p, maxBlock)
    const body = b.subarray(dataOffset, dataOffset + size + SYNC_SIZE)
    const block = finishBlock(header, codec, minSize, p, count, size, dataOffset, body, options)
    blocks.push(block)
    p = block.end
  }
  return { header, blocks }
}
