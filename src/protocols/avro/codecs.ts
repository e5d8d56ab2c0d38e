/**
 * Block codecs of Avro object container files, named as in the `avro.codec` metadata:
 *
 * - `null`: blocks stored as is.
 * - `deflate`: raw RFC 1951 deflate, no zlib header (Java's Deflater with nowrap); level 6 by default like
 *   Java's `CodecFactory.fromString("deflate")` (Deflater.DEFAULT_COMPRESSION).
 * - `snappy`: raw Snappy block followed by the big-endian CRC32 of the uncompressed data (snappyjs, pure JS;
 *   the project's dependency review measured it faster than the napi `snappy` binding).
 * - `zstandard`: a standard zstd frame (node:zlib, Node >= 22.15), level 3 like Java's default.
 *
 * `bzip2` and `xz` (which Java Avro also registers) are rejected: there is no small maintained pure-JS
 * implementation and none is built into Node. Rejection is a typed error naming the codecs that work.
 *
 * Decompression is always capped (`maxOutput`): a block can never make us allocate more than the caller's
 * block limit, whatever its compressed form claims.
 */

import zlib from 'node:zlib'
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs'
import { AvroCodecError, AvroLimitError } from './errors.ts'

export const SUPPORTED_CODECS = ['null', 'deflate', 'snappy', 'zstandard'] as const
export type CodecName = (typeof SUPPORTED_CODECS)[number]

export interface Codec {
  readonly name: CodecName
  compress(data: Buffer): Buffer
  /** `offset` is the block's file position, only used in error messages. */
  decompress(data: Buffer, maxOutput: number, offset?: number): Buffer
}

export interface CodecOptions {
  /** deflate: 0-9 or -1 (default, = 6). zstandard: 1-22 (default 3). */
  readonly level?: number
}

export function isSupportedCodec(name: string): name is CodecName {
  return (SUPPORTED_CODECS as readonly string[]).includes(name)
}

function unsupported(name: string): AvroCodecError {
  const why =
    name === 'bzip2' || name === 'xz'
      ? `Avro codec "${name}" is not supported by flumen (no pure-JS implementation is bundled)`
      : `Unknown Avro codec "${name}"`
  return new AvroCodecError(`${why}; supported codecs: ${SUPPORTED_CODECS.join(', ')}`, {
    code: 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED',
  })
}

/** Maps zlib's "output too large" to a limit error and everything else to a codec error. */
function zlibFailure(codec: string, e: unknown, maxOutput: number, offset: number | undefined): Error {
  const at = offset === undefined ? '' : ` (block at offset ${offset})`
  if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
    return new AvroLimitError(`${codec} block decompresses to more than ${maxOutput} bytes${at}`, {
      ...(offset === undefined ? {} : { offset }),
    })
  }
  return new AvroCodecError(`Corrupt ${codec} block${at}: ${(e as Error).message}`, {
    cause: e,
    ...(offset === undefined ? {} : { offset }),
  })
}

const nullCodec: Codec = {
  name: 'null',
  compress: (data) => data,
  decompress(data, maxOutput, offset) {
    if (data.length > maxOutput)
      throw zlibFailure('null', { code: 'ERR_BUFFER_TOO_LARGE' }, maxOutput, offset)
    return data
  },
}

function deflateCodec(level: number): Codec {
  return {
    name: 'deflate',
    compress: (data) => zlib.deflateRawSync(data, { level }),
    decompress(data, maxOutput, offset) {
      try {
        return zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, maxOutput) })
      } catch (e) {
        throw zlibFailure('deflate', e, maxOutput, offset)
      }
    },
  }
}

/** Reads Snappy's leading varint (uncompressed length) so the cap is checked before snappyjs allocates. */
function snappyLength(data: Buffer): number {
  let n = 0
  for (let i = 0, shift = 0; i < 5 && i < data.length; i++, shift += 7) {
    const b = data[i] as number
    n += (b & 0x7f) * 2 ** shift
    if (b < 0x80) return n
  }
  return -1
}

const snappyCodec: Codec = {
  name: 'snappy',
  compress(data) {
    const c = snappyCompress(data)
    const out = Buffer.allocUnsafe(c.length + 4)
    c.copy(out, 0)
    out.writeUInt32BE(zlib.crc32(data), c.length)
    return out
  },
  decompress(data, maxOutput, offset) {
    const at = offset === undefined ? '' : ` (block at offset ${offset})`
    const opts = offset === undefined ? {} : { offset }
    if (data.length < 5) throw new AvroCodecError(`Snappy block too short${at}`, opts)
    const body = data.subarray(0, data.length - 4)
    const declared = snappyLength(body)
    if (declared < 0) throw new AvroCodecError(`Corrupt snappy block${at}: bad length header`, opts)
    if (declared > maxOutput) {
      throw new AvroLimitError(`snappy block decompresses to more than ${maxOutput} bytes${at}`, opts)
    }
    let out: Buffer
    try {
      out = snappyUncompress(body, maxOutput)
    } catch (e) {
      throw new AvroCodecError(`Corrupt snappy block${at}: ${(e as Error).message}`, { ...opts, cause: e })
    }
    // snappyjs does not check that the stream filled the declared length; the CRC catches that too.
    const expected = data.readUInt32BE(data.length - 4)
    if (zlib.crc32(out) !== expected) throw new AvroCodecError(`Snappy block checksum mismatch${at}`, opts)
    return out
  },
}

function zstandardCodec(level: number): Codec {
  return {
    name: 'zstandard',
    compress: (data) =>
      zlib.zstdCompressSync(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } }),
    decompress(data, maxOutput, offset) {
      try {
        return zlib.zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxOutput) })
      } catch (e) {
        throw zlibFailure('zstandard', e, maxOutput, offset)
      }
    },
  }
}

/** Returns the codec for an `avro.codec` name; throws FLUME_ERR_AVRO_CODEC_UNSUPPORTED for the rest. */
export function getCodec(name: string, options?: CodecOptions): Codec {
  switch (name) {
    case 'null':
      return nullCodec
    case 'deflate':
      return deflateCodec(options?.level ?? -1)
    case 'snappy':
      return snappyCodec
    case 'zstandard':
      return zstandardCodec(options?.level ?? 3)
    default:
      throw unsupported(name)
  }
}
