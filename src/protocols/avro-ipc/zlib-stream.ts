/**
 * Flume's `compression-type = deflate` layer (Netty JZlibEncoder/JZlibDecoder, reference §1.8): each
 * direction of the connection is one continuous zlib stream (RFC 1950: header and Adler-32 trailer, not
 * raw deflate, not gzip). Every write is compressed and sync-flushed (output ends with `00 00 ff ff`) so
 * the peer can decode it at once; the stream is finished (trailer) only when the connection ends.
 *
 * `ZlibDuplex` wraps the transport stream: what is written to it is compressed onto the transport, what
 * the transport receives is inflated and can be read from it. TLS, when enabled too, runs on top of this
 * layer — Flume 1.10+ compresses the TLS records (zlib(TLS(frames))).
 *
 * Bounded: inflated output is handed on only as fast as the reader consumes it (the transport is paused
 * otherwise), so a compression bomb stalls against the frame size limit of the reader instead of filling
 * memory.
 */

import { Duplex } from 'node:stream'
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib'

export class ZlibDuplex extends Duplex {
  readonly #inner: Duplex
  readonly #inflate: Inflate
  readonly #deflate: Deflate

  constructor(inner: Duplex, level = 6) {
    super({ allowHalfOpen: false })
    this.#inner = inner
    this.#inflate = createInflate()
    this.#deflate = createDeflate({ level })

    inner.on('data', (chunk: Buffer) => {
      if (!this.#inflate.write(chunk)) inner.pause()
    })
    this.#inflate.on('drain', () => inner.resume())
    inner.on('end', () => this.#inflate.end())
    inner.on('error', (e: Error) => this.destroy(e))
    inner.on('close', () => {
      if (!this.destroyed) this.destroy()
    })

    this.#inflate.on('data', (d: Buffer) => {
      if (!this.push(d)) this.#inflate.pause()
    })
    this.#inflate.on('end', () => this.push(null))
    this.#inflate.on('error', (e: Error) =>
      this.destroy(new Error(`deflate stream from the peer is corrupt: ${e.message}`)),
    )

    this.#deflate.on('data', (d: Buffer) => {
      if (!inner.destroyed) inner.write(d)
    })
    this.#deflate.on('error', (e: Error) => this.destroy(e))
  }

  override _read(): void {
    this.#inflate.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#deflate.write(chunk)
    this.#deflate.flush(constants.Z_SYNC_FLUSH, () => this.#afterFlush(cb))
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    for (const c of chunks) this.#deflate.write(c.chunk)
    this.#deflate.flush(constants.Z_SYNC_FLUSH, () => this.#afterFlush(cb))
  }

  /** Completes a write once the transport has room again, so backpressure reaches our writer. */
  #afterFlush(cb: (e?: Error | null) => void): void {
    const inner = this.#inner
    if (inner.writableNeedDrain && !inner.destroyed) inner.once('drain', () => cb())
    else cb()
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#deflate.once('end', () => {
      this.#inner.end()
      cb()
    })
    this.#deflate.end()
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#inflate.destroy()
    this.#deflate.destroy()
    if (!this.#inner.destroyed) this.#inner.destroy()
    cb(err)
  }

  /** The transport's remote address (for logs and filters). */
  get remoteAddress(): string | undefined {
    return (this.#inner as { remoteAddress?: string }).remoteAddress
  }
}
