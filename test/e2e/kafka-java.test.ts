// flumen and real Java Flume 1.11 on the same Kafka topics, both directions of the Avro AvroFlumeEvent
// record format: Java's KafkaSink (useFlumeEventFormat) → flumen's KafkaSource recovers the headers;
// flumen's KafkaSink → Java's KafkaSource does the same; and a Kafka channel topic written by Java
// Flume's KafkaChannel is read by flumen's.

import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type AgentProcess, eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'
import { type FlumeAgent, type KafkaBroker, startFlumeAgent, startKafka } from '../peers/index.ts'

let broker: KafkaBroker
const cleanup: (() => Promise<unknown>)[] = []

before(async () => {
  broker = await startKafka()
})
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
  await broker?.stop()
})

const N = 1000
// Latin-1 properties files: non-ASCII header values are written as \u escapes, read alike by both.
const CITY_PROP = 'z\\u00fcrich-\\u65e5\\u672c'
const CITY = 'zürich-日本'

async function java(config: string | ((ctx: { dir: string }) => string)): Promise<FlumeAgent> {
  const a = await startFlumeAgent({ config, javaOpts: ['-Dfile.encoding=UTF-8'] })
  cleanup.push(() => a.stop())
  return a
}

async function flumen(config: string): Promise<AgentProcess> {
  const a = await startAgent(config)
  cleanup.push(() => a.stop())
  return a
}

/** header_and_text lines (Java's Map.toString): `{k1=v1, k2=v2} body`. */
function parse(l: string): { headers: Record<string, string>; body: string } {
  const end = l.indexOf('} ')
  const headers: Record<string, string> = {}
  for (const kv of l.slice(1, end).split(', ')) {
    const i = kv.indexOf('=')
    headers[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return { headers, body: l.slice(end + 2) }
}

const seqWithHeaders = (origin: string, sink: string) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${N}
a1.sources.r1.batchSize = 100
a1.sources.r1.interceptors = i1 i2 i3
a1.sources.r1.interceptors.i1.type = static
a1.sources.r1.interceptors.i1.key = origin
a1.sources.r1.interceptors.i1.value = ${origin}
a1.sources.r1.interceptors.i2.type = static
a1.sources.r1.interceptors.i2.key = city
a1.sources.r1.interceptors.i2.value = ${CITY_PROP}
a1.sources.r1.interceptors.i3.type = timestamp
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
${sink}
a1.sinks.k1.channel = c1
`

function checkEvents(lines: readonly string[], origin: string, stampedAfter: number): void {
  const bodies = new Set<string>()
  for (const l of lines) {
    const { headers, body } = parse(l)
    bodies.add(body)
    assert.equal(headers.origin, origin, l)
    assert.equal(headers.city, CITY, l)
    // The writer's timestamp interceptor value survives: the source adds `timestamp` only when absent.
    assert.ok(Number(headers.timestamp) >= stampedAfter - 60_000, l)
    assert.ok(headers.partition !== undefined && headers.offset !== undefined, l)
  }
  assert.deepEqual([...bodies].sort(), Array.from({ length: N }, (_, i) => String(i)).sort())
}

describe('Kafka records between Java Flume 1.11 and flumen', () => {
  it("Java Flume's KafkaSink (useFlumeEventFormat) → flumen's KafkaSource recovers every header", async () => {
    const t0 = Date.now()
    const j = await java(
      seqWithHeaders(
        'java-flume',
        `a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.kafka.topic = from-java
a1.sinks.k1.useFlumeEventFormat = true`,
      ),
    )
    await j.waitUntil(
      'Java sink delivered everything',
      async () => {
        const m = await j.metrics()
        return Number(m['SINK.k1']?.EventDrainSuccessCount) >= N
      },
      60_000,
    )
    const out = tempDir()
    await flumen(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sources.r1.kafka.topics = from-java
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.useFlumeEventFormat = true
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`)
    const lines = await eventually(() => {
      const l = rolledLines(out)
      return l.length >= N ? l : undefined
    }, 60_000)
    assert.equal(lines.length, N)
    checkEvents(lines, 'java-flume', t0)
  })

  it("flumen's KafkaSink (useFlumeEventFormat) → Java Flume's KafkaSource recovers every header", async () => {
    const t0 = Date.now()
    const f = await flumen(
      seqWithHeaders(
        'flumen',
        `a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.kafka.topic = from-flumen
a1.sinks.k1.useFlumeEventFormat = true`,
      ),
    )
    await f.waitFor(/Kafka sink started/)
    let out = ''
    await java(({ dir }) => {
      out = join(dir, 'out')
      mkdirSync(out) // Flume's file_roll does not create its directory
      return `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sources.r1.kafka.topics = from-flumen
a1.sources.r1.kafka.consumer.group.id = java-readers
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.useFlumeEventFormat = true
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`
    })
    const lines = await eventually(() => {
      const l = rolledLines(out)
      return l.length >= N ? l : undefined
    }, 90_000)
    assert.equal(lines.length, N)
    checkEvents(lines, 'flumen', t0)
  })

  it("a channel topic written by Java Flume's KafkaChannel is read by flumen's KafkaChannel", async () => {
    const j = await java(`
a1.sources = r1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = ${N}
a1.sources.r1.batchSize = 100
a1.sources.r1.interceptors = i1 i2
a1.sources.r1.interceptors.i1.type = static
a1.sources.r1.interceptors.i1.key = city
a1.sources.r1.interceptors.i1.value = ${CITY_PROP}
a1.sources.r1.interceptors.i2.type = static
a1.sources.r1.interceptors.i2.key = key
a1.sources.r1.interceptors.i2.value = k
a1.sources.r1.channels = c1
a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel
a1.channels.c1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.channels.c1.kafka.topic = shared-channel
`)
    await j.waitUntil(
      'Java channel accepted everything',
      async () => {
        const m = await j.metrics()
        return Number(m['CHANNEL.c1']?.EventPutSuccessCount) >= N
      },
      60_000,
    )
    const out = tempDir()
    await flumen(`
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel
a1.channels.c1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.channels.c1.kafka.topic = shared-channel
a1.channels.c1.kafka.consumer.group.id = flumen-side
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`)
    const lines = await eventually(() => {
      const l = rolledLines(out)
      return l.length >= N ? l : undefined
    }, 60_000)
    assert.equal(lines.length, N)
    const bodies = new Set<string>()
    for (const l of lines) {
      const { headers, body } = parse(l)
      assert.equal(headers.city, CITY, l)
      assert.equal(headers.key, 'k', l)
      bodies.add(body)
    }
    assert.equal(bodies.size, N)
  })
})
