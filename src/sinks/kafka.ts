/**
 * Kafka sink (org.apache.flume.sink.kafka.KafkaSink; Flume registers it by class name only, flumen also
 * answers to `kafka`). Takes up to `flumeBatchSize` events, produces one record per event, waits until the
 * broker acknowledged all of them (per `kafka.producer.acks`, default 1), and only then commits the
 * channel transaction; any failure rolls the batch back into the channel (RollbackCount) and the sink
 * runner retries after its pause. Nothing is committed that Kafka did not acknowledge.
 *
 * Per event, as Flume 1.11 (reference §6.9):
 * - topic: the `topicHeader` header when `allowTopicOverride` (default), else/or `kafka.topic` with
 *   `%{header}` escapes (verbatim when override is disabled);
 * - key: the `key` header; partition: `partitionIdHeader`'s value, else `defaultPartitionId`, else the
 *   key's murmur2 hash (Java's partitioner), else one partition per batch (Java 2.7's sticky partitioner);
 * - timestamp: the `timestampHeader` header's long value (an unparsable value is warned about and the
 *   producer stamps the record), else the producer's clock;
 * - Kafka headers: `header.<flumeHeader> = <kafkaHeader>` copies Flume headers as UTF-8 bytes;
 * - value: the body, or with `useFlumeEventFormat` the Avro binary AvroFlumeEvent datum of headers and
 *   body (what Java Flume's sink writes, byte for byte).
 *
 * A partition header that is not an integer fails the batch every time (Flume's "Non integer partition
 * id specified"): like Flume, the event is retried until someone fixes it.
 *
 * Differences: BatchCompleteCount counts full batches (Flume's Kafka sink never increments it); an unknown
 * `%[name]` escape in kafka.topic is a configuration error instead of a per-event failure.
 */

import { SinkCounter } from '../core/counters.ts'
import { ConfigError, EventDeliveryError } from '../core/errors.ts'
import type { Event } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { bool, custom, defineSink, int, prefixed, str } from '../core/spec.ts'
import { encodeFlumeEventsSeparately } from '../protocols/avro/flume-event.ts'
import type { KafkaProducer, OutgoingRecord } from '../protocols/kafka/client.ts'
import {
  clientLog,
  clientPropsField,
  javaInt,
  javaLong,
  kafkaSinkCounter,
  loadBackend,
  parseBootstrapList,
  producerFor,
} from '../protocols/kafka/flume.ts'
import { compileEscape, EscapeError } from './util/bucket-path.ts'
import { takeAndDeliver } from './util/take-batch.ts'

/** How long a send may go on retrying once the agent is stopping. */
const STOP_GRACE_MS = 3_000

export const spec = defineSink({
  type: 'kafka',
  classNames: ['org.apache.flume.sink.kafka.KafkaSink'],
  summary: 'Produces events to a Kafka topic; commits the channel only after the broker acknowledged.',
  fields: {
    bootstrapServers: custom({
      key: 'kafka.bootstrap.servers',
      aliases: ['brokerList'],
      required: true,
      typeName: 'host:port list',
      doc: 'Brokers to bootstrap from, comma-separated host:port.',
      parse: parseBootstrapList,
    }),
    topic: str({
      key: 'kafka.topic',
      aliases: ['topic'],
      default: 'default-flume-topic',
      doc: 'Topic to write to; `%{header}` and date escapes are applied (when the topic header is absent and allowTopicOverride is true).',
    }),
    batchSize: int({
      key: 'flumeBatchSize',
      aliases: ['batchSize'],
      default: 100,
      min: 1,
      doc: 'Events taken from the channel and produced per transaction.',
    }),
    acks: str({
      key: 'kafka.producer.acks',
      aliases: ['requiredAcks'],
      doc: 'Acknowledgements the broker must give before the batch counts as delivered: 1 (Flume default), all/-1, 0.',
    }),
    useFlumeEventFormat: bool({
      key: 'useFlumeEventFormat',
      default: false,
      doc: 'Write the Avro AvroFlumeEvent datum (headers and body) instead of the body alone.',
    }),
    defaultPartitionId: int({
      key: 'defaultPartitionId',
      min: 0,
      doc: 'Partition for every event (unless partitionIdHeader gives one).',
    }),
    partitionIdHeader: str({
      key: 'partitionIdHeader',
      doc: 'Header holding the partition number for the event; a non-integer value fails the batch.',
    }),
    allowTopicOverride: bool({
      key: 'allowTopicOverride',
      default: true,
      doc: 'Let the topicHeader header choose the topic.',
    }),
    topicHeader: str({ key: 'topicHeader', default: 'topic', doc: 'Header naming the topic.' }),
    timestampHeader: str({
      key: 'timestampHeader',
      doc: 'Header whose long value (epoch ms) becomes the record timestamp.',
    }),
    headerMap: prefixed({
      prefix: 'header.',
      doc: '`header.<flumeHeader> = <kafkaHeader>`: copy a Flume header into a Kafka record header (UTF-8).',
    }),
    producer: clientPropsField('producer'),
    serializerClass: str({
      key: 'serializer.class',
      doc: 'Flume 1.6 key; ignored with a warning (the value is always bytes).',
    }),
    keySerializerClass: str({
      key: 'key.serializer.class',
      doc: 'Flume 1.6 key; ignored with a warning (the key is always a string).',
    }),
  },
  batchSize: (cfg) => cfg.batchSize,
  async build(cfg, ctx) {
    const env = {
      agentName: ctx.agentName,
      name: ctx.name,
      kind: 'SINK' as const,
      sys: ctx.sys,
      logger: ctx.logger,
    }
    for (const k of ['serializer.class', 'key.serializer.class'] as const) {
      if ((k === 'serializer.class' ? cfg.serializerClass : cfg.keySerializerClass) !== undefined) {
        ctx.logger.warn(
          { property: k },
          `${k} is deprecated and ignored: Flume now uses the Kafka producer's own serializers`,
        )
      }
    }
    const user = new Map(cfg.producer)
    if (cfg.acks !== undefined) user.set('acks', cfg.acks)
    // Flume compat: its producer defaults (acks=1 and the String/ByteArray serializers) come first.
    const settings = await producerFor(
      cfg.bootstrapServers,
      user,
      {
        acks: '1',
        'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
        'value.serializer': 'org.apache.kafka.common.serialization.ByteArraySerializer',
      },
      env,
    )
    let topicOf: (h: Event['headers']) => string
    try {
      topicOf = cfg.allowTopicOverride ? await compileEscape(cfg.topic) : () => cfg.topic
    } catch (e) {
      throw new ConfigError(`SINK.${ctx.name}: kafka.topic '${cfg.topic}': ${(e as Error).message}`, {
        component: `SINK.${ctx.name}`,
      })
    }
    const backend = await loadBackend()
    const log = clientLog(ctx.logger)
    const counter = kafkaSinkCounter(ctx.metrics.register(new SinkCounter(ctx.name)))
    const warnings = new RateLimitedLog(ctx.logger, 10_000)
    const headerMap = [...cfg.headerMap]
    const channel = ctx.channel
    let producer: KafkaProducer | undefined

    const toRecords = (events: Event[]): OutgoingRecord[] => {
      const values = cfg.useFlumeEventFormat ? encodeFlumeEventsSeparately(events) : undefined
      const out = new Array<OutgoingRecord>(events.length)
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as Event
        const h = e.headers
        let topic: string
        if (cfg.allowTopicOverride) {
          const t = h[cfg.topicHeader]
          try {
            topic = t ?? topicOf(h)
          } catch (err) {
            if (err instanceof EscapeError) {
              throw new EventDeliveryError(`Sink ${ctx.name}: cannot resolve the topic: ${err.message}`)
            }
            throw err
          }
        } else {
          topic = cfg.topic
        }
        let partition = cfg.defaultPartitionId
        if (cfg.partitionIdHeader !== undefined) {
          const v = h[cfg.partitionIdHeader]
          if (v !== undefined) {
            partition = javaInt(v)
            if (partition === undefined) {
              throw new EventDeliveryError(
                `Sink ${ctx.name}: non integer partition id specified in header ${cfg.partitionIdHeader}: '${v}'`,
              )
            }
          }
        }
        let timestamp: number | undefined
        if (cfg.timestampHeader !== undefined) {
          const v = h[cfg.timestampHeader]
          if (v !== undefined) {
            timestamp = javaLong(v)
            if (timestamp === undefined) {
              warnings.warn(
                { header: cfg.timestampHeader, value: v },
                'Invalid timestamp in header; the producer stamps the record instead',
              )
            }
          }
        }
        let headers: [string, Buffer][] | undefined
        for (const [flumeName, kafkaName] of headerMap) {
          const v = h[flumeName]
          if (v !== undefined) (headers ??= []).push([kafkaName, Buffer.from(v, 'utf8')])
        }
        const key = h.key
        out[i] = {
          topic,
          partition,
          key: key === undefined ? undefined : Buffer.from(key, 'utf8'),
          value: values !== undefined ? (values[i] as Buffer) : e.body,
          timestamp,
          headers,
        }
      }
      return out
    }

    let signal: AbortSignal | undefined
    const deliver = async (events: Event[]): Promise<void> => {
      const records = toRecords(events)
      const p = producer
      if (p === undefined) throw new EventDeliveryError(`Sink ${ctx.name} is not started`)
      const t0 = performance.now()
      // Once the agent is stopping, a send still retrying (broker down) gets STOP_GRACE_MS more, then the
      // producer is closed so the batch rolls back and the agent can exit (Java interrupts the sink thread).
      let timer: NodeJS.Timeout | undefined
      const onStop = () => {
        timer = setTimeout(() => {
          ctx.logger.warn('Kafka sink stopping with a send still in progress; giving up on it (rolled back)')
          if (producer === p) producer = backend.createProducer(settings, log)
          void p.close()
        }, STOP_GRACE_MS)
      }
      if (signal?.aborted === true) onStop()
      else signal?.addEventListener('abort', onStop, { once: true })
      try {
        await p.send(records)
      } finally {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onStop)
      }
      counter.add('KafkaEventSendTimer', Math.round(performance.now() - t0))
    }

    return {
      async start() {
        producer = backend.createProducer(settings, log)
        counter.start()
        ctx.logger.info(
          { topic: cfg.topic, bootstrap: cfg.bootstrapServers, acks: settings.acks },
          'Kafka sink started',
        )
      },
      async stop() {
        const p = producer
        producer = undefined
        await p?.close()
        counter.stop()
      },
      async process(stopSignal) {
        signal = stopSignal
        try {
          return await takeAndDeliver(channel, cfg.batchSize, counter, ctx.name, deliver, stopSignal)
        } catch (e) {
          counter.add('RollbackCount')
          throw e
        }
      },
    }
  },
})
