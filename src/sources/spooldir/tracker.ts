/**
 * The read position of the file being spooled, in Flume's own format (DurablePositionTracker), so a
 * position written by Java Flume carries over to flumen and back: `<trackerDir>/.flumespool-main.meta` is
 * an Avro object container file with schema TransferStateFileMeta {offset: long}, header metadata `file` =
 * the path of the file being read (as Flume's File.getPath(): spoolDir as configured joined with the
 * relative name), no `avro.codec`, and one block holding one record per committed batch.
 *
 * - A record is appended (one write, no fsync: like Flume, a SIGKILL loses nothing because the page cache
 *   survives it; after a power loss the position may be older, which only re-delivers) only after the
 *   batch's channel commit.
 * - Opening reads the last complete record (a torn last block from a crash is ignored) and compacts the
 *   file: the latest offset is written to a temporary file that is renamed over the meta file.
 * - Flume deletes a meta file naming another file (that file then starts again from 0). flumen sets it
 *   aside instead (`.flumespool-stopped-<hash>.meta`, also used for files stopped by an error), so the
 *   position of a half-read file survives until that file is opened again.
 */

import { createHash, randomBytes } from 'node:crypto'
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AvroReader, AvroWriter } from '../../protocols/avro/binary.ts'
import { parseContainerHeader, SYNC_SIZE } from '../../protocols/avro/container.ts'
import { TRANSFER_STATE_FILE_META_SCHEMA_JSON } from '../../protocols/avro/schemas.ts'

export const META_FILE_NAME = '.flumespool-main.meta'

/** Parses a meta file: the target path and the last complete offset, or undefined if unreadable/empty. */
export function parseMeta(buf: Buffer): { target: string; offset: number } | undefined {
  if (buf.length === 0) return undefined
  let header: ReturnType<typeof parseContainerHeader>
  try {
    header = parseContainerHeader(buf)
  } catch {
    return undefined
  }
  const target = header.metadata.get('file')?.toString('utf8')
  if (target === undefined) return undefined
  let offset = 0
  let p = header.length
  while (p < buf.length) {
    try {
      const r = new AvroReader(buf, p)
      const count = r.readLong()
      const size = r.readLong()
      const dataStart = r.pos
      if (dataStart + size + SYNC_SIZE > buf.length) break
      if (!header.syncMarker.equals(buf.subarray(dataStart + size, dataStart + size + SYNC_SIZE))) break
      const d = new AvroReader(buf.subarray(dataStart, dataStart + size))
      for (let i = 0; i < count; i++) offset = d.readLong()
      p = dataStart + size + SYNC_SIZE
    } catch {
      break
    }
  }
  return { target, offset }
}

function encodeHeader(target: string, sync: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x4f, 0x62, 0x6a, 0x01])]
  const m = new AvroWriter()
  m.writeLong(2)
  m.writeString('avro.schema')
  m.writeBytes(Buffer.from(TRANSFER_STATE_FILE_META_SCHEMA_JSON, 'utf8'))
  m.writeString('file')
  m.writeBytes(Buffer.from(target, 'utf8'))
  m.writeLong(0)
  parts.push(m.finish(), sync)
  return Buffer.concat(parts)
}

function encodeRecord(offset: number, sync: Buffer): Buffer {
  const d = new AvroWriter()
  d.writeLong(offset)
  const data = d.finish()
  const w = new AvroWriter()
  w.writeLong(1)
  w.writeLong(data.length)
  return Buffer.concat([w.finish(), data, sync])
}

/** The name under which the position of a file stopped by an error is kept aside. */
export function stashName(target: string): string {
  return `.flumespool-stopped-${createHash('sha1').update(target).digest('hex').slice(0, 16)}.meta`
}

export class PositionTracker {
  readonly target: string
  readonly #fh: FileHandle
  readonly #sync: Buffer
  readonly #path: string
  #offset: number

  private constructor(path: string, target: string, fh: FileHandle, sync: Buffer, offset: number) {
    this.#path = path
    this.target = target
    this.#fh = fh
    this.#sync = sync
    this.#offset = offset
  }

  get offset(): number {
    return this.#offset
  }

  /**
   * Opens the tracker for `target` in `trackerDir`: resumes from the meta file when it names `target`
   * (or from a stash of it), otherwise starts at 0. Always leaves a compacted meta file for `target`.
   */
  static async open(trackerDir: string, target: string): Promise<PositionTracker> {
    const path = join(trackerDir, META_FILE_NAME)
    let state = parseMeta(await readFile(path).catch(() => Buffer.alloc(0)))
    if (state !== undefined && state.target !== target && state.offset > 0) {
      // Another file was half read (a crash, then a different file came first): keep its position.
      await rename(path, join(trackerDir, stashName(state.target))).catch(() => undefined)
    }
    if (state === undefined || state.target !== target) {
      const stash = join(trackerDir, stashName(target))
      const stashed = parseMeta(await readFile(stash).catch(() => Buffer.alloc(0)))
      state = stashed?.target === target ? stashed : undefined
      await rm(stash, { force: true })
    }
    const offset = state?.offset ?? 0
    const sync = randomBytes(SYNC_SIZE)
    const tmp = `${path}.tmp`
    const fh = await open(tmp, 'w')
    try {
      await fh.write(Buffer.concat([encodeHeader(target, sync), encodeRecord(offset, sync)]))
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
    return new PositionTracker(path, target, await open(path, 'a'), sync, offset)
  }

  /** Records that everything before `offset` is committed. */
  async commit(offset: number): Promise<void> {
    if (offset === this.#offset) return
    await this.#fh.write(encodeRecord(offset, this.#sync))
    this.#offset = offset
  }

  async close(): Promise<void> {
    await this.#fh.close().catch(() => undefined)
  }

  /** Closes and deletes the meta file (the file is done). */
  async remove(): Promise<void> {
    await this.close()
    await rm(this.#path, { force: true })
  }

  /** Closes and moves the meta file aside, so the position survives while other files are read. */
  async stash(trackerDir: string): Promise<void> {
    await this.close()
    await rename(this.#path, join(trackerDir, stashName(this.target))).catch(() => undefined)
  }
}
