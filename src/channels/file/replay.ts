/**
 * Start-up recovery: rebuild the queue from the last checkpoint plus the log records written after it.
 *
 * 1. Refuse directories that hold Java Flume's file channel (its format is not ours): say so plainly.
 * 2. Load `checkpoint`. If it is damaged, try the backup copy (useDualCheckpoints); if that is missing or
 *    damaged too, replay every log file from the beginning. Each case is one log line saying which.
 * 3. Scan each log file from the checkpoint's applied offset (from its first record if the checkpoint does
 *    not know it); files the checkpoint lists as dead are deleted. A record is accepted only when magic,
 *    length and CRC match. At the first bad record the rest of the file is searched for a good one: if
 *    there is none, the bad bytes are a torn write at the tail (a commit that was never acknowledged): the
 *    file is truncated there, with a warning. If good records follow, the bad bytes are damage inside the
 *    file: they are skipped and an error says how many bytes were lost and where.
 * 4. The queue = checkpoint queue (in its order) + replayed puts (in sequence order), minus every event a
 *    replayed take record removed. Queue entries pointing into missing or truncated files are dropped
 *    with an error (events lost to outside damage are always reported, never silently).
 */

import type { FileHandle } from 'node:fs/promises'
import { open, readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { ChannelError } from '../../core/errors.ts'
import { type Checkpoint, loadCheckpoint } from './checkpoint.ts'
import {
  decodeFileHeader,
  FILE_HEADER_SIZE,
  forEachPut,
  RECORD_HEADER_SIZE,
  RECORD_MAGIC,
  type ScannedRecord,
  scanRecord,
} from './format.ts'
import { type LogFileState, newLogFileState, readAt } from './log-file.ts'
import { PointerList, PointerQueue } from './queue.ts'
import { syncDir } from './writer.ts'

const LOG_NAME = /^log-(\d+)$/
const CHUNK = 16 * 1024 * 1024

export interface ReplayOptions {
  readonly channel: string
  readonly checkpointDir: string
  readonly backupDir: string | undefined
  readonly dataDirs: readonly string[]
  readonly logger: Logger
}

export type ReplaySource = 'checkpoint' | 'backup' | 'logs' | 'empty'

export interface ReplayStats {
  source: ReplaySource
  filesScanned: number
  bytesScanned: number
  records: number
  puts: number
  takes: number
  tornTails: number
  damagedRegions: number
  damagedBytes: number
  lostEvents: number
  inflightRestored: number
  filesDeleted: number
  ms: number
}

export interface ReplayResult {
  readonly queue: PointerQueue
  readonly files: Map<number, LogFileState>
  readonly nextSeq: number
  readonly nextFileId: number
  readonly stats: ReplayStats
}

interface FoundFile {
  readonly id: number
  readonly dir: string
  readonly path: string
  size: number
}

/** Take runs collected from the replayed records, with the file each came from. */
class TakeRuns {
  starts: number[] = []
  counts: number[] = []
  files: number[] = []
  #order: Int32Array | undefined
  #maxEnd: Float64Array | undefined

  add(start: number, count: number, file: number): void {
    this.starts.push(start)
    this.counts.push(count)
    this.files.push(file)
  }

  seal(): void {
    const n = this.starts.length
    const order = new Int32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => (this.starts[a] as number) - (this.starts[b] as number))
    const maxEnd = new Float64Array(n)
    let m = -1
    for (let i = 0; i < n; i++) {
      const r = order[i] as number
      m = Math.max(m, (this.starts[r] as number) + (this.counts[r] as number))
      maxEnd[i] = m
    }
    this.#order = order
    this.#maxEnd = maxEnd
  }

  /** The file of a take record that removed `seq`, or −1. */
  takenBy(seq: number): number {
    const order = this.#order as Int32Array
    const maxEnd = this.#maxEnd as Float64Array
    let lo = 0
    let hi = order.length - 1
    let idx = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if ((this.starts[order[mid] as number] as number) <= seq) {
        idx = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    for (let i = idx; i >= 0 && (maxEnd[i] as number) > seq; i--) {
      const r = order[i] as number
      if (seq < (this.starts[r] as number) + (this.counts[r] as number)) return this.files[r] as number
    }
    return -1
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
}

/** Java Flume's file channel leaves these behind; flumen cannot read its format. */
async function refuseJavaFlumeDirs(opts: ReplayOptions): Promise<void> {
  const cpNames = await listDir(opts.checkpointDir)
  const javaCp = cpNames.filter((n) => n === 'checkpoint.meta' || n === 'inflightputs' || n === 'queueset')
  const javaData: string[] = []
  for (const d of opts.dataDirs) {
    for (const n of await listDir(d)) if (/^log-\d+\.meta$/.test(n)) javaData.push(join(d, n))
  }
  if (javaCp.length > 0 || javaData.length > 0) {
    const where = javaCp.length > 0 ? join(opts.checkpointDir, javaCp[0] as string) : (javaData[0] as string)
    throw new ChannelError(
      `File channel ${opts.channel}: ${where} belongs to a Java Flume file channel. flumen's file channel has its own on-disk format and cannot read Java Flume's: let the Java agent drain that channel (or keep it for Java), and give flumen new, empty checkpointDir and dataDirs`,
      { component: `CHANNEL.${opts.channel}` },
    )
  }
}

async function readHeader(fh: FileHandle, size: number) {
  const head = await readAt(fh, 0, Math.min(size, FILE_HEADER_SIZE + 4096))
  return decodeFileHeader(head)
}

/** Finds the first valid record at or after `from` in [from, end). Returns its offset, or −1. */
async function findNextRecord(fh: FileHandle, from: number, end: number): Promise<number> {
  const magic = Buffer.alloc(4)
  magic.writeUInt32LE(RECORD_MAGIC, 0)
  let pos = from
  while (pos + RECORD_HEADER_SIZE <= end) {
    const chunk = await readAt(fh, pos, Math.min(CHUNK, end - pos))
    let i = chunk.indexOf(magic)
    while (i >= 0) {
      const at = pos + i
      const len = chunk.length - i >= 12 ? chunk.readUInt32LE(i + 8) : 0
      if (len >= RECORD_HEADER_SIZE && at + len <= end) {
        const rec = i + len <= chunk.length ? chunk.subarray(i, i + len) : await readAt(fh, at, len)
        if (scanRecord(rec, 0, end - at).kind === 'record') return at
      }
      i = chunk.indexOf(magic, i + 1)
    }
    if (chunk.length < RECORD_HEADER_SIZE) break
    // Overlap by a few bytes so a magic split across chunks is still found.
    pos += chunk.length - 3
  }
  return -1
}

interface ScanSink {
  readonly puts: PointerList
  readonly takes: TakeRuns
  maxSeq: number
}

/**
 * Scans [start, end) of one file. Returns the offset where its valid records end (after truncating a torn
 * tail, which only happens when `end` is the file's real end).
 */
async function scanFile(
  f: FoundFile,
  fh: FileHandle,
  start: number,
  end: number,
  out: ScanSink,
  stats: ReplayStats,
  logger: Logger,
): Promise<number> {
  let pos = start
  let buf: Buffer = Buffer.alloc(0)
  let bufStart = start
  let firstSeq = 0
  let putIndex = 0
  const onPut = (_i: number, off: number, len: number) => {
    out.puts.push(firstSeq + putIndex++, f.id, bufStart + off, len)
  }
  stats.filesScanned++
  while (pos < end) {
    const rel = pos - bufStart
    const res = scanRecord(buf, rel, end - pos)
    if (res.kind === 'short') {
      // Refill from `pos`, enough for the record (records can be larger than a chunk).
      const want = Math.min(end - pos, Math.max(CHUNK, res.need))
      buf = await readAt(fh, pos, want)
      bufStart = pos
      stats.bytesScanned += buf.length
      if (buf.length < want) end = pos + buf.length // the file shrank under us
      continue
    }
    let reason: string
    if (res.kind === 'record') {
      const rec: ScannedRecord = res.record
      firstSeq = rec.firstSeq
      putIndex = 0
      const before = out.puts.length
      if (forEachPut(buf, rel, rec, onPut)) {
        for (let i = 0; i < rec.takeStarts.length; i++) {
          const s = rec.takeStarts[i] as number
          const c = rec.takeCounts[i] as number
          out.takes.add(s, c, f.id)
          if (s + c - 1 > out.maxSeq) out.maxSeq = s + c - 1
          stats.takes += c
        }
        if (rec.putCount > 0 && rec.firstSeq + rec.putCount - 1 > out.maxSeq) {
          out.maxSeq = rec.firstSeq + rec.putCount - 1
        }
        stats.records++
        stats.puts += rec.putCount
        pos += rec.length
        continue
      }
      // A record whose checksum matched but whose contents do not add up was written wrong: damage.
      out.puts.truncate(before)
      reason = 'record contents do not add up'
    } else reason = res.reason
    const next = await findNextRecord(fh, pos + 1, end)
    if (next < 0) {
      const lost = end - pos
      stats.tornTails++
      await fh.truncate(pos)
      await fh.datasync()
      logger.warn(
        { file: f.path, offset: pos, bytes: lost, reason },
        'Torn write at the end of a log file (a commit interrupted by a crash, never acknowledged); truncated it',
      )
      return pos
    }
    stats.damagedRegions++
    stats.damagedBytes += next - pos
    logger.error(
      { file: f.path, offset: pos, bytes: next - pos, reason },
      'Damaged data inside a log file: skipped it; any events committed in those bytes are lost, and events taken there may be delivered again',
    )
    pos = next
    buf = Buffer.alloc(0)
    bufStart = pos
  }
  return end
}

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const t0 = performance.now()
  const { logger } = opts
  const stats: ReplayStats = {
    source: 'empty',
    filesScanned: 0,
    bytesScanned: 0,
    records: 0,
    puts: 0,
    takes: 0,
    tornTails: 0,
    damagedRegions: 0,
    damagedBytes: 0,
    lostEvents: 0,
    inflightRestored: 0,
    filesDeleted: 0,
    ms: 0,
  }
  await refuseJavaFlumeDirs(opts)

  // --- find the log files ---
  const found = new Map<number, FoundFile>()
  for (const dir of opts.dataDirs) {
    for (const name of await listDir(dir)) {
      const m = LOG_NAME.exec(name)
      if (m === null) continue
      const id = Number(m[1])
      const path = join(dir, name)
      const prev = found.get(id)
      if (prev !== undefined) {
        throw new ChannelError(
          `File channel ${opts.channel}: log file id ${id} exists twice (${prev.path} and ${path}); the data directories are mixed up`,
          { component: `CHANNEL.${opts.channel}` },
        )
      }
      const st = await stat(path)
      if (st.isFile()) found.set(id, { id, dir, path, size: st.size })
    }
  }

  // --- checkpoint, backup, or nothing ---
  let cp: Checkpoint | undefined
  const primary = await loadCheckpoint(opts.checkpointDir)
  if (primary.kind === 'ok') {
    cp = primary.checkpoint
    stats.source = 'checkpoint'
  } else {
    const backup = opts.backupDir === undefined ? undefined : await loadCheckpoint(opts.backupDir, true)
    const primaryWhy =
      primary.kind === 'bad'
        ? `the checkpoint in ${opts.checkpointDir} is damaged (${primary.reason})`
        : `there is no checkpoint in ${opts.checkpointDir}`
    if (backup?.kind === 'ok') {
      cp = backup.checkpoint
      stats.source = 'backup'
      logger.warn(
        { checkpointDir: opts.checkpointDir, backupCheckpointDir: opts.backupDir },
        `Replay: ${primaryWhy}; restoring from the backup checkpoint`,
      )
    } else if (found.size > 0 || primary.kind === 'bad') {
      stats.source = 'logs'
      const backupWhy =
        opts.backupDir === undefined
          ? 'dual checkpoints are off'
          : backup?.kind === 'bad'
            ? `the backup is damaged too (${backup.reason})`
            : 'there is no backup checkpoint'
      logger.warn(
        { checkpointDir: opts.checkpointDir, logFiles: found.size },
        `Replay: ${primaryWhy} and ${backupWhy}; replaying all ${found.size} log file(s) from the beginning (full replay)`,
      )
    }
  }

  const cpFiles = new Map((cp?.files ?? []).map((f) => [f.id, f]))
  const cpDead = new Set(cp?.dead ?? [])
  const files = new Map<number, LogFileState>()
  const sink: ScanSink = { puts: new PointerList(), takes: new TakeRuns(), maxSeq: -1 }
  /** Valid byte length of each file after the scan (for dropping pointers into lost regions). */
  const validLength = new Map<number, number>()
  const dirsTouched = new Set<string>()
  let maxFileId = 0

  for (const f of [...found.values()].sort((a, b) => a.id - b.id)) {
    maxFileId = Math.max(maxFileId, f.id)
    if (cpDead.has(f.id) && !cpFiles.has(f.id)) {
      await unlink(f.path)
      dirsTouched.add(f.dir)
      stats.filesDeleted++
      logger.info({ file: f.path }, 'Deleted a log file the last checkpoint had found fully consumed')
      continue
    }
    const fh = await open(f.path, 'r+')
    try {
      const header = await readHeader(fh, f.size)
      if (typeof header === 'string') {
        const blank =
          f.size < FILE_HEADER_SIZE || (await readAt(fh, 0, FILE_HEADER_SIZE)).every((x) => x === 0)
        if (blank && !cpFiles.has(f.id)) {
          // Created, then a crash before its header was durable: it never held a record.
          await fh.close()
          await unlink(f.path)
          dirsTouched.add(f.dir)
          stats.filesDeleted++
          logger.warn(
            { file: f.path },
            'Deleted an empty log file left by a crash while it was being created',
          )
          continue
        }
        throw new ChannelError(
          `File channel ${opts.channel}: ${f.path} is not a usable flumen log file (${header}); move it out of the data directory`,
          { component: `CHANNEL.${opts.channel}` },
        )
      }
      if (header.fileId !== f.id) {
        throw new ChannelError(
          `File channel ${opts.channel}: ${f.path} says it is log ${header.fileId}; files were renamed or copied`,
          { component: `CHANNEL.${opts.channel}` },
        )
      }
      const known = cpFiles.get(f.id)
      let start = header.size
      let end = f.size
      if (known !== undefined) {
        if (f.size < known.appliedEnd) {
          logger.error(
            { file: f.path, size: f.size, checkpointed: known.appliedEnd },
            'A log file is shorter than the checkpoint recorded: it was truncated or replaced outside flumen; events in the missing part are lost',
          )
          start = f.size
        } else start = known.appliedEnd
        if (known.validEnd >= 0) end = Math.min(end, known.validEnd)
      }
      const validEnd =
        start < end ? await scanFile(f, fh, start, end, sink, stats, logger) : Math.min(start, end)
      validLength.set(f.id, validEnd)
      const st = newLogFileState({
        id: f.id,
        dir: f.dir,
        path: f.path,
        headerSize: header.size,
        encrypted: header.encrypted,
        salt: header.salt,
        keyAlias: header.keyAlias,
      })
      st.appliedEnd = validEnd
      st.sealed = true
      st.validEnd = validEnd
      for (const d of known?.deps ?? []) st.deps.add(d)
      files.set(f.id, st)
    } finally {
      await fh.close().catch(() => {})
    }
  }
  for (const d of dirsTouched) await syncDir(d)
  for (const f of cpFiles.values()) {
    if (!files.has(f.id)) {
      logger.error(
        { fileId: f.id, dataDirs: opts.dataDirs },
        'A log file the checkpoint needs is missing from the data directories (deleted outside flumen, or a data directory was removed from dataDirs)',
      )
    }
  }

  // --- rebuild the queue ---
  sink.takes.seal()
  const queue = new PointerQueue(Math.max(1024, (cp?.seq.length ?? 0) + sink.puts.length))
  const keep = (seq: number, file: number, offset: number, length: number): boolean => {
    const taker = sink.takes.takenBy(seq)
    if (taker >= 0) {
      if (taker !== file) files.get(taker)?.deps.add(file)
      return false
    }
    const f = files.get(file)
    const valid = validLength.get(file)
    if (f === undefined || valid === undefined || offset + 8 + length > valid) {
      stats.lostEvents++
      return false
    }
    f.live++
    return true
  }
  if (cp !== undefined) {
    const n = cp.seq.length
    for (let i = 0; i < n; i++) {
      const seq = cp.seq[i] as number
      const file = cp.file[i] as number
      const offset = cp.offset[i] as number
      const length = cp.length[i] as number
      if (keep(seq, file, offset, length)) {
        queue.pushBack(seq, file, offset, length)
        if (i < cp.inflight) stats.inflightRestored++
      }
    }
  }
  // Puts in sequence order: within one data directory files (by id) and records are already in order, so
  // this is a merge of one sorted run per directory.
  const runs = new Map<string, number[]>()
  const puts = sink.puts
  for (let i = 0; i < puts.length; i++) {
    const dir = (files.get(puts.files[i] as number) as LogFileState).dir
    let r = runs.get(dir)
    if (r === undefined) runs.set(dir, (r = []))
    r.push(i)
  }
  const heads = [...runs.values()].map((r) => ({ r, i: 0 }))
  for (;;) {
    let best: { r: number[]; i: number } | undefined
    let bestSeq = Number.POSITIVE_INFINITY
    for (const h of heads) {
      if (h.i < h.r.length) {
        const s = puts.seqs[h.r[h.i] as number] as number
        if (s < bestSeq) {
          bestSeq = s
          best = h
        }
      }
    }
    if (best === undefined) break
    const k = best.r[best.i++] as number
    const file = puts.files[k] as number
    const offset = puts.offsets[k] as number
    const length = puts.lengths[k] as number
    if (keep(bestSeq, file, offset, length)) queue.pushBack(bestSeq, file, offset, length)
  }

  if (stats.lostEvents > 0) {
    logger.error(
      { events: stats.lostEvents },
      'Events the checkpoint or the log refer to are missing from the data files (deleted or truncated outside flumen): they are lost',
    )
  }
  if (stats.inflightRestored > 0) {
    logger.warn(
      { events: stats.inflightRestored },
      'Events that sinks had taken but not committed when the agent stopped are back in the channel; they will be delivered again (duplicates downstream are possible)',
    )
  }
  stats.ms = Math.round(performance.now() - t0)
  return {
    queue,
    files,
    nextSeq: Math.max(cp?.nextSeq ?? 0, sink.maxSeq + 1),
    nextFileId: Math.max(cp?.nextFileId ?? 1, maxFileId + 1),
    stats,
  }
}
