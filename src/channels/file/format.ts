/**
 * Byte layouts of the file channel's data log (docs/file-channel.md has the same tables). Pure encode and
 * decode, no I/O. All integers are little-endian; 64-bit sequence numbers are stored as float64, which is
 * exact below 2^53 (at a million events a second, 285 years).
 *
 * Log file `log-<id>`:
 *
 *   file header, 32 bytes
 *     0  4    magic "FLCL"
 *     4  u16  format version (1)
 *     6  u16  flags (bit 0: records are encrypted)
 *     8  u32  file id
 *    12  u32  salt: random per file, first 4 bytes of every AES-GCM nonce in it
 *    16  u32  key alias length in bytes (0 when not encrypted); the UTF-8 alias follows the header
 *    20  f64  creation time (epoch ms)
 *    28  u32  CRC-32 of bytes 0..28 and of the alias
 *   then the key alias, then records back to back.
 *
 *   record, one per committed transaction
 *     0  4    magic "FREC"
 *     4  u32  CRC-32 of bytes 8..length (the whole record after this field)
 *     8  u32  length of the whole record, header included
 *    12  u32  number of puts
 *    16  u32  number of take runs
 *    20  u32  reserved (0)
 *    24  f64  sequence number of the first put (puts are numbered consecutively)
 *    32  take runs: (f64 first sequence, u32 count) × runs
 *     …  puts: (u32 payload length, u32 CRC-32 of payload, payload) × puts
 *
 *   event payload (plain)
 *     u32 header count, then per header: u32 key length, key, u32 value length, value (UTF-8), then the
 *     body up to the end of the payload.
 *   event payload (encrypted): AES-256/192/128-GCM of the plain payload with nonce = salt ‖ f64 seq,
 *     additional data = f64 seq, followed by the 16-byte tag.
 *
 * A record is valid when its magic, length and CRC match; a reader stops at the first invalid record (a torn
 * write from a crash) and the replay decides what to do with the rest of the file. Each event also has its
 * own CRC so a take can verify the bytes it reads back without reading the whole record.
 */

import { crc32 } from 'node:zlib'
import { Event, type Headers, newHeaders } from '../../core/event.ts'

/** "FLCL" (flumen channel log) as it appears on disk, read as a little-endian u32. */
export const FILE_MAGIC = Buffer.from('FLCL', 'latin1').readUInt32LE(0)
export const FILE_VERSION = 1
export const FILE_HEADER_SIZE = 32
export const FILE_FLAG_ENCRYPTED = 1

/** "FREC" on disk. */
export const RECORD_MAGIC = Buffer.from('FREC', 'latin1').readUInt32LE(0)
export const RECORD_HEADER_SIZE = 32
export const TAKE_RUN_SIZE = 12
export const EVENT_PREFIX_SIZE = 8
/** A record larger than this is refused at commit (offsets in the queue are 32-bit). */
export const MAX_RECORD_SIZE = 1024 * 1024 * 1024

export interface FileHeader {
  readonly fileId: number
  readonly encrypted: boolean
  readonly salt: number
  readonly keyAlias: string
  readonly created: number
  /** Bytes taken by the header and the alias: where the first record starts. */
  readonly size: number
}

export function encodeFileHeader(h: Omit<FileHeader, 'size'>): Buffer {
  const alias = Buffer.from(h.keyAlias, 'utf8')
  const b = Buffer.alloc(FILE_HEADER_SIZE + alias.length)
  b.writeUInt32LE(FILE_MAGIC, 0)
  b.writeUInt16LE(FILE_VERSION, 4)
  b.writeUInt16LE(h.encrypted ? FILE_FLAG_ENCRYPTED : 0, 6)
  b.writeUInt32LE(h.fileId, 8)
  b.writeUInt32LE(h.salt >>> 0, 12)
  b.writeUInt32LE(alias.length, 16)
  b.writeDoubleLE(h.created, 20)
  alias.copy(b, FILE_HEADER_SIZE)
  b.writeUInt32LE(crc32(alias, crc32(b.subarray(0, 28))), 28)
  return b
}

/** Decodes a file header, or returns a reason why the bytes are not one. */
export function decodeFileHeader(b: Buffer): FileHeader | string {
  if (b.length < FILE_HEADER_SIZE) return `file is shorter than the ${FILE_HEADER_SIZE}-byte header`
  if (b.readUInt32LE(0) !== FILE_MAGIC) return 'not a flumen file channel log (bad magic)'
  const version = b.readUInt16LE(4)
  if (version !== FILE_VERSION) return `unsupported log format version ${version}`
  const aliasLen = b.readUInt32LE(16)
  if (aliasLen > 4096 || b.length < FILE_HEADER_SIZE + aliasLen) return 'header truncated'
  const alias = b.subarray(FILE_HEADER_SIZE, FILE_HEADER_SIZE + aliasLen)
  if (crc32(alias, crc32(b.subarray(0, 28))) !== b.readUInt32LE(28)) return 'header checksum mismatch'
  return {
    fileId: b.readUInt32LE(8),
    encrypted: (b.readUInt16LE(6) & FILE_FLAG_ENCRYPTED) !== 0,
    salt: b.readUInt32LE(12),
    keyAlias: alias.toString('utf8'),
    created: b.readDoubleLE(20),
    size: FILE_HEADER_SIZE + aliasLen,
  }
}

/** Encrypts or decrypts event payloads; `undefined` when the channel is not encrypted. */
export interface PayloadCipher {
  readonly overhead: number
  seal(plain: Buffer, seq: number, salt: number): Buffer
  open(sealed: Buffer, seq: number, salt: number): Buffer
}

/** Runs of consecutive sequence numbers: `starts[i]`, `counts[i]`. */
export interface SeqRuns {
  starts: number[]
  counts: number[]
}

/** Appends a sequence number to runs, extending the last run when consecutive. */
export function addToRuns(runs: SeqRuns, seq: number): void {
  const n = runs.starts.length
  if (n > 0) {
    const last = n - 1
    if ((runs.starts[last] as number) + (runs.counts[last] as number) === seq) {
      runs.counts[last] = (runs.counts[last] as number) + 1
      return
    }
  }
  runs.starts.push(seq)
  runs.counts.push(1)
}

function encodedPayloadSize(e: Event): number {
  let n = 4 + e.body.length
  const h = e.headers
  for (const k in h) n += 8 + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(h[k] as string, 'utf8')
  return n
}

function writePayload(e: Event, b: Buffer, at: number): number {
  let off = at + 4
  let count = 0
  const h = e.headers
  for (const k in h) {
    const kl = b.write(k, off + 4, 'utf8')
    b.writeUInt32LE(kl, off)
    off += 4 + kl
    const vl = b.write(h[k] as string, off + 4, 'utf8')
    b.writeUInt32LE(vl, off)
    off += 4 + vl
    count++
  }
  b.writeUInt32LE(count, at)
  off += e.body.copy(b, off)
  return off
}

/** Where each put landed inside an encoded record: offset of its 8-byte prefix and its payload length. */
export interface EncodedRecord {
  readonly buf: Buffer
  /** Offsets, relative to the record start, of each put's prefix. */
  readonly putOffsets: Uint32Array
  readonly putLengths: Uint32Array
  readonly putCrcs: Uint32Array
}

/**
 * Encodes one committed transaction. Puts get sequence numbers `firstSeq`, `firstSeq + 1`, ….
 * With a cipher, payloads are sealed with the file's salt (the caller knows which file the record goes to).
 */
export function encodeRecord(
  puts: readonly Event[],
  firstSeq: number,
  takes: SeqRuns,
  cipher?: { cipher: PayloadCipher; salt: number },
): EncodedRecord {
  const runCount = takes.starts.length
  const sizes = new Uint32Array(puts.length)
  let total = RECORD_HEADER_SIZE + runCount * TAKE_RUN_SIZE
  for (let i = 0; i < puts.length; i++) {
    const s = encodedPayloadSize(puts[i] as Event) + (cipher?.cipher.overhead ?? 0)
    sizes[i] = s
    total += EVENT_PREFIX_SIZE + s
  }
  const buf = Buffer.allocUnsafe(total)
  buf.writeUInt32LE(RECORD_MAGIC, 0)
  buf.writeUInt32LE(total, 8)
  buf.writeUInt32LE(puts.length, 12)
  buf.writeUInt32LE(runCount, 16)
  buf.writeUInt32LE(0, 20)
  buf.writeDoubleLE(firstSeq, 24)
  let off = RECORD_HEADER_SIZE
  for (let i = 0; i < runCount; i++) {
    buf.writeDoubleLE(takes.starts[i] as number, off)
    buf.writeUInt32LE(takes.counts[i] as number, off + 8)
    off += TAKE_RUN_SIZE
  }
  const putOffsets = new Uint32Array(puts.length)
  const putCrcs = new Uint32Array(puts.length)
  for (let i = 0; i < puts.length; i++) {
    const e = puts[i] as Event
    const size = sizes[i] as number
    putOffsets[i] = off
    buf.writeUInt32LE(size, off)
    const p = off + EVENT_PREFIX_SIZE
    if (cipher === undefined) {
      writePayload(e, buf, p)
    } else {
      const plain = Buffer.allocUnsafe(size - cipher.cipher.overhead)
      writePayload(e, plain, 0)
      cipher.cipher.seal(plain, firstSeq + i, cipher.salt).copy(buf, p)
    }
    const c = crc32(buf.subarray(p, p + size))
    buf.writeUInt32LE(c, off + 4)
    putCrcs[i] = c
    off = p + size
  }
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4)
  return { buf, putOffsets, putLengths: sizes, putCrcs }
}

/** Decodes a plain event payload. The body is a view into `b` (no copy). */
export function decodePayload(b: Buffer): Event {
  if (b.length < 4) throw new Error('event payload shorter than its header count')
  const count = b.readUInt32LE(0)
  let off = 4
  const headers: Headers = newHeaders()
  for (let i = 0; i < count; i++) {
    if (off + 4 > b.length) throw new Error('event header key length past the end of the payload')
    const kl = b.readUInt32LE(off)
    off += 4
    if (off + kl + 4 > b.length) throw new Error('event header key past the end of the payload')
    const k = b.toString('utf8', off, off + kl)
    off += kl
    const vl = b.readUInt32LE(off)
    off += 4
    if (off + vl > b.length) throw new Error('event header value past the end of the payload')
    headers[k] = b.toString('utf8', off, off + vl)
    off += vl
  }
  return new Event(b.subarray(off), headers)
}

/** A record as the replay sees it: where it is, what it puts and what it takes. */
export interface ScannedRecord {
  readonly length: number
  readonly firstSeq: number
  readonly putCount: number
  /** Absolute offsets (within `b`) of each put's prefix; payload length at the prefix. */
  readonly takeStarts: Float64Array
  readonly takeCounts: Uint32Array
}

export type ScanResult =
  | { readonly kind: 'record'; readonly record: ScannedRecord }
  /** Not enough bytes in `b` to decide: the record continues past `b` (read more, or it is torn). */
  | { readonly kind: 'short'; readonly need: number }
  | { readonly kind: 'invalid'; readonly reason: string }

/**
 * Checks the record at `at` in `b`. `fileRemaining` is the number of bytes from `at` to the end of the file,
 * to tell "read more" from "runs past the end of the file" (a torn tail).
 */
export function scanRecord(b: Buffer, at: number, fileRemaining: number): ScanResult {
  const avail = b.length - at
  if (fileRemaining < RECORD_HEADER_SIZE) {
    return { kind: 'invalid', reason: `${fileRemaining} stray byte(s) at the end of the file` }
  }
  if (avail < RECORD_HEADER_SIZE) return { kind: 'short', need: RECORD_HEADER_SIZE }
  if (b.readUInt32LE(at) !== RECORD_MAGIC) return { kind: 'invalid', reason: 'bad record magic' }
  const length = b.readUInt32LE(at + 8)
  const putCount = b.readUInt32LE(at + 12)
  const runCount = b.readUInt32LE(at + 16)
  if (length < RECORD_HEADER_SIZE + runCount * TAKE_RUN_SIZE + putCount * EVENT_PREFIX_SIZE) {
    return { kind: 'invalid', reason: 'record length smaller than its contents' }
  }
  if (length > fileRemaining) {
    return { kind: 'invalid', reason: `record of ${length} bytes runs past the end of the file` }
  }
  if (length > avail) return { kind: 'short', need: length }
  if (crc32(b.subarray(at + 8, at + length)) !== b.readUInt32LE(at + 4)) {
    return { kind: 'invalid', reason: 'record checksum mismatch' }
  }
  let off = at + RECORD_HEADER_SIZE
  const takeStarts = new Float64Array(runCount)
  const takeCounts = new Uint32Array(runCount)
  for (let i = 0; i < runCount; i++) {
    takeStarts[i] = b.readDoubleLE(off)
    takeCounts[i] = b.readUInt32LE(off + 8)
    off += TAKE_RUN_SIZE
  }
  return {
    kind: 'record',
    record: { length, firstSeq: b.readDoubleLE(at + 24), putCount, takeStarts, takeCounts },
  }
}

/**
 * Calls `onPut(index, prefixOffset, payloadLength)` for every put of a record already validated by
 * `scanRecord` (its checksum covers the prefixes, so this cannot run off the record).
 */
export function forEachPut(
  b: Buffer,
  at: number,
  rec: ScannedRecord,
  onPut: (index: number, offset: number, length: number) => void,
): boolean {
  let off = at + RECORD_HEADER_SIZE + rec.takeStarts.length * TAKE_RUN_SIZE
  const end = at + rec.length
  for (let i = 0; i < rec.putCount; i++) {
    if (off + EVENT_PREFIX_SIZE > end) return false
    const len = b.readUInt32LE(off)
    if (off + EVENT_PREFIX_SIZE + len > end) return false
    onPut(i, off, len)
    off += EVENT_PREFIX_SIZE + len
  }
  return off === end
}
