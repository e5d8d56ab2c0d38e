/**
 * Syslog over TCP: splits a byte stream into frames.
 *
 * Two framings (RFC 6587), chosen per frame:
 * - **newline** (non-transparent framing, the only one Flume knows): a frame ends at `\n`, which is not
 *   part of it; a `\r` before it stays in the frame (Flume compat). Empty lines are skipped.
 * - **octet counting** (`MSG-LEN SP SYSLOG-MSG`, what rsyslog, syslog-ng and `logger --octet-count` send
 *   for RFC 5424): used when a frame starts with a non-zero digit followed by up to 8 more digits and a
 *   space. Syslog messages start with `<`, so this never takes a well-formed newline-framed message; a
 *   garbage line such as `12 apples\n` would be read as a 12-byte frame, so it can be turned off
 *   (`octetCounting: false` gives Flume's exact behaviour).
 *
 * Size limit (`maxFrame`, the sources' eventSize): a newline frame whose content reaches `maxFrame` bytes
 * is cut there and flagged incomplete, and the rest of the line starts a new frame — exactly what Flume's
 * syslog sources do (so a line of exactly eventSize bytes is already incomplete). An octet-counted frame
 * longer than `maxFrame` is cut into `maxFrame`-byte pieces, every piece but the last flagged incomplete;
 * one of at most `maxFrame` bytes is complete. Memory per connection stays below `maxFrame` plus one read.
 * Many senders (loggen, some rsyslog templates) count a trailing `\n` into the frame; one trailing `\n` of
 * an octet-counted frame is dropped, so the message parses as if it had been newline-framed.
 *
 * At a clean end of stream, `end()` emits a trailing newline frame that had no `\n` (Flume drops it) and
 * the part of an octet-counted frame that arrived (flagged incomplete).
 */

const NL = 0x0a
const SP = 0x20
/** MSG-LEN digits accepted: up to 999,999,999 bytes (streamed, never buffered whole). */
const MAX_LEN_DIGITS = 9

export interface FrameSink {
  frame(data: Buffer, incomplete: boolean): void
}

export interface FrameDecoderOptions {
  /** Largest frame content before it is cut (bytes, ≥ 1). */
  readonly maxFrame: number
  /** Accept RFC 6587 octet-counted frames next to newline frames (default true). */
  readonly octetCounting?: boolean
}

export class SyslogFrameDecoder {
  readonly #max: number
  readonly #octet: boolean
  /** Unconsumed bytes from earlier reads: a partial newline frame or a partial MSG-LEN. */
  #carry: Buffer | undefined
  /** Bytes still to come in the current octet-counted frame (0: not inside one). */
  #octetLeft = 0
  /** The current piece of an octet-counted frame, when it spans reads. */
  #piece: Buffer[] = []
  #pieceLen = 0

  constructor(opts: FrameDecoderOptions) {
    this.#max = Math.max(1, opts.maxFrame)
    this.#octet = opts.octetCounting ?? true
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return (this.#carry?.length ?? 0) + this.#pieceLen
  }

  push(chunk: Buffer, sink: FrameSink): void {
    let data = chunk
    if (this.#carry !== undefined) {
      data = Buffer.concat([this.#carry, chunk])
      this.#carry = undefined
    }
    const len = data.length
    const max = this.#max
    let pos = 0
    let nl = -1
    while (pos < len) {
      if (this.#octetLeft > 0) {
        pos = this.#octetBytes(data, pos, sink)
        continue
      }
      const b = data[pos] as number
      if (b === NL) {
        pos++
        continue
      }
      if (this.#octet && b >= 0x31 && b <= 0x39) {
        let j = pos + 1
        while (j < len && j - pos < MAX_LEN_DIGITS) {
          const c = data[j] as number
          if (c < 0x30 || c > 0x39) break
          j++
        }
        if (j === len) {
          // MSG-LEN cut by the read: wait for more (it is short, so this cannot grow).
          this.#carry = data.subarray(pos)
          return
        }
        if (data[j] === SP) {
          this.#octetLeft = Number(data.toString('latin1', pos, j))
          pos = j + 1
          continue
        }
        // Not a length prefix: an ordinary newline frame that starts with a digit.
      }
      if (nl < pos) nl = data.indexOf(NL, pos)
      if (nl >= 0 && nl - pos < max) {
        sink.frame(data.subarray(pos, nl), false)
        pos = nl + 1
      } else if (len - pos >= max) {
        sink.frame(data.subarray(pos, pos + max), true)
        pos += max
      } else {
        this.#carry = data.subarray(pos)
        return
      }
    }
  }

  /** Consumes bytes of the current octet-counted frame from `data` at `pos`; returns the new position. */
  #octetBytes(data: Buffer, pos: number, sink: FrameSink): number {
    const max = this.#max
    const avail = data.length - pos
    if (this.#pieceLen === 0 && this.#octetLeft <= max && avail >= this.#octetLeft) {
      // The whole (remaining) frame is here: no copy.
      const n = this.#octetLeft
      this.#octetLeft = 0
      this.#emitLast(data.subarray(pos, pos + n), sink)
      return pos + n
    }
    const n = Math.min(this.#octetLeft, avail, max - this.#pieceLen)
    this.#piece.push(data.subarray(pos, pos + n))
    this.#pieceLen += n
    this.#octetLeft -= n
    if (this.#octetLeft === 0 || this.#pieceLen === max) {
      const piece = this.#piece.length === 1 ? (this.#piece[0] as Buffer) : Buffer.concat(this.#piece)
      this.#piece = []
      this.#pieceLen = 0
      if (this.#octetLeft > 0) sink.frame(piece, true)
      else this.#emitLast(piece, sink)
    }
    return pos + n
  }

  /** The last piece of an octet-counted frame, without one trailing `\n`. */
  #emitLast(piece: Buffer, sink: FrameSink): void {
    const end = piece.length > 0 && piece[piece.length - 1] === NL ? piece.length - 1 : piece.length
    if (end > 0) sink.frame(end === piece.length ? piece : piece.subarray(0, end), false)
  }

  /** The stream ended cleanly: emits what is left (see the module comment). */
  end(sink: FrameSink): void {
    if (this.#pieceLen > 0) {
      const piece = Buffer.concat(this.#piece)
      this.#piece = []
      this.#pieceLen = 0
      this.#octetLeft = 0
      sink.frame(piece, true)
    }
    const carry = this.#carry
    this.#carry = undefined
    if (carry !== undefined && carry.length > 0) sink.frame(carry, false)
  }
}

/**
 * The frame of one syslog datagram, as Flume's UDP source reads it: leading `\n`s are skipped and the frame
 * ends at the next `\n` (the rest of the datagram is ignored). Undefined for a datagram with nothing else.
 */
export function datagramFrame(d: Buffer): Buffer | undefined {
  let start = 0
  while (start < d.length && d[start] === NL) start++
  if (start === d.length) return undefined
  const nl = d.indexOf(NL, start)
  return d.subarray(start, nl < 0 ? d.length : nl)
}
