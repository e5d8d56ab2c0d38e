/**
 * `file` channel (org.apache.flume.channel.file.FileChannel): a durable channel built on a write-ahead log
 * with group commit and checkpoints. Its on-disk format is flumen's own (docs/file-channel.md); it keeps
 * Flume's properties, guarantees and metrics.
 *
 * # Guarantees
 *
 * - A commit resolves only after its record is on disk (fdatasync), so a committed put survives a process
 *   crash and a power loss; a committed take stays taken. With fsyncPerTransaction = false the fsync runs
 *   every fsyncInterval seconds instead: a process crash still loses nothing (the bytes are in the page
 *   cache), a power loss may lose the last seconds of commits.
 * - After a crash (kill -9) the channel holds exactly the events whose put was committed and whose take was
 *   not: uncommitted puts never reached the log, uncommitted takes were never logged.
 * - Take order is put (commit) order; rolled-back takes return to the head in their original order.
 * - Disk full, or less than minimumRequiredSpace free: puts are refused (ChannelFullError, so sources push
 *   back), takes and checkpoints go on, nothing committed is touched, and puts resume by themselves once
 *   space is back.
 *
 * # Design (invariants)
 *
 * - Only committed transactions are written: one record per commit holding its puts (events) and its takes
 *   (runs of sequence numbers). Nothing is logged for put() or rollback(), so there are no "rollback" or
 *   "in-flight" records to reconcile at replay, and a rolled-back transaction costs no I/O at all.
 * - Every event gets a sequence number at commit. The in-memory queue holds only pointers (sequence, file,
 *   offset, length: 20 bytes an event); bodies are read back from the log when taken, except for recent
 *   batches still in a bounded cache (recent-puts.ts).
 * - One writer per data directory (writer.ts). Concurrent commits that arrive while a write+fsync is under
 *   way share the next one (group commit). A record is applied to memory only once durable, in log order.
 * - Each record carries a CRC-32 over all of it, each event a CRC-32 of its payload: replay detects a torn
 *   tail (truncated, warned) and damage inside a file (skipped, reported as an error with the byte count);
 *   a take detects a damaged event (skipped, counted in EventTakeErrorCount, logged).
 * - Checkpoints (checkpoint.ts) snapshot the queue pointers and, per file, how far the log is reflected in
 *   them; written atomically (temp file + rename) every checkpointInterval, after start and at stop. The
 *   replay (replay.ts) scans only what follows. A damaged checkpoint falls back to the backup copy
 *   (useDualCheckpoints) or to a full replay of the logs, with a log line saying which.
 * - A log file is deleted once it is sealed (the writer moved on), none of its events is queued or taken by
 *   an open transaction, every file its take records point at is gone too, and a checkpoint not referencing
 *   it is durable (both copies, with dual checkpoints).
 * - Directories are locked with `in_use.lock` (lock.ts): a second agent or channel on the same directories
 *   refuses to start, naming the holder.
 *
 * # Differences from Java Flume
 *
 * - The on-disk format is different (no protobuf, no mmapped checkpoint); a data directory written by Java
 *   Flume is recognised and refused with a clear message instead of being misread.
 * - ChannelFullError for capacity comes at commit (after waiting keep-alive), like the memory channel, not
 *   at put: put() is synchronous here. A transaction may both put and take (Flume forbids it).
 * - Changing `capacity` does not force a full replay; takes and checkpoints keep working on a disk below
 *   minimumRequiredSpace (Flume stops everything, FLUME-1609). Encryption is AES-GCM (see encryption.ts).
 */

import { randomBytes } from 'node:crypto'
import { mkdir, unlink } from 'node:fs/promises'
import { crc32 } from 'node:zlib'
import type { Logger } from 'pino'
import type { Channel, Transaction } from '../../core/channel.ts'
import { BaseTransaction } from '../../core/channel.ts'
import { ChannelCounter } from '../../core/counters.ts'
import { ChannelError, ChannelFullError, describeError } from '../../core/errors.ts'
import type { Event } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import { defineChannel } from '../../core/spec.ts'
import { RecentPuts } from '../util/recent-puts.ts'
import { DataWaiters, SpaceGate } from '../util/waiters.ts'
import {
  type Checkpoint,
  type CheckpointFile,
  encodeCheckpoint,
  writeBackup,
  writeCheckpoint,
} from './checkpoint.ts'
import {
  fileChannelFields,
  type ResolvedFileChannelConfig,
  resolveConfig,
  validateFileChannel,
} from './config.ts'
import { GcmCipher, loadKeys } from './encryption.ts'
import {
  decodePayload,
  EVENT_PREFIX_SIZE,
  encodeFileHeader,
  encodeRecord,
  FILE_HEADER_SIZE,
  MAX_RECORD_SIZE,
  type PayloadCipher,
  type SeqRuns,
} from './format.ts'
import { DirLock } from './lock.ts'
import { closeReadHandle, type LogFileState, newLogFileState, readAt, readHandle } from './log-file.ts'
import { PointerList, PointerQueue } from './queue.ts'
import { type ReplayStats, replay } from './replay.ts'
import { DiskSpace } from './space.ts'
import { LogWriter, type PendingRecord, syncDir } from './writer.ts'

export type { FileChannelConfig } from './config.ts'

/** Default budget of the recent-puts cache. */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
/** Reads of neighbouring events closer than this are merged into one read. */
const READ_GAP = 256 * 1024
const READ_MAX = 16 * 1024 * 1024

export interface FileChannelOptions {
  /** Bytes of recent puts served from memory (0 disables the cache: every take reads the log). */
  readonly cacheBytes?: number
  /** Environment for key providers (default process.env). */
  readonly env?: NodeJS.ProcessEnv
  /** Free-space refresh periods (tests shorten them). */
  readonly spaceRefreshMs?: number
  readonly lowSpaceRefreshMs?: number
}

type State = 'new' | 'starting' | 'open' | 'stopping' | 'closed' | 'failed'

export class FileChannel implements Channel {
  readonly name: string
  readonly durable = true
  readonly counter: ChannelCounter
  readonly #cfg: ResolvedFileChannelConfig
  readonly #logger: Logger
  readonly #opts: FileChannelOptions
  readonly #component: string
  #state: State = 'new'
  #startError: string | undefined
  #queue = new PointerQueue()
  #files = new Map<number, LogFileState>()
  #writers: LogWriter[] = []
  #nextWriter = 0
  #nextSeq = 0
  #nextFileId = 1
  #gate: SpaceGate
  readonly #data = new DataWaiters()
  #disk: DiskSpace | undefined
  #locks: DirLock[] = []
  #cache: RecentPuts
  #ciphers = new Map<string, PayloadCipher>()
  #activeCipher: PayloadCipher | undefined
  #salt = 0
  readonly #inflight = new Set<FileTransaction>()
  #checkpointTimer: NodeJS.Timeout | undefined
  #fsyncTimer: NodeJS.Timeout | undefined
  #checkpointChain: Promise<boolean> = Promise.resolve(true)
  #checkpointQueued: Promise<boolean> | undefined
  readonly #takeErrors: RateLimitedLog
  readonly #checkpointErrors: RateLimitedLog
  /** What the last start's replay found (tests, logs). */
  lastReplay: ReplayStats | undefined

  constructor(name: string, cfg: ResolvedFileChannelConfig, logger: Logger, opts: FileChannelOptions = {}) {
    this.name = name
    this.#component = `CHANNEL.${name}`
    this.#cfg = cfg
    this.#logger = logger
    this.#opts = opts
    this.counter = new ChannelCounter(name)
    this.counter.channelCapacity = cfg.capacity
    for (const k of [
      'EventPutErrorCount',
      'EventTakeErrorCount',
      'CheckpointWriteErrorCount',
      'CheckpointBackupWriteErrorCount',
    ]) {
      this.counter.extra.set(k, 0)
    }
    this.counter.gauges.set('Open', () => this.#state === 'open')
    this.counter.gauges.set('Closed', () => (this.#state === 'open' ? 0 : 1))
    this.counter.gauges.set('Unhealthy', () => (this.#state === 'failed' ? 1 : 0))
    this.counter.gauges.set('DataFileCount', () => this.#files.size)
    this.counter.gauges.set('LowDiskSpace', () => (this.#disk?.low === true ? 1 : 0))
    this.#gate = new SpaceGate(cfg.capacity)
    this.#cache = new RecentPuts(opts.cacheBytes ?? DEFAULT_CACHE_BYTES)
    this.#takeErrors = new RateLimitedLog(logger, 5000)
    this.#checkpointErrors = new RateLimitedLog(logger, 5000)
  }

  get transactionCapacity(): number {
    return this.#cfg.transactionCapacity
  }

  get config(): ResolvedFileChannelConfig {
    return this.#cfg
  }

  get isOpen(): boolean {
    return this.#state === 'open'
  }

  size(): number {
    return this.#queue.size
  }

  begin(): Transaction {
    return new FileTransaction(this)
  }

  // --- lifecycle ---------------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#state === 'open' || this.#state === 'starting') return
    this.#state = 'starting'
    this.counter.start()
    const cfg = this.#cfg
    try {
      const dirs = [
        cfg.checkpointDir,
        ...cfg.dataDirs,
        ...(cfg.backupCheckpointDir ? [cfg.backupCheckpointDir] : []),
      ]
      for (const d of dirs) await mkdir(d, { recursive: true })
      const roles = new Map<string, string>()
      roles.set(cfg.checkpointDir, 'checkpointDir')
      for (const d of cfg.dataDirs) if (!roles.has(d)) roles.set(d, 'data directory')
      if (cfg.backupCheckpointDir !== undefined && !roles.has(cfg.backupCheckpointDir)) {
        roles.set(cfg.backupCheckpointDir, 'backupCheckpointDir')
      }
      for (const [d, role] of roles) this.#locks.push(await DirLock.acquire(d, this.name, role))

      if (cfg.encryption !== undefined) {
        const keys = await loadKeys(cfg.encryption, this.#opts.env ?? process.env, this.name)
        this.#ciphers = new Map([...keys].map(([alias, k]) => [alias, new GcmCipher(k)]))
        this.#activeCipher = this.#ciphers.get(cfg.encryption.activeKey)
      }

      const r = await replay({
        channel: this.name,
        checkpointDir: cfg.checkpointDir,
        backupDir: cfg.backupCheckpointDir,
        dataDirs: cfg.dataDirs,
        logger: this.#logger,
      })
      for (const f of r.files.values()) {
        if (f.encrypted && !this.#ciphers.has(f.keyAlias)) {
          throw new ChannelError(
            `File channel ${this.name}: ${f.path} is encrypted with key '${f.keyAlias}', which the configured key provider does not have${cfg.encryption === undefined ? ' (encryption is not configured)' : ''}. Add the key to encryption.keyProvider.keys`,
            { component: this.#component },
          )
        }
      }
      this.#queue = r.queue
      this.#files = r.files
      this.#nextSeq = r.nextSeq
      this.#nextFileId = r.nextFileId
      this.lastReplay = r.stats
      this.#gate = new SpaceGate(cfg.capacity)
      this.#gate.force(r.queue.size)
      this.#cache.clear()
      this.#inflight.clear()
      this.#salt = randomBytes(4).readUInt32LE(0)

      const alias = cfg.encryption?.activeKey ?? ''
      const headerSize = FILE_HEADER_SIZE + Buffer.byteLength(alias, 'utf8')
      this.#writers = cfg.dataDirs.map(
        (dir) =>
          new LogWriter(dir, this.#writerHooks(dir, alias), {
            maxFileSize: cfg.maxFileSize,
            fsyncPerTransaction: cfg.fsyncPerTransaction,
            headerSize,
          }),
      )
      for (const w of this.#writers) await w.open()

      this.#disk = new DiskSpace(
        dirs,
        cfg.minimumRequiredSpace,
        (low, s) => this.#spaceChanged(low, s.dir, s.free),
        {
          ...(this.#opts.spaceRefreshMs === undefined ? {} : { refreshMs: this.#opts.spaceRefreshMs }),
          ...(this.#opts.lowSpaceRefreshMs === undefined
            ? {}
            : { lowRefreshMs: this.#opts.lowSpaceRefreshMs }),
        },
      )
      await this.#disk.start()
      if (this.#disk.low) this.#spaceChanged(true, this.#disk.lowDir?.dir ?? '', this.#disk.lowDir?.free ?? 0)

      this.#state = 'open'
      this.#startError = undefined
      // A checkpoint right after the replay records what it found (truncations, deletions) and bounds the
      // next replay; it also deletes files that are now fully consumed.
      await this.checkpoint()
      this.#checkpointTimer = setInterval(() => void this.checkpoint(), cfg.checkpointIntervalMs)
      this.#checkpointTimer.unref()
      if (!cfg.fsyncPerTransaction) {
        this.#fsyncTimer = setInterval(() => {
          for (const w of this.#writers) void w.sync()
        }, cfg.fsyncIntervalMs)
        this.#fsyncTimer.unref()
      }
      this.counter.channelSize = this.#queue.size
      const s = r.stats
      this.#logger.info(
        {
          events: this.#queue.size,
          replayMs: s.ms,
          from: s.source,
          records: s.records,
          files: this.#files.size,
          bytesScanned: s.bytesScanned,
          tornTails: s.tornTails,
          damagedRegions: s.damagedRegions,
          dataDirs: cfg.dataDirs,
        },
        'File channel open',
      )
    } catch (e) {
      this.#state = 'failed'
      this.#startError = describeError(e)
      await this.#closeResources()
      if (e instanceof ChannelError) throw e
      throw new ChannelError(`File channel ${this.name} failed to start: ${describeError(e)}`, {
        cause: e,
        component: this.#component,
      })
    }
  }

  async stop(): Promise<void> {
    if (this.#state !== 'open') {
      if (this.#state === 'failed') await this.#closeResources()
      this.counter.stop()
      return
    }
    this.#state = 'stopping'
    this.#clearTimers()
    this.#data.wakeAll()
    this.#gate.cancelAll()
    for (const w of this.#writers) await w.close()
    if (this.#cfg.checkpointOnClose) await this.#enqueueCheckpoint()
    else await this.#checkpointChain
    await this.#closeResources()
    this.#state = 'closed'
    this.counter.channelSize = this.#queue.size
    this.counter.stop()
    this.#logger.info({ events: this.#queue.size }, 'File channel closed')
  }

  /**
   * Test hook: behaves as if the process was killed (kill -9) right now. Memory state is dropped without a
   * checkpoint or a final fsync; lock files stay behind, as a dead owner leaves them. Only meaningful
   * between operations (a commit in flight fails).
   */
  async crashForTest(): Promise<void> {
    await this.#checkpointChain // as if the crash came right after a checkpoint under way
    this.#state = 'closed'
    this.#clearTimers()
    this.#data.wakeAll()
    this.#gate.cancelAll()
    for (const w of this.#writers) await w.abandon()
    this.#writers = []
    for (const f of this.#files.values()) await closeReadHandle(f)
    this.#disk?.stop()
    for (const l of this.#locks) l.forget()
    this.#locks = []
    this.#inflight.clear()
    this.counter.stop()
  }

  /** Test hook: every writer closes its current file and starts a new one. */
  async rollForTest(): Promise<void> {
    await Promise.all(this.#writers.map((w) => w.roll()))
  }

  #clearTimers(): void {
    if (this.#checkpointTimer !== undefined) clearInterval(this.#checkpointTimer)
    if (this.#fsyncTimer !== undefined) clearInterval(this.#fsyncTimer)
    this.#checkpointTimer = undefined
    this.#fsyncTimer = undefined
  }

  async #closeResources(): Promise<void> {
    this.#clearTimers()
    for (const w of this.#writers) await w.close().catch(() => {})
    this.#writers = []
    for (const f of this.#files.values()) await closeReadHandle(f)
    this.#disk?.stop()
    for (const l of this.#locks) await l.release()
    this.#locks = []
  }

  #writerHooks(dir: string, alias: string) {
    return {
      allocFileId: () => this.#nextFileId++,
      fileHeader: (fileId: number) =>
        encodeFileHeader({
          fileId,
          encrypted: this.#activeCipher !== undefined,
          salt: this.#salt,
          keyAlias: alias,
          created: Date.now(),
        }),
      created: (fileId: number, path: string, headerSize: number) => {
        this.#files.set(
          fileId,
          newLogFileState({
            id: fileId,
            dir,
            path,
            headerSize,
            encrypted: this.#activeCipher !== undefined,
            salt: this.#salt,
            keyAlias: alias,
          }),
        )
      },
      advanced: (fileId: number, end: number) => {
        const f = this.#files.get(fileId)
        if (f !== undefined) f.appliedEnd = end
      },
      sealed: (fileId: number, validEnd: number) => {
        const f = this.#files.get(fileId)
        if (f === undefined) return
        f.sealed = true
        f.validEnd = validEnd
        if (f.live === 0 && this.#disk?.low === true) void this.checkpoint()
      },
    }
  }

  #spaceChanged(low: boolean, dir: string, free: number): void {
    const mb = (n: number) => Math.round(n / 1048576)
    if (low) {
      this.#logger.warn(
        { dir, freeMB: mb(free), minimumRequiredSpaceMB: mb(this.#cfg.minimumRequiredSpace) },
        'File channel is short of disk space: puts are refused until space is freed (takes continue)',
      )
      // Consumed files are deleted at checkpoints: do one now rather than at the next interval.
      void this.checkpoint()
    } else {
      this.#logger.info({ dir, freeMB: mb(free) }, 'File channel has disk space again: puts accepted')
    }
  }

  // --- transactions --------------------------------------------------------------------------------------

  /** @internal */ requireOpen(): void {
    if (this.#state === 'open' || this.#state === 'stopping') return
    throw new ChannelError(
      `File channel ${this.name} is not open${this.#startError === undefined ? ` (${this.#state})` : `: ${this.#startError}`}`,
      { component: this.#component, code: 'FLUME_ERR_CHANNEL_CLOSED' },
    )
  }

  /** @internal Refuses puts while disk space is short (Flume checks usable space at every put). */
  checkPutSpace(): void {
    const d = this.#disk
    if (d?.low === true) {
      throw this.#diskFullError(d.lowDir?.dir, d.lowDir?.free)
    }
  }

  #diskFullError(dir: string | undefined, free: number | undefined, cause?: unknown): ChannelFullError {
    const mb = (n: number) => (n / 1048576).toFixed(1)
    return new ChannelFullError(
      `File channel ${this.name} refuses puts: ${free === undefined ? 'the disk is full' : `only ${mb(Math.max(0, free))} MB free`} in ${dir ?? 'its directories'}, below minimumRequiredSpace (${mb(this.#cfg.minimumRequiredSpace)} MB). Free disk space or let the sinks drain the channel; puts resume by themselves`,
      cause === undefined ? { component: this.#component } : { component: this.#component, cause },
    )
  }

  /** @internal */ async take(tx: FileTransaction, max: number, signal?: AbortSignal): Promise<Event[]> {
    this.requireOpen()
    const list = tx.takes
    const start = list.length
    let n = this.#queue.popFrontInto(max, list)
    if (n === 0) {
      if (this.#state === 'open') await this.#data.wait(this.#cfg.keepAliveMs, signal)
      if (tx.state !== 'open' || (this.#state !== 'open' && this.#state !== 'stopping')) return []
      n = this.#queue.popFrontInto(max, list)
    }
    if (n === 0) return []
    this.counter.channelSize = this.#queue.size
    this.#inflight.add(tx)
    try {
      return await this.#readEvents(list, start, start + n)
    } catch (e) {
      this.counter.add('EventTakeErrorCount', n)
      throw new ChannelError(`File channel ${this.name}: take failed reading the log: ${describeError(e)}`, {
        cause: e,
        component: this.#component,
      })
    }
  }

  /** Reads events [from, to) of a take list: from the cache, else from the log with merged reads. */
  async #readEvents(list: PointerList, from: number, to: number): Promise<Event[]> {
    const out: (Event | undefined)[] = new Array(to - from)
    let misses: number[] | undefined
    for (let i = from; i < to; i++) {
      const e = this.#cache.get(list.seqs[i] as number)
      if (e !== undefined) out[i - from] = e
      else (misses ??= []).push(i)
    }
    if (misses !== undefined) {
      const reads: Promise<void>[] = []
      let a = 0
      while (a < misses.length) {
        const first = misses[a] as number
        const file = list.files[first] as number
        const start = list.offsets[first] as number
        let end = start + EVENT_PREFIX_SIZE + (list.lengths[first] as number)
        let b = a + 1
        while (b < misses.length) {
          const k = misses[b] as number
          const off = list.offsets[k] as number
          if (list.files[k] !== file || off < end || off - end > READ_GAP) break
          const e2 = off + EVENT_PREFIX_SIZE + (list.lengths[k] as number)
          if (e2 - start > READ_MAX) break
          end = e2
          b++
        }
        reads.push(this.#readRange(list, misses.slice(a, b), file, start, end, out, from))
        a = b
      }
      await Promise.all(reads)
    }
    let bad = 0
    for (let i = 0; i < out.length; i++) if (out[i] === undefined) bad++
    if (bad === 0) return out as Event[]
    return out.filter((e): e is Event => e !== undefined)
  }

  async #readRange(
    list: PointerList,
    idx: number[],
    fileId: number,
    start: number,
    end: number,
    out: (Event | undefined)[],
    from: number,
  ): Promise<void> {
    const f = this.#files.get(fileId)
    let buf: Buffer
    try {
      if (f === undefined) throw Object.assign(new Error(`log file ${fileId} is unknown`), { code: 'ENOENT' })
      buf = await readAt(await readHandle(f), start, end - start)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      for (const i of idx) this.#corrupt(list, i, f?.path ?? `log-${fileId}`, 'the log file is missing')
      return
    }
    for (const i of idx) {
      const off = (list.offsets[i] as number) - start
      const len = list.lengths[i] as number
      const path = (f as LogFileState).path
      if (off + EVENT_PREFIX_SIZE + len > buf.length) {
        this.#corrupt(list, i, path, 'the log file ends before the event')
        continue
      }
      if (buf.readUInt32LE(off) !== len) {
        this.#corrupt(list, i, path, 'length mismatch')
        continue
      }
      let payload = buf.subarray(off + EVENT_PREFIX_SIZE, off + EVENT_PREFIX_SIZE + len)
      if (crc32(payload) !== buf.readUInt32LE(off + 4)) {
        this.#corrupt(list, i, path, 'checksum mismatch')
        continue
      }
      try {
        if ((f as LogFileState).encrypted) {
          const c = this.#ciphers.get((f as LogFileState).keyAlias) as PayloadCipher
          payload = c.open(payload, list.seqs[i] as number, (f as LogFileState).salt)
        }
        out[i - from] = decodePayload(payload)
      } catch (e) {
        this.#corrupt(list, i, path, describeError(e))
      }
    }
  }

  #corrupt(list: PointerList, i: number, path: string, reason: string): void {
    this.counter.add('EventTakeErrorCount')
    this.#takeErrors.error(
      { file: path, offset: list.offsets[i], seq: list.seqs[i], reason },
      'Damaged event in the file channel log: skipped (it is lost)',
    )
  }

  /** @internal Commits a transaction: one log record, durable before this resolves. */
  async commit(tx: FileTransaction, puts: Event[], takes: PointerList): Promise<void> {
    this.requireOpen()
    const nPuts = puts.length
    const nTakes = takes.length
    if (nPuts === 0 && nTakes === 0) return
    if (nPuts > 0) this.checkPutSpace()
    const need = nPuts - nTakes
    let reserved = 0
    if (need > 0) {
      const ok =
        this.#gate.tryReserve(need) ||
        (await this.#gate.reserve(need, 0, this.#state === 'open' ? this.#cfg.keepAliveMs : 0))
      if (!ok) {
        throw new ChannelFullError(
          `File channel ${this.name} is full (capacity ${this.#cfg.capacity}); no space within keep-alive ${this.#cfg.keepAliveMs / 1000}s. Sinks are likely not keeping up with sources, or the capacity is too small`,
          { component: this.#component },
        )
      }
      reserved = need
    }
    const writer = this.#pickWriter()
    let rec: PendingRecord | undefined
    try {
      const firstSeq = this.#nextSeq
      this.#nextSeq += nPuts
      const runs = toRuns(takes)
      const cipher = this.#activeCipher
      const enc = encodeRecord(
        puts,
        firstSeq,
        runs,
        cipher === undefined ? undefined : { cipher, salt: this.#salt },
      )
      if (enc.buf.length > MAX_RECORD_SIZE) {
        throw new ChannelError(
          `File channel ${this.name}: a transaction of ${enc.buf.length} bytes is larger than the 1 GiB record limit; use smaller batches`,
          { component: this.#component },
        )
      }
      const disk = this.#disk
      if (nPuts > 0 && disk !== undefined && !disk.hasRoomFor(writer.dir, enc.buf.length)) {
        disk.refuse(writer.dir, enc.buf.length)
        throw this.#diskFullError(writer.dir, disk.lowDir?.free)
      }
      const r: PendingRecord = {
        buf: enc.buf,
        fileId: 0,
        offset: 0,
        applied: () => this.#apply(r, enc.putOffsets, enc.putLengths, firstSeq, puts, takes),
      }
      rec = r
      await writer.append(r)
    } catch (e) {
      if (reserved > 0) this.#gate.release(reserved)
      if (nPuts > 0) this.counter.add('EventPutErrorCount', nPuts)
      if (e instanceof ChannelError) throw e
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC' || (e as NodeJS.ErrnoException).code === 'EDQUOT') {
        this.#disk?.refuse(writer.dir, rec?.buf.length ?? 0, true)
        throw this.#diskFullError(writer.dir, 0, e)
      }
      throw new ChannelError(
        `File channel ${this.name}: commit failed writing the log: ${describeError(e)}`,
        {
          cause: e,
          component: this.#component,
        },
      )
    }
    this.#inflight.delete(tx)
    if (need < 0) this.#gate.release(-need)
    this.#disk?.written(writer.dir, (rec as PendingRecord).buf.length)
  }

  /** Applies a durable record to memory (called by the writer, in log order, synchronously). */
  #apply(
    rec: PendingRecord,
    putOffsets: Uint32Array,
    putLengths: Uint32Array,
    firstSeq: number,
    puts: readonly Event[],
    takes: PointerList,
  ): void {
    const fileId = rec.fileId
    const f = this.#files.get(fileId) as LogFileState
    const n = puts.length
    for (let i = 0; i < n; i++) {
      this.#queue.pushBack(
        firstSeq + i,
        fileId,
        rec.offset + (putOffsets[i] as number),
        putLengths[i] as number,
      )
    }
    f.live += n
    let prevFile = -1
    let prev: LogFileState | undefined
    for (let i = 0; i < takes.length; i++) {
      const tf = takes.files[i] as number
      if (tf !== prevFile) {
        prev = this.#files.get(tf)
        prevFile = tf
        if (tf !== fileId) f.deps.add(tf)
      }
      if (prev !== undefined && --prev.live === 0 && this.#disk?.low === true) this.#drained(prev)
    }
    if (n > 0) {
      this.#cache.add(firstSeq, puts, rec.buf.length)
      this.counter.eventPutSuccessCount += n
      this.#data.wakeAll()
    }
    this.counter.eventTakeSuccessCount += takes.length
    this.counter.channelSize = this.#queue.size
  }

  /** A file's events are all taken while disk space is short: get it deleted as soon as possible. */
  #drained(f: LogFileState): void {
    if (f.sealed) {
      void this.checkpoint()
      return
    }
    for (const w of this.#writers) if (w.currentFile === f.id) void w.roll()
  }

  /** @internal */ rollback(tx: FileTransaction, takes: PointerList): void {
    this.#inflight.delete(tx)
    if (takes.length === 0) return
    this.#queue.pushFrontList(takes)
    this.counter.channelSize = this.#queue.size
    this.#data.wakeAll()
  }

  #pickWriter(): LogWriter {
    const ws = this.#writers
    if (ws.length === 1) return ws[0] as LogWriter
    // The least busy directory, round-robin among equals: concurrent commits spread over the disks.
    let best = ws[this.#nextWriter % ws.length] as LogWriter
    for (let i = 1; i < ws.length; i++) {
      const w = ws[(this.#nextWriter + i) % ws.length] as LogWriter
      if (w.queuedBytes < best.queuedBytes) best = w
    }
    this.#nextWriter++
    return best
  }

  // --- checkpoints -----------------------------------------------------------------------------------------

  /**
   * Writes a checkpoint (and the backup) and deletes log files no longer needed. Requests made while one
   * is being written are served by the next one. Resolves false when the checkpoint could not be written.
   */
  checkpoint(): Promise<boolean> {
    if (this.#state !== 'open' && this.#state !== 'stopping') return Promise.resolve(false)
    return this.#enqueueCheckpoint()
  }

  #enqueueCheckpoint(): Promise<boolean> {
    this.#checkpointQueued ??= this.#checkpointChain.then(async () => {
      this.#checkpointQueued = undefined
      try {
        return await this.#doCheckpoint()
      } catch (e) {
        this.#checkpointErrors.error({ error: describeError(e) }, 'File channel checkpoint failed')
        return false
      }
    })
    this.#checkpointChain = this.#checkpointQueued
    return this.#checkpointQueued
  }

  async #doCheckpoint(): Promise<boolean> {
    const cfg = this.#cfg
    const { cp, dead } = this.#snapshot()
    if (!cfg.fsyncPerTransaction) {
      // Everything the snapshot references must be durable before a checkpoint points at it.
      for (const w of this.#writers) await w.sync()
    }
    const parts = encodeCheckpoint(cp)
    try {
      await writeCheckpoint(cfg.checkpointDir, parts)
    } catch (e) {
      this.counter.add('CheckpointWriteErrorCount')
      this.#checkpointErrors.error(
        { dir: cfg.checkpointDir, error: describeError(e) },
        'File channel could not write its checkpoint; the previous one stays valid (the next replay is longer)',
      )
      return false
    }
    let backupOk = true
    if (cfg.backupCheckpointDir !== undefined) {
      try {
        await writeBackup(cfg.backupCheckpointDir, parts, cfg.compressBackupCheckpoint)
      } catch (e) {
        backupOk = false
        this.counter.add('CheckpointBackupWriteErrorCount')
        this.#checkpointErrors.error(
          { dir: cfg.backupCheckpointDir, error: describeError(e) },
          'File channel could not write its backup checkpoint; consumed log files are kept until it succeeds',
        )
      }
    }
    if (backupOk && dead.length > 0) await this.#deleteFiles(dead)
    return true
  }

  #snapshot(): { cp: Checkpoint; dead: LogFileState[] } {
    let inflight = 0
    for (const tx of this.#inflight) inflight += tx.takes.length
    const n = inflight + this.#queue.size
    const seq = new Float64Array(n)
    const file = new Uint32Array(n)
    const offset = new Uint32Array(n)
    const length = new Uint32Array(n)
    let at = 0
    for (const tx of this.#inflight) {
      const t = tx.takes
      for (let i = 0; i < t.length; i++, at++) {
        seq[at] = t.seqs[i] as number
        file[at] = t.files[i] as number
        offset[at] = t.offsets[i] as number
        length[at] = t.lengths[i] as number
      }
    }
    this.#queue.copyInto(seq, file, offset, length, at)

    // Deletable: sealed, nothing live, and every file its takes point at is deletable too (or gone).
    const cand = new Set<number>()
    for (const f of this.#files.values()) if (f.sealed && f.live === 0) cand.add(f.id)
    let changed = true
    while (changed) {
      changed = false
      for (const id of cand) {
        const f = this.#files.get(id) as LogFileState
        for (const d of f.deps) {
          if (this.#files.has(d) && !cand.has(d)) {
            cand.delete(id)
            changed = true
            break
          }
        }
      }
    }
    const files: CheckpointFile[] = []
    const dead: LogFileState[] = []
    for (const f of this.#files.values()) {
      if (cand.has(f.id)) {
        dead.push(f)
        continue
      }
      for (const d of f.deps) if (!this.#files.has(d)) f.deps.delete(d)
      files.push({
        id: f.id,
        appliedEnd: f.appliedEnd,
        validEnd: f.sealed ? f.validEnd : -1,
        deps: [...f.deps],
      })
    }
    return {
      cp: {
        written: Date.now(),
        inflight,
        dead: dead.map((f) => f.id),
        nextSeq: this.#nextSeq,
        nextFileId: this.#nextFileId,
        files,
        seq,
        file,
        offset,
        length,
      },
      dead,
    }
  }

  async #deleteFiles(dead: LogFileState[]): Promise<void> {
    const dirs = new Set<string>()
    for (const f of dead) {
      // Still dead? (Nothing can revive a sealed file with no live events; this guards future changes.)
      if (f.live !== 0 || !f.sealed) continue
      f.dead = true
      this.#files.delete(f.id)
      await closeReadHandle(f)
      try {
        await unlink(f.path)
        dirs.add(f.dir)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.#logger.warn({ file: f.path, error: describeError(e) }, 'Could not delete a consumed log file')
        }
      }
    }
    for (const d of dirs) await syncDir(d).catch(() => {})
    if (dirs.size > 0) void this.#disk?.refresh()
  }
}

/** Compresses a take list's sequence numbers into runs. */
function toRuns(takes: PointerList): SeqRuns {
  const starts: number[] = []
  const counts: number[] = []
  const s = takes.seqs
  let i = 0
  while (i < s.length) {
    const first = s[i] as number
    let j = i + 1
    while (j < s.length && s[j] === first + (j - i)) j++
    starts.push(first)
    counts.push(j - i)
    i = j
  }
  return { starts, counts }
}

export class FileTransaction extends BaseTransaction {
  readonly #ch: FileChannel
  #puts: Event[] = []
  readonly takes = new PointerList()

  constructor(ch: FileChannel) {
    super(ch.name)
    this.#ch = ch
  }

  protected doPut(events: readonly Event[]): void {
    const ch = this.#ch
    ch.counter.eventPutAttemptCount += events.length
    ch.requireOpen()
    if (this.#puts.length + events.length > ch.transactionCapacity) {
      throw new ChannelError(
        `Put list of a transaction on file channel ${ch.name} is full (transactionCapacity ${ch.transactionCapacity}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    ch.checkPutSpace()
    for (let i = 0; i < events.length; i++) this.#puts.push(events[i] as Event)
  }

  protected async doTake(max: number, signal?: AbortSignal): Promise<Event[]> {
    const ch = this.#ch
    const room = ch.transactionCapacity - this.takes.length
    if (room <= 0 && max > 0) {
      ch.counter.eventTakeAttemptCount++
      throw new ChannelError(
        `Take list of a transaction on file channel ${ch.name} is full (transactionCapacity ${ch.transactionCapacity}): commit more often or raise transactionCapacity`,
        { component: `CHANNEL.${ch.name}`, code: 'FLUME_ERR_TRANSACTION_CAPACITY' },
      )
    }
    const want = Math.min(max, room)
    if (want <= 0) return []
    const before = this.takes.length
    const got = await ch.take(this, want, signal)
    const n = this.takes.length - before
    // Flume compat: a sink calls take() until it gets null, so a short batch costs one extra attempt.
    ch.counter.eventTakeAttemptCount += n < max ? n + 1 : n
    return got
  }

  protected async doCommit(): Promise<void> {
    await this.#ch.commit(this, this.#puts, this.takes)
    // The committed puts now belong to the recent-puts cache: start a new array rather than clearing it.
    this.#puts = []
    this.takes.clear()
  }

  protected async doRollback(): Promise<void> {
    this.#ch.rollback(this, this.takes)
    this.#puts = []
    this.takes.clear()
  }
}

export const spec = defineChannel({
  type: 'file',
  classNames: ['org.apache.flume.channel.file.FileChannel'],
  summary: 'Durable channel: write-ahead log with group commit and checkpoints; survives kill -9.',
  fields: fileChannelFields,
  validate: validateFileChannel,
  transactionCapacity: (cfg) => cfg.transactionCapacity,
  build(cfg, ctx) {
    if (cfg.useLogReplayV1 || cfg.useFastReplay) {
      ctx.logger.info(
        'use-log-replay-v1 / use-fast-replay are Java Flume replay options; flumen has a single in-memory replay and ignores them',
      )
    }
    const ch = new FileChannel(ctx.name, resolveConfig(cfg, ctx.sys), ctx.logger)
    ctx.metrics.register(ch.counter)
    return ch
  },
})
