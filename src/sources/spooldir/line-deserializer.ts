/**
 * The spooldir LINE deserializer (org.apache.flume.serialization.LineDeserializer), streaming: the file is
 * read in chunks (1 MiB by default) with positional reads, lines are found with Buffer.indexOf and event
 * bodies are views into the chunk, so a line costs one Buffer view and one Event, and a file of any size
 * (or a line of any length) uses memory bounded by the chunk size and maxLineLength.
 *
 * Semantics, from Flume's LineDeserializer.readLine() and ResettableFileInputStream (code):
 * - a line ends at `\n` only; `\r` stays in the body;
 * - `maxLineLength` counts Java chars (UTF-16 units). A line of L chars becomes floor(L / max) events of
 *   exactly `max` chars, then one event with the rest, which is empty when L is a multiple of max (Flume
 *   reads the `\n` on its own then). A last line without `\n` is an event too (never an empty one);
 * - bytes that are not valid in `inputCharset` follow `decodeErrorPolicy`: FAIL throws (the file is not
 *   read further), REPLACE puts U+FFFD for each malformed sequence, IGNORE drops them;
 * - bodies are encoded with `outputCharset`.
 *
 * The fast path (UTF-8 in and out, the default) never decodes: a chunk is checked with isUtf8 once up to
 * its last `\n`, and a line shorter than maxLineLength bytes cannot be longer than maxLineLength chars.
 * Other input charsets are decoded per line with TextDecoder; for them maxLineLength counts bytes.
 */

import { isAscii, isUtf8 } from 'node:buffer'
import type { FileHandle } from 'node:fs/promises'
import { Event } from '../../core/event.ts'
import { encode, isUtf8Label } from '../util/charset.ts'
import { type DecodeErrorPolicy, repairUtf8, sequenceLength } from './utf8.ts'

/** A byte the input charset cannot decode, under decodeErrorPolicy FAIL. */
export class DecodeFailure extends Error {
  readonly offset: number
  constructor(message: string, offset: number) {
    super(message)
    this.name = 'DecodeFailure'
    this.offset = offset
  }
}

/** What every spooldir deserializer offers the source. */
export interface Deserializer {
  /** Up to `n` events; an empty array at the end of the file. */
  readEvents(n: number): Promise<Event[]>
  /** The offset to persist once everything returned so far is committed. */
  readonly markPosition: number
  close(): Promise<void>
}

export interface LineOptions {
  readonly maxLineLength: number
  /** WHATWG label (src/sources/util/charset.ts). */
  readonly inputCharset: string
  readonly outputCharset: string
  readonly decodeErrorPolicy: DecodeErrorPolicy
  readonly chunkSize?: number
}

const EMPTY = Buffer.alloc(0)
const DEFAULT_CHUNK = 1 << 20

export class LineDeserializer implements Deserializer {
  readonly #fh: FileHandle
  readonly #max: number
  readonly #policy: DecodeErrorPolicy
  readonly #utf8In: boolean
  readonly #utf8Out: boolean
  readonly #outputCharset: string
  readonly #decoder: InstanceType<typeof TextDecoder> | undefined
  readonly #chunk: number
  #buf: Buffer = EMPTY
  /** File offset of #buf[0]. */
  #bufPos: number
  #p = 0
  #eof = false
  /** #buf[0, #validEnd) is known to be valid UTF-8. */
  #validEnd = 0
  /** Set by the scanners when a segment ended because it reached maxLineLength. */
  #cut = false
  /**
   * The last newline search, so a long line is not searched again for every segment: #nl is the first
   * `\n` at or after #nlFrom, -1 when there is none up to the end of #buf, -2 when unknown.
   */
  #nl = -2
  #nlFrom = 0

  constructor(fh: FileHandle, startOffset: number, opts: LineOptions) {
    this.#fh = fh
    this.#bufPos = startOffset
    this.#max = opts.maxLineLength
    this.#policy = opts.decodeErrorPolicy
    this.#utf8In = isUtf8Label(opts.inputCharset)
    this.#utf8Out = isUtf8Label(opts.outputCharset)
    this.#outputCharset = opts.outputCharset
    this.#decoder = this.#utf8In
      ? undefined
      : new TextDecoder(opts.inputCharset, { fatal: opts.decodeErrorPolicy === 'FAIL' })
    this.#chunk = Math.max(opts.chunkSize ?? DEFAULT_CHUNK, 16)
  }

  get markPosition(): number {
    return this.#bufPos + this.#p
  }

  async close(): Promise<void> {
    this.#buf = EMPTY
  }

  /** Keeps the unread bytes and appends the next chunk of the file; false when nothing more was read. */
  async #fill(): Promise<boolean> {
    const keep = this.#buf.length - this.#p
    const next = Buffer.allocUnsafe(keep + this.#chunk)
    this.#buf.copy(next, 0, this.#p)
    const from = this.#bufPos + this.#buf.length
    let n = keep
    while (n < next.length) {
      const { bytesRead } = await this.#fh.read(next, n, next.length - n, from + (n - keep))
      if (bytesRead === 0) {
        this.#eof = true
        break
      }
      n += bytesRead
    }
    this.#bufPos += this.#p
    this.#p = 0
    this.#buf = next.subarray(0, n)
    this.#nl = -2
    this.#validEnd = 0
    if (this.#utf8In) {
      const lastNl = this.#buf.lastIndexOf(0x0a)
      if (lastNl >= 0 && isUtf8(this.#buf.subarray(0, lastNl + 1))) this.#validEnd = lastNl + 1
    }
    return n > keep
  }

  async readEvents(n: number): Promise<Event[]> {
    const out: Event[] = []
    const max = this.#max
    while (out.length < n) {
      const buf = this.#buf
      const p = this.#p
      if (p >= buf.length) {
        if (this.#eof || !(await this.#fill())) break
        continue
      }
      let nl = this.#nl
      if (!(nl >= p || (nl === -1 && this.#nlFrom <= p))) {
        nl = buf.indexOf(0x0a, p)
        this.#nl = nl
        this.#nlFrom = p
      }
      if (nl >= 0 && nl - p < max) {
        // The common case: a whole line shorter than maxLineLength bytes.
        this.#p = nl + 1
        out.push(new Event(this.#body(buf, p, nl, nl < this.#validEnd)))
        continue
      }
      if (nl < 0 && !this.#eof && buf.length - p < max * 4) {
        await this.#fill()
        continue
      }
      this.#cut = false
      const seg = this.#utf8In ? this.#scanUtf8(buf, p, nl < 0 ? buf.length : nl) : this.#scanBytes(p, nl)
      if (seg < 0) {
        // Ran out of data inside the segment: read more (at the end of the file the next turn ends it).
        await this.#fill()
        continue
      }
      // A segment cut at maxLineLength leaves the `\n` unread, as Flume does (it becomes an empty event).
      this.#p = seg === nl && !this.#cut ? nl + 1 : seg
      out.push(new Event(this.#body(buf, p, seg, false)))
    }
    return out
  }

  /**
   * Where the segment that starts at `p` ends: at `limit` (the `\n`) or after `max` chars; -1 when the
   * buffer ends first and more data may follow.
   */
  #scanUtf8(buf: Buffer, p: number, limit: number): number {
    const max = this.#max
    if (limit - p >= max && isAscii(buf.subarray(p, p + max))) {
      // A long ASCII line (the usual case): the segment is the next `max` bytes.
      this.#cut = true
      return p + max
    }
    const atEof = limit === buf.length && this.#eof
    let units = 0
    let i = p
    while (i < limit) {
      const b = buf[i] as number
      if (b < 0x80) {
        i++
        units++
      } else {
        let len = sequenceLength(buf, i, limit)
        if (len === 0) {
          if (limit === buf.length && !atEof) return -1
          len = -(limit - i)
        }
        if (len > 0) {
          i += len
          units += len === 4 ? 2 : 1
        } else {
          if (this.#policy === 'FAIL') this.#fail(i)
          i += -len
          if (this.#policy === 'REPLACE') units++
        }
      }
      if (units >= max) {
        this.#cut = true
        return i
      }
    }
    return limit === buf.length && !atEof ? -1 : limit
  }

  /** Non-UTF-8 charsets: segments of at most `max` bytes. */
  #scanBytes(p: number, nl: number): number {
    const limit = nl < 0 ? this.#buf.length : nl
    if (limit - p >= this.#max) {
      this.#cut = true
      return p + this.#max
    }
    return nl < 0 && !this.#eof ? -1 : limit
  }

  #fail(at: number): never {
    throw new DecodeFailure(
      `Invalid input at byte offset ${this.#bufPos + at} (decodeErrorPolicy = FAIL)`,
      this.#bufPos + at,
    )
  }

  #body(buf: Buffer, start: number, end: number, knownValid: boolean): Buffer {
    if (this.#utf8In) {
      let body = buf.subarray(start, end)
      if (!knownValid && !isUtf8(body)) {
        if (this.#policy === 'FAIL') {
          let i = start
          while (i < end && sequenceLength(buf, i, end) > 0) i += sequenceLength(buf, i, end)
          this.#fail(i)
        }
        body = repairUtf8(buf, start, end, this.#policy === 'IGNORE' ? 'IGNORE' : 'REPLACE')
      }
      return this.#utf8Out ? body : encode(body.toString('utf8'), this.#outputCharset)
    }
    let text: string
    try {
      text = (this.#decoder as InstanceType<typeof TextDecoder>).decode(buf.subarray(start, end))
    } catch {
      this.#fail(start)
    }
    if (this.#policy === 'IGNORE') text = text.replaceAll('\uFFFD', '')
    return encode(text, this.#outputCharset)
  }
}
