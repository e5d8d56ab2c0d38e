/**
 * Kafka benchmarks (issue 7), same config text for flumen and Java Flume 1.11, against one local Kafka 3.9
 * broker started for the run:
 * - seq → memory → Kafka sink and stress (512 B bodies) → memory → Kafka sink: time from the source's
 *   start until the sink has had every event acknowledged (acks = 1, Flume's default);
 * - Kafka source → memory → null: a topic filled beforehand with 200 B records, each implementation
 *   reading it in its own consumer group from the earliest offset; time from the source's start until it
 *   has written every record to the channel (offsets committed after each batch, as Flume does).
 */

import { Producer } from '@platformatic/kafka'
import { type KafkaBroker, startKafka } from '../../test/peers/index.ts'
import { counter, cpuMs, type Impl, result, type Scenario, start, waitForCount } from '../lib/harness.ts'

const SINK_EVENTS = Number(process.env.BENCH_KAFKA_SINK_EVENTS ?? 1_000_000)
const STRESS_EVENTS = Number(process.env.BENCH_KAFKA_STRESS_EVENTS ?? 500_000)
const SOURCE_EVENTS = Number(process.env.BENCH_KAFKA_SOURCE_EVENTS ?? 1_000_000)
const SOURCE_BODY = 200
const PARTITIONS = 3

/** The agent's CPU time per million events over the load: a figure other jobs on the machine barely move. */
const cpuNote = (pid: number, before: number, events: number) =>
  `CPU ${(((cpuMs(pid) - before) * 1000) / events).toFixed(2)} s per 1M events`

let brokerP: Promise<KafkaBroker> | undefined
const broker = () => (brokerP ??= startKafka({ heapMb: 1024 }))
let runs = 0

async function topic(name: string): Promise<string> {
  const b = await broker()
  const t = `${name}-${++runs}`
  await b.createTopic(t, PARTITIONS)
  return t
}

/** Bytes of the decimal counter bodies 0..n-1 (what the seq source sends). */
function seqBytes(n: number): number {
  let bytes = 0
  for (let d = 1, lo = 0; lo < n; d++, lo = 10 ** (d - 1)) bytes += d * (Math.min(n, 10 ** d) - lo)
  return bytes
}

const sinkConfig = (bootstrap: string, t: string, source: string) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
${source}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.byteCapacity = 0
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${bootstrap}
a1.sinks.k1.kafka.topic = ${t}
a1.sinks.k1.flumeBatchSize = 1000
a1.sinks.k1.channel = c1
`

const seqSink: Scenario = {
  name: 'seq → memory → Kafka sink (batch 1000)',
  area: 'kafka',
  description: 'Generated events produced to a 3-partition topic, acks = 1.',
  async run(impl: Impl) {
    const b = await broker()
    const t = await topic('bench-seq')
    const agent = await start(
      impl,
      sinkConfig(
        b.bootstrap,
        t,
        `a1.sources.r1.type = seq
a1.sources.r1.batchSize = 1000
a1.sources.r1.totalEvents = ${SINK_EVENTS}`,
      ),
    )
    try {
      const cpu0 = cpuMs(agent.pid)
      const m = await waitForCount(agent, counter('SINK.k1', 'EventDrainSuccessCount'), SINK_EVENTS, {
        startGroup: 'SOURCE.r1',
      })
      const note = cpuNote(agent.pid, cpu0, SINK_EVENTS)
      return result(this.name, impl, SINK_EVENTS, seqBytes(SINK_EVENTS), m, agent.readyMs, note)
    } finally {
      await agent.stop()
    }
  },
}

const stressSink: Scenario = {
  name: 'stress 512 B → memory → Kafka sink (batch 1000)',
  area: 'kafka',
  description: 'StressSource events with 512-byte bodies produced to a 3-partition topic, acks = 1.',
  async run(impl: Impl) {
    const b = await broker()
    const t = await topic('bench-stress')
    const agent = await start(
      impl,
      sinkConfig(
        b.bootstrap,
        t,
        `a1.sources.r1.type = org.apache.flume.source.StressSource
a1.sources.r1.size = 512
a1.sources.r1.batchSize = 1000
a1.sources.r1.maxTotalEvents = ${STRESS_EVENTS}`,
      ),
    )
    try {
      const cpu0 = cpuMs(agent.pid)
      // Java's StressSource reports no StartTime; the channel starts just before the source on both.
      const m = await waitForCount(agent, counter('SINK.k1', 'EventDrainSuccessCount'), STRESS_EVENTS, {
        startGroup: 'CHANNEL.c1',
      })
      const note = cpuNote(agent.pid, cpu0, STRESS_EVENTS)
      return result(this.name, impl, STRESS_EVENTS, STRESS_EVENTS * 512, m, agent.readyMs, note)
    } finally {
      await agent.stop()
    }
  },
}

let filled: Promise<string> | undefined

/** One topic of SOURCE_EVENTS records, written once and read by every implementation's own group. */
function filledTopic(): Promise<string> {
  filled ??= (async () => {
    const b = await broker()
    const t = await topic('bench-source')
    const p = new Producer({ clientId: 'bench-fill', bootstrapBrokers: [b.bootstrap] })
    const body = Buffer.alloc(SOURCE_BODY, 'x')
    try {
      for (let i = 0; i < SOURCE_EVENTS; i += 5000) {
        const messages = []
        for (let j = i; j < Math.min(SOURCE_EVENTS, i + 5000); j++) {
          messages.push({ topic: t, value: body, partition: j % PARTITIONS })
        }
        await p.send({ messages, acks: 1 })
      }
    } finally {
      await p.close()
    }
    return t
  })()
  return filled
}

const sourceNull: Scenario = {
  name: 'Kafka source → memory → null (200 B records)',
  area: 'kafka',
  description: 'A pre-filled 3-partition topic read from the earliest offset in a new consumer group.',
  async run(impl: Impl) {
    const b = await broker()
    const t = await filledTopic()
    const agent = await start(
      impl,
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${b.bootstrap}
a1.sources.r1.kafka.topics = ${t}
a1.sources.r1.kafka.consumer.group.id = bench-${impl}-${++runs}
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.batchSize = 1000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.byteCapacity = 0
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
`,
    )
    try {
      const cpu0 = cpuMs(agent.pid)
      const m = await waitForCount(agent, counter('SOURCE.r1', 'EventAcceptedCount'), SOURCE_EVENTS, {
        startGroup: 'SOURCE.r1',
      })
      const note = cpuNote(agent.pid, cpu0, SOURCE_EVENTS)
      return result(this.name, impl, SOURCE_EVENTS, SOURCE_EVENTS * SOURCE_BODY, m, agent.readyMs, note)
    } finally {
      await agent.stop()
      if (impl === 'java') await (await broker()).stop()
    }
  },
}

export const scenarios: Scenario[] = [seqSink, stressSink, sourceNull]
