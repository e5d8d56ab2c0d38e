/**
 * `hdfs` sink (org.apache.flume.sink.hdfs.HDFSEventSink) over WebHDFS.
 *
 * Per transaction (as Flume's HDFSEventSink.process): take up to batchSize events, resolve each event's
 * bucket (escaped hdfs.path + "/" + escaped hdfs.filePrefix), append the events to their bucket's current
 * file, and commit the channel only after every touched file acknowledged its bytes. Acknowledged means a
 * WebHDFS CREATE (the file's first batch) or APPEND answered by the DataNode, which closes the HDFS file
 * before it answers: the bytes went through the whole write pipeline. Any failure rolls the batch back.
 *
 * Files are named as Flume's BucketWriter names them: `<inUsePrefix><prefix>.<N><suffix><inUseSuffix>`
 * while in use, renamed to `<prefix>.<N><suffix>` on close; N starts at the bucket writer's creation time
 * in ms and is incremented before each new file (so the first file is creation-ms + 1); the suffix is
 * hdfs.fileSuffix, else the codec's extension. Rolls (checked before each event, as Flume): rollCount
 * events, rollSize body bytes; rollInterval (timer from the file's opening) and idleTimeout (timer from the
 * last write) close the file from a timer.
 *
 * Parallel files (flumen's addition, hdfs.webhdfs.parallelFiles): when one process() call took more than one
 * batch's worth of events for a bucket, they are split into consecutive runs written concurrently to up to
 * that many in-use files of the bucket ("stripes", each a writer of its own with its own rolls, timers and
 * recovery record, numbered from the bucket's counter), so their transfers and close waits overlap. The
 * channel still commits only after every file acknowledged its run. Default 1 (measured: no gain with
 * large writes, see docs/benchmarks.md).
 *
 * Recover-and-finalize (flumen's addition): every in-use file is recorded in a small local state file
 * (hdfs.recoveryDir) with the number of bytes HDFS acknowledged. A file whose write failed, or that a
 * killed agent left behind, is finalized: its lease is taken over (a zero-byte APPEND, which also makes
 * the NameNode recover a dead writer's lease once its soft limit passed), bytes beyond the acknowledged
 * length (a torn batch that will be retried elsewhere) are truncated away, then it is renamed to its final
 * name (a file with nothing acknowledged is deleted). Retried every hdfs.retryInterval seconds up to
 * hdfs.closeTries times (0 = until it works). On start the recorded files, and in-use files of this
 * sink's naming found in the directories it recorded and in the static part of hdfs.path, are finalized.
 *
 * A missing or unparsable `timestamp` header with a time escape makes Flume fail the transaction for ever
 * (the same event is retried every 5 s). flumen logs a rate-limited ERROR naming the sink and buckets
 * that event by the sink's clock instead, as if useLocalTimeStamp were set for it.
 */

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir, userInfo } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import type { Logger } from 'pino'
import type { Channel, Transaction } from '../../core/channel.ts'
import { SinkCounter } from '../../core/counters.ts'
import { ConfigError, describeError, EventDeliveryError } from '../../core/errors.ts'
import type { Event } from '../../core/event.ts'
import { RateLimitedLog } from '../../core/rate-limited-log.ts'
import type { ConfigOf, NestedComponent, Problem, SerializerSpec } from '../../core/spec.ts'
import { bool, defineSink, int, long, nested, oneOf, str } from '../../core/spec.ts'
import {
  checkTimeZone,
  compileEscape,
  EscapeError,
  type Escaper,
  type RoundUnit,
} from '../util/bucket-path.ts'
import { takeAndDeliver } from '../util/take-batch.ts'
import { type Codec, type FileFormat, type FileType, formatFactory, resolveCodec } from './formats.ts'
import type { SeqValueFormat } from './sequence-file.ts'
import { stripeRuns } from './stripes.ts'
import { WebHdfsClient, WebHdfsError } from './webhdfs.ts'

const fields = {
  path: str({
    key: 'hdfs.path',
    required: true,
    doc: 'Directory (hdfs://, webhdfs://, swebhdfs:// or /path); escapes allowed.',
  }),
  webhdfsAddress: str({
    key: 'hdfs.webhdfs.address',
    doc: 'flumen: the NameNode HTTP address (http://host:9870) for hdfs:// and scheme-less paths.',
  }),
  webhdfsUser: str({
    key: 'hdfs.webhdfs.user',
    doc: 'flumen: WebHDFS user.name (simple authentication); default the OS user running the agent.',
  }),
  batchesPerWrite: int({
    key: 'hdfs.webhdfs.batchesPerWrite',
    default: 32,
    min: 1,
    max: 1000,
    doc: 'flumen: up to this many full channel transactions (and at most 64 MiB of bodies) are written with one WebHDFS request per file (each request closes the HDFS file, so fewer, larger requests are much faster).',
  }),
  parallelFiles: int({
    key: 'hdfs.webhdfs.parallelFiles',
    default: 1,
    min: 1,
    max: 64,
    doc: "flumen: up to this many in-use files per bucket written concurrently when a process() call took more than one batch's worth of events for it (overlaps the transfers; more, interleaved files under load). 1 = one file per bucket, as Flume.",
  }),
  recoveryDir: str({
    key: 'hdfs.recoveryDir',
    doc: 'flumen: local directory recording in-use files for recover-and-finalize; default ~/.flume/hdfs-sink/<agent>/<sink>.',
  }),
  filePrefix: str({
    key: 'hdfs.filePrefix',
    default: 'FlumeData',
    doc: 'File name prefix; escapes allowed.',
  }),
  fileSuffix: str({
    key: 'hdfs.fileSuffix',
    default: '',
    doc: 'Appended verbatim to the file name (no dot added).',
  }),
  inUsePrefix: str({ key: 'hdfs.inUsePrefix', default: '', doc: 'Prefix of a file while it is written.' }),
  inUseSuffix: str({
    key: 'hdfs.inUseSuffix',
    default: '.tmp',
    doc: 'Suffix of a file while it is written.',
  }),
  emptyInUseSuffix: bool({
    key: 'hdfs.emptyInUseSuffix',
    default: false,
    doc: 'true: no in-use suffix (hdfs.inUseSuffix is ignored).',
  }),
  rollInterval: long({
    key: 'hdfs.rollInterval',
    default: 30,
    min: 0,
    doc: 'Seconds before a file is rolled; 0 = never.',
  }),
  rollSize: long({
    key: 'hdfs.rollSize',
    default: 1024,
    min: 0,
    doc: 'Body bytes per file; 0 = no size roll.',
  }),
  rollCount: long({ key: 'hdfs.rollCount', default: 10, min: 0, doc: 'Events per file; 0 = no count roll.' }),
  idleTimeout: long({
    key: 'hdfs.idleTimeout',
    default: 0,
    min: 0,
    doc: 'Seconds without writes before a file is closed; 0 = off.',
  }),
  batchSize: long({ key: 'hdfs.batchSize', default: 100, min: 1, doc: 'Events per channel transaction.' }),
  codeC: str({ key: 'hdfs.codeC', doc: 'Compression codec: gzip, deflate (DefaultCodec) or None.' }),
  fileType: oneOf({
    key: 'hdfs.fileType',
    values: ['SequenceFile', 'DataStream', 'CompressedStream'],
    default: 'SequenceFile',
    doc: 'SequenceFile, DataStream (serializer output) or CompressedStream (serializer output through hdfs.codeC).',
  }),
  maxOpenFiles: long({
    key: 'hdfs.maxOpenFiles',
    default: 5000,
    min: 1,
    doc: 'Open files (each parallel file of a bucket counts); the least recently used is closed first.',
  }),
  minBlockReplicas: int({
    key: 'hdfs.minBlockReplicas',
    doc: 'Accepted and ignored: WebHDFS does not expose pipeline replication.',
  }),
  writeFormat: oneOf({
    key: 'hdfs.writeFormat',
    values: ['Writable', 'Text'],
    caseSensitive: true,
    default: 'Writable',
    doc: 'SequenceFile value class: Writable (BytesWritable) or Text.',
  }),
  callTimeout: long({
    key: 'hdfs.callTimeout',
    default: 30000,
    min: 1,
    doc: 'Milliseconds allowed for each WebHDFS call.',
  }),
  threadsPoolSize: int({
    key: 'hdfs.threadsPoolSize',
    default: 10,
    min: 1,
    doc: 'Buckets written in parallel within a batch.',
  }),
  rollTimerPoolSize: int({
    key: 'hdfs.rollTimerPoolSize',
    default: 1,
    min: 1,
    doc: 'Accepted; timers run on the event loop.',
  }),
  kerberosPrincipal: str({ key: 'hdfs.kerberosPrincipal', doc: 'Not supported (refused).' }),
  kerberosKeytab: str({ key: 'hdfs.kerberosKeytab', doc: 'Not supported (refused).' }),
  proxyUser: str({ key: 'hdfs.proxyUser', doc: 'Impersonate this user (WebHDFS doas).' }),
  round: bool({
    key: 'hdfs.round',
    default: false,
    doc: 'Round the event time down (all time escapes but %t).',
  }),
  roundValue: int({
    key: 'hdfs.roundValue',
    default: 1,
    doc: 'Round to a multiple of this (1..60 s/min, 1..24 h).',
  }),
  roundUnit: str({ key: 'hdfs.roundUnit', default: 'second', doc: 'second, minute or hour.' }),
  timeZone: str({
    key: 'hdfs.timeZone',
    doc: 'Time zone for the date escapes (IANA id); default the process zone.',
  }),
  useLocalTimeStamp: bool({
    key: 'hdfs.useLocalTimeStamp',
    default: false,
    doc: "Use the sink's clock, not the timestamp header.",
  }),
  closeTries: int({
    key: 'hdfs.closeTries',
    default: 0,
    min: 0,
    doc: 'Attempts to finalize (close+rename) a file; 0 = until it works.',
  }),
  retryInterval: long({
    key: 'hdfs.retryInterval',
    default: 180,
    doc: 'Seconds between finalize attempts; <= 0 = one attempt.',
  }),
  useRawLocalFileSystem: bool({
    key: 'hdfs.useRawLocalFileSystem',
    default: false,
    doc: 'Accepted and ignored.',
  }),
  serializer: nested({
    kind: 'serializer',
    key: 'serializer',
    default: 'TEXT',
    doc: 'DataStream/CompressedStream: text, header_and_text, avro_event or a class; options under serializer.*',
  }),
}

type Cfg = ConfigOf<typeof fields>

const ROUND_UNITS: Readonly<Record<string, RoundUnit>> = { second: 'second', minute: 'minute', hour: 'hour' }

/** Splits hdfs.path into the WebHDFS base URL and the path template. */
export function splitPath(
  path: string,
  address: string | undefined,
): { base: string; template: string } | { error: string } {
  const m = /^([a-zA-Z][\w+.-]*):\/\/([^/]*)(\/.*)?$/.exec(path.trim())
  const strip = (a: string) => a.replace(/\/+$/, '')
  if (m === null) {
    if (!path.trim().startsWith('/')) return { error: `hdfs.path '${path}' must be absolute or a URI` }
    if (address === undefined) {
      return {
        error: `hdfs.path '${path}' has no file system: set hdfs.webhdfs.address (http://namenode:9870)`,
      }
    }
    return { base: strip(address), template: path.trim() }
  }
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string | undefined]
  const template = rest ?? '/'
  switch (scheme.toLowerCase()) {
    case 'webhdfs':
      return { base: `http://${authority}`, template }
    case 'swebhdfs':
      return { base: `https://${authority}`, template }
    case 'hdfs':
      if (address === undefined) {
        return {
          error: `hdfs.path '${path}': flumen writes through WebHDFS; set hdfs.webhdfs.address to the NameNode's HTTP address (dfs.namenode.http-address, e.g. http://${authority.split(':')[0]}:9870)`,
        }
      }
      return { base: strip(address), template }
    default:
      return { error: `hdfs.path '${path}': scheme '${scheme}' is not supported (hdfs, webhdfs, swebhdfs)` }
  }
}

/** The part of a template before the first escape, up to its last `/`: a directory every bucket is under. */
export function staticDir(template: string): string {
  const i = template.indexOf('%')
  const head = i < 0 ? template : template.slice(0, i)
  const j = head.lastIndexOf('/')
  return j <= 0 ? '/' : head.slice(0, j)
}

interface OpenFile {
  readonly inUse: string
  readonly final: string
  format: FileFormat
  /** Bytes HDFS acknowledged. */
  acked: number
  events: number
  bodyBytes: number
  rollTimer: NodeJS.Timeout | undefined
}

/** A file to finalize: in-use name, final name, acknowledged length (undefined: unknown, found by a scan). */
interface Pending {
  readonly inUse: string
  readonly final: string
  acked: number | undefined
  tries: number
}

interface State {
  files: { inUse: string; final: string; acked: number }[]
  dirs: string[]
}

const MAX_DIRS = 1000
/** hdfs.webhdfs.batchesPerWrite stops taking further transactions once the taken bodies reach this. */
const MAX_WRITE_BYTES = 64 * 1024 * 1024

/** A bucket's file counter, shared by its stripes so every file of the bucket gets its own number. */
interface Sequence {
  n: number
}

/**
 * The writer of one of a bucket's in-use file sequences (Flume's BucketWriter). A bucket has one, stripe 0;
 * with hdfs.webhdfs.parallelFiles > 1 a busy bucket has up to that many ("stripes"), each with its own
 * file, rolls, timers and lock, numbering its files from the bucket's shared sequence.
 */
class Bucket {
  /** The writer's key: the bucket's key, plus `\0<stripe>` beyond stripe 0. */
  readonly key: string
  readonly dir: string
  readonly prefix: string
  readonly seq: Sequence
  file: OpenFile | undefined
  idleTimer: NodeJS.Timeout | undefined
  #lock: Promise<unknown> = Promise.resolve()

  constructor(key: string, dir: string, prefix: string, seq: Sequence) {
    this.key = key
    this.dir = dir
    this.prefix = prefix
    this.seq = seq
  }

  nextName(): string {
    this.seq.n++
    return `${this.prefix}.${this.seq.n}`
  }

  /** Runs `f` after every earlier operation on this bucket finished. */
  locked<T>(f: () => Promise<T>): Promise<T> {
    const r = this.#lock.then(f, f)
    this.#lock = r.catch(() => {})
    return r
  }
}

export class HdfsSink {
  readonly counter: SinkCounter
  readonly #name: string
  readonly #cfg: Cfg
  readonly #channel: Channel
  readonly #log: Logger
  readonly #client: WebHdfsClient
  readonly #template: string
  readonly #pathEsc: Escaper
  readonly #prefixEsc: Escaper
  readonly #needsTime: boolean
  readonly #newFormat: () => FileFormat
  readonly #codec: Codec | undefined
  readonly #inUseSuffix: string
  readonly #stateFile: string
  readonly #buckets = new Map<string, Bucket>()
  readonly #pending = new Map<string, Pending>()
  /** Files whose finalization gave up (closeTries): kept in the state file for the next start. */
  readonly #givenUp = new Map<string, Pending>()
  readonly #dirs = new Set<string>()
  readonly #timeWarn: RateLimitedLog
  #retryTimer: NodeJS.Timeout | undefined
  #stateWrite: Promise<void> = Promise.resolve()
  #stopped = false

  constructor(
    name: string,
    cfg: Cfg,
    parts: {
      base: string
      template: string
      pathEsc: Escaper
      prefixEsc: Escaper
      codec: Codec | undefined
      stateFile: string
    },
    channel: Channel,
    logger: Logger,
  ) {
    this.#name = name
    this.#cfg = cfg
    this.#channel = channel
    this.#log = logger
    this.counter = new SinkCounter(name)
    this.#template = parts.template
    this.#pathEsc = parts.pathEsc
    this.#prefixEsc = parts.prefixEsc
    this.#needsTime = /%[\w%]/.test(parts.template) || /%[\w%]/.test(cfg.filePrefix)
    this.#codec = parts.codec
    this.#stateFile = parts.stateFile
    this.#inUseSuffix = cfg.emptyInUseSuffix ? '' : cfg.inUseSuffix
    this.#client = new WebHdfsClient({
      baseUrl: parts.base,
      user: cfg.webhdfsUser ?? userInfo().username,
      ...(cfg.proxyUser !== undefined ? { doAs: cfg.proxyUser } : {}),
      timeoutMs: cfg.callTimeout,
    })
    this.#newFormat = formatFactory(
      cfg.fileType as FileType,
      parts.codec,
      cfg.writeFormat as SeqValueFormat,
      cfg.serializer.spec.build(cfg.serializer.config as never),
    )
    this.#timeWarn = new RateLimitedLog(logger, 10_000)
  }

  // ---------------------------------------------------------------------------------------------------
  // lifecycle

  async start(): Promise<void> {
    this.counter.start()
    await mkdir(join(this.#stateFile, '..'), { recursive: true })
    const state = await this.#loadState()
    for (const d of state.dirs) this.#dirs.add(d)
    for (const f of state.files) {
      this.#pending.set(f.inUse, {
        inUse: f.inUse,
        final: f.final,
        acked: f.acked >= 0 ? f.acked : undefined,
        tries: 0,
      })
    }
    // Scanning and finalizing run in the background: HDFS may be down right now, and the sink must still
    // start (events wait in the channel). Failures are retried by the retry timer.
    void this.#recoverAtStart()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    await Promise.all([...this.#buckets.values()].map((b) => b.locked(() => this.#closeFile(b, 'stop'))))
    this.#buckets.clear()
    await this.#stateWrite
    this.#client.close()
    this.counter.stop()
  }

  async #recoverAtStart(): Promise<void> {
    try {
      await this.#scan()
    } catch (e) {
      this.#log.warn(
        { error: describeError(e) },
        `Sink ${this.#name}: could not scan for in-use files left behind`,
      )
    }
    await this.#runPending()
  }

  /** Finds in-use files of this sink's naming in the directories it wrote and the static part of hdfs.path. */
  async #scan(): Promise<void> {
    const inUsePrefix = this.#cfg.inUsePrefix
    const suffix = this.#inUseSuffix
    if (inUsePrefix === '' && suffix === '') return // in-use files cannot be told from finished ones
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const prefixRe = this.#cfg.filePrefix
      .split(/%\{[\w.-]+\}|%\[\w+\]|%[\w%]/)
      .map(esc)
      .join('.*')
    const re = new RegExp(`^${esc(inUsePrefix)}(${prefixRe}\\.\\d+.*)${esc(suffix)}$`)
    const dirs = new Set([staticDir(this.#template), ...this.#dirs])
    for (const dir of dirs) {
      const entries = await this.#client.list(dir)
      for (const st of entries ?? []) {
        if (st.type !== 'FILE') continue
        const m = re.exec(st.pathSuffix)
        if (m === null) continue
        const inUse = `${dir === '/' ? '' : dir}/${st.pathSuffix}`
        let finalName = m[1] as string
        if (suffix === '' && finalName.length === 0) continue
        finalName = `${dir === '/' ? '' : dir}/${finalName}`
        if (!this.#pending.has(inUse)) {
          this.#pending.set(inUse, { inUse, final: finalName, acked: undefined, tries: 0 })
          this.#log.info(
            { file: inUse },
            `Sink ${this.#name}: found an in-use file left behind; finalizing it`,
          )
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // local state (which in-use files exist and how many of their bytes HDFS acknowledged)

  async #loadState(): Promise<State> {
    try {
      const j = JSON.parse(await readFile(this.#stateFile, 'utf8')) as Partial<State>
      return { files: Array.isArray(j.files) ? j.files : [], dirs: Array.isArray(j.dirs) ? j.dirs : [] }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#log.warn(
          { file: this.#stateFile, error: describeError(e) },
          `Sink ${this.#name}: unreadable state file ignored`,
        )
      }
      return { files: [], dirs: [] }
    }
  }

  /** Writes the state (atomically: temp file + rename); calls are serialized and coalesce. */
  #saveState(): Promise<void> {
    const next = this.#stateWrite.then(async () => {
      const files: State['files'] = []
      for (const b of this.#buckets.values()) {
        const f = b.file
        if (f !== undefined) files.push({ inUse: f.inUse, final: f.final, acked: f.acked })
      }
      for (const p of [...this.#pending.values(), ...this.#givenUp.values()]) {
        files.push({ inUse: p.inUse, final: p.final, acked: p.acked ?? -1 })
      }
      const state: State = { files, dirs: [...this.#dirs].slice(-MAX_DIRS) }
      const tmp = `${this.#stateFile}.${randomBytes(4).toString('hex')}`
      await writeFile(tmp, JSON.stringify(state))
      await rename(tmp, this.#stateFile)
    })
    this.#stateWrite = next.catch((e) => {
      this.#log.error(
        { file: this.#stateFile, error: describeError(e) },
        `Sink ${this.#name}: cannot write the state file`,
      )
    })
    return next
  }

  // ---------------------------------------------------------------------------------------------------
  // the transaction

  async process(signal?: AbortSignal): Promise<'ready' | 'backoff'> {
    const deliver = (events: Event[]) => this.#deliver(events)
    if (this.#cfg.batchesPerWrite <= 1) {
      return takeAndDeliver(this.#channel, this.#cfg.batchSize, this.counter, this.#name, deliver, signal)
    }
    return this.#processMany(deliver, signal)
  }

  /**
   * hdfs.webhdfs.batchesPerWrite > 1: while the channel has full batches, up to that many transactions are
   * taken and their events written with one WebHDFS request per file; all of them commit after HDFS
   * acknowledged, or all roll back (in reverse order, so the events return to the channel in order). Each
   * transaction stays within the channel's transactionCapacity; no further one is taken once the taken
   * bodies reach MAX_WRITE_BYTES (so a file channel's batches do not all sit in memory at once).
   */
  async #processMany(
    deliver: (events: Event[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<'ready' | 'backoff'> {
    const size = this.#cfg.batchSize
    const c = this.counter
    const txs: Transaction[] = []
    const all: Event[] = []
    let bytes = 0
    try {
      for (let k = 0; k < this.#cfg.batchesPerWrite; k++) {
        const tx = this.#channel.begin()
        txs.push(tx)
        let evs: Event[]
        try {
          // only the first take may wait for events; later ones take what is there
          evs = await tx.take(size, k === 0 ? signal : AbortSignal.abort())
        } catch (e) {
          if (k === 0) {
            c.channelReadFail++
            throw e
          }
          // a channel that will not take without waiting: write what the earlier transactions hold
          await tx.rollback()
          tx.close()
          txs.pop()
          break
        }
        c.countBatch(evs.length, size)
        for (const e of evs) {
          all.push(e)
          bytes += e.body.length
        }
        if (evs.length < size || bytes >= MAX_WRITE_BYTES) break
      }
      if (all.length === 0) {
        for (const tx of txs) await tx.commit()
        return 'backoff'
      }
      c.eventDrainAttemptCount += all.length
      try {
        await deliver(all)
      } catch (e) {
        c.eventWriteFail += all.length
        throw e
      }
      for (const tx of txs) await tx.commit()
      c.eventDrainSuccessCount += all.length
      return 'ready'
    } catch (e) {
      for (const tx of [...txs].reverse()) if (tx.state === 'open') await tx.rollback()
      if (e instanceof EventDeliveryError) throw e
      throw new EventDeliveryError(
        `Sink ${this.#name}: failure with ${all.length} event(s) taken; rolled back to the channel: ${describeError(e)}`,
        { cause: e, component: `SINK.${this.#name}` },
      )
    } finally {
      for (const tx of txs) tx.close()
    }
  }

  #timeOf(e: Event, now: number): { ts: number; override: number | undefined } {
    if (this.#cfg.useLocalTimeStamp) return { ts: now, override: now }
    const t = e.headers.timestamp
    if (t !== undefined && /^\s*[+-]?\d+\s*$/.test(t)) {
      const n = Number(t.trim())
      if (Number.isSafeInteger(n)) return { ts: n, override: undefined }
    }
    return { ts: now, override: this.#needsTime ? now : undefined }
  }

  async #deliver(events: Event[]): Promise<void> {
    const now = Date.now()
    const groups = new Map<string, { dir: string; prefix: string; events: Event[]; times: number[] }>()
    for (const e of events) {
      const { ts, override } = this.#timeOf(e, now)
      if (override !== undefined && !this.#cfg.useLocalTimeStamp) {
        this.#timeWarn.error(
          { header: e.headers.timestamp ?? null },
          `Sink ${this.#name}: event without a usable timestamp header for the time escapes in hdfs.path/hdfs.filePrefix; bucketed by the sink's clock instead (set hdfs.useLocalTimeStamp or add a timestamp interceptor)`,
        )
      }
      let dir: string
      let prefix: string
      try {
        dir = this.#pathEsc(e.headers, override)
        prefix = this.#prefixEsc(e.headers, override)
      } catch (err) {
        if (!(err instanceof EscapeError)) throw err
        dir = this.#pathEsc(e.headers, now)
        prefix = this.#prefixEsc(e.headers, now)
      }
      dir = normalizeDir(dir)
      const key = `${dir}/${prefix}`
      let g = groups.get(key)
      if (g === undefined) {
        g = { dir, prefix, events: [], times: [] }
        groups.set(key, g)
      }
      g.events.push(e)
      g.times.push(ts)
    }
    // A bucket with more than one batch's worth of events is split into consecutive runs written to its
    // stripe files concurrently (hdfs.webhdfs.parallelFiles); the caller commits after all of them.
    const files = Math.min(this.#cfg.parallelFiles, this.#cfg.maxOpenFiles)
    const jobs: (() => Promise<void>)[] = []
    for (const [key, g] of groups) {
      for (const r of stripeRuns(g.events.length, this.#cfg.batchSize, files)) {
        const b = await this.#bucket(key, r.stripe, g.dir, g.prefix)
        const whole = r.from === 0 && r.to === g.events.length
        const events = whole ? g.events : g.events.slice(r.from, r.to)
        const times = whole ? g.times : g.times.slice(r.from, r.to)
        jobs.push(() => b.locked(() => this.#append(b, events, times)))
      }
    }
    try {
      await runLimited(jobs, this.#cfg.threadsPoolSize)
    } finally {
      // Only now: a file closed for maxOpenFiles before its job ran would be reopened by that job, outside
      // the open-file map, and stay in use until a timer or the next start finalized it.
      await this.#closeBeyondMaxOpenFiles()
    }
  }

  /** The writer of a bucket's stripe, most recently used last (every stripe counts as an open file). */
  async #bucket(bucketKey: string, stripe: number, dir: string, prefix: string): Promise<Bucket> {
    const key = stripeKey(bucketKey, stripe)
    let b = this.#buckets.get(key)
    if (b !== undefined) {
      this.#buckets.delete(key)
      this.#buckets.set(key, b)
      return b
    }
    b = new Bucket(key, dir, prefix, this.#sequence(bucketKey))
    this.#buckets.set(key, b)
    return b
  }

  /** Closes the least recently used writers' files beyond maxOpenFiles, after a write. */
  async #closeBeyondMaxOpenFiles(): Promise<void> {
    while (this.#buckets.size > this.#cfg.maxOpenFiles) {
      const [oldKey, old] = this.#buckets.entries().next().value as [string, Bucket]
      this.#buckets.delete(oldKey)
      await old.locked(() => this.#closeFile(old, 'maxOpenFiles'))
    }
  }

  /** The bucket's file counter: a live stripe's, else a new one from the clock (as Flume's BucketWriter). */
  #sequence(bucketKey: string): Sequence {
    for (let s = 0; s < this.#cfg.parallelFiles; s++) {
      const b = this.#buckets.get(stripeKey(bucketKey, s))
      if (b !== undefined) return b.seq
    }
    return { n: Date.now() }
  }

  #shouldRoll(f: OpenFile): boolean {
    const { rollCount, rollSize } = this.#cfg
    return (rollCount > 0 && f.events >= rollCount) || (rollSize > 0 && f.bodyBytes >= rollSize)
  }

  #open(b: Bucket): OpenFile {
    const name = b.nextName()
    const suffix = this.#cfg.fileSuffix !== '' ? this.#cfg.fileSuffix : (this.#codec?.extension ?? '')
    const dir = b.dir === '/' ? '' : b.dir
    const f: OpenFile = {
      inUse: `${dir}/${this.#cfg.inUsePrefix}${name}${suffix}${this.#inUseSuffix}`,
      final: `${dir}/${name}${suffix}`,
      format: this.#newFormat(),
      acked: 0,
      events: 0,
      bodyBytes: 0,
      rollTimer: undefined,
    }
    if (this.#cfg.rollInterval > 0) {
      f.rollTimer = setTimeout(() => {
        void b.locked(async () => {
          if (b.file === f) await this.#closeFile(b, 'rollInterval')
        })
      }, this.#cfg.rollInterval * 1000)
      f.rollTimer.unref()
    }
    b.file = f
    if (!this.#dirs.has(b.dir)) {
      this.#dirs.add(b.dir)
      if (this.#dirs.size > MAX_DIRS) this.#dirs.delete(this.#dirs.values().next().value as string)
    }
    return f
  }

  /** Appends a bucket's events, rolling before an event when the current file is full (Flume's order). */
  async #append(b: Bucket, events: Event[], times: number[]): Promise<void> {
    let i = 0
    while (i < events.length) {
      if (b.file !== undefined && this.#shouldRoll(b.file)) await this.#closeFile(b, 'roll')
      const f = b.file ?? this.#open(b)
      const start = i
      while (i < events.length && (i === start || !this.#shouldRoll(f))) {
        f.events++
        f.bodyBytes += (events[i] as Event).body.length
        i++
      }
      const first = f.acked === 0
      const data = f.format.encode(events.slice(start, i), times.slice(start, i), first)
      try {
        if (first) {
          await this.#saveState() // recorded before the file exists, so a crash leaves nothing unknown
          await this.#client.create(f.inUse, data)
          this.counter.connectionCreatedCount++
        } else {
          await this.#client.append(f.inUse, data)
        }
      } catch (e) {
        this.counter.connectionFailedCount++
        // Only when the NameNode was unreachable or unavailable (down, safe mode, standby) is the file known
        // to be as it was; a refusal about the file itself (renamed away, name taken) retires it.
        const untouched =
          e instanceof WebHdfsError &&
          e.beforeData &&
          (e.status === 0 || e.status >= 500 || /SafeMode|Retriable|Standby/.test(e.exception ?? ''))
        if (untouched) {
          // The NameNode did not hand out a DataNode: no byte was sent, the file is as it was; undo the
          // counts of this chunk and keep writing to it once HDFS answers again.
          for (let k = start; k < i; k++) f.bodyBytes -= (events[k] as Event).body.length
          f.events -= i - start
          if (first) f.format = this.#newFormat()
        } else {
          this.#retire(b, f)
        }
        throw new EventDeliveryError(
          `Sink ${this.#name}: writing ${f.inUse} failed; the batch is rolled back${untouched ? '' : ' and the file will be finalized'}: ${describeError(e)}`,
          { cause: e, component: `SINK.${this.#name}` },
        )
      }
      f.acked += data.length
      await this.#saveState()
    }
    this.#touch(b)
  }

  #touch(b: Bucket): void {
    if (this.#cfg.idleTimeout <= 0) return
    if (b.idleTimer !== undefined) clearTimeout(b.idleTimer)
    b.idleTimer = setTimeout(() => {
      void b.locked(async () => {
        await this.#closeFile(b, 'idleTimeout')
        if (b.file === undefined && this.#buckets.get(b.key) === b) this.#buckets.delete(b.key)
      })
    }, this.#cfg.idleTimeout * 1000)
    b.idleTimer.unref()
  }

  /** A file whose write failed: it is no longer written to and goes to finalization. */
  #retire(b: Bucket, f: OpenFile): void {
    if (f.rollTimer !== undefined) clearTimeout(f.rollTimer)
    if (b.file === f) b.file = undefined
    this.#pending.set(f.inUse, { inUse: f.inUse, final: f.final, acked: f.acked, tries: 0 })
    void this.#saveState().catch(() => {})
    this.#scheduleRetry(this.#retryMs() > 0 ? Math.min(this.#retryMs(), 5_000) : 0)
  }

  /** Closes the bucket's current file: footer, then rename to the final name. Failures go to finalization. */
  async #closeFile(b: Bucket, why: string): Promise<void> {
    if (b.idleTimer !== undefined && why !== 'idleTimeout') clearTimeout(b.idleTimer)
    const f = b.file
    if (f === undefined) return
    if (f.rollTimer !== undefined) clearTimeout(f.rollTimer)
    b.file = undefined
    if (f.acked === 0) return // nothing was ever written: no file exists
    try {
      const tail = f.format.footer()
      if (tail.length > 0) {
        await this.#client.append(f.inUse, tail)
        f.acked += tail.length
      }
      if (f.inUse !== f.final && !(await this.#client.rename(f.inUse, f.final))) {
        throw new Error(`HDFS refused to rename ${f.inUse} to ${f.final}`)
      }
      this.counter.connectionClosedCount++
      this.#log.debug({ file: f.final, events: f.events, why }, `Sink ${this.#name}: closed`)
      await this.#saveState()
    } catch (e) {
      this.counter.connectionFailedCount++
      this.#log.warn(
        { file: f.inUse, error: describeError(e) },
        `Sink ${this.#name}: closing ${f.inUse} failed; will retry finalizing it`,
      )
      this.#pending.set(f.inUse, { inUse: f.inUse, final: f.final, acked: f.acked, tries: 1 })
      await this.#saveState().catch(() => {})
      this.#scheduleRetry(this.#retryMs())
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // finalization of files whose close or write failed, or that a previous run left behind

  #retryMs(): number {
    return this.#cfg.retryInterval * 1000
  }

  #scheduleRetry(ms: number): void {
    if (this.#stopped || this.#retryTimer !== undefined) return
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      void this.#runPending()
    }, ms)
    this.#retryTimer.unref()
  }

  async #runPending(): Promise<void> {
    let failed = false
    for (const p of [...this.#pending.values()]) {
      if (this.#stopped) return
      try {
        await this.#finalize(p)
        this.#pending.delete(p.inUse)
        this.counter.connectionClosedCount++
      } catch (e) {
        p.tries++
        const limit = this.#cfg.closeTries
        if ((limit > 0 && p.tries >= limit) || this.#retryMs() <= 0) {
          this.#log.error(
            { file: p.inUse, tries: p.tries, error: describeError(e) },
            `Sink ${this.#name}: giving up finalizing ${p.inUse} (hdfs.closeTries); it stays recorded and is retried at the next start`,
          )
          this.#pending.delete(p.inUse)
          this.#givenUp.set(p.inUse, p)
          continue
        }
        failed = true
        this.#log.warn(
          { file: p.inUse, tries: p.tries, error: describeError(e) },
          `Sink ${this.#name}: could not finalize ${p.inUse} yet; retrying in ${this.#cfg.retryInterval} s`,
        )
      }
    }
    await this.#saveState().catch(() => {})
    if (failed) this.#scheduleRetry(this.#retryMs())
  }

  /** Takes the file over, cuts it back to what was acknowledged, renames it (or deletes an empty one). */
  async #finalize(p: Pending): Promise<void> {
    const st = await this.#client.status(p.inUse)
    if (st === undefined) return // already renamed or removed
    if (p.acked === 0) {
      await this.#client.delete(p.inUse)
      this.#log.info(
        { file: p.inUse },
        `Sink ${this.#name}: removed an in-use file with nothing acknowledged`,
      )
      return
    }
    // A zero-byte APPEND fails while another client holds the lease (a live writer, or a dead one whose
    // lease the NameNode is still recovering); once it succeeds the file is closed and its length final.
    await this.#client.append(p.inUse, Buffer.alloc(0))
    const length = (await this.#client.status(p.inUse))?.length ?? 0
    if (p.acked !== undefined && p.acked >= 0 && length > p.acked) {
      await this.#client.truncate(p.inUse, p.acked)
      this.#log.warn(
        { file: p.inUse, length, acked: p.acked },
        `Sink ${this.#name}: cut ${length - p.acked} unacknowledged bytes (a failed batch, retried elsewhere)`,
      )
    }
    if (length === 0) {
      await this.#client.delete(p.inUse)
      return
    }
    if (p.inUse === p.final) return
    if (!(await this.#client.rename(p.inUse, p.final))) {
      throw new Error(`HDFS refused to rename ${p.inUse} to ${p.final} (does it exist already?)`)
    }
    this.#log.info({ file: p.final }, `Sink ${this.#name}: finalized ${p.inUse}`)
  }
}

function stripeKey(bucketKey: string, stripe: number): string {
  return stripe === 0 ? bucketKey : `${bucketKey}\0${stripe}`
}

/** Collapses `//`, drops a trailing `/`; always absolute. */
function normalizeDir(d: string): string {
  const s = `/${d}`.replace(/\/{2,}/g, '/').replace(/\/$/, '')
  return s === '' ? '/' : s
}

async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  if (jobs.length === 1) return (jobs[0] as () => Promise<void>)()
  let next = 0
  const errors: unknown[] = []
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++] as () => Promise<void>
      try {
        await j()
      } catch (e) {
        errors.push(e)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker))
  if (errors.length > 0) throw errors[0]
}

export const spec = defineSink({
  type: 'hdfs',
  classNames: ['org.apache.flume.sink.hdfs.HDFSEventSink'],
  summary:
    'Writes events to HDFS files (through WebHDFS), bucketed by path escapes and rolled by size, count and time.',
  fields,
  validate(cfg) {
    const out: Problem[] = []
    const p = splitPath(cfg.path, cfg.webhdfsAddress)
    if ('error' in p) out.push({ key: 'hdfs.path', message: p.error })
    for (const k of ['kerberosPrincipal', 'kerberosKeytab'] as const) {
      if (cfg[k] !== undefined) {
        out.push({
          key: `hdfs.${k}`,
          message: `Kerberos is not supported by flumen's WebHDFS client (no SPNEGO); use simple authentication with hdfs.proxyUser, or Java Flume for a Kerberized cluster`,
        })
      }
    }
    if (cfg.codeC !== undefined) {
      const c = resolveCodec(cfg.codeC)
      if ('error' in c) out.push({ key: 'hdfs.codeC', message: c.error })
    }
    const hasCodec = cfg.codeC !== undefined && !/^none$/i.test(cfg.codeC.trim().split('.').pop() ?? '')
    if (cfg.fileType === 'DataStream' && hasCodec) {
      out.push({
        key: 'hdfs.codeC',
        message:
          'fileType DataStream does not support compressed output; unset hdfs.codeC or use CompressedStream',
      })
    }
    if (cfg.fileType === 'CompressedStream' && !hasCodec) {
      out.push({ key: 'hdfs.codeC', message: 'fileType CompressedStream requires hdfs.codeC' })
    }
    if (cfg.timeZone !== undefined) {
      const why = checkTimeZone(cfg.timeZone)
      if (why !== undefined) out.push({ key: 'hdfs.timeZone', message: why })
    }
    if (cfg.round) {
      const unit = ROUND_UNITS[cfg.roundUnit.trim().toLowerCase()]
      const max = unit === 'hour' ? 24 : 60
      if (unit !== undefined && (cfg.roundValue <= 0 || cfg.roundValue > max)) {
        out.push({ key: 'hdfs.roundValue', message: `must be 1..${max} for roundUnit ${unit}` })
      }
    }
    return out
  },
  batchSize: (cfg) => cfg.batchSize,
  async build(cfg, ctx) {
    const p = splitPath(cfg.path, cfg.webhdfsAddress)
    if ('error' in p) throw new ConfigError(`SINK.${ctx.name}: ${p.error}`, { component: `SINK.${ctx.name}` })
    let round: { unit: RoundUnit; value: number } | undefined
    if (cfg.round) {
      const unit = ROUND_UNITS[cfg.roundUnit.trim().toLowerCase()]
      if (unit === undefined) {
        ctx.logger.warn(
          `Sink ${ctx.name}: hdfs.roundUnit '${cfg.roundUnit}' is not second, minute or hour; rounding is off`,
        )
      } else {
        round = { unit, value: cfg.roundValue }
      }
    }
    if (cfg.minBlockReplicas !== undefined) {
      ctx.logger.warn(
        `Sink ${ctx.name}: hdfs.minBlockReplicas is ignored (WebHDFS does not report pipeline replication)`,
      )
    }
    if (cfg.emptyInUseSuffix && cfg.inUseSuffix !== '.tmp') {
      ctx.logger.warn(`Sink ${ctx.name}: hdfs.emptyInUseSuffix is true, so hdfs.inUseSuffix is ignored`)
    }
    const opts = {
      ...(cfg.timeZone !== undefined ? { timeZone: cfg.timeZone } : {}),
      ...(round !== undefined ? { round } : {}),
      safeHeaders: true,
    }
    let pathEsc: Escaper
    let prefixEsc: Escaper
    try {
      pathEsc = await compileEscape(p.template, opts)
      prefixEsc = await compileEscape(cfg.filePrefix, opts)
    } catch (e) {
      throw new ConfigError(`SINK.${ctx.name}: ${(e as Error).message}`, { component: `SINK.${ctx.name}` })
    }
    const codec =
      cfg.codeC === undefined ? undefined : (resolveCodec(cfg.codeC) as { codec: Codec | undefined }).codec
    const home = (ctx.sys.get('user.home') ?? homedir()).replace(/\\/g, '/')
    const dir = cfg.recoveryDir?.trim() ?? `${home}/.flume/hdfs-sink/${ctx.agentName}/${ctx.name}`
    const stateFile = join(isAbsolute(dir) ? dir : resolve(dir), 'in-use-files.json')
    const sink = new HdfsSink(
      ctx.name,
      cfg as Cfg,
      { base: p.base, template: p.template, pathEsc, prefixEsc, codec, stateFile },
      ctx.channel,
      ctx.logger,
    )
    ctx.metrics.register(sink.counter)
    return sink
  },
})

export type { FileType, NestedComponent, SerializerSpec }
export { WebHdfsError }
