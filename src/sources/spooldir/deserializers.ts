/**
 * The spooldir `deserializer` property: LINE (default), AVRO, Flume's BlobDeserializer, by alias (any
 * case) or fully qualified class name, with their `deserializer.*` properties (reference §3.5; Flume's
 * EventDeserializerFactory, AvroEventDeserializer and morphline BlobDeserializer, code).
 */

import type { FileHandle } from 'node:fs/promises'
import { Event, newHeaders } from '../../core/event.ts'
import { type Field, type FieldReader, Invalid, int, oneOf, parseFields, subReader } from '../../core/spec.ts'
import { ContainerReader, fileSource } from '../../protocols/avro/container.ts'
import { flumeSchemaHash } from '../../protocols/avro/schema.ts'
import {
  FLUME_AVRO_SCHEMA_HASH_HEADER,
  FLUME_AVRO_SCHEMA_LITERAL_HEADER,
} from '../../protocols/avro/schemas.ts'
import { charsetField } from '../netcat.ts'
import type { Deserializer } from './line-deserializer.ts'

export const LINE_CLASS = 'org.apache.flume.serialization.LineDeserializer$Builder'
export const AVRO_CLASS = 'org.apache.flume.serialization.AvroEventDeserializer$Builder'
export const BLOB_CLASS = 'org.apache.flume.sink.solr.morphline.BlobDeserializer$Builder'

export type DeserializerConfig =
  | { readonly kind: 'LINE'; readonly maxLineLength: number; readonly outputCharset: string }
  | { readonly kind: 'AVRO'; readonly schemaType: 'HASH' | 'LITERAL' }
  | { readonly kind: 'BLOB'; readonly maxBlobLength: number }

const lineFields = {
  maxLineLength: int({ key: 'maxLineLength', default: 2048, min: 1, doc: 'Longest event in chars.' }),
  outputCharset: charsetField('outputCharset', 'utf-8', 'Charset of event bodies.'),
}
const avroFields = {
  schemaType: oneOf({ key: 'schemaType', values: ['HASH', 'LITERAL'] as const, default: 'HASH', doc: '' }),
}
const blobFields = {
  maxBlobLength: int({ key: 'maxBlobLength', default: 100_000_000, min: 1, doc: 'Largest event in bytes.' }),
}

function kindOf(type: string): 'LINE' | 'AVRO' | 'BLOB' | undefined {
  const t = type.trim()
  if (t.toUpperCase() === 'LINE' || t === LINE_CLASS) return 'LINE'
  if (t.toUpperCase() === 'AVRO' || t === AVRO_CLASS) return 'AVRO'
  if (t === BLOB_CLASS) return 'BLOB'
  return undefined
}

/** `deserializer` and `deserializer.*`, parsed into one of the three configurations. */
export const deserializerField: Field<DeserializerConfig> = {
  key: 'deserializer',
  aliases: [],
  doc:
    'LINE, AVRO or `org.apache.flume.sink.solr.morphline.BlobDeserializer$Builder` (or the class name of ' +
    'LINE/AVRO). LINE: `deserializer.maxLineLength` (2048 chars), `deserializer.outputCharset` (UTF-8). ' +
    'AVRO: `deserializer.schemaType` HASH or LITERAL. Blob: `deserializer.maxBlobLength` (100000000).',
  typeName: 'deserializer',
  defaultText: 'LINE',
  required: false,
  consumes: ['deserializer', 'deserializer.', 'bufferMaxLineLength', 'bufferMaxLines'],
  read(r: FieldReader) {
    const type = r.get('deserializer')?.value.trim() || 'LINE'
    const kind = kindOf(type)
    if (kind === undefined) {
      r.error(
        'deserializer',
        `unknown deserializer '${type}': use LINE, AVRO or ${BLOB_CLASS} (custom deserializers are not supported)`,
        'INVALID_VALUE',
      )
      return Invalid
    }
    const sub = r.prefixed('deserializer.')
    const legacy = r.get('bufferMaxLineLength')
    if (legacy !== undefined) {
      r.warn('bufferMaxLineLength', "'bufferMaxLineLength' is deprecated; use 'deserializer.maxLineLength'")
      if (kind === 'LINE' && !sub.has('maxLineLength')) sub.set('maxLineLength', legacy)
    }
    if (r.get('bufferMaxLines') !== undefined)
      r.warn('bufferMaxLines', "'bufferMaxLines' is ignored (as in Flume)", 'DEPRECATED_PROPERTY')
    const fields = kind === 'LINE' ? lineFields : kind === 'AVRO' ? avroFields : blobFields
    const known = new Set(Object.values(fields).map((f) => f.key))
    for (const k of sub.keys())
      if (!known.has(k))
        r.warn(`deserializer.${k}`, `unknown property for the ${kind} deserializer`, 'UNKNOWN_PROPERTY')
    const cfg = parseFields(fields, subReader(r, 'deserializer.', sub))
    if (cfg === Invalid) return Invalid
    return { kind, ...cfg } as DeserializerConfig
  },
}

/** AvroEventDeserializer: one event per record of an Avro container file; body = the binary datum. */
export class AvroDeserializer implements Deserializer {
  readonly #reader: ContainerReader
  readonly #headerKey: string
  readonly #headerValue: string

  private constructor(reader: ContainerReader, schemaType: 'HASH' | 'LITERAL') {
    this.#reader = reader
    if (schemaType === 'HASH') {
      this.#headerKey = FLUME_AVRO_SCHEMA_HASH_HEADER
      this.#headerValue = flumeSchemaHash(reader.header.schema)
    } else {
      this.#headerKey = FLUME_AVRO_SCHEMA_LITERAL_HEADER
      this.#headerValue = reader.header.schemaJson
    }
  }

  /** Opens the container and continues at the block after the sync marker at or after `startOffset`. */
  static async open(fh: FileHandle, startOffset: number, schemaType: 'HASH' | 'LITERAL') {
    const reader = await ContainerReader.open(fileSource(fh))
    if (startOffset > 0) await reader.seekToSync(startOffset)
    return new AvroDeserializer(reader, schemaType)
  }

  /** Flume marks the sync marker before the block the next record comes from (a restart re-reads it). */
  get markPosition(): number {
    return Math.max(0, this.#reader.previousSync - 16)
  }

  async readEvents(n: number): Promise<Event[]> {
    const datums = await this.#reader.readDatums(n)
    const out: Event[] = new Array(datums.length)
    for (let i = 0; i < datums.length; i++) {
      const h = newHeaders()
      h[this.#headerKey] = this.#headerValue
      out[i] = new Event(datums[i] as Buffer, h)
    }
    return out
  }

  async close(): Promise<void> {}
}

/** BlobDeserializer: the whole file as one event; a file longer than maxBlobLength continues in the next. */
export class BlobDeserializer implements Deserializer {
  readonly #fh: FileHandle
  readonly #max: number
  #pos: number

  constructor(fh: FileHandle, startOffset: number, maxBlobLength: number) {
    this.#fh = fh
    this.#pos = startOffset
    this.#max = maxBlobLength
  }

  get markPosition(): number {
    return this.#pos
  }

  async readEvents(n: number): Promise<Event[]> {
    const out: Event[] = []
    const size = (await this.#fh.stat()).size
    while (out.length < n && this.#pos < size) {
      const want = Math.min(this.#max, size - this.#pos)
      const buf = Buffer.allocUnsafe(want)
      let got = 0
      while (got < want) {
        const { bytesRead } = await this.#fh.read(buf, got, want - got, this.#pos + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
      if (got === 0) break
      this.#pos += got
      out.push(new Event(got === want ? buf : buf.subarray(0, got)))
    }
    return out
  }

  async close(): Promise<void> {}
}
