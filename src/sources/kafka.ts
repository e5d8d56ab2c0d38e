/**
 * Kafka source (org.apache.flume.source.kafka.KafkaSource; Flume registers it by class name only, flumen
 * also answers to `kafka`). A pollable source in a consumer group: each call collects up to `batchSize`
 * records for at most `batchDurationMillis`, writes them to the channels in one batch, and only after the
 * channel commit commits the records' offsets to Kafka. A crash at any point re-delivers at most the
 * batch that was in flight (at-least-once, as Flume); a channel failure keeps the batch and retries it
 * (the consumer has moved on, so nothing is re-read and nothing is skipped). The offset commit of one
 * batch overlaps with reading the next, which enters the channel only once that commit is done: the
 * same guarantee as Flume's synchronous commit, without waiting for the broker with nothing to do.
 *
 * Headers per event, as Flume 1.11 (reference §3.7): with `useFlumeEventFormat` the record value is an
 * Avro AvroFlumeEvent datum and its headers are restored; then, only when not already present,
 * `timestamp` (record timestamp, ms), the topic header (if `setTopicHeader`), `partition` and `offset`;
 * `header.<flumeName> = <kafkaHeader>` copies Kafka record headers (UTF-8); `key` (record key, if any)
 * is always set.
 *
 * A record that is not a valid AvroFlumeEvent under `useFlumeEventFormat` is skipped with a warning
 * naming topic, partition and offset (Flume logs the exception and its consumer has moved past it too).
 * Subscriptions: `kafka.topics` (comma list) or `kafka.topics.regex` (a Java regex that must match whole
 * topic names; new topics are picked up every metadata.max.age.ms, default 5 minutes, as in Java).
 *
 * Not supported: `zookeeperConnect` broker discovery (set kafka.bootstrap.servers) and ZooKeeper offset
 * migration (`migrateZookeeperOffsets` is accepted and reported). `timestampHeader` is accepted and
 * ignored, as in Flume 1.11, which documents it but never reads it.
 */

import { compileJavaRegex } from '../config/java-regex.ts'
import { SourceCounter } from '../core/counters.ts'
import { ChannelError, describeError } from '../core/errors.ts'
import { Event, type Headers, newHeaders } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { bool, custom, defineSource, Invalid, int, prefixed, str } from '../core/spec.ts'
import { decodeFlumeEvent } from '../protocols/avro/flume-event.ts'
import type { IncomingRecord, KafkaConsumer, Subscription } from '../protocols/kafka/client.ts'
import {
  clientLog,
  clientPropsField,
  consumerFor,
  kafkaSourceCounter,
  loadBackend,
  parseBootstrapList,
} from '../protocols/kafka/flume.ts'
import { pollableBackoff, pollableFields } from './util/pollable.ts'

const TOPIC_LIST = /^\s+|\s*,\s*|\s+$/

export const spec = defineSource({
  type: 'kafka',
  classNames: ['org.apache.flume.source.kafka.KafkaSource'],
  summary: 'Consumes Kafka topics in a consumer group; commits offsets only after the channel commit.',
  fields: {
    bootstrapServers: custom({
      key: 'kafka.bootstrap.servers',
      typeName: 'host:port list',
      doc: 'Brokers to bootstrap from, comma-separated host:port (required).',
      parse: parseBootstrapList,
    }),
    topics: str({
      key: 'kafka.topics',
      aliases: ['topic'],
      doc: 'Comma-separated topics to consume (this or kafka.topics.regex is required).',
    }),
    topicsRegex: custom({
      key: 'kafka.topics.regex',
      typeName: 'Java regex',
      doc: 'Java regex of topics to consume (whole-name match); takes precedence over kafka.topics.',
      parse: (raw, report) => {
        try {
          compileJavaRegex(raw)
          return raw
        } catch (e) {
          report(`invalid Java regex: ${(e as Error).message}`)
          return Invalid
        }
      },
    }),
    groupId: str({
      key: 'kafka.consumer.group.id',
      aliases: ['groupId'],
      default: 'flume',
      doc: 'Consumer group.',
    }),
    batchSize: int({ key: 'batchSize', default: 1000, min: 1, doc: 'Most events per channel batch.' }),
    batchDurationMillis: int({
      key: 'batchDurationMillis',
      default: 1000,
      min: 0,
      doc: 'Most time (ms) spent filling one batch before it is written to the channel.',
    }),
    ...pollableFields,
    useFlumeEventFormat: bool({
      key: 'useFlumeEventFormat',
      default: false,
      doc: 'Record values are Avro AvroFlumeEvent datums (as written by a Kafka sink with useFlumeEventFormat or a Kafka channel): restore their headers.',
    }),
    setTopicHeader: bool({ key: 'setTopicHeader', default: true, doc: 'Add the topic as a header.' }),
    topicHeader: str({ key: 'topicHeader', default: 'topic', doc: 'Name of the topic header.' }),
    headerMap: prefixed({
      prefix: 'header.',
      doc: '`header.<flumeHeader> = <kafkaHeader>`: copy a Kafka record header into a Flume header.',
    }),
    timestampHeader: str({
      key: 'timestampHeader',
      doc: 'Accepted and ignored: Flume 1.11 documents it for this source but never reads it.',
    }),
    migrateZookeeperOffsets: bool({
      key: 'migrateZookeeperOffsets',
      doc: 'Flume 1.7 migration of offsets stored in ZooKeeper by Flume 1.6 (default true, effective only with zookeeperConnect): accepted with a warning, not performed.',
    }),
    zookeeperConnect: str({
      key: 'zookeeperConnect',
      doc: 'Deprecated ZooKeeper address; not supported (set kafka.bootstrap.servers).',
    }),
    consumer: clientPropsField('consumer'),
  },
  validate(cfg) {
    const problems = []
    if (cfg.bootstrapServers === undefined) {
      problems.push({
        key: 'kafka.bootstrap.servers',
        message:
          cfg.zookeeperConnect !== undefined
            ? 'kafka.bootstrap.servers is required: finding brokers through zookeeperConnect (deprecated in Flume 1.7) is not supported'
            : 'Bootstrap Servers must be specified (kafka.bootstrap.servers)',
      })
    }
    if (cfg.topicsRegex === undefined && (cfg.topics === undefined || cfg.topics.trim() === '')) {
      problems.push({
        key: 'kafka.topics',
        message: 'At least one Kafka topic must be specified (kafka.topics or kafka.topics.regex)',
      })
    }
    return problems
  },
  batchSize: (cfg) => cfg.batchSize,
  backoff: pollableBackoff,
  async build(cfg, ctx) {
    const env = {
      agentName: ctx.agentName,
      name: ctx.name,
      kind: 'SOURCE' as const,
      sys: ctx.sys,
      logger: ctx.logger,
    }
    if (cfg.migrateZookeeperOffsets !== undefined || cfg.zookeeperConnect !== undefined) {
      ctx.logger.warn(
        {
          migrateZookeeperOffsets: cfg.migrateZookeeperOffsets ?? true,
          zookeeperConnect: cfg.zookeeperConnect,
        },
        'migrateZookeeperOffsets: offsets that Flume 1.6 stored in ZooKeeper are not migrated; the group starts from its Kafka-committed offsets (or auto.offset.reset)',
      )
    }
    if (cfg.timestampHeader !== undefined) {
      ctx.logger.warn(
        { timestampHeader: cfg.timestampHeader },
        'timestampHeader is ignored by the Kafka source (as in Flume 1.11)',
      )
    }
    const settings = await consumerFor(
      cfg.bootstrapServers as string,
      cfg.groupId,
      cfg.consumer,
      {
        'key.deserializer': 'org.apache.kafka.common.serialization.StringDeserializer',
        'value.deserializer': 'org.apache.kafka.common.serialization.ByteArrayDeserializer',
      },
      env,
    )
    let subscription: Subscription
    if (cfg.topicsRegex !== undefined) {
      const re = compileJavaRegex(cfg.topicsRegex)
      subscription = { pattern: { test: (t) => re.matches(t) }, patternText: cfg.topicsRegex }
    } else {
      // Flume compat: split on commas with surrounding whitespace trimmed (TopicListSubscriber).
      subscription = { topics: (cfg.topics as string).split(TOPIC_LIST).filter((t) => t.length > 0) }
    }
    const backend = await loadBackend()
    const counter = kafkaSourceCounter(ctx.metrics.register(new SourceCounter(ctx.name)))
    const readErrors = new RateLimitedLog(ctx.logger, 10_000)
    const channelErrors = new RateLimitedLog(ctx.logger, 10_000)
    const commitErrors = new RateLimitedLog(ctx.logger, 10_000)
    const headerMap = [...cfg.headerMap]
    const processor = ctx.processor
    let consumer: KafkaConsumer | undefined
    /** A batch the channel refused, retried before anything new is read. */
    let pending: Event[] | undefined
    /** Offsets of the refused batch, applied once it is finally written. */
    const pendingOffsets = new Map<string, Map<number, number>>()
    /** Next offsets of records written to the channel but not yet committed to Kafka. */
    const uncommitted = new Map<string, Map<number, number>>()
    let revoked = false
    /** The last batch's offset commit, awaited before the next batch is written to the channel. */
    let committing: Promise<void> | undefined

    const toEvent = (r: IncomingRecord): Event | undefined => {
      let headers: Headers
      let body: Buffer
      if (cfg.useFlumeEventFormat) {
        try {
          const d = decodeFlumeEvent(r.value ?? Buffer.alloc(0))
          headers = newHeaders(d.headers)
          body = d.body
        } catch (e) {
          counter.eventReadFail++
          readErrors.warn(
            { topic: r.topic, partition: r.partition, offset: r.offset, error: describeError(e) },
            'Kafka record is not an Avro FlumeEvent (useFlumeEventFormat = true); skipped',
          )
          return undefined
        }
      } else {
        headers = newHeaders()
        body = r.value ?? Buffer.alloc(0)
      }
      // Flume compat: these headers are added only when the event does not carry them already.
      if (headers.timestamp === undefined) headers.timestamp = String(r.timestamp)
      for (const [flumeName, kafkaName] of headerMap) {
        for (const [k, v] of r.headers) {
          if (k !== null && k.toString('utf8') === kafkaName)
            headers[flumeName] = v === null ? '' : v.toString('utf8')
        }
      }
      if (cfg.setTopicHeader && headers[cfg.topicHeader] === undefined) headers[cfg.topicHeader] = r.topic
      if (headers.partition === undefined) headers.partition = String(r.partition)
      if (headers.offset === undefined) headers.offset = String(r.offset)
      if (r.key !== null) headers.key = r.key.toString('utf8')
      return new Event(body, headers)
    }

    const commit = async (c: KafkaConsumer): Promise<void> => {
      if (uncommitted.size === 0) return
      const t0 = performance.now()
      try {
        await c.commit(uncommitted)
        uncommitted.clear()
      } catch (e) {
        // The events are in the channel; the offsets are retried with the next batch. A crash before that
        // re-delivers them (duplicates, never loss).
        commitErrors.warn(
          { error: describeError(e) },
          'Could not commit Kafka offsets; will retry with the next batch',
        )
      }
      counter.add('KafkaCommitTimer', Math.round(performance.now() - t0))
    }

    return {
      async start() {
        counter.start()
        revoked = false
        consumer = backend.createConsumer(settings, subscription, clientLog(ctx.logger), {
          revoked(parts) {
            revoked = true
            for (const p of parts) uncommitted.get(p.topic)?.delete(p.partition)
          },
          assigned() {},
        })
        await consumer.start()
        ctx.logger.info(
          {
            topics: 'topics' in subscription ? subscription.topics : undefined,
            pattern: 'patternText' in subscription ? subscription.patternText : undefined,
            group: cfg.groupId,
          },
          'Kafka source started',
        )
      },
      async stop() {
        const c = consumer
        consumer = undefined
        if (c !== undefined) {
          await committing
          committing = undefined
          await commit(c)
          await c.close()
        }
        counter.stop()
      },
      async process() {
        const c = consumer
        if (c === undefined) return 'backoff'
        let events = pending
        let offsets: Map<string, Map<number, number>> | undefined
        if (events === undefined) {
          events = []
          offsets = new Map()
          const t0 = performance.now()
          const deadline = Date.now() + cfg.batchDurationMillis
          revoked = false
          while (events.length < cfg.batchSize) {
            const left = deadline - Date.now()
            if (left <= 0) break
            const records = await c.poll(cfg.batchSize - events.length, left)
            if (records.length === 0) {
              counter.add('KafkaEmptyCount')
              break
            }
            // Records come in runs per partition: note the run's last offset once.
            let run = records[0] as IncomingRecord
            for (let i = 0; i < records.length; i++) {
              const r = records[i] as IncomingRecord
              const e = toEvent(r)
              if (e !== undefined) events.push(e)
              if (r.partition !== run.partition || r.topic !== run.topic) {
                setOffset(offsets, run.topic, run.partition, (records[i - 1] as IncomingRecord).offset + 1)
                run = r
              }
            }
            setOffset(
              offsets,
              run.topic,
              run.partition,
              (records[records.length - 1] as IncomingRecord).offset + 1,
            )
            // Flume compat: a rebalance ends the batch so what was read can be committed promptly.
            if (revoked) break
          }
          if (events.length === 0) {
            await committing
            committing = undefined
            for (const [t, m] of offsets) for (const [p, o] of m) setOffset(uncommitted, t, p, o)
            if (offsets.size > 0) await commit(c) // only skipped records: move past them
            return 'backoff'
          }
          counter.add('KafkaEventGetTimer', Math.round(performance.now() - t0))
          counter.eventReceivedCount += events.length
        }
        // The previous batch's offsets must be committed before this batch enters the channel: a crash then
        // re-reads at most one batch. Its commit overlapped with polling this one.
        if (committing !== undefined) {
          await committing
          committing = undefined
        }
        try {
          await processor.processEventBatch(events)
        } catch (e) {
          if (!(e instanceof ChannelError)) throw e
          pending = events
          if (offsets !== undefined)
            for (const [t, m] of offsets) for (const [p, o] of m) setOffset(pendingOffsets, t, p, o)
          counter.channelWriteFail++
          channelErrors.warn(
            { events: events.length, error: describeError(e) },
            'Kafka source could not write a batch to its channel; it will retry the same events',
          )
          return 'backoff'
        }
        pending = undefined
        counter.eventAcceptedCount += events.length
        if (offsets !== undefined)
          for (const [t, m] of offsets) for (const [p, o] of m) setOffset(uncommitted, t, p, o)
        for (const [t, m] of pendingOffsets) for (const [p, o] of m) setOffset(uncommitted, t, p, o)
        pendingOffsets.clear()
        committing = commit(c)
        return 'ready'
      },
    }
  },
})

function setOffset(
  into: Map<string, Map<number, number>>,
  topic: string,
  partition: number,
  offset: number,
): void {
  let m = into.get(topic)
  if (m === undefined) into.set(topic, (m = new Map()))
  if ((m.get(partition) ?? -1) < offset) m.set(partition, offset)
}
