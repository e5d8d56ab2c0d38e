/**
 * Avro codec for flumen: binary primitives, the Flume event datum fast path, a minimal schema parser with
 * Parsing Canonical Form and CRC-64-AVRO fingerprints, generic datum decode/skip/encode, and object
 * container files (null, deflate, snappy, zstandard). Pure: no agent imports, no I/O beyond an optional
 * file handle given by the caller. Formats and what was verified against Java: docs/avro.md.
 */

export { AvroReader, AvroWriter, longSize, varintSize } from './binary.ts'
export {
  type Codec,
  type CodecName,
  type CodecOptions,
  getCodec,
  isSupportedCodec,
  SUPPORTED_CODECS,
} from './codecs.ts'
export {
  type ByteSource,
  bufferSource,
  CONTAINER_MAGIC,
  ContainerBlock,
  type ContainerHeader,
  ContainerReader,
  type ContainerReaderOptions,
  type ContainerSink,
  ContainerWriter,
  type ContainerWriterOptions,
  DEFAULT_SYNC_INTERVAL_BYTES,
  decodeContainer,
  encodeContainer,
  fileSource,
  javaHashMapOrder,
  parseContainerHeader,
  SYNC_SIZE,
} from './container.ts'
export {
  type AvroValue,
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeDatum,
  encodeDatum,
  minEncodedSize,
  readDatum,
  skipDatum,
  transcodeDatum,
  writeDatum,
} from './datum.ts'
export {
  AvroClosedError,
  AvroCodecError,
  AvroEncodeError,
  AvroError,
  type AvroErrorCode,
  AvroLimitError,
  AvroMalformedError,
  AvroOptionError,
  AvroSchemaError,
  AvroTruncatedError,
} from './errors.ts'
export {
  DEFAULT_FLUME_EVENT_LIMITS,
  type DecodedFlumeEvent,
  decodeFlumeEvent,
  encodeFlumeEvents,
  encodeFlumeEventsSeparately,
  type FlumeEventLike,
  type FlumeEventLimits,
  readFlumeEvent,
  readFlumeEventArray,
  writeFlumeEvent,
  writeFlumeEventArray,
} from './flume-event.ts'
export {
  type ArraySchema,
  type EnumSchema,
  type FixedSchema,
  fingerprint64,
  flumeSchemaHash,
  type MapSchema,
  type NamedSchema,
  type PrimitiveSchema,
  type PrimitiveTypeName,
  parseSchema,
  parsingFingerprint64,
  type RecordField,
  type RecordSchema,
  type Schema,
  schemaFromJson,
  toParsingCanonicalForm,
  type UnionSchema,
} from './schema.ts'
export {
  AVRO_FLUME_EVENT_SCHEMA,
  AVRO_FLUME_EVENT_SCHEMA_JSON,
  FLUME_AVRO_EVENT_DEFAULT_CODEC,
  FLUME_AVRO_EVENT_SYNC_INTERVAL_BYTES,
  FLUME_AVRO_SCHEMA_HASH_HEADER,
  FLUME_AVRO_SCHEMA_LITERAL_HEADER,
  FLUME_EVENT_SCHEMA,
  FLUME_EVENT_SCHEMA_JSON,
  TRANSFER_STATE_FILE_META_SCHEMA,
  TRANSFER_STATE_FILE_META_SCHEMA_JSON,
} from './schemas.ts'
