/**
 * Avro's Netty transport framing (NettyTransportCodec, reference §1.3) — not the Avro spec's "message
 * framing". One pack per message, all integers big-endian signed 32-bit:
 *
 * ```
 * int32 serial        request id, echoed unchanged in the response
 * int32 bufferCount   number of buffers that follow
 * repeat: int32 length, byte[length]
 * ```
 *
 * The buffers are a chunked byte sequence with no meaning at the boundaries (Java cuts at 8 KiB and
 * around large `bytes` values); the receiver concatenates them. We send one buffer per pack.
 *
 * The decoder is incremental and bounded: it never buffers more than one pack plus one chunk, checks each
 * length as soon as it is read (before waiting for the bytes), and rejects negative lengths and counts.
 * Every buffer's 4-byte length header counts towards the pack's byte limit, so a pack of millions of
 * empty buffers is bounded too. Any violation is a FrameError: the connection must be closed, since the
 * stream can no longer be resynchronised.
 */

export class FrameError extends Error {
  override readonly name = 'FrameError'
  readonly code: 'FLUME_ERR_FRAME_TOO_LARGE' | 'FLUME_ERR_FRAME_MALFORMED'

  constructor(code: FrameError['code'], message: string) {
    super(message)
    this.code = code
  }
}

/** Default cap on one pack (header and buffers): 64 MiB, far above Flume's 100-event batches. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024

export interface FrameDecoderOptions {
  /** Largest pack accepted, counting buffer headers and contents. */
  readonly maxFrameBytes?: number
}

// Decoder states (plain numbers: type stripping has no enums).
const HEADER = 0
const LENGTH = 1
const DATA = 2
type State = typeof HEADER | typeof LENGTH | typeof DATA

/**
 * Incremental pack decoder. Feed it chunks with `push`; it calls `onFrame(serial, payload)` for every
 * complete pack, synchronously and in order. `payload` is the concatenation of the pack's buffers; when
 * the pack arrived in one chunk it is a view of that chunk (no copy).
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number
  readonly #onFrame: (serial: number, payload: Buffer) => void
  // Unconsumed input: chunks[0] from offset `#head`.
  #chunks: Buffer[] = []
  #head = 0
  #available = 0
  #state: State = HEADER
  #serial = 0
  #buffersLeft = 0
  #need = 8
  #frameBytes = 0
  #parts: Buffer[] = []

  constructor(onFrame: (serial: number, payload: Buffer) => void, options: FrameDecoderOptions = {}) {
    this.#onFrame = onFrame
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Whether part of a pack has been received and the rest is still missing. */
  get partial(): boolean {
    return this.#available > 0 || this.#state !== HEADER
  }

  /** Bytes held for the pack in progress. */
  get buffered(): number {
    let n = this.#available
    for (const p of this.#parts) n += p.length
    return n
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#available += chunk.length
    while (this.#available >= this.#need) {
      switch (this.#state) {
        case HEADER: {
          this.#serial = this.#readInt32()
          const count = this.#readInt32()
          if (count < 0) throw new FrameError('FLUME_ERR_FRAME_MALFORMED', `Negative buffer count ${count}`)
          this.#frameBytes = 8
          this.#buffersLeft = count
          this.#parts = []
          if (count === 0) {
            this.#emit()
          } else {
            this.#state = LENGTH
            this.#need = 4
          }
          break
        }
        case LENGTH: {
          const len = this.#readInt32()
          if (len < 0) throw new FrameError('FLUME_ERR_FRAME_MALFORMED', `Negative buffer length ${len}`)
          this.#frameBytes += 4 + len
          if (this.#frameBytes > this.#maxFrameBytes) {
            throw new FrameError(
              'FLUME_ERR_FRAME_TOO_LARGE',
              `Request of more than ${this.#maxFrameBytes} bytes (serial ${this.#serial}, ${this.#buffersLeft} buffers announced)`,
            )
          }
          this.#buffersLeft--
          if (len === 0) {
            if (this.#buffersLeft === 0) this.#emit()
          } else {
            this.#state = DATA
            this.#need = len
          }
          break
        }
        case DATA: {
          this.#parts.push(this.#take(this.#need))
          if (this.#buffersLeft === 0) {
            this.#emit()
          } else {
            this.#state = LENGTH
            this.#need = 4
          }
          break
        }
      }
    }
  }

  #emit(): void {
    const parts = this.#parts
    const payload =
      parts.length === 1 ? (parts[0] as Buffer) : parts.length === 0 ? EMPTY : Buffer.concat(parts)
    this.#parts = []
    this.#state = HEADER
    this.#need = 8
    this.#onFrame(this.#serial, payload)
  }

  #readInt32(): number {
    const first = this.#chunks[0] as Buffer
    if (first.length - this.#head >= 4) {
      const v = first.readInt32BE(this.#head)
      this.#advance(4)
      return v
    }
    return this.#take(4).readInt32BE(0)
  }

  #advance(n: number): void {
    this.#head += n
    this.#available -= n
    const first = this.#chunks[0] as Buffer
    if (this.#head === first.length) {
      this.#chunks.shift()
      this.#head = 0
    }
  }

  /** Removes `n` (≤ available) bytes from the input: a view when they sit in one chunk, else a copy. */
  #take(n: number): Buffer {
    const first = this.#chunks[0] as Buffer
    if (first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n)
      this.#advance(n)
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.#chunks[0] as Buffer
      const k = Math.min(n - filled, c.length - this.#head)
      c.copy(out, filled, this.#head, this.#head + k)
      filled += k
      this.#advance(k)
    }
    return out
  }
}

const EMPTY = Buffer.alloc(0)

/** Bytes a pack header plus one buffer header take in front of the payload. */
export const FRAME_HEADER_BYTES = 12

/**
 * Writes the pack header for a single-buffer pack into `buf[start .. start+12)`, in front of a payload
 * that ends at `end`. Writers reserve FRAME_HEADER_BYTES first, encode the message after them, then call
 * this: one allocation, no copy.
 */
export function writeFrameHeader(buf: Buffer, start: number, serial: number, end: number): void {
  buf.writeInt32BE(serial | 0, start)
  buf.writeInt32BE(1, start + 4)
  buf.writeInt32BE(end - start - FRAME_HEADER_BYTES, start + 8)
}

/** A complete pack holding `payloads` as its buffers (tests and rare paths; hot paths reserve in place). */
export function encodeFrame(serial: number, payloads: readonly Uint8Array[]): Buffer {
  let size = 8
  for (const p of payloads) size += 4 + p.length
  const out = Buffer.allocUnsafe(size)
  out.writeInt32BE(serial | 0, 0)
  out.writeInt32BE(payloads.length, 4)
  let pos = 8
  for (const p of payloads) {
    out.writeInt32BE(p.length, pos)
    out.set(p, pos + 4)
    pos += 4 + p.length
  }
  return out
}
