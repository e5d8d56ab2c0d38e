/**
 * Checkpoints: a snapshot of the queue (pointers only) and of how far each log file is reflected in it, so
 * a restart reads the snapshot and replays only the records written after it.
 *
 * Layout of `checkpointDir/checkpoint` (little-endian; docs/file-channel.md has the same table):
 *
 *    0  4    magic "FLCK"
 *    4  u32  version (1)
 *    8  u32  CRC-32 of bytes 16..end
 *   12  u32  in-flight: how many entries at the head of the queue were taken by open transactions
 *   16  f64  time written (epoch ms)
 *   24  f64  next sequence number
 *   32  u32  next file id
 *   36  u32  number of files F
 *   40  f64  number of queued events N
 *   48  u32  number of dead files X, then X × u32 file id
 *    …  files, F × variable: u32 file id, f64 applied end, f64 valid end (−1: open), u32 D, D × u32 deps
 *    …  queue, N entries as four columns: f64 seq × N, u32 file × N, u32 offset × N, u32 length × N
 *
 * "Applied end": every record of the file before this offset is reflected in the queue; the replay scans
 * from there. A log file that is in neither list is newer than the checkpoint and is replayed whole.
 * "Dead" files hold nothing the queue needs; they are deleted once the checkpoint is durable (the replay
 * deletes them too, if a crash came first). "Deps": files whose events this file's take records removed; a
 * file is deleted only after those, so a full replay (no checkpoint) never resurrects a taken event.
 *
 * Written atomically: `checkpoint.tmp` is written and fsynced, renamed over `checkpoint`, and the
 * directory is fsynced. A crash at any point leaves either the old or the new checkpoint, both complete; a
 * damaged file (bad magic, size or CRC) is detected at start and the channel falls back to the backup copy
 * (useDualCheckpoints) or to a full replay of the logs.
 */

import { open, readFile, rename, unlink } from 'node:fs/promises'
import { endianness } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { crc32, gunzip, gzip } from 'node:zlib'
import { syncDir } from './writer.ts'

export const CHECKPOINT_FILE = 'checkpoint'
/** Marker beside a backup checkpoint: present only while the backup is complete. */
export const BACKUP_COMPLETE = 'backupComplete'
const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)
const MAGIC = Buffer.from('FLCK', 'latin1').readUInt32LE(0)
const VERSION = 1
const HEADER = 48

if (endianness() !== 'LE') {
  // The queue columns are copied as typed arrays, which use the host's byte order.
  throw new Error('The flumen file channel requires a little-endian host')
}

export interface CheckpointFile {
  readonly id: number
  readonly appliedEnd: number
  readonly validEnd: number
  readonly deps: readonly number[]
}

export interface Checkpoint {
  readonly written: number
  readonly inflight: number
  readonly dead: readonly number[]
  readonly nextSeq: number
  readonly nextFileId: number
  readonly files: readonly CheckpointFile[]
  readonly seq: Float64Array
  readonly file: Uint32Array
  readonly offset: Uint32Array
  readonly length: Uint32Array
}

/** Encodes a checkpoint as a list of buffers (the queue columns are not copied again). */
export function encodeCheckpoint(cp: Checkpoint): Buffer[] {
  let filesSize = 4 + 4 * cp.dead.length
  for (const f of cp.files) filesSize += 24 + 4 * f.deps.length
  const head = Buffer.alloc(HEADER + filesSize)
  head.writeUInt32LE(MAGIC, 0)
  head.writeUInt32LE(VERSION, 4)
  head.writeUInt32LE(cp.inflight, 12)
  head.writeDoubleLE(cp.written, 16)
  head.writeDoubleLE(cp.nextSeq, 24)
  head.writeUInt32LE(cp.nextFileId, 32)
  head.writeUInt32LE(cp.files.length, 36)
  head.writeDoubleLE(cp.seq.length, 40)
  let off = HEADER
  head.writeUInt32LE(cp.dead.length, off)
  off += 4
  for (const d of cp.dead) {
    head.writeUInt32LE(d, off)
    off += 4
  }
  for (const f of cp.files) {
    head.writeUInt32LE(f.id, off)
    head.writeDoubleLE(f.appliedEnd, off + 4)
    head.writeDoubleLE(f.validEnd, off + 12)
    head.writeUInt32LE(f.deps.length, off + 20)
    off += 24
    for (const d of f.deps) {
      head.writeUInt32LE(d, off)
      off += 4
    }
  }
  const parts = [
    head,
    Buffer.from(cp.seq.buffer, cp.seq.byteOffset, cp.seq.byteLength),
    Buffer.from(cp.file.buffer, cp.file.byteOffset, cp.file.byteLength),
    Buffer.from(cp.offset.buffer, cp.offset.byteOffset, cp.offset.byteLength),
    Buffer.from(cp.length.buffer, cp.length.byteOffset, cp.length.byteLength),
  ]
  let c = crc32(head.subarray(16))
  for (let i = 1; i < parts.length; i++) c = crc32(parts[i] as Buffer, c)
  head.writeUInt32LE(c, 8)
  return parts
}

/** Decodes a checkpoint, or returns why the bytes are not a valid one. */
export function decodeCheckpoint(b: Buffer): Checkpoint | string {
  if (b.length < HEADER) return `file is ${b.length} bytes, shorter than a checkpoint header`
  if (b.readUInt32LE(0) !== MAGIC) return 'bad magic (not a flumen checkpoint)'
  const version = b.readUInt32LE(4)
  if (version !== VERSION) return `unsupported checkpoint version ${version}`
  if (crc32(b.subarray(16)) !== b.readUInt32LE(8)) return 'checksum mismatch (the file is damaged)'
  const fileCount = b.readUInt32LE(36)
  const n = b.readDoubleLE(40)
  let off = HEADER
  if (off + 4 > b.length) return 'dead file list truncated'
  const deadCount = b.readUInt32LE(off)
  off += 4
  if (off + deadCount * 4 > b.length) return 'dead file list truncated'
  const dead: number[] = []
  for (let k = 0; k < deadCount; k++) dead.push(b.readUInt32LE(off + k * 4))
  off += deadCount * 4
  const files: CheckpointFile[] = []
  for (let i = 0; i < fileCount; i++) {
    if (off + 24 > b.length) return 'file list truncated'
    const id = b.readUInt32LE(off)
    const appliedEnd = b.readDoubleLE(off + 4)
    const validEnd = b.readDoubleLE(off + 12)
    const depCount = b.readUInt32LE(off + 20)
    off += 24
    if (off + depCount * 4 > b.length) return 'file list truncated'
    const deps: number[] = []
    for (let k = 0; k < depCount; k++) deps.push(b.readUInt32LE(off + k * 4))
    off += depCount * 4
    files.push({ id, appliedEnd, validEnd, deps })
  }
  if (!Number.isInteger(n) || n < 0 || off + n * 20 !== b.length)
    return 'queue size does not match the file size'
  const copy = (bytes: number) => {
    const ab = new ArrayBuffer(bytes)
    b.copy(Buffer.from(ab), 0, off, off + bytes)
    off += bytes
    return ab
  }
  const seq = new Float64Array(copy(n * 8))
  const file = new Uint32Array(copy(n * 4))
  const offset = new Uint32Array(copy(n * 4))
  const length = new Uint32Array(copy(n * 4))
  const inflight = b.readUInt32LE(12)
  if (inflight > n) return 'in-flight count larger than the queue'
  return {
    written: b.readDoubleLE(16),
    inflight,
    dead,
    nextSeq: b.readDoubleLE(24),
    nextFileId: b.readUInt32LE(32),
    files,
    seq,
    file,
    offset,
    length,
  }
}

/** Writes `parts` to `dir/name` atomically (temp file, fsync, rename, directory fsync). */
export async function writeAtomically(dir: string, name: string, parts: readonly Buffer[]): Promise<void> {
  const path = join(dir, name)
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w')
  try {
    let pos = 0
    let pending = [...parts]
    let total = 0
    for (const p of parts) total += p.length
    while (pos < total) {
      const { bytesWritten } = await fh.writev(pending, pos)
      pos += bytesWritten
      if (pos < total) pending = skipBytes(parts, pos)
    }
    await fh.sync()
  } catch (e) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw e
  }
  await fh.close()
  await rename(tmp, path)
  await syncDir(dir)
}

function skipBytes(parts: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = []
  let s = skip
  for (const p of parts) {
    if (s >= p.length) {
      s -= p.length
      continue
    }
    out.push(s > 0 ? p.subarray(s) : p)
    s = 0
  }
  return out
}

/** Writes the primary checkpoint. */
export function writeCheckpoint(dir: string, parts: readonly Buffer[]): Promise<void> {
  return writeAtomically(dir, CHECKPOINT_FILE, parts)
}

/**
 * Writes the backup copy: the `backupComplete` marker is removed first and written last, so a backup that
 * was interrupted half-way is never trusted. With `compress`, the copy is gzipped (Flume's
 * compressBackupCheckpoint), which is worth it for large, mostly sequential queues.
 */
export async function writeBackup(dir: string, parts: readonly Buffer[], compress: boolean): Promise<void> {
  await unlink(join(dir, BACKUP_COMPLETE)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e
  })
  await syncDir(dir)
  const data = compress ? [await gzipAsync(Buffer.concat(parts))] : parts
  await writeAtomically(dir, CHECKPOINT_FILE, data)
  await writeAtomically(dir, BACKUP_COMPLETE, [Buffer.from(`${new Date().toISOString()}\n`)])
}

export type LoadResult =
  | { readonly kind: 'ok'; readonly checkpoint: Checkpoint }
  | { readonly kind: 'missing' }
  | { readonly kind: 'bad'; readonly reason: string }

export async function loadCheckpoint(dir: string, backup = false): Promise<LoadResult> {
  let b: Buffer
  try {
    if (backup) {
      try {
        await readFile(join(dir, BACKUP_COMPLETE))
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
        try {
          await readFile(join(dir, CHECKPOINT_FILE))
          return { kind: 'bad', reason: 'the backup was interrupted (no backupComplete marker)' }
        } catch {
          return { kind: 'missing' }
        }
      }
    }
    b = await readFile(join(dir, CHECKPOINT_FILE))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'bad', reason: `cannot read it: ${(e as Error).message}` }
  }
  if (backup && b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = await gunzipAsync(b)
    } catch (e) {
      return { kind: 'bad', reason: `cannot decompress it: ${(e as Error).message}` }
    }
  }
  const cp = decodeCheckpoint(b)
  return typeof cp === 'string' ? { kind: 'bad', reason: cp } : { kind: 'ok', checkpoint: cp }
}
