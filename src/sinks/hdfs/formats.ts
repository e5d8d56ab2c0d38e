/**
 * What one HDFS file's bytes look like, per `hdfs.fileType` (Flume's HDFSDataStream,
 * HDFSCompressedDataStream, HDFSSequenceFile). Every `encode()` result ends on a boundary a reader can stop
 * at, so the file is readable after every acknowledged batch:
 * - DataStream: the serializer's header (first batch), then its output for the batch (write + flush);
 * - CompressedStream: the same bytes, each batch as one whole codec stream (gzip member or zlib stream);
 *   Hadoop's DecompressorStream reads concatenated streams, and Flume's HDFSCompressedDataStream also
 *   finishes the codec stream on every sync;
 * - SequenceFile: see sequence-file.ts.
 */

import { deflateSync, gzipSync } from 'node:zlib'
import type { Event } from '../../core/event.ts'
import type { EventSerializer, SerializerFactory } from '../../core/spec.ts'
import { type SeqCodec, SequenceFileWriter, type SeqValueFormat } from './sequence-file.ts'

export type FileType = 'SequenceFile' | 'DataStream' | 'CompressedStream'

export interface Codec {
  /** Hadoop class simple name. */
  readonly name: SeqCodec
  readonly extension: string
  compress(b: Buffer): Buffer
}

export const CODECS: Record<'gzip' | 'deflate', Codec> = {
  gzip: { name: 'GzipCodec', extension: '.gz', compress: (b) => gzipSync(b) },
  deflate: { name: 'DefaultCodec', extension: '.deflate', compress: (b) => deflateSync(b) },
}

const REFUSED: Record<string, string> = {
  bzip2: 'bzip2 needs a BZip2 compressor, which flumen does not carry',
  snappy: 'snappy (Hadoop BlockCompressorStream framing) is not implemented',
  lz4: 'lz4 (Hadoop BlockCompressorStream framing) is not implemented',
  lzo: 'lzo is GPL-licensed native code that flumen does not carry',
  lzop: 'lzop is GPL-licensed native code that flumen does not carry',
  zstandard: "Hadoop's ZStandardCodec only reads with the native libhadoop, so files would not be portable",
  zstd: "Hadoop's ZStandardCodec only reads with the native libhadoop, so files would not be portable",
}

/**
 * Flume's codec lookup: a class name (fully qualified or simple), case-insensitive, with or without the
 * `Codec` suffix; `default` is DefaultCodec (deflate). `None` means no codec.
 */
export function resolveCodec(name: string): { codec: Codec | undefined } | { error: string } {
  const simple = (name.trim().split('.').pop() ?? '').toLowerCase().replace(/codec$/, '')
  if (simple === 'none') return { codec: undefined }
  if (simple === 'gzip') return { codec: CODECS.gzip }
  if (simple === 'default' || simple === 'deflate') return { codec: CODECS.deflate }
  const why = REFUSED[simple]
  if (why !== undefined) return { error: `codec '${name}' is not supported: ${why}; use gzip or deflate` }
  return { error: `unknown codec '${name}' (supported: gzip, deflate/DefaultCodec, None)` }
}

export interface FileFormat {
  /** Bytes for one batch; `first` when this is the file's first write (headers go in front). */
  encode(events: readonly Event[], times: readonly number[], first: boolean): Buffer
  /** Bytes to append before the file is closed (may be empty). */
  footer(): Buffer
}

function cat(...parts: (Buffer | undefined)[]): Buffer {
  const ps = parts.filter((p): p is Buffer => p !== undefined && p.length > 0)
  return ps.length === 1 ? (ps[0] as Buffer) : Buffer.concat(ps)
}

class StreamFormat implements FileFormat {
  readonly #ser: EventSerializer
  readonly #codec: Codec | undefined
  constructor(ser: EventSerializer, codec: Codec | undefined) {
    this.#ser = ser
    this.#codec = codec
  }
  encode(events: readonly Event[], _times: readonly number[], first: boolean): Buffer {
    const raw = cat(first ? this.#ser.header() : undefined, this.#ser.write(events), this.#ser.flush())
    return this.#codec === undefined ? raw : this.#codec.compress(raw)
  }
  footer(): Buffer {
    const raw = cat(this.#ser.flush(), this.#ser.footer())
    if (raw.length === 0) return raw
    return this.#codec === undefined ? raw : this.#codec.compress(raw)
  }
}

class SeqFormat implements FileFormat {
  readonly #w: SequenceFileWriter
  constructor(format: SeqValueFormat, codec: Codec | undefined) {
    this.#w = new SequenceFileWriter(format, codec?.name)
  }
  encode(events: readonly Event[], times: readonly number[], first: boolean): Buffer {
    const recs = events.map((e, i) => ({ key: times[i] as number, value: e.body }))
    if (!first) return this.#w.encode(recs)
    const h = this.#w.header()
    return Buffer.concat([h, this.#w.encode(recs)])
  }
  footer(): Buffer {
    return Buffer.alloc(0)
  }
}

export function formatFactory(
  fileType: FileType,
  codec: Codec | undefined,
  writeFormat: SeqValueFormat,
  serializer: SerializerFactory,
): () => FileFormat {
  if (fileType === 'SequenceFile') return () => new SeqFormat(writeFormat, codec)
  return () => new StreamFormat(serializer(), fileType === 'CompressedStream' ? codec : undefined)
}
