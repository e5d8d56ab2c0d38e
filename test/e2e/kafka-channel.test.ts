// The Kafka channel against a real Kafka 3.9 broker, in process: the shared channel contract suite
// (capacity is not a Kafka channel notion), then what is specific to it: concurrent take transactions
// commit offsets only below what every transaction has delivered, rolled-back events come back first,
// and a new consumer of the group resumes exactly at the committed offsets.

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { KafkaChannel } from '../../src/channels/kafka.ts'
import type { Channel } from '../../src/core/channel.ts'
import { Event } from '../../src/core/event.ts'
import { consumerFor, loadBackend, producerFor } from '../../src/protocols/kafka/flume.ts'
import { channelConformance } from '../helpers/channel-conformance.ts'
import { silentLogger } from '../helpers/fakes.ts'
import { type KafkaBroker, startKafka } from '../peers/index.ts'

let brokerP: Promise<KafkaBroker> | undefined
const broker = () => (brokerP ??= startKafka())
after(async () => {
  if (brokerP !== undefined) await (await brokerP).stop()
})

let seq = 0
const env = {
  agentName: 'a1',
  name: 'c1',
  kind: 'CHANNEL' as const,
  sys: new Map<string, string>(),
  logger: silentLogger,
}

async function kafkaChannel(o: {
  topic?: string
  group?: string
  pollTimeoutMs?: number
  transactionCapacity?: number
  parseAsFlumeEvent?: boolean
}): Promise<KafkaChannel> {
  const b = await broker()
  const n = ++seq
  const producer = await producerFor(b.bootstrap, new Map(), { acks: 'all' }, env)
  const consumer = await consumerFor(
    b.bootstrap,
    o.group ?? `g${n}`,
    new Map([['auto.offset.reset', 'earliest']]),
    {},
    env,
  )
  return new KafkaChannel(
    `c${n}`,
    {
      topic: o.topic ?? `channel-${n}`,
      parseAsFlumeEvent: o.parseAsFlumeEvent ?? true,
      pollTimeoutMs: o.pollTimeoutMs ?? 0,
      defaultPartitionId: undefined,
      partitionIdHeader: undefined,
      transactionCapacity: o.transactionCapacity,
      producer,
      consumer,
    },
    await loadBackend(),
    silentLogger,
  )
}

channelConformance(
  'kafka',
  async (o) => ({
    channel: await kafkaChannel({
      pollTimeoutMs: o.keepAlive * 1000,
      transactionCapacity: o.transactionCapacity,
    }),
    cleanup: async () => {},
  }),
  { capacity: false },
)

const ev = (s: string, headers: Record<string, string> = {}) => Event.fromString(s, headers)
const bodies = (events: readonly Event[]) => events.map((e) => e.body.toString())

async function put(ch: Channel, items: string[]): Promise<void> {
  const tx = ch.begin()
  tx.put(items.map((s) => ev(s)))
  await tx.commit()
  tx.close()
}

describe('kafka channel', () => {
  it('commits a partition only below the oldest event another transaction still holds', async () => {
    const topic = `interleave-${++seq}`
    const group = `g-interleave-${seq}`
    const ch = await kafkaChannel({ topic, group })
    await ch.start()
    await put(ch, ['a', 'b', 'c', 'd'])
    const t1 = ch.begin()
    assert.deepEqual(bodies(await t1.take(2)), ['a', 'b'])
    const t2 = ch.begin()
    assert.deepEqual(bodies(await t2.take(2)), ['c', 'd'])
    await t2.commit() // c, d delivered; a, b still held by t1: nothing may be committed yet
    t2.close()
    await ch.stop()
    // A crash now (t1 never committed): a new consumer of the group starts again at 'a'.
    const again = await kafkaChannel({ topic, group, pollTimeoutMs: 2000 })
    await again.start()
    const tx = again.begin()
    assert.deepEqual(bodies(await tx.take(10)), ['a', 'b', 'c', 'd'])
    await tx.commit()
    tx.close()
    await again.stop()
    // Everything was committed this time: the group has nothing more to read.
    const last = await kafkaChannel({ topic, group, pollTimeoutMs: 500 })
    await last.start()
    const t3 = last.begin()
    assert.deepEqual(bodies(await t3.take(10)), [])
    await t3.commit()
    t3.close()
    await last.stop()
  })

  it('hands rolled-back events out again first, then commits past them', async () => {
    const topic = `rollback-${++seq}`
    const group = `g-rollback-${seq}`
    const ch = await kafkaChannel({ topic, group })
    await ch.start()
    await put(ch, ['1', '2', '3'])
    const t1 = ch.begin()
    assert.deepEqual(bodies(await t1.take(3)), ['1', '2', '3'])
    await t1.rollback()
    t1.close()
    assert.equal(Number(ch.counter.snapshot().RollbackCount), 3)
    const t2 = ch.begin()
    assert.deepEqual(bodies(await t2.take(2)), ['1', '2']) // part of a rolled-back run
    await t2.commit()
    t2.close()
    const t3 = ch.begin()
    assert.deepEqual(bodies(await t3.take(5)), ['3'])
    await t3.commit()
    t3.close()
    await ch.stop()
    const after = await kafkaChannel({ topic, group, pollTimeoutMs: 500 })
    await after.start()
    const t4 = after.begin()
    assert.deepEqual(bodies(await t4.take(10)), [], 'every offset was committed')
    await t4.commit()
    t4.close()
    await after.stop()
  })

  it('keeps headers and the key; without parseAsFlumeEvent only the body and key survive', async () => {
    const ch = await kafkaChannel({})
    await ch.start()
    const tx = ch.begin()
    tx.put([ev('x', { key: 'k1', h: 'v', ü: 'ß' })])
    await tx.commit()
    tx.close()
    const t2 = ch.begin()
    const [got] = await t2.take(1)
    assert.deepEqual({ ...got?.headers }, { key: 'k1', h: 'v', ü: 'ß' })
    await t2.commit()
    t2.close()
    await ch.stop()
    const raw = await kafkaChannel({ parseAsFlumeEvent: false })
    await raw.start()
    const t3 = raw.begin()
    t3.put([ev('y', { key: 'k2', h: 'v' })])
    await t3.commit()
    t3.close()
    const t4 = raw.begin()
    const [r] = await t4.take(1)
    assert.equal(r?.body.toString(), 'y')
    assert.deepEqual({ ...r?.headers }, { key: 'k2' })
    await t4.commit()
    t4.close()
    await raw.stop()
  })

  it("exposes Flume's KafkaChannelCounter attributes", async () => {
    const ch = await kafkaChannel({})
    await ch.start()
    await put(ch, ['m'])
    const tx = ch.begin()
    await tx.take(1)
    await tx.commit()
    tx.close()
    const s = ch.counter.snapshot()
    for (const k of [
      'KafkaEventGetTimer',
      'KafkaEventSendTimer',
      'KafkaCommitTimer',
      'RollbackCount',
      'ChannelSize',
      'EventPutSuccessCount',
      'EventTakeSuccessCount',
    ]) {
      assert.ok(k in s, k)
    }
    assert.equal(s.EventPutSuccessCount, 1)
    assert.equal(s.EventTakeSuccessCount, 1)
    assert.equal(s.ChannelSize, 0)
    await ch.stop()
  })
})
