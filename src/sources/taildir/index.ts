/**
 * `TAILDIR` source (org.apache.flume.source.taildir.TaildirSource): follows the files of one or more file
 * groups (a literal directory + a Java regex on file names) line by line, and remembers how far each file
 * was committed in a position file that has Flume's exact format (position-file.ts), so a Flume agent's
 * positions carry over to flumen and back.
 *
 * Each poll (PollableSourceRunner): list the groups (matcher.ts, cached on directory mtime), stat each
 * match, then read every file that grew, oldest mtime first, in batches of `batchSize` lines; each batch
 * goes to the channels in one transaction and only after that commit does the file's position advance.
 * The committed position is recorded in the position file (one small write in place, PositionStore) before
 * the next batch is committed, and made durable (fdatasync) every `writePosInterval` ms (first after 5 s);
 * on stop the file is left in Flume's compact form. A crash (even SIGKILL) therefore re-delivers at most
 * one batch and never loses a line — Flume rewrites the file only every writePosInterval, so it re-delivers
 * everything committed since. A channel failure rewinds the file to its last committed line and backs off.
 *
 * Files are followed by inode (Flume compat: the position file identifies files by inode) — and, unlike
 * Flume, by inode alone, with the descriptor kept open:
 * - rename rotation (app.log → app.log.1, new app.log): if the new name still matches, reading continues
 *   at the same offset under the new name (Flume 1.11 re-reads it from 0, duplicating it: it requires inode
 *   *and* path to match); if it does not match, what is left is read through the open descriptor, which is
 *   closed after idleTimeout (Flume reads it only at that idle close). The new app.log starts at 0.
 * - copytruncate: a file smaller than what was read restarts at 0 (Flume compat).
 * - deleted (and maybe recreated): the deleted file is drained through its descriptor, its last partial
 *   line included, and closed at once; a recreated file is a new inode and starts at 0. An inode number
 *   reused by a new file (seen through a changed birth time) also starts at 0.
 * - rotation while the agent was down: an entry whose inode is found under another name continues from
 *   its recorded offset (in the matched set, or found in the same directory under a non-matching name and
 *   drained); Flume drops such entries ("Missing file") and re-reads renamed matches from 0.
 * - idle files (no commit for `idleTimeout` ms, checked every 5 s) are drained — Flume compat: including an
 *   unterminated last line — and closed; they are reopened when they grow. Deleted files are never held.
 *
 * Deliberate differences, besides the rotation handling above: a group directory that does not exist is
 * reported and watched for (Flume fails the source); the position file is replaced atomically (temp file,
 * fsync, rename) instead of truncated in place; a poll returns READY when a file filled a whole batch (so
 * a backlog is read without runner back-off) — Flume only when maxBatchCount was reached; the position
 * file is rewritten only when it changed (and always on stop). Non-regular files (FIFOs, devices) are
 * skipped. Not supported on Windows (no inodes), as Flume.
 */

import { type FileHandle, mkdir, open, readdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../../core/channel-processor.ts'
import { SourceCounter } from '../../core/counters.ts'
import { describeError } from '../../core/errors.ts'
import { Event, newHeaders } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import {
  bool,
  defineSource,
  int,
  list,
  long,
  type Problem,
  prefixed,
  type Status,
  str,
} from '../../core/spec.ts'
import { pollableBackoff, pollableFields } from '../util/pollable.ts'
import { TaildirMatcher } from './matcher.ts'
import { type PositionEntry, PositionStore, readPositionFile } from './position-file.ts'
import { LineReader, TailFile } from './tail-file.ts'

const DEFAULT_POSITION_FILE = '~/.flume/taildir_position.json'
/** Flume's constants (TaildirSource): first position write, idle-check period. */
const WRITE_POS_INIT_DELAY = 5000
const CHECK_IDLE_INTERVAL = 5000
/**
 * Longest a poll keeps reading before it returns READY to the runner: a stop request (which waits for the
 * current poll) is served within about this long, and a backlog in one file cannot hold up the others.
 */
const POLL_BUDGET_MS = 500

export const spec = defineSource({
  type: 'TAILDIR',
  classNames: ['org.apache.flume.source.taildir.TaildirSource'],
  summary:
    'Follows files matched by directory + file-name regex, by inode, with a Flume-format position file.',
  fields: {
    filegroups: list({
      key: 'filegroups',
      required: true,
      doc: 'Space-separated names of file groups.',
    }),
    groupPaths: prefixed({
      prefix: 'filegroups.',
      doc: '`filegroups.<group> = /dir/<regex>`: the directory part is literal, the file-name part a Java regex that must match whole file names (no recursion).',
    }),
    positionFile: str({
      key: 'positionFile',
      default: DEFAULT_POSITION_FILE,
      doc: "JSON file recording inode, committed offset and path of each file, in Flume's format (parent directories are created).",
    }),
    headers: prefixed({
      prefix: 'headers.',
      doc: '`headers.<group>.<name> = value`: a static header added to every event of that group.',
    }),
    byteOffsetHeader: bool({
      key: 'byteOffsetHeader',
      default: false,
      doc: 'Add header `byteoffset` = byte offset of the line start in its file.',
    }),
    skipToEnd: bool({
      key: 'skipToEnd',
      default: false,
      doc: 'At start, files absent from the position file begin at their end instead of 0 (files appearing later always begin at 0).',
    }),
    idleTimeout: int({
      key: 'idleTimeout',
      default: 120_000,
      min: 0,
      doc: 'Close a file after this many ms without new lines (checked every 5 s); it is reopened when it grows.',
    }),
    writePosInterval: int({
      key: 'writePosInterval',
      default: 3000,
      min: 1,
      doc: 'Milliseconds between position-file writes (the first after 5 s; also written on stop).',
    }),
    batchSize: int({ key: 'batchSize', default: 100, min: 1, doc: 'Lines per channel transaction.' }),
    maxBatchCount: long({
      key: 'maxBatchCount',
      default: Number.MAX_SAFE_INTEGER,
      doc: 'Consecutive batches read from one file before moving to the next (≤ 0: the default, unlimited).',
    }),
    ...pollableFields,
    cachePatternMatching: bool({
      key: 'cachePatternMatching',
      default: true,
      doc: 'List a group directory again only when its mtime changed (needs mtimes from the local clock, ≥ 1 s granularity).',
    }),
    fileHeader: bool({
      key: 'fileHeader',
      default: false,
      doc: 'Add the absolute path of the file as a header.',
    }),
    fileHeaderKey: str({ key: 'fileHeaderKey', default: 'file', doc: 'Name of that header.' }),
  },
  validate(cfg) {
    const problems: Problem[] = []
    const groups = resolveGroups(cfg.filegroups, cfg.groupPaths)
    if (groups.length === 0)
      problems.push({
        key: 'filegroups',
        message:
          "Mapping for tailing files is empty or invalid: 'filegroups.' (define filegroups.<group> for a listed group)",
      })
    for (const [g, path] of groups) {
      try {
        new TaildirMatcher(g, path, true)
      } catch (e) {
        problems.push({ key: `filegroups.${g}`, message: `invalid file-name regex: ${(e as Error).message}` })
      }
    }
    for (const k of cfg.headers.keys()) {
      if (!k.includes('.'))
        problems.push({ key: `headers.${k}`, message: 'expected headers.<group>.<headerName>' })
    }
    return problems
  },
  batchSize: (cfg) => cfg.batchSize,
  backoff: pollableBackoff,
  build(cfg, ctx) {
    const groups = resolveGroups(cfg.filegroups, cfg.groupPaths)
    for (const g of cfg.filegroups)
      if (!cfg.groupPaths.has(g))
        ctx.logger.warn(
          { group: g },
          `File group '${g}' is listed in filegroups but has no filegroups.${g}; ignored`,
        )
    const home = ctx.sys.get('user.home') ?? homedir()
    const positionFile = resolve(
      cfg.positionFile === DEFAULT_POSITION_FILE
        ? join(home, '.flume/taildir_position.json')
        : cfg.positionFile,
    )
    let maxBatchCount = cfg.maxBatchCount
    if (maxBatchCount <= 0) {
      ctx.logger.warn({ maxBatchCount }, 'Invalid maxBatchCount; using the default (unlimited)')
      maxBatchCount = Number.MAX_SAFE_INTEGER
    }
    const headerTable = new Map<string, [string, string][]>()
    for (const [k, v] of cfg.headers) {
      const dot = k.indexOf('.')
      const g = k.slice(0, dot)
      let row = headerTable.get(g)
      if (row === undefined) headerTable.set(g, (row = []))
      row.push([k.slice(dot + 1), v])
    }
    return new TaildirSource(
      {
        groups: groups.map(([g, p]) => ({
          matcher: new TaildirMatcher(g, p, cfg.cachePatternMatching),
          headers: headerTable.get(g) ?? [],
        })),
        positionFile,
        batchSize: cfg.batchSize,
        maxBatchCount,
        skipToEnd: cfg.skipToEnd,
        byteOffsetHeader: cfg.byteOffsetHeader,
        idleTimeout: cfg.idleTimeout,
        writePosInterval: cfg.writePosInterval,
        fileHeaderKey: cfg.fileHeader ? cfg.fileHeaderKey : undefined,
      },
      ctx.name,
      ctx.processor,
      ctx.logger,
      ctx.metrics.register(new SourceCounter(ctx.name)),
    )
  },
})

/** Listed groups that have a path, in the order listed (duplicates once). */
function resolveGroups(names: readonly string[], paths: ReadonlyMap<string, string>): [string, string][] {
  const out: [string, string][] = []
  for (const g of new Set(names)) {
    const p = paths.get(g)
    if (p !== undefined && p.trim() !== '') out.push([g, p.trim()])
  }
  return out
}

interface Settings {
  readonly groups: readonly { matcher: TaildirMatcher; headers: readonly [string, string][] }[]
  readonly positionFile: string
  readonly batchSize: number
  readonly maxBatchCount: number
  readonly skipToEnd: boolean
  readonly byteOffsetHeader: boolean
  readonly idleTimeout: number
  readonly writePosInterval: number
  readonly fileHeaderKey: string | undefined
}

type TailResult = 'done' | 'more' | 'failed'

export class TaildirSource {
  readonly #s: Settings
  readonly #name: string
  readonly #processor: ChannelProcessor
  readonly #log: Logger
  readonly #counter: SourceCounter
  readonly #channelErrors: RateLimitedLog
  readonly #readErrors: RateLimitedLog
  readonly #reader = new LineReader()
  /** Tracked files by inode. */
  readonly #files = new Map<string, TailFile>()
  #poll = 0
  #nextIdleCheck = 0
  /** End of the current poll's time budget. */
  #deadline = 0
  #running = false
  readonly #store: PositionStore
  #posTimer: NodeJS.Timeout | undefined
  /** The position write of the last committed batch, awaited before the next batch is committed. */
  #posWrite: Promise<void> = Promise.resolve()
  /** The set of files or a path changed: the position file layout must be rewritten. */
  #layoutDirty = true
  /** Group directory problems already reported (by group), so each is logged once per change. */
  readonly #dirProblems = new Map<string, string>()
  readonly #make: (tf: TailFile, body: Buffer, offset: number) => Event

  constructor(s: Settings, name: string, processor: ChannelProcessor, log: Logger, counter: SourceCounter) {
    this.#s = s
    this.#name = name
    this.#processor = processor
    this.#log = log
    this.#counter = counter
    this.#channelErrors = new RateLimitedLog(log, 10_000)
    this.#readErrors = new RateLimitedLog(log, 10_000)
    this.#store = new PositionStore(s.positionFile)
    const offsetHeader = s.byteOffsetHeader
    const fileKey = s.fileHeaderKey
    this.#make = (tf, body, offset) => {
      const h = newHeaders()
      if (offsetHeader) h.byteoffset = String(offset)
      const hs = tf.headers
      for (let i = 0; i < hs.length; i++) {
        const kv = hs[i] as readonly [string, string]
        h[kv[0]] = kv[1]
      }
      if (fileKey !== undefined) h[fileKey] = tf.path
      return new Event(body, h)
    }
  }

  /** Tracked files (for tests and metrics). */
  get files(): ReadonlyMap<string, TailFile> {
    return this.#files
  }

  async start(): Promise<void> {
    this.#counter.start()
    this.#files.clear()
    this.#layoutDirty = true
    await mkdir(dirname(this.#s.positionFile), { recursive: true })
    let entries: PositionEntry[] = []
    try {
      entries = await readPositionFile(this.#s.positionFile)
      this.#log.info(
        { positionFile: this.#s.positionFile, entries: entries.length },
        'Taildir source loaded its position file',
      )
    } catch (e) {
      // Flume compat: an unreadable position file is logged and every file starts over (0, or the end with
      // skipToEnd). The bad file is kept until the first position write replaces it.
      this.#counter.genericProcessingFail++
      this.#log.error(
        { positionFile: this.#s.positionFile, error: describeError(e) },
        'Failed loading positionFile; files start from the beginning (or the end with skipToEnd)',
      )
    }
    await this.#scan(entries)
    await this.#rewriteLayout()
    this.#nextIdleCheck = Date.now() + this.#s.idleTimeout
    this.#running = true
    this.#schedulePositions(WRITE_POS_INIT_DELAY)
    this.#log.info(
      {
        groups: this.#s.groups.map((g) => `${g.matcher.group}=${g.matcher.pattern}`),
        positionFile: this.#s.positionFile,
        files: this.#files.size,
      },
      'Taildir source started',
    )
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#posTimer !== undefined) clearTimeout(this.#posTimer)
    this.#posTimer = undefined
    await this.#posWrite
    this.#reader.detach()
    try {
      await this.#store.close(this.#entries())
    } catch (e) {
      this.#positionError(e)
    }
    for (const tf of this.#files.values()) await this.#close(tf)
    this.#counter.stop()
    this.#log.info({ source: this.#name }, 'Taildir source stopped')
  }

  async process(): Promise<Status> {
    const files = await this.#scan(undefined)
    if (this.#layoutDirty) await this.#rewriteLayout()
    let ready = false
    this.#deadline = Date.now() + POLL_BUDGET_MS
    for (const tf of files) {
      if (!this.#running || Date.now() > this.#deadline) {
        ready = true
        break
      }
      if (tf.size > tf.readPos || (tf.orphan === 'deleted' && tf.carry !== undefined)) {
        const r = await this.#tail(tf, tf.orphan === 'deleted')
        if (r === 'failed') return 'backoff'
        if (r === 'more') {
          ready = true
          continue // not finished: a deleted file is closed only once drained
        }
      }
      if (tf.orphan === 'deleted') {
        await this.#close(tf)
        this.#forget(tf)
      }
    }
    const now = Date.now()
    if (now >= this.#nextIdleCheck) {
      this.#nextIdleCheck = now + CHECK_IDLE_INTERVAL
      for (const tf of [...this.#files.values()]) {
        if (!this.#running) break
        if (tf.fh === undefined || tf.lastActivity + this.#s.idleTimeout >= now) continue
        // Flume compat: an idle file is read once more, an unterminated last line included, then closed.
        const r = await this.#tail(tf, true)
        if (r === 'failed') return 'backoff'
        if (r === 'more') return 'ready' // out of time: closed at a later poll
        await this.#close(tf)
        this.#log.info({ file: tf.path, inode: tf.inode, pos: tf.pos }, 'Closed idle file')
        if (tf.orphan !== undefined) this.#forget(tf)
      }
    }
    return ready ? 'ready' : 'backoff'
  }

  /**
   * Lists the groups and updates the tracked set. Returns the files to look at this poll: files that left
   * their matching name first (their data is older), then matches in mtime order. With `startup` entries,
   * positions are taken from the position file.
   */
  async #scan(startup: PositionEntry[] | undefined): Promise<TailFile[]> {
    const poll = ++this.#poll
    const byInode = new Map<string, PositionEntry>()
    if (startup !== undefined) for (const e of startup) byInode.set(e.inode, e)
    const matched: TailFile[] = []
    for (const g of this.#s.groups) {
      const m = g.matcher
      const list = await m.list()
      this.#reportDir(m)
      for (const f of list) {
        let st: Awaited<ReturnType<typeof statBig>>
        try {
          st = await statBig(f.path)
        } catch {
          continue // deleted in the meantime
        }
        if (!st.isFile()) continue
        const inode = st.ino.toString()
        const size = Number(st.size)
        const btime = Number(st.birthtimeMs)
        let tf = this.#files.get(inode)
        if (tf !== undefined && tf.seen === poll) continue // matched by an earlier group
        if (
          tf !== undefined &&
          tf.fh === undefined &&
          tf.btimeMs !== 0 &&
          btime !== 0 &&
          btime !== tf.btimeMs
        ) {
          this.#log.info({ file: f.path, inode }, 'Inode reused by a new file; reading it from the start')
          this.#forget(tf)
          tf = undefined
        }
        if (tf === undefined) {
          let pos = 0
          const entry = byInode.get(inode)
          if (entry !== undefined) {
            byInode.delete(inode)
            pos = entry.pos
            if (entry.file !== f.path)
              this.#log.info(
                { file: f.path, was: entry.file, inode, pos },
                'File was renamed while the agent was stopped; continuing at its recorded position',
              )
            if (size < pos) {
              this.#log.info(
                { file: f.path, inode, pos, size },
                'Recorded position is beyond the end of the file; restarting from 0',
              )
              pos = 0
            }
          } else if (startup !== undefined && this.#s.skipToEnd) {
            pos = size
          }
          tf = new TailFile(inode, f.path, m.group, g.headers, pos, size, btime)
          this.#files.set(inode, tf)
          this.#layoutDirty = true
          this.#log.info({ file: f.path, inode, pos }, 'Tracking file')
        } else {
          if (tf.path !== f.path) {
            this.#log.info(
              { file: f.path, was: tf.path, inode, pos: tf.pos },
              'File renamed; continuing at the same position under the new name',
            )
            tf.path = f.path
            tf.orphan = undefined
            this.#layoutDirty = true
          }
          if (size < tf.readPos) {
            this.#log.info(
              { file: f.path, inode, pos: tf.pos, size },
              'File is smaller than what was read (truncated); restarting from 0',
            )
            if (this.#reader.current === tf) this.#reader.detach()
            tf.resetTo(0)
          }
          tf.size = size
          tf.btimeMs = btime
        }
        tf.seen = poll
        matched.push(tf)
      }
    }
    // Files no longer under a matching name.
    const left: TailFile[] = []
    const dirCache = new Map<string, Map<string, { path: string; size: number }>>()
    for (const tf of [...this.#files.values()]) {
      if (tf.seen === poll) continue
      if (tf.fh !== undefined) {
        try {
          const st = await tf.fh.stat({ bigint: true })
          tf.size = Number(st.size)
          if (st.nlink === 0n) {
            if (tf.orphan !== 'deleted')
              this.#log.info(
                { file: tf.path, inode: tf.inode },
                'File was deleted; reading the rest of it through the open descriptor',
              )
            tf.orphan = 'deleted'
          } else if (tf.orphan === undefined) {
            tf.orphan = 'rotated'
            const found = (await inodesIn(dirname(tf.path), dirCache)).get(tf.inode)
            const was = tf.path
            tf.path = found?.path ?? ''
            this.#layoutDirty = true
            this.#log.info(
              { file: was, now: found?.path, inode: tf.inode },
              'File no longer matches (rotated); reading the rest of it through the open descriptor',
            )
          }
          left.push(tf)
        } catch (e) {
          this.#readErrors.warn({ file: tf.path, error: describeError(e) }, 'Could not stat an open file')
        }
        continue
      }
      // Closed and gone from its name: look for it in the same directory (renamed while not open).
      const found = tf.path === '' ? undefined : (await inodesIn(dirname(tf.path), dirCache)).get(tf.inode)
      if (found !== undefined && found.size > tf.pos) {
        this.#log.info(
          { file: found.path, was: tf.path, inode: tf.inode, pos: tf.pos },
          'File rotated away with unread lines; reading the rest',
        )
        tf.path = found.path
        tf.size = found.size
        tf.orphan = 'rotated'
        this.#layoutDirty = true
        left.push(tf)
      } else {
        this.#forget(tf)
      }
    }
    // Start-up: entries whose inode matched nothing may have been rotated while the agent was down.
    for (const e of byInode.values()) {
      const found = (await inodesIn(dirname(e.file), dirCache)).get(e.inode)
      if (found !== undefined && found.size > e.pos) {
        const g = this.#groupFor(e.file)
        const tf = new TailFile(
          e.inode,
          found.path,
          g?.matcher.group ?? '',
          g?.headers ?? [],
          e.pos,
          found.size,
          0,
        )
        tf.orphan = 'rotated'
        tf.seen = poll
        this.#files.set(e.inode, tf)
        this.#layoutDirty = true
        left.push(tf)
        this.#log.info(
          { file: found.path, was: e.file, inode: e.inode, pos: e.pos },
          'File was rotated while the agent was stopped; reading the rest of it from its recorded position',
        )
      } else {
        this.#log.info({ file: e.file, inode: e.inode, pos: e.pos }, 'Missing file (not tracked any more)')
      }
    }
    return left.length === 0 ? matched : [...left, ...matched]
  }

  /** The group whose directory and regex match `path`. */
  #groupFor(path: string): Settings['groups'][number] | undefined {
    const dir = dirname(path)
    const name = path.slice(dir.length + 1)
    return this.#s.groups.find((g) => g.matcher.dir === dir && g.matcher.matches(name))
  }

  #reportDir(m: TaildirMatcher): void {
    const prev = this.#dirProblems.get(m.group)
    if (m.error === prev) return
    if (m.error === undefined) {
      this.#dirProblems.delete(m.group)
      this.#log.info({ group: m.group, dir: m.dir }, 'File group directory is readable again')
    } else {
      this.#dirProblems.set(m.group, m.error)
      this.#log.error(
        { group: m.group, dir: m.dir, error: m.error },
        'Cannot list the file group directory; its files are picked up once it can be read',
      )
    }
  }

  /** Reads and commits batches of `tf` until it has no complete line left (or maxBatchCount). */
  async #tail(tf: TailFile, partial: boolean): Promise<TailResult> {
    if (tf.fh === undefined && !(await this.#open(tf))) return 'done'
    let batches = 0
    try {
      for (;;) {
        let events: Event[]
        try {
          events = await this.#reader.read(tf, this.#s.batchSize, partial, this.#make)
        } catch (e) {
          this.#counter.eventReadFail++
          this.#readErrors.error(
            { file: tf.path, inode: tf.inode, error: describeError(e) },
            'Unable to read file',
          )
          this.#reader.detach()
          tf.rewind()
          return 'done'
        }
        if (events.length === 0) return 'done'
        const end = tf.lineStart
        this.#counter.eventReceivedCount += events.length
        this.#counter.appendBatchReceivedCount++
        // The previous batch's position must be recorded before this one is committed: a crash then
        // re-delivers at most one batch. That write overlapped with reading this batch.
        await this.#posWrite
        try {
          await this.#processor.processEventBatch(events)
        } catch (e) {
          // The batch is read again from the last committed line after the back-off (Flume compat).
          this.#reader.detach()
          tf.rewind()
          this.#counter.channelWriteFail++
          this.#channelErrors.warn(
            { file: tf.path, events: events.length, error: describeError(e) },
            'The channel is full or refused the batch; the source will read it again after a back-off',
          )
          return 'failed'
        }
        tf.pos = end
        tf.lastActivity = Date.now()
        this.#posWrite = this.#store.setPos(tf.inode, end).catch((e) => this.#positionError(e))
        this.#counter.eventAcceptedCount += events.length
        this.#counter.appendBatchAcceptedCount++
        if (events.length < this.#s.batchSize) return 'done'
        if (++batches >= this.#s.maxBatchCount) return 'more'
        if (!this.#running || Date.now() > this.#deadline) return 'more'
      }
    } finally {
      this.#reader.detach()
    }
  }

  async #open(tf: TailFile): Promise<boolean> {
    if (tf.path === '') return false
    let fh: FileHandle
    try {
      fh = await open(tf.path, 'r')
    } catch (e) {
      this.#readErrors.warn({ file: tf.path, error: describeError(e) }, 'Unable to open file')
      return false
    }
    try {
      const st = await fh.stat({ bigint: true })
      if (st.ino.toString() !== tf.inode) {
        await fh.close() // the name moved to another file in between; the next poll sorts it out
        return false
      }
      tf.size = Number(st.size)
    } catch (e) {
      await fh.close().catch(() => {})
      this.#readErrors.warn({ file: tf.path, error: describeError(e) }, 'Unable to stat file')
      return false
    }
    tf.fh = fh
    tf.lastActivity = Date.now()
    this.#log.info({ file: tf.path, inode: tf.inode, pos: tf.pos }, 'Opened file')
    return true
  }

  async #close(tf: TailFile): Promise<void> {
    if (this.#reader.current === tf) this.#reader.detach()
    const fh = tf.fh
    if (fh === undefined) return
    tf.fh = undefined
    // A partial line still held is dropped with the descriptor and read again from `pos` when reopened.
    tf.rewind()
    try {
      await fh.close()
    } catch (e) {
      this.#log.warn({ file: tf.path, error: describeError(e) }, 'Error closing file')
    }
  }

  #forget(tf: TailFile): void {
    if (this.#files.get(tf.inode) === tf) {
      this.#files.delete(tf.inode)
      this.#layoutDirty = true
    }
  }

  #schedulePositions(delay: number): void {
    if (!this.#running) return
    this.#posTimer = setTimeout(() => {
      this.#posTimer = undefined
      // Positions are recorded in place after every commit; this makes them durable against an OS crash.
      this.#store
        .sync()
        .catch((e) => this.#positionError(e))
        .finally(() => this.#schedulePositions(this.#s.writePosInterval))
    }, delay)
    this.#posTimer.unref()
  }

  /** The committed positions of every tracked file with a known path. */
  #entries(): PositionEntry[] {
    const entries: PositionEntry[] = []
    for (const tf of this.#files.values())
      if (tf.path !== '') entries.push({ inode: tf.inode, pos: tf.pos, file: tf.path })
    return entries
  }

  async #rewriteLayout(): Promise<void> {
    await this.#posWrite
    this.#layoutDirty = false
    try {
      await this.#store.rewrite(this.#entries())
    } catch (e) {
      this.#layoutDirty = true
      this.#positionError(e)
    }
  }

  #positionError(e: unknown): void {
    this.#counter.genericProcessingFail++
    this.#readErrors.error(
      { positionFile: this.#s.positionFile, error: describeError(e) },
      'Failed writing positionFile',
    )
  }
}

function statBig(path: string) {
  return stat(path, { bigint: true })
}

/** inode → (path, size) of the regular files in `dir`, listed once per scan. */
async function inodesIn(
  dir: string,
  cache: Map<string, Map<string, { path: string; size: number }>>,
): Promise<Map<string, { path: string; size: number }>> {
  let m = cache.get(dir)
  if (m !== undefined) return m
  m = new Map()
  cache.set(dir, m)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return m
  }
  for (const name of names) {
    const path = join(dir, name)
    try {
      const st = await statBig(path)
      if (st.isFile()) m.set(st.ino.toString(), { path, size: Number(st.size) })
    } catch {
      // gone
    }
  }
  return m
}
