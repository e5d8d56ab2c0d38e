/**
 * Flume's Avro schemas, as the exact JSON text Java produces (Schema.toString(): compact, keys in Java's
 * order, no `avro.java.string` properties: Flume parses the avro_event schema from a string literal and
 * its generated classes were built without stringType=String). The texts matter byte for byte: the
 * avro_event one is what `avro.schema` must hold for a file to look exactly like Flume's.
 *
 * All three were checked against the real classes (flume-ng-core / flume-ng-sdk 1.11.0 on Avro 1.11.0)
 * by src/protocols/avro/java-interop.test.ts.
 */

import { parseSchema, type Schema } from './schema.ts'

/**
 * avro_event serializer (FlumeEventAvroEventSerializer, file_roll and hdfs sinks): record `Event`, no
 * namespace. Same binary layout as AvroFlumeEvent, different full name.
 */
export const FLUME_EVENT_SCHEMA_JSON =
  '{"type":"record","name":"Event","fields":[{"name":"headers","type":{"type":"map","values":"string"}},' +
  '{"name":"body","type":"bytes"}]}'

/** The RPC/Kafka event record (flume.avdl `record AvroFlumeEvent`, AvroFlumeEvent.getClassSchema()). */
export const AVRO_FLUME_EVENT_SCHEMA_JSON =
  '{"type":"record","name":"AvroFlumeEvent","namespace":"org.apache.flume.source.avro","fields":[' +
  '{"name":"headers","type":{"type":"map","values":"string"}},{"name":"body","type":"bytes"}]}'

/**
 * spooldir's position tracker file `.flumespool-main.meta` (TransferStateFileMeta.avsc): a container with
 * this schema, a `file` metadata key and no `avro.codec` (write it with writeCodecMetadata: false).
 */
export const TRANSFER_STATE_FILE_META_SCHEMA_JSON =
  '{"type":"record","name":"TransferStateFileMeta","namespace":"org.apache.flume.serialization",' +
  '"fields":[{"name":"offset","type":"long"}]}'

export const FLUME_EVENT_SCHEMA: Schema = parseSchema(FLUME_EVENT_SCHEMA_JSON)
export const AVRO_FLUME_EVENT_SCHEMA: Schema = parseSchema(AVRO_FLUME_EVENT_SCHEMA_JSON)
export const TRANSFER_STATE_FILE_META_SCHEMA: Schema = parseSchema(TRANSFER_STATE_FILE_META_SCHEMA_JSON)

/** avro_event `syncIntervalBytes` default (AvroEventSerializerConfigurationConstants). */
export const FLUME_AVRO_EVENT_SYNC_INTERVAL_BYTES = 2048000
/** avro_event `compressionCodec` default. */
export const FLUME_AVRO_EVENT_DEFAULT_CODEC = 'null'

/** Header names set by spooldir's AVRO deserializer (AvroEventDeserializer). */
export const FLUME_AVRO_SCHEMA_HASH_HEADER = 'flume.avro.schema.hash'
export const FLUME_AVRO_SCHEMA_LITERAL_HEADER = 'flume.avro.schema.literal'
