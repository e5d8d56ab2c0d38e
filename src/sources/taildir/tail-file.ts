/**
 * Per-file state of the TAILDIR source and the line reader that turns a file's new bytes into events.
 *
 * Lines end at `\n`; one `\r` right before it is removed (Flume's TailFile.readLine). A last line without
 * `\n` is held back until its newline arrives, except when the caller allows partial lines (Flume does so
 * only when it closes a file for idleness; flumen also when it drains a deleted file), then it is emitted
 * as it is. There is no line-length limit, as in Flume: a long line is gathered from as many chunks as it
 * takes (memory grows with the line, never with the file).
 *
 * The reader owns one reusable chunk buffer for the whole source. It stays attached to one file while that
 * file is read batch after batch, so leftover bytes are not copied between batches; when the source moves
 * to another file it detaches, and only the unfinished line (usually a few bytes) is saved with the file.
 * Bodies are copied out of the chunk (small copies come from Node's buffer pool).
 */

import type { FileHandle } from 'node:fs/promises'
import type { Event } from '../../core/event.ts'

const NL = 10
const CR = 13

/** One tracked file, keyed by inode. */
export class TailFile {
  readonly inode: string
  /** Current path; '' when the file was renamed to somewhere unknown (still readable through `fh`). */
  path: string
  readonly group: string
  readonly headers: readonly (readonly [string, string])[]
  fh: FileHandle | undefined
  /** Offset after the last line committed to the channel: what the position file records. */
  pos: number
  /** Offset after the last line handed out (≥ pos while a batch is in flight). */
  lineStart: number
  /** Bytes [lineStart, lineStart + carry.length) read but not yet part of an emitted line. */
  carry: Buffer | undefined
  /** Size at the last stat. */
  size: number
  /** Birth time at the last stat (0 when the filesystem does not report one): detects inode reuse. */
  btimeMs: number
  /** Last time a batch was committed or the file was opened (for idleTimeout). */
  lastActivity: number
  /** Set once the path no longer leads to this inode: renamed to a non-matching name, or deleted. */
  orphan: 'rotated' | 'deleted' | undefined
  /** Poll in which a matcher last listed this file. */
  seen = 0

  constructor(
    inode: string,
    path: string,
    group: string,
    headers: readonly (readonly [string, string])[],
    pos: number,
    size: number,
    btimeMs: number,
  ) {
    this.inode = inode
    this.path = path
    this.group = group
    this.headers = headers
    this.pos = pos
    this.lineStart = pos
    this.carry = undefined
    this.fh = undefined
    this.size = size
    this.btimeMs = btimeMs
    this.lastActivity = Date.now()
    this.orphan = undefined
  }

  /** File offset of the next byte to read. */
  get readPos(): number {
    return this.lineStart + (this.carry?.length ?? 0)
  }

  /** Forgets everything read after the committed position (the next read starts there again). */
  rewind(): void {
    this.lineStart = this.pos
    this.carry = undefined
  }

  /** Starts over at `pos` (truncation, reuse). */
  resetTo(pos: number): void {
    this.pos = pos
    this.lineStart = pos
    this.carry = undefined
  }
}

export type MakeEvent = (tf: TailFile, body: Buffer, offset: number) => Event

export class LineReader {
  readonly #buf: Buffer
  #view: Buffer
  #cur: TailFile | undefined
  /** Unconsumed bytes are buf[ws, we); bytes before `scan` hold no newline. */
  #ws = 0
  #we = 0
  #scan = 0
  /** File offset of buf[we]. */
  #readPos = 0
  /** Earlier pieces of a line longer than the buffer. */
  #long: Buffer[] | undefined
  #longLen = 0

  constructor(chunkSize = 256 * 1024) {
    this.#buf = Buffer.allocUnsafe(chunkSize)
    this.#view = this.#buf.subarray(0, 0)
  }

  /** The file the reader is attached to, if any. */
  get current(): TailFile | undefined {
    return this.#cur
  }

  #attach(tf: TailFile): void {
    this.detach()
    this.#cur = tf
    this.#ws = 0
    this.#we = 0
    this.#long = undefined
    this.#longLen = 0
    const c = tf.carry
    if (c !== undefined && c.length > 0) {
      if (c.length <= this.#buf.length) {
        c.copy(this.#buf, 0)
        this.#we = c.length
      } else {
        this.#long = [c]
        this.#longLen = c.length
      }
    }
    this.#scan = 0 // a carry saved after a full batch may still hold whole lines
    this.#readPos = tf.lineStart + (c?.length ?? 0)
    this.#view = this.#buf.subarray(0, this.#we)
    tf.carry = undefined
  }

  /** Saves the unfinished line with the file it belongs to and lets go of it. */
  detach(): void {
    const tf = this.#cur
    if (tf === undefined) return
    this.#cur = undefined
    const rest = this.#we - this.#ws
    if (this.#longLen === 0) {
      tf.carry = rest > 0 ? Buffer.from(this.#buf.subarray(this.#ws, this.#we)) : undefined
    } else {
      const parts = this.#long as Buffer[]
      if (rest > 0) parts.push(this.#buf.subarray(this.#ws, this.#we))
      tf.carry = Buffer.concat(parts, this.#longLen + rest)
    }
    this.#long = undefined
    this.#longLen = 0
  }

  /**
   * Reads up to `max` lines of `tf` (which must be open) starting at tf.lineStart and advances
   * tf.lineStart past them. Returns the events (possibly none). `partial` emits a final unterminated line.
   */
  async read(tf: TailFile, max: number, partial: boolean, make: MakeEvent): Promise<Event[]> {
    if (this.#cur !== tf) this.#attach(tf)
    const fh = tf.fh as FileHandle
    const buf = this.#buf
    const events: Event[] = []
    let eof = false
    while (events.length < max) {
      const nl = this.#scan < this.#we ? this.#view.indexOf(NL, this.#scan) : -1
      if (nl >= 0) {
        events.push(this.#emit(tf, nl, nl + 1, make))
        continue
      }
      this.#scan = this.#we
      if (eof) break
      // Make room: move the unfinished line to the front; a line filling the whole buffer is set aside.
      if (this.#ws > 0) {
        if (this.#we > this.#ws) buf.copy(buf, 0, this.#ws, this.#we)
        this.#we -= this.#ws
        this.#scan = this.#we
        this.#ws = 0
      }
      if (this.#we === buf.length) {
        ;(this.#long ??= []).push(Buffer.from(buf.subarray(0, this.#we)))
        this.#longLen += this.#we
        this.#we = 0
        this.#scan = 0
      }
      const { bytesRead } = await fh.read(buf, this.#we, buf.length - this.#we, this.#readPos)
      if (bytesRead === 0) {
        eof = true
        continue
      }
      this.#we += bytesRead
      this.#readPos += bytesRead
      this.#view = buf.subarray(0, this.#we)
    }
    if (eof && partial && events.length < max && (this.#we > this.#ws || this.#longLen > 0)) {
      events.push(this.#emit(tf, this.#we, this.#we, make))
    }
    return events
  }

  /** Emits buf[ws, end) (plus long pieces) as one line; `next` is where the following line starts. */
  #emit(tf: TailFile, end: number, next: number, make: MakeEvent): Event {
    const buf = this.#buf
    const ws = this.#ws
    let body: Buffer
    const offset = tf.lineStart
    const consumed = this.#longLen + (next - ws)
    if (this.#longLen === 0) {
      // Flume compat: a '\r' right before the '\n' is dropped (TailFile.readLine).
      const stop = next > end && end > ws && buf[end - 1] === CR ? end - 1 : end
      body = Buffer.allocUnsafe(stop - ws)
      buf.copy(body, 0, ws, stop)
    } else {
      const parts = this.#long as Buffer[]
      let stop = end
      let dropLastPiece = false
      if (next > end) {
        if (end > ws) {
          if (buf[end - 1] === CR) stop = end - 1
        } else {
          const last = parts[parts.length - 1] as Buffer
          if (last[last.length - 1] === CR) dropLastPiece = true
        }
      }
      if (stop > ws) parts.push(buf.subarray(ws, stop))
      let len = 0
      for (const p of parts) len += p.length
      if (dropLastPiece) len -= 1
      body = Buffer.concat(parts, len)
      this.#long = undefined
      this.#longLen = 0
    }
    this.#ws = next
    this.#scan = next
    tf.lineStart = offset + consumed
    return make(tf, body, offset)
  }
}
