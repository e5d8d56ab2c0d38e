// A Kafka broker outage of 30 s in the middle of a load, on both sides of the topic: a real-time agent
// (exec → memory → Kafka sink) keeps accepting lines while the broker is gone — its sink fails, rolls back
// and backs off, the channel holds everything — and delivers all of it once the broker is back on the same
// port with the same data; a Kafka source agent reading the topic meanwhile rejoins its group and reads
// every record too. Counted with Kafka's own console consumer.

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { type AgentProcess, eventually, fetchJson, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'
import { type KafkaBroker, startKafka } from '../peers/index.ts'

let broker: KafkaBroker | undefined
const agents: AgentProcess[] = []
after(async () => {
  for (const a of agents)
    if (a.child.exitCode === null && a.child.signalCode === null) await a.stop('SIGKILL')
  await broker?.stop()
})

const N = 60_000
const OUTAGE_MS = 30_000

async function agent(config: string) {
  const port = await freePort()
  const a = await startAgent(config, {
    sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(port) },
  })
  agents.push(a)
  const metrics = async (group: string) =>
    ((await fetchJson(`http://127.0.0.1:${port}/metrics`))[group] ?? {}) as Record<string, string>
  return { a, metrics }
}

describe('kafka broker outage', () => {
  it('30 s without a broker mid-load: the sink backs off, the channel holds, nothing is lost, delivery resumes', async () => {
    const b = await startKafka()
    broker = b
    await b.createTopic('outage', 2)
    // ~2000 lines/s for 30 s: the load is still running when the broker goes away.
    const script = `i=0; while [ $i -lt ${N} ]; do echo "v$i"; i=$((i+1)); if [ $((i % 500)) -eq 0 ]; then sleep 0.25; fi; done; sleep 3600`
    const producer = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.shell = /bin/sh -c
a1.sources.r1.command = ${script}
a1.sources.r1.batchSize = 200
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 200000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${b.bootstrap}
a1.sinks.k1.kafka.topic = outage
a1.sinks.k1.flumeBatchSize = 500
a1.sinks.k1.kafka.producer.acks = all
a1.sinks.k1.kafka.producer.delivery.timeout.ms = 3000
a1.sinks.k1.channel = c1
`)
    const out = tempDir()
    const reader = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${b.bootstrap}
a1.sources.r1.kafka.topics = outage
a1.sources.r1.kafka.consumer.group.id = outage-readers
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 200000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
`)
    const drained = async () => Number((await producer.metrics('SINK.k1')).EventDrainSuccessCount ?? 0)
    await eventually(async () => (await drained()) >= 5000 || undefined, 60_000)
    await b.stop()
    const atStop = await drained()
    assert.ok(atStop < N, `the load was still running (${atStop} delivered)`)
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    const sink = await producer.metrics('SINK.k1')
    const channel = await producer.metrics('CHANNEL.c1')
    // Backed off: batches failed and were rolled back, nothing counted as delivered meanwhile.
    assert.ok(Number(sink.RollbackCount) >= 2, `RollbackCount ${sink.RollbackCount}`)
    assert.ok(Number(sink.EventDrainSuccessCount) - atStop <= 500, 'at most the batch in flight completed')
    // The channel holds what arrived during the outage.
    assert.ok(Number(channel.ChannelSize) > 10_000, `ChannelSize ${channel.ChannelSize}`)
    assert.ok(producer.a.lines.some((l) => /Sink could not deliver a batch/.test(l)))
    await b.restart()
    await eventually(async () => (await drained()) >= N || undefined, 120_000)
    const records = await b.consume('outage', { count: N + 5000, timeoutMs: 15_000 })
    const values = new Set(records.map((r) => r.value))
    for (let i = 0; i < N; i++) assert.ok(values.has(`v${i}`), `v${i} lost`)
    // The reader rejoined after the outage and read every record.
    const read = await eventually(() => {
      const s = new Set(rolledLines(out))
      return s.size >= N ? s : undefined
    }, 120_000)
    for (let i = 0; i < N; i++) assert.ok(read.has(`v${i}`), `reader lost v${i}`)
    await producer.a.stop()
    await reader.a.stop()
  })
})
