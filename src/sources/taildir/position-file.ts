/**
 * The TAILDIR position file, byte-compatible with Flume 1.11's (reference wire-protocols §6.2, verified in
 * TaildirSource.toPosInfoJson / ReliableTaildirEventReader.loadPositionFile):
 *
 *   [{"inode":2496001,"pos":1024,"file":"/var/log/app/a.log"}]
 *
 * - a compact JSON array, one object per tracked file, keys in the order inode, pos, file; `pos` is the
 *   byte offset after the last line committed to the channel;
 * - written by default Gson, which escapes `<`, `>`, `&`, `=`, `'` (and U+2028/U+2029) as `\u00XX`; an
 *   empty tracked set is written as a 0-byte file, and a 0-byte file reads as "no positions";
 * - Flume reads it with a strict JsonReader that accepts only those three keys (any other key makes the
 *   next read fail), so flumen writes exactly these keys and nothing else.
 *
 * Inode numbers are kept as decimal strings: they are 64-bit on some filesystems, beyond a double's
 * exact range. Flume rewrites the file in place (truncate + write, no fsync), so a crash mid-write can
 * leave it empty and every file is re-read from 0. flumen writes a temporary file, fsyncs it and renames
 * it over the old one, so the file on disk is always a complete earlier or later version.
 */

import { open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface PositionEntry {
  /** Inode number as a decimal string (exact for 64-bit values). */
  readonly inode: string
  /** Byte offset after the last committed line. */
  readonly pos: number
  /** Path the file had when the position was written. */
  readonly file: string
}

export class PositionFileError extends Error {
  override readonly name = 'PositionFileError'
}

const INODE_RE = /^\d+$/

/**
 * Parses a position file's text. A blank text is an empty list (what Flume writes when it tracks nothing).
 * Throws PositionFileError naming the problem for anything Flume's reader would also reject.
 */
export function parsePositions(text: string): PositionEntry[] {
  if (text.trim() === '') return []
  let raw: unknown
  try {
    // The reviver's context.source (Node ≥ 21) gives the literal digits, so 64-bit inodes stay exact.
    raw = JSON.parse(text, function (this: unknown, _key, value, context?: { source?: string }) {
      if (typeof value === 'number' && context?.source !== undefined) return new ExactNumber(context.source)
      return value
    })
  } catch (e) {
    throw new PositionFileError(`not valid JSON: ${(e as Error).message}`)
  }
  if (!Array.isArray(raw)) throw new PositionFileError('expected a JSON array of {"inode","pos","file"}')
  const out: PositionEntry[] = []
  for (let i = 0; i < raw.length; i++) {
    const o = raw[i] as Record<string, unknown> | null
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      throw new PositionFileError(`entry ${i} is not an object`)
    const inode = o.inode
    const pos = o.pos
    const file = o.file
    if (!(inode instanceof ExactNumber) || !INODE_RE.test(inode.text))
      throw new PositionFileError(`entry ${i}: missing or invalid "inode"`)
    if (!(pos instanceof ExactNumber) || !INODE_RE.test(pos.text) || !Number.isSafeInteger(Number(pos.text)))
      throw new PositionFileError(`entry ${i}: missing or invalid "pos"`)
    if (typeof file !== 'string') throw new PositionFileError(`entry ${i}: missing or invalid "file"`)
    out.push({ inode: BigInt(inode.text).toString(), pos: Number(pos.text), file })
  }
  return out
}

class ExactNumber {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

// Flume compat: Gson's default (HTML-safe) escaping on top of JSON's. JSON.stringify already escapes `"`,
// `\` and control characters (lowercase hex, as Gson).
const GSON_EXTRA = /[<>&='\u2028\u2029]/g
const gsonEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/** Renders entries exactly as Flume's Gson does; an empty list renders as the empty string. */
export function formatPositions(entries: readonly PositionEntry[]): string {
  if (entries.length === 0) return ''
  let s = '['
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as PositionEntry
    if (i > 0) s += ','
    s += `{"inode":${e.inode},"pos":${e.pos},"file":${JSON.stringify(e.file).replace(GSON_EXTRA, gsonEscape)}}`
  }
  return `${s}]`
}

/** Reads a position file; a missing file is an empty list. Throws PositionFileError on bad content. */
export async function readPositionFile(path: string): Promise<PositionEntry[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  return parsePositions(text)
}

/** Replaces the position file atomically (temp file in the same directory, fsync, rename). */
export async function writePositionFile(path: string, text: string): Promise<void> {
  const tmp = `${dirname(path)}/.${path.slice(dirname(path).length + 1)}.${process.pid}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(text)
    await fh.datasync()
  } catch (e) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw e
  }
  await fh.close()
  await rename(tmp, path)
}

/** Width of the padded `pos` field in the running layout: a long's 19 digits and a space. */
const POS_WIDTH = 20

/**
 * The position file while the source runs. To re-deliver at most one batch after a crash, the position of
 * every committed batch is recorded before the next batch is committed — cheaply: the file is laid out
 * with each `pos` padded to a fixed width (`{"inode":5,"pos":1024                ,"file":"/a.log"}` —
 * whitespace between JSON tokens, which Flume's reader and ours skip), so recording a position is one
 * 20-byte write in place, atomic with respect to a crash of the process. The layout is rewritten
 * (atomically) only when the set of files or a path changes; `sync()` makes the recorded positions
 * durable against an operating-system crash too (called every writePosInterval); `close()` leaves the
 * compact form Flume writes.
 *
 * Operations run one at a time in call order; each returned promise settles when its operation is done.
 */
export class PositionStore {
  readonly path: string
  #fh: import('node:fs/promises').FileHandle | undefined
  readonly #slots = new Map<string, number>()
  #queue: Promise<unknown> = Promise.resolve()
  #unsynced = false
  readonly #field = Buffer.alloc(POS_WIDTH)

  constructor(path: string) {
    this.path = path
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(op, op)
    this.#queue = p.catch(() => {})
    return p
  }

  /** Rewrites the whole file (padded layout) for this set of files. */
  rewrite(entries: readonly PositionEntry[]): Promise<void> {
    return this.#enqueue(async () => {
      this.#slots.clear()
      const parts: string[] = []
      let offset = 1
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i] as PositionEntry
        const head = `${i > 0 ? ',' : ''}{"inode":${e.inode},"pos":`
        offset += Buffer.byteLength(head)
        this.#slots.set(e.inode, offset)
        const pos = String(e.pos)
        const tail = `,"file":${JSON.stringify(e.file).replace(GSON_EXTRA, gsonEscape)}}`
        parts.push(head, pos.padEnd(POS_WIDTH, ' '), tail)
        offset += POS_WIDTH + Buffer.byteLength(tail)
      }
      const text = entries.length === 0 ? '' : `[${parts.join('')}]`
      const tmp = `${dirname(this.path)}/.${this.path.slice(dirname(this.path).length + 1)}.${process.pid}.tmp`
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(text)
        await fh.datasync()
        await rename(tmp, this.path)
      } catch (e) {
        await fh.close().catch(() => {})
        await unlink(tmp).catch(() => {})
        this.#slots.clear()
        throw e
      }
      const old = this.#fh
      this.#fh = fh
      this.#unsynced = false
      await old?.close().catch(() => {})
    })
  }

  /** Records a committed position in place (no-op for a file not in the current layout). */
  setPos(inode: string, pos: number): Promise<void> {
    return this.#enqueue(async () => {
      const at = this.#slots.get(inode)
      const fh = this.#fh
      if (at === undefined || fh === undefined) return
      this.#field.fill(0x20)
      this.#field.write(String(pos), 0, 'latin1')
      await fh.write(this.#field, 0, POS_WIDTH, at)
      this.#unsynced = true
    })
  }

  /** Makes in-place position writes durable (fdatasync), if there were any. */
  sync(): Promise<void> {
    return this.#enqueue(async () => {
      if (!this.#unsynced || this.#fh === undefined) return
      this.#unsynced = false
      await this.#fh.datasync()
    })
  }

  /** Writes the final positions in Flume's compact form and releases the file. */
  close(entries: readonly PositionEntry[]): Promise<void> {
    return this.#enqueue(async () => {
      const fh = this.#fh
      this.#fh = undefined
      this.#slots.clear()
      await fh?.close().catch(() => {})
      await writePositionFile(this.path, formatPositions(entries))
    })
  }
}
