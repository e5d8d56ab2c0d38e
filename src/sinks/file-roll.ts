/**
 * `file_roll` sink (org.apache.flume.sink.RollingFileSink): writes events to files in a local directory,
 * starting a new file every `sink.rollInterval` seconds (0 = one file forever).
 *
 * File names (reference §6.6), from the path manager:
 * - DEFAULT:  `<prefix><startMillis>-<n>[.<extension>]`, startMillis fixed when the sink is built, n = 1, 2, …
 * - ROLLTIME: `<prefix><yyyyMMddHHmmss>-<n>[.<extension>]`, n restarting at 1 whenever the timestamp changes.
 * A timer marks the file for rotation every rollInterval; the next `process()` closes it and opens the
 * next one even when no events arrive (empty files are normal, as in Flume).
 *
 * Delivery: each batch is serialized into one buffer and written with one write() before the channel
 * commit, so a committed take is in the file (in the OS; Flume does not fsync either). A failed write is
 * undone by truncating the file back to where the batch started, so the retried batch is not duplicated
 * inside the file.
 */

import type { FileHandle } from 'node:fs/promises'
import { mkdir, open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { SinkCounter } from '../core/counters.ts'
import { describeError, EventDeliveryError } from '../core/errors.ts'
import type { Event } from '../core/event.ts'
import type { EventSerializer, NestedComponent, SerializerFactory, SerializerSpec } from '../core/spec.ts'
import { defineSink, int, long, nested, oneOf, str } from '../core/spec.ts'
import { takeAndDeliver } from './util/take-batch.ts'

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** `yyyyMMddHHmmss` in local time, like Joda's LocalDateTime.now() formatting. */
export function rollTimeStamp(d = new Date()): string {
  return (
    pad(d.getFullYear(), 4) +
    pad(d.getMonth() + 1) +
    pad(d.getDate()) +
    pad(d.getHours()) +
    pad(d.getMinutes()) +
    pad(d.getSeconds())
  )
}

export class PathManager {
  readonly #kind: 'DEFAULT' | 'ROLLTIME'
  readonly #prefix: string
  readonly #extension: string
  readonly #seriesTimestamp = Date.now()
  #index = 0
  #lastRoll = ''
  #current: string | undefined

  constructor(kind: 'DEFAULT' | 'ROLLTIME', prefix: string, extension: string) {
    this.#kind = kind
    this.#prefix = prefix
    this.#extension = extension
  }

  nextFile(): string {
    let stamp: string
    if (this.#kind === 'ROLLTIME') {
      stamp = rollTimeStamp()
      if (stamp !== this.#lastRoll) {
        this.#index = 0
        this.#lastRoll = stamp
      }
    } else {
      stamp = String(this.#seriesTimestamp)
    }
    this.#index++
    this.#current = `${this.#prefix}${stamp}-${this.#index}${this.#extension.length > 0 ? `.${this.#extension}` : ''}`
    return this.#current
  }

  currentFile(): string {
    return this.#current ?? this.nextFile()
  }

  rotate(): void {
    this.#current = undefined
  }
}

const PATH_MANAGERS: Record<string, 'DEFAULT' | 'ROLLTIME'> = {
  default: 'DEFAULT',
  rolltime: 'ROLLTIME',
  'org.apache.flume.formatter.output.defaultpathmanager$builder': 'DEFAULT',
  'org.apache.flume.formatter.output.rolltimepathmanager$builder': 'ROLLTIME',
}

const fields = {
  directory: str({ key: 'sink.directory', required: true, doc: 'Directory the files are written to.' }),
  rollInterval: long({
    key: 'sink.rollInterval',
    default: 30,
    doc: 'Seconds between file rolls; 0 writes a single file forever.',
  }),
  pathManager: oneOf({
    key: 'sink.pathManager',
    values: [
      'DEFAULT',
      'ROLLTIME',
      'org.apache.flume.formatter.output.DefaultPathManager$Builder',
      'org.apache.flume.formatter.output.RollTimePathManager$Builder',
    ],
    default: 'DEFAULT',
    doc: 'File naming: DEFAULT (<prefix><startMillis>-<n>) or ROLLTIME (<prefix><yyyyMMddHHmmss>-<n>).',
  }),
  prefix: str({ key: 'sink.pathManager.prefix', default: '', doc: 'File name prefix.' }),
  extension: str({
    key: 'sink.pathManager.extension',
    default: '',
    doc: 'File extension, appended as `.<ext>`.',
  }),
  serializer: nested({
    kind: 'serializer',
    key: 'sink.serializer',
    default: 'TEXT',
    doc: 'text, header_and_text, avro_event or a serializer class; options under sink.serializer.*',
  }),
  batchSize: int({ key: 'sink.batchSize', default: 100, min: 1, doc: 'Events per transaction.' }),
}

export class RollingFileSink {
  readonly counter: SinkCounter
  readonly #name: string
  readonly #dir: string
  readonly #rollMs: number
  readonly #paths: PathManager
  readonly #serializerFactory: SerializerFactory
  readonly #batchSize: number
  readonly #channel: import('../core/channel.ts').Channel
  readonly #logger: import('pino').Logger
  #file: FileHandle | undefined
  #serializer: EventSerializer | undefined
  #offset = 0
  #shouldRotate = false
  #timer: NodeJS.Timeout | undefined

  constructor(
    name: string,
    cfg: {
      directory: string
      rollInterval: number
      pathManager: string
      prefix: string
      extension: string
      batchSize: number
      serializer: NestedComponent<SerializerSpec>
    },
    channel: import('../core/channel.ts').Channel,
    logger: import('pino').Logger,
  ) {
    this.#name = name
    this.counter = new SinkCounter(name)
    this.#dir = cfg.directory
    this.#rollMs = cfg.rollInterval * 1000
    this.#paths = new PathManager(
      PATH_MANAGERS[cfg.pathManager.toLowerCase()] ?? 'DEFAULT',
      cfg.prefix,
      cfg.extension,
    )
    this.#serializerFactory = cfg.serializer.spec.build(cfg.serializer.config as never)
    this.#batchSize = cfg.batchSize
    this.#channel = channel
    this.#logger = logger
  }

  async start(): Promise<void> {
    const s = await stat(this.#dir).catch(() => undefined)
    if (s === undefined) await mkdir(this.#dir, { recursive: true })
    else if (!s.isDirectory()) throw new Error(`sink.directory ${this.#dir} exists and is not a directory`)
    this.counter.start()
    if (this.#rollMs > 0) {
      this.#timer = setInterval(() => {
        this.#shouldRotate = true
      }, this.#rollMs)
      this.#timer.unref()
    }
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#close().catch((e) => {
      this.#logger.error(
        { file: this.#paths.currentFile(), error: describeError(e) },
        'Could not close output file',
      )
    })
    this.counter.stop()
  }

  async #close(): Promise<void> {
    const f = this.#file
    const ser = this.#serializer
    this.#file = undefined
    this.#serializer = undefined
    if (f === undefined || ser === undefined) return
    try {
      const tail = concat(ser.flush(), ser.footer())
      if (tail !== undefined) await writeFully(f, tail, this.#offset)
      await f.close()
      this.counter.connectionClosedCount++
    } catch (e) {
      this.counter.connectionFailedCount++
      await f.close().catch(() => {})
      throw e
    }
  }

  async #open(): Promise<void> {
    const path = join(this.#dir, this.#paths.currentFile())
    try {
      this.#file = await open(path, 'w')
      this.#serializer = this.#serializerFactory()
      this.#offset = 0
      const head = this.#serializer.header()
      if (head !== undefined) {
        await writeFully(this.#file, head, 0)
        this.#offset = head.length
      }
      this.counter.connectionCreatedCount++
    } catch (e) {
      this.counter.connectionFailedCount++
      await this.#file?.close().catch(() => {})
      this.#file = undefined
      this.#serializer = undefined
      throw new EventDeliveryError(`Sink ${this.#name}: cannot open ${path}: ${describeError(e)}`, {
        cause: e,
        component: `SINK.${this.#name}`,
      })
    }
  }

  async process(signal?: AbortSignal): Promise<'ready' | 'backoff'> {
    if (this.#shouldRotate) {
      this.#shouldRotate = false
      if (this.#file !== undefined) {
        try {
          await this.#close()
        } catch (e) {
          throw new EventDeliveryError(`Sink ${this.#name}: unable to rotate file: ${describeError(e)}`, {
            cause: e,
            component: `SINK.${this.#name}`,
          })
        }
        this.#paths.rotate()
      }
    }
    if (this.#file === undefined) await this.#open()
    return takeAndDeliver(
      this.#channel,
      this.#batchSize,
      this.counter,
      this.#name,
      (events) => this.#write(events),
      signal,
    )
  }

  async #write(events: readonly Event[]): Promise<void> {
    const f = this.#file as FileHandle
    const ser = this.#serializer as EventSerializer
    const data = concat(ser.write(events), ser.flush())
    if (data === undefined || data.length === 0) return
    try {
      await writeFully(f, data, this.#offset)
      this.#offset += data.length
    } catch (e) {
      // Undo a partial write so the retried batch does not leave a torn copy in the file.
      await f.truncate(this.#offset).catch(() => {})
      throw e
    }
  }
}

/** Positional write of the whole buffer (pwrite), so a truncate after a failure leaves no hole. */
async function writeFully(f: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await f.write(data, done, data.length - done, position + done)
    done += bytesWritten
  }
}

function concat(a: Buffer | undefined, b: Buffer | undefined): Buffer | undefined {
  if (a === undefined || a.length === 0) return b
  if (b === undefined || b.length === 0) return a
  return Buffer.concat([a, b])
}

export const spec = defineSink({
  type: 'file_roll',
  classNames: ['org.apache.flume.sink.RollingFileSink'],
  summary: 'Writes events to files in a local directory, rolling them periodically.',
  fields,
  validate(cfg) {
    return PATH_MANAGERS[cfg.pathManager.toLowerCase()] === undefined
      ? [`sink.pathManager '${cfg.pathManager}' is not supported (DEFAULT or ROLLTIME)`]
      : []
  },
  batchSize: (cfg) => cfg.batchSize,
  build(cfg, ctx) {
    const sink = new RollingFileSink(ctx.name, cfg, ctx.channel, ctx.logger)
    ctx.metrics.register(sink.counter)
    return sink
  },
})
