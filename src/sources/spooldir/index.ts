/**
 * `spooldir` source (org.apache.flume.source.SpoolDirectorySource): reads the immutable files dropped into
 * a directory, one file at a time, and marks each one done (renamed `<name>.COMPLETED`, a marker in the
 * tracker directory, or deleted) once its last batch is committed (reference §3.5, wire §6.1).
 *
 * Reliability, as Flume's ReliableSpoolingFileEventReader: a batch is read, put to the channel(s), and only
 * after the commit is the new position appended to `<trackerDir>/.flumespool-main.meta` (Flume's own
 * format, see tracker.ts). A crash at any instant re-reads at most the batch in flight. A batch the
 * channel refuses (full, or any failure) is kept and retried after a back-off of 250 ms doubling up to
 * `maxBackoff`; the position does not move meanwhile.
 *
 * Deliberate difference: where Flume stops the whole source until a restart ("File has been modified
 * since being read", "File name has been re-used", an undecodable byte under decodeErrorPolicy FAIL), flumen
 * logs the same ERROR naming the file, leaves that file where it is (its position is kept aside in the
 * tracker directory, so a restart resumes it exactly where Flume would), skips it until the agent restarts,
 * and goes on with the other files.
 */

import { constants } from 'node:fs'
import { access, type FileHandle, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { Logger } from 'pino'
import type { JavaRegex } from '../../config/java-regex.ts'
import type { ChannelProcessor } from '../../core/channel-processor.ts'
import { SourceCounter } from '../../core/counters.ts'
import { ChannelError, describeError } from '../../core/errors.ts'
import { Event } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import { sleep } from '../../core/runners.ts'
import { bool, defineSource, int, oneOf, str } from '../../core/spec.ts'
import { defaultRegex } from '../../interceptors/util/regex-field.ts'
import { charsetField } from '../netcat.ts'
import {
  AvroDeserializer,
  BlobDeserializer,
  type DeserializerConfig,
  deserializerField,
} from './deserializers.ts'
import { DecodeFailure, type Deserializer, LineDeserializer } from './line-deserializer.ts'
import { PositionTracker } from './tracker.ts'
import type { DecodeErrorPolicy } from './utf8.ts'

const fields = {
  spoolDir: str({ key: 'spoolDir', required: true, doc: 'Directory to read files from.' }),
  fileSuffix: str({
    key: 'fileSuffix',
    default: '.COMPLETED',
    doc: 'Suffix appended to a completed file (rename policy) or to its marker (tracker_dir policy).',
  }),
  deletePolicy: oneOf({
    key: 'deletePolicy',
    values: ['never', 'immediate'] as const,
    default: 'never',
    doc: '`immediate` deletes a file once it is completely committed.',
  }),
  trackingPolicy: oneOf({
    key: 'trackingPolicy',
    values: ['rename', 'tracker_dir'] as const,
    default: 'rename',
    doc: 'With deletePolicy never: rename completed files, or leave them and create a marker in trackerDir.',
  }),
  trackerDir: str({
    key: 'trackerDir',
    default: '.flumespool',
    doc: 'Directory for the position file and markers; a relative path is under spoolDir.',
  }),
  fileHeader: bool({ key: 'fileHeader', default: false, doc: "Add the file's absolute path as a header." }),
  fileHeaderKey: str({ key: 'fileHeaderKey', default: 'file', doc: 'Header name for fileHeader.' }),
  basenameHeader: bool({ key: 'basenameHeader', default: false, doc: "Add the file's name as a header." }),
  basenameHeaderKey: str({
    key: 'basenameHeaderKey',
    default: 'basename',
    doc: 'Header name for basenameHeader.',
  }),
  includePattern: defaultRegex('includePattern', '^.*$', 'Java regex a file name must match (whole name).'),
  ignorePattern: defaultRegex(
    'ignorePattern',
    '^$',
    'Java regex of file (and sub-directory) names to skip; wins over includePattern.',
  ),
  consumeOrder: oneOf({
    key: 'consumeOrder',
    values: ['oldest', 'youngest', 'random'] as const,
    default: 'oldest',
    doc: 'Which file next: by modification time (ties: smallest name) or random.',
  }),
  pollDelay: int({ key: 'pollDelay', default: 500, min: 1, doc: 'Milliseconds between directory scans.' }),
  recursiveDirectorySearch: bool({
    key: 'recursiveDirectorySearch',
    default: false,
    doc: 'Also read files in sub-directories (except those starting with `.`).',
  }),
  maxBackoff: int({
    key: 'maxBackoff',
    default: 4000,
    min: 1,
    doc: 'Cap (ms) of the back-off when the channel refuses a batch (starts at 250, doubles).',
  }),
  batchSize: int({ key: 'batchSize', default: 100, min: 1, doc: 'Events per channel transaction.' }),
  inputCharset: charsetField('inputCharset', 'utf-8', 'Charset of the files (text deserializers).'),
  decodeErrorPolicy: oneOf({
    key: 'decodeErrorPolicy',
    values: ['FAIL', 'REPLACE', 'IGNORE'] as const,
    default: 'FAIL',
    doc: 'Undecodable input: FAIL stops the file, REPLACE writes U+FFFD, IGNORE drops the bytes.',
  }),
  deserializer: deserializerField,
}

export interface SpoolDirConfig {
  readonly spoolDir: string
  readonly fileSuffix: string
  readonly deletePolicy: 'never' | 'immediate'
  readonly trackingPolicy: 'rename' | 'tracker_dir'
  readonly trackerDir: string
  readonly fileHeader: boolean
  readonly fileHeaderKey: string
  readonly basenameHeader: boolean
  readonly basenameHeaderKey: string
  readonly includePattern: JavaRegex
  readonly ignorePattern: JavaRegex
  readonly consumeOrder: 'oldest' | 'youngest' | 'random'
  readonly pollDelay: number
  readonly recursiveDirectorySearch: boolean
  readonly maxBackoff: number
  readonly batchSize: number
  readonly inputCharset: string
  readonly decodeErrorPolicy: DecodeErrorPolicy
  readonly deserializer: DeserializerConfig
}

interface Candidate {
  /** spoolDir (as configured) joined with the relative path: Flume's File.getPath(), the tracker target. */
  readonly path: string
  readonly rel: string
  readonly name: string
  readonly mtimeMs: number
}

interface Current {
  readonly file: Candidate
  readonly absolute: string
  readonly fh: FileHandle
  readonly size: number
  readonly mtimeMs: number
  readonly startOffset: number
  readonly des: Deserializer
  readonly tracker: PositionTracker
  firstRead: boolean
}

const EMPTY = Buffer.alloc(0)

export class SpoolDirectorySource {
  readonly counter: SourceCounter
  readonly #cfg: SpoolDirConfig
  readonly #processor: ChannelProcessor
  readonly #log: Logger
  readonly #errors: RateLimitedLog
  readonly #trackerDir: string
  /** Files stopped by an error in this run (path → reason); skipped until the agent restarts. */
  readonly #stopped = new Map<string, string>()
  #abort = new AbortController()
  #loop: Promise<void> | undefined
  #current: Current | undefined
  /** The last directory listing, in the order files are to be read, and when it was made. */
  #queue: Candidate[] = []
  #listedAt = 0

  constructor(name: string, cfg: SpoolDirConfig, processor: ChannelProcessor, logger: Logger) {
    this.counter = new SourceCounter(name)
    this.#cfg = cfg
    this.#processor = processor
    this.#log = logger
    this.#errors = new RateLimitedLog(logger)
    this.#trackerDir = isAbsolute(cfg.trackerDir) ? cfg.trackerDir : join(cfg.spoolDir, cfg.trackerDir)
  }

  async start(): Promise<void> {
    const dir = this.#cfg.spoolDir
    const st = await stat(dir).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`Spooling directory ${resolve(dir)} is not usable: ${describeError(e)}`)
    })
    if (!st.isDirectory()) throw new Error(`Spooling directory ${resolve(dir)} is not a directory`)
    const needWrite = this.#cfg.deletePolicy === 'immediate' || this.#cfg.trackingPolicy === 'rename'
    try {
      await access(dir, constants.R_OK | constants.X_OK | (needWrite ? constants.W_OK : 0))
      await readdir(dir)
    } catch (e) {
      throw new Error(
        `Unable to read${needWrite ? ' and modify' : ''} files in the spooling directory ${resolve(dir)}: ${describeError(e)}`,
      )
    }
    await mkdir(this.#trackerDir, { recursive: true })
    this.counter.start()
    this.#abort = new AbortController()
    this.#loop = this.#run(this.#abort.signal)
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    await this.#loop
    await this.#closeCurrent()
    this.counter.stop()
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (!(await this.#step(signal))) await sleep(this.#cfg.pollDelay, signal)
      } catch (e) {
        this.counter.genericProcessingFail++
        this.#errors.error({ error: describeError(e) }, 'Spooling directory source error; retrying')
        await this.#closeCurrent()
        await sleep(this.#cfg.pollDelay, signal)
      }
    }
  }

  /** One batch (or one file change). Returns false when there was nothing to read. */
  async #step(signal: AbortSignal): Promise<boolean> {
    let cur = this.#current
    if (cur === undefined) {
      cur = await this.#openNext()
      if (cur === undefined) return false
      this.#current = cur
    }
    let events: Event[]
    try {
      events = await cur.des.readEvents(this.#cfg.batchSize)
    } catch (e) {
      this.counter.eventReadFail++
      await this.#stopFile(
        cur,
        e instanceof DecodeFailure
          ? `${e.message} in ${cur.absolute}; the file is not read further`
          : `Unable to read ${cur.absolute}: ${describeError(e)}`,
      )
      return true
    }
    // Flume emits one empty event for a file with nothing in it (FLUME-2318).
    if (events.length === 0 && cur.firstRead && cur.startOffset === 0) events = [new Event(EMPTY)]
    cur.firstRead = false
    if (events.length === 0) {
      await this.#retire(cur)
      return true
    }
    this.#annotate(cur, events)
    this.counter.eventReceivedCount += events.length
    this.counter.appendBatchReceivedCount++
    if (!(await this.#deliver(events, signal))) return true
    await cur.tracker.commit(cur.des.markPosition)
    this.counter.eventAcceptedCount += events.length
    this.counter.appendBatchAcceptedCount++
    return true
  }

  #annotate(cur: Current, events: Event[]): void {
    const { fileHeader, basenameHeader, fileHeaderKey, basenameHeaderKey } = this.#cfg
    if (!fileHeader && !basenameHeader) return
    for (let i = 0; i < events.length; i++) {
      const h = (events[i] as Event).headers
      if (fileHeader) h[fileHeaderKey] = cur.absolute
      if (basenameHeader) h[basenameHeaderKey] = cur.file.name
    }
  }

  /** Puts the batch, retrying with back-off while the channel refuses it. False if stopped meanwhile. */
  async #deliver(events: Event[], signal: AbortSignal): Promise<boolean> {
    let backoff = 250
    for (;;) {
      try {
        await this.#processor.processEventBatch(events)
        return true
      } catch (e) {
        this.counter.channelWriteFail++
        if (!(e instanceof ChannelError)) this.counter.genericProcessingFail++
        this.#errors.warn(
          { error: describeError(e), retryInMs: backoff, file: this.#current?.absolute },
          'The channel refused a batch; retrying the same batch after a back-off',
        )
        await sleep(backoff, signal)
        if (signal.aborted) return false
        backoff = Math.min(backoff * 2, this.#cfg.maxBackoff)
      }
    }
  }

  async #openNext(): Promise<Current | undefined> {
    for (;;) {
      const file = await this.#nextCandidate()
      if (file === undefined) return undefined
      try {
        return await this.#open(file)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'ENOENT') continue // gone between listing and opening
        this.counter.genericProcessingFail++
        this.#stopped.set(file.path, 'open failed')
        this.#log.error(
          { file: resolve(file.path), error: describeError(e) },
          `Unable to open ${resolve(file.path)}; skipping it until the agent restarts`,
        )
      }
    }
  }

  async #open(file: Candidate): Promise<Current> {
    const fh = await open(file.path, 'r')
    try {
      const st = await fh.stat()
      const tracker = await PositionTracker.open(this.#trackerDir, file.path)
      const start = tracker.offset
      const d = this.#cfg.deserializer
      let des: Deserializer
      if (d.kind === 'LINE') {
        des = new LineDeserializer(fh, start, {
          maxLineLength: d.maxLineLength,
          inputCharset: this.#cfg.inputCharset,
          outputCharset: d.outputCharset,
          decodeErrorPolicy: this.#cfg.decodeErrorPolicy,
        })
      } else if (d.kind === 'AVRO') {
        des = await AvroDeserializer.open(fh, start, d.schemaType).catch(async (e) => {
          await tracker.close()
          throw e
        })
      } else {
        des = new BlobDeserializer(fh, start, d.maxBlobLength)
      }
      const absolute = resolve(file.path)
      this.#log.info({ file: absolute, offset: start }, start > 0 ? 'Resuming file' : 'Reading file')
      return {
        file,
        absolute,
        fh,
        size: st.size,
        mtimeMs: st.mtimeMs,
        startOffset: start,
        des,
        tracker,
        firstRead: true,
      }
    } catch (e) {
      await fh.close()
      throw e
    }
  }

  /** The file is exhausted and committed: check it did not change, then rename, mark or delete it. */
  async #retire(cur: Current): Promise<void> {
    const st = await stat(cur.file.path).catch(() => undefined)
    if (st === undefined) {
      this.#log.warn({ file: cur.absolute }, 'File disappeared while it was read; its events were delivered')
      this.#current = undefined
      await cur.fh.close().catch(() => undefined)
      await cur.des.close()
      await cur.tracker.remove()
      return
    }
    if (st.mtimeMs !== cur.mtimeMs || st.size !== cur.size) {
      await this.#stopFile(
        cur,
        st.size !== cur.size
          ? `File has changed size since being read: ${cur.absolute}`
          : `File has been modified since being read: ${cur.absolute}`,
      )
      return
    }
    const { deletePolicy, trackingPolicy, fileSuffix } = this.#cfg
    if (deletePolicy === 'immediate') {
      this.#log.info({ file: cur.absolute }, 'Deleting completed file')
      await rm(cur.file.path, { force: true })
    } else {
      const dest =
        trackingPolicy === 'rename'
          ? cur.file.path + fileSuffix
          : join(this.#trackerDir, cur.file.rel + fileSuffix)
      if (await exists(dest)) {
        await this.#stopFile(
          cur,
          `File name has been re-used with different files. Spooling assumptions violated for ${resolve(dest)}`,
        )
        return
      }
      if (trackingPolicy === 'rename') {
        this.#log.info({ file: cur.absolute, to: resolve(dest) }, 'Completed file; renaming it')
        await rename(cur.file.path, dest)
      } else {
        this.#log.info({ file: cur.absolute, marker: resolve(dest) }, 'Completed file; marking it')
        await mkdir(dirname(dest), { recursive: true })
        await writeFile(dest, EMPTY, { flag: 'wx' })
      }
    }
    this.#current = undefined
    await cur.fh.close().catch(() => undefined)
    await cur.des.close()
    await cur.tracker.remove()
  }

  /** Reports a file that cannot go on, keeps its position aside and moves on to the other files. */
  async #stopFile(cur: Current, message: string): Promise<void> {
    this.counter.genericProcessingFail++
    this.#stopped.set(cur.file.path, message)
    this.#log.error(
      { file: cur.absolute },
      `${message}. The file is left in place and skipped until the agent restarts; other files continue`,
    )
    this.#current = undefined
    await cur.fh.close().catch(() => undefined)
    await cur.des.close()
    await cur.tracker.stash(this.#trackerDir)
  }

  async #closeCurrent(): Promise<void> {
    const cur = this.#current
    if (cur === undefined) return
    this.#current = undefined
    await cur.fh.close().catch(() => undefined)
    await cur.des.close()
    await cur.tracker.close()
  }

  /**
   * The next file to read. The directory listing is reused for up to `pollDelay` ms (Flume lists the
   * directory again for every file, which costs O(files²) on a directory with thousands of small files).
   */
  async #nextCandidate(): Promise<Candidate | undefined> {
    if (this.#queue.length === 0 || Date.now() - this.#listedAt >= this.#cfg.pollDelay) {
      try {
        this.#queue = await this.#list()
      } catch (e) {
        this.counter.genericProcessingFail++
        this.#errors.error(
          { dir: resolve(this.#cfg.spoolDir), error: describeError(e) },
          'Unable to list the spooling directory',
        )
        this.#queue = []
        return undefined
      }
      this.#listedAt = Date.now()
      const order = this.#cfg.consumeOrder
      if (order !== 'random') {
        const sign = order === 'oldest' ? 1 : -1
        this.#queue.sort(
          (a, b) => sign * (a.mtimeMs - b.mtimeMs) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
        )
      }
    }
    const q = this.#queue
    while (q.length > 0) {
      const i = this.#cfg.consumeOrder === 'random' ? Math.floor(Math.random() * q.length) : 0
      const f = q[i] as Candidate
      q.splice(i, 1)
      if (!this.#stopped.has(f.path)) return f
    }
    return undefined
  }

  async #list(): Promise<Candidate[]> {
    const { spoolDir, fileSuffix, includePattern, ignorePattern, recursiveDirectorySearch } = this.#cfg
    const markers =
      this.#cfg.deletePolicy === 'never' && this.#cfg.trackingPolicy === 'tracker_dir'
        ? await this.#markers()
        : undefined
    const found: { path: string; rel: string; name: string }[] = []
    const walk = async (dir: string, top: boolean): Promise<void> => {
      let entries: import('node:fs').Dirent[]
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch (e) {
        if (top) throw e
        this.#errors.error({ dir: resolve(dir), error: describeError(e) }, 'Unable to list a sub-directory')
        return
      }
      for (const ent of entries) {
        const name = ent.name
        const path = join(dir, name)
        if (ent.isDirectory()) {
          if (recursiveDirectorySearch && !name.startsWith('.') && !ignorePattern.matches(name))
            await walk(path, false)
          continue
        }
        if (!ent.isFile() && !ent.isSymbolicLink()) continue
        if (name.startsWith('.') || name.endsWith(fileSuffix)) continue
        if (!includePattern.matches(name) || ignorePattern.matches(name)) continue
        if (this.#stopped.has(path)) continue
        const rel = relative(spoolDir, path)
        if (markers?.has(rel + fileSuffix)) continue
        found.push({ path, rel, name })
      }
    }
    await walk(spoolDir, true)
    // Modification times, a bounded number of stat calls at a time.
    const out: Candidate[] = []
    for (let i = 0; i < found.length; i += 256) {
      const part = found.slice(i, i + 256)
      const stats = await Promise.all(part.map((f) => stat(f.path).catch(() => undefined)))
      part.forEach((f, j) => {
        const st = stats[j]
        if (st?.isFile()) out.push({ ...f, mtimeMs: Math.floor(st.mtimeMs) })
      })
    }
    return out
  }

  /** Relative paths (with the suffix) of the tracker_dir markers. */
  async #markers(): Promise<Set<string>> {
    const names = await readdir(this.#trackerDir, { recursive: true }).catch(() => [] as string[])
    return new Set(names.filter((n) => n.endsWith(this.#cfg.fileSuffix)))
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p)
    return true
  } catch {
    return false
  }
}

export const spec = defineSource({
  type: 'spooldir',
  classNames: ['org.apache.flume.source.SpoolDirectorySource'],
  summary: 'Reads the files dropped into a directory, line by line (or Avro records, or whole files).',
  fields,
  batchSize: (cfg) => cfg.batchSize,
  build(cfg, ctx) {
    const s = new SpoolDirectorySource(ctx.name, cfg as SpoolDirConfig, ctx.processor, ctx.logger)
    ctx.metrics.register(s.counter)
    return s
  },
})
