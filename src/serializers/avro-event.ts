/**
 * `avro_event` serializer (org.apache.flume.serialization.FlumeEventAvroEventSerializer$Builder): an Avro
 * object container file whose records are Flume's `Event {headers: map<string>, body: bytes}` (the same
 * schema text Flume writes, byte for byte; see src/protocols/avro/schemas.ts).
 *
 * - `syncIntervalBytes` (default 2048000): a block ends when it reaches this size, and at every flush (the
 *   sink flushes once per batch, before committing, as Flume's DataFileWriter.flush does).
 * - `compressionCodec` (default `null`): `null`, `deflate`, `snappy` or `zstandard`. `bzip2` and `xz` are
 *   Avro codecs flumen cannot write: a configuration error naming the supported ones. Any other name is
 *   what Flume does with it: a warning and an uncompressed file without an `avro.codec` entry.
 * Files written by this serializer cannot be appended to after a restart (Flume compat).
 */

import { defineSerializer, int, str } from '../core/spec.ts'
import { ContainerWriter, isSupportedCodec } from '../protocols/avro/index.ts'
import { FLUME_EVENT_SCHEMA_JSON } from '../protocols/avro/schemas.ts'

const UNWRITABLE = new Set(['bzip2', 'xz'])

export const spec = defineSerializer({
  type: 'avro_event',
  classNames: ['org.apache.flume.serialization.FlumeEventAvroEventSerializer$Builder'],
  summary: 'Writes an Avro container file of Flume events (headers and body).',
  fields: {
    syncIntervalBytes: int({
      key: 'syncIntervalBytes',
      default: 2_048_000,
      min: 32,
      doc: 'Approximate block size in bytes.',
    }),
    compressionCodec: str({
      key: 'compressionCodec',
      default: 'null',
      doc: 'null, deflate, snappy or zstandard.',
    }),
  },
  validate(cfg) {
    const c = cfg.compressionCodec.trim()
    return UNWRITABLE.has(c)
      ? [`compressionCodec '${c}' is not available in flumen; use one of null, deflate, snappy, zstandard`]
      : []
  },
  build(cfg) {
    const codec = cfg.compressionCodec.trim()
    const known = isSupportedCodec(codec)
    return () => {
      let out: Buffer[] = []
      const writer = new ContainerWriter(
        { write: (chunk) => out.push(chunk) },
        {
          schema: FLUME_EVENT_SCHEMA_JSON,
          codec: known ? codec : 'null',
          // Flume compat: an unknown codec name leaves compression off and no avro.codec in the header.
          writeCodecMetadata: known,
          syncIntervalBytes: cfg.syncIntervalBytes,
        },
      )
      const take = (): Buffer | undefined => {
        if (out.length === 0) return undefined
        const b = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out)
        out = []
        return b
      }
      return {
        supportsReopen: false,
        header() {
          writer.writeHeader()
          return take()
        },
        write(events) {
          writer.append(events)
          return take()
        },
        flush() {
          writer.flush()
          return take()
        },
        footer() {
          writer.flush()
          return take()
        },
      }
    }
  },
})
