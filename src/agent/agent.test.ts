// Reload under load, in process, with exact event accounting: every event a source got committed is
// delivered exactly once, whatever the reloads did in between.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { accounting, startHarness, until } from './test-support/reload-harness.ts'

const base = (o: {
  interceptorValue?: string
  sinks?: string
  k1Batch?: number
  k1Delay?: number
  capacity?: number
  extra?: string
}) => `
a1.sources = r1
a1.channels = c1
a1.sinks = ${o.sinks ?? 'k1'}
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 20
a1.sources.r1.intervalMs = 1
a1.sources.r1.interceptors = i1
a1.sources.r1.interceptors.i1.type = static
a1.sources.r1.interceptors.i1.key = v
a1.sources.r1.interceptors.i1.value = ${o.interceptorValue ?? '1'}
a1.sources.r1.interceptors.i1.preserveExisting = false
a1.channels.c1.type = memory
a1.channels.c1.capacity = ${o.capacity ?? 4000}
a1.channels.c1.transactionCapacity = 200
a1.channels.c1.keep-alive = 1
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = ${o.k1Batch ?? 100}
a1.sinks.k1.delayMs = ${o.k1Delay ?? 25}
a1.sinks.k2.type = test-collect
a1.sinks.k2.channel = c1
a1.sinks.k2.batchSize = 100
a1.sinks.k2.delayMs = 25
${o.extra ?? ''}
`

describe('agent reload', () => {
  it('under load: interceptor change, added sink, sink batch size, broken file, fix — nothing lost or duplicated', async () => {
    const h = await startHarness(base({}))
    const { agent, ledger } = h
    try {
      const c1 = agent.channels.get('c1')
      assert.ok(c1 !== undefined)
      // The sink (100 events / 25 ms) is slower than the source (20 events / ms): the channel fills.
      await until(() => c1.size() > 1000, 10_000, 'c1 to hold events')

      // 1. Interceptor changed: swapped in place; the source and the channel keep running.
      const r1 = agent.sources().get('r1')
      let o = await h.reload(base({ interceptorValue: '2' }))
      assert.equal(o.result, 'applied', o.message)
      assert.deepEqual(o.report?.reconfigured, ['SOURCE.r1'])
      assert.deepEqual(o.report?.restarted, [])
      assert.equal(agent.sources().get('r1'), r1, 'source instance kept')
      assert.equal(agent.channels.get('c1'), c1, 'channel instance kept')
      assert.ok(c1.size() > 0, 'memory channel kept its events')
      const acceptedAtSwap = ledger.accepted.length
      await until(
        () => ledger.delivered.some((d) => d.headers.v === '2'),
        10_000,
        'events stamped by the new interceptor',
      )
      // Everything accepted after the swap carries the new value.
      const late = new Set(ledger.accepted.slice(acceptedAtSwap))
      assert.ok(ledger.delivered.filter((d) => late.has(d.body)).every((d) => d.headers.v === '2'))

      // 2. A sink added on the same channel: only it starts.
      const k1 = agent.sinks().get('k1')
      o = await h.reload(base({ interceptorValue: '2', sinks: 'k1 k2' }))
      assert.equal(o.result, 'applied', o.message)
      assert.deepEqual(o.report?.added, ['SINK.k2'])
      assert.deepEqual(o.report?.restarted, [])
      assert.equal(agent.sinks().get('k1'), k1, 'k1 kept')
      await until(() => ledger.delivered.some((d) => d.sink === 'k2'), 10_000, 'k2 to deliver')

      // 3. k1's batch size changed: k1 restarts, k2 and the channel do not.
      const k2 = agent.sinks().get('k2')
      o = await h.reload(base({ interceptorValue: '2', sinks: 'k1 k2', k1Batch: 30 }))
      assert.equal(o.result, 'applied', o.message)
      // (The old k1 finished its last batch of 100 before the reload resolved.)
      const k1BatchesBefore = ledger.batches.get('k1')?.length ?? 0
      assert.deepEqual(o.report?.restarted, ['SINK.k1'])
      assert.equal(agent.sinks().get('k2'), k2)
      assert.equal(agent.channels.get('c1'), c1)
      await until(() => (ledger.batches.get('k1')?.length ?? 0) > k1BatchesBefore + 5, 10_000, 'k1 batches')
      const newBatches = (ledger.batches.get('k1') ?? []).slice(k1BatchesBefore)
      assert.ok(
        newBatches.every((n) => n <= 30),
        `k1 batches after the change: ${newBatches.join(',')}`,
      )
      assert.ok(newBatches.includes(30))

      // 4. A broken file: refused, every problem reported with file:line, nothing touched.
      const builds = new Map(ledger.builds)
      o = await h.reload(
        `${base({ interceptorValue: '3', sinks: 'k1 k2', k1Batch: 30 })}\na1.sinks.k2.batchSize = many\n`,
      )
      assert.equal(o.result, 'rejected')
      assert.ok(o.errors >= 1)
      assert.match(o.message, /agent\.conf:\d+/)
      const lines = h.problems.filter((p) => p.code === 'INVALID_VALUE')
      assert.ok(lines.some((p) => p.path === 'a1.sinks.k2.batchSize' && typeof p.line === 'number'))
      assert.equal(h.metrics.agent.get('ReloadFailures'), 1)
      assert.ok((h.metrics.agent.get('ConfigErrors') ?? 0) >= 1)
      assert.deepEqual(ledger.builds, builds, 'no component rebuilt')
      assert.equal(agent.channels.get('c1'), c1)
      const before = ledger.delivered.length
      await until(() => ledger.delivered.length > before + 200, 10_000, 'delivery to go on')
      // The old interceptor still runs.
      assert.ok(ledger.delivered.slice(before).every((d) => d.headers.v === '2'))

      // 5. Fixed (and the channel made bigger): applied, the memory channel resized in place.
      o = await h.reload(base({ interceptorValue: '3', sinks: 'k1 k2', k1Batch: 30, capacity: 6000 }))
      assert.equal(o.result, 'applied', o.message)
      assert.deepEqual([...(o.report?.reconfigured ?? [])].sort(), ['CHANNEL.c1'])
      assert.deepEqual(o.report?.restarted, ['SOURCE.r1'], 'the source restarts around its channel change')
      assert.equal(agent.channels.get('c1'), c1)
      assert.equal(c1.counter.channelCapacity, 6000)
      await until(() => ledger.delivered.some((d) => d.headers.v === '3'), 10_000, 'new interceptor value')
      assert.equal(o.report?.lostEvents, 0)
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(ledger)
    assert.ok(ledger.accepted.length > 5000, `accepted ${ledger.accepted.length}`)
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} accepted events never delivered`)
    assert.deepEqual(duplicated.slice(0, 10), [], `${duplicated.length} events delivered twice`)
    assert.equal(ledger.builds.get('SOURCE.r1'), 2)
    assert.equal(ledger.builds.get('SINK.k1'), 2)
    assert.equal(ledger.builds.get('SINK.k2'), 1)
  })

  it('a memory channel whose sink is down keeps its events while the sink is fixed by a reload', async () => {
    const cfg = (fail: boolean) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 50
a1.sources.r1.intervalMs = 5
a1.channels.c1.type = memory
a1.channels.c1.capacity = 2000
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = 1
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k1.fail = ${fail}
`
    const h = await startHarness(cfg(true))
    try {
      const c1 = h.agent.channels.get('c1')
      assert.ok(c1 !== undefined)
      await until(() => c1.size() === 2000, 10_000, 'c1 to fill up')
      assert.equal(h.ledger.delivered.length, 0)
      const o = await h.reload(cfg(false))
      assert.deepEqual(o.report?.restarted, ['SINK.k1'])
      assert.equal(h.agent.channels.get('c1'), c1)
      await until(() => h.ledger.delivered.length >= 2000, 10_000, 'the backlog to be delivered')
      // The backlog comes out first, in order.
      assert.deepEqual(h.ledger.deliveredBodies().slice(0, 2000), h.ledger.accepted.slice(0, 2000))
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(h.ledger)
    assert.equal(missing.length, 0)
    assert.equal(duplicated.length, 0)
  })

  it('a durable channel whose settings change is reopened on its storage without losing events', async () => {
    const cfg = (capacity: number, fail: boolean) => (dir: string) =>
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 50
a1.sources.r1.intervalMs = 5
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${dir}/cp
a1.channels.c1.dataDirs = ${dir}/data
a1.channels.c1.capacity = ${capacity}
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = 1
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k1.fail = ${fail}
a1.sinks.k1.delayMs = 5
`
    const h = await startHarness(cfg(1500, true))
    try {
      const c1 = h.agent.channels.get('c1')
      assert.ok(c1 !== undefined)
      await until(() => c1.size() >= 1000, 15_000, 'c1 to hold events')
      const o = await h.reload(cfg(3000, false))
      assert.equal(o.result, 'applied', o.message)
      assert.deepEqual([...(o.report?.restarted ?? [])].sort(), ['CHANNEL.c1', 'SINK.k1', 'SOURCE.r1'])
      const reopened = h.agent.channels.get('c1')
      assert.notEqual(reopened, c1)
      assert.equal(reopened?.counter.channelCapacity, 3000)
      await until(() => h.ledger.delivered.length >= 1000, 15_000, 'the backlog to be delivered')
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(h.ledger)
    assert.equal(missing.length, 0, `missing ${missing.slice(0, 5)}`)
    assert.equal(duplicated.length, 0, `duplicated ${duplicated.slice(0, 5)}`)
  })

  it('a memory channel replaced by a file channel hands over its events', async () => {
    const memory = `
a1.channels.c1.type = memory
a1.channels.c1.capacity = 5000
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = 1`
    const file = (dir: string) => `
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${dir}/cp
a1.channels.c1.dataDirs = ${dir}/data
a1.channels.c1.capacity = 5000
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = 1`
    const cfg = (channel: string, fail: boolean) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 50
a1.sources.r1.intervalMs = 5
${channel}
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k1.fail = ${fail}
`
    const h = await startHarness(cfg(memory, true))
    try {
      const c1 = h.agent.channels.get('c1')
      assert.ok(c1 !== undefined)
      await until(() => c1.size() >= 1000, 10_000, 'c1 to hold events')
      const o = await h.reload((dir) => cfg(file(dir), false))
      assert.equal(o.result, 'applied', o.message)
      assert.ok((o.report?.movedEvents ?? 0) >= 1000, `moved ${o.report?.movedEvents}`)
      assert.equal(o.report?.lostEvents, 0)
      assert.equal(h.agent.topology().channels[0]?.type, 'file')
      await until(() => h.ledger.delivered.length >= 1000, 15_000, 'the moved events to be delivered')
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(h.ledger)
    assert.equal(missing.length, 0)
    assert.equal(duplicated.length, 0)
  })

  it('removing a channel drains it through its sinks first; a failover group change keeps its sinks', async () => {
    const cfg = (o: { second: boolean; group: boolean }) => `
a1.sources = r1${o.second ? ' r2' : ''}
a1.channels = c1${o.second ? ' c2' : ''}
a1.sinks = k1 k2${o.second ? ' k3' : ''}
${o.group ? 'a1.sinkgroups = g1\na1.sinkgroups.g1.sinks = k1 k2\na1.sinkgroups.g1.processor.type = failover\na1.sinkgroups.g1.processor.priority.k1 = 10\na1.sinkgroups.g1.processor.priority.k2 = 5' : ''}
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.intervalMs = 2
a1.sources.r2.type = test-counter
a1.sources.r2.channels = c2
a1.sources.r2.batchSize = 100
a1.sources.r2.intervalMs = 1
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.channels.c2.capacity = 3000
a1.channels.c2.transactionCapacity = 100
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k2.type = test-collect
a1.sinks.k2.channel = c1
a1.sinks.k3.type = test-collect
a1.sinks.k3.channel = c2
a1.sinks.k3.delayMs = 40
`
    const h = await startHarness(cfg({ second: true, group: false }))
    try {
      const c2 = h.agent.channels.get('c2')
      assert.ok(c2 !== undefined)
      await until(() => c2.size() > 500, 10_000, 'c2 to hold events')
      const k1 = h.agent.sinks().get('k1')
      const o = await h.reload(cfg({ second: false, group: true }))
      assert.equal(o.result, 'applied', o.message)
      assert.deepEqual([...(o.report?.removed ?? [])].sort(), ['CHANNEL.c2', 'SINK.k3', 'SOURCE.r2'])
      assert.equal(o.report?.lostEvents, 0)
      assert.equal(h.agent.sinks().get('k1'), k1, 'k1 kept: only its runner moved into the group')
      assert.deepEqual([...h.agent.sinkProcessors().keys()], ['g1'])
      assert.equal(h.agent.channels.has('c2'), false)
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(h.ledger)
    assert.equal(missing.length, 0)
    assert.equal(duplicated.length, 0)
  })

  it('a removed memory channel whose sink cannot deliver: its events are reported lost, with the count', async () => {
    const cfg = (second: boolean) => `
a1.sources = r1${second ? ' r2' : ''}
a1.channels = c1${second ? ' c2' : ''}
a1.sinks = k1${second ? ' k2' : ''}
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.intervalMs = 5
a1.sources.r2.type = test-counter
a1.sources.r2.channels = c2
a1.sources.r2.batchSize = 100
a1.sources.r2.intervalMs = 1
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.channels.c2.capacity = 500
a1.channels.c2.keep-alive = 1
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k2.type = test-collect
a1.sinks.k2.channel = c2
a1.sinks.k2.fail = true
`
    const h = await startHarness(cfg(true), { drainTimeoutMs: 300 })
    try {
      const c2 = h.agent.channels.get('c2')
      assert.ok(c2 !== undefined)
      await until(() => c2.size() === 500, 10_000, 'c2 to fill up')
      const o = await h.reload(cfg(false))
      assert.equal(o.result, 'applied', o.message)
      assert.equal(o.report?.lostEvents, 500)
      assert.equal(h.metrics.agent.get('ReloadLostEvents'), 500)
      assert.ok(
        h.problems.some(
          (p) => p.component === 'CHANNEL.c2' && p.events === 500 && /lost/.test(String(p.msg)),
        ),
      )
    } finally {
      await h.close()
    }
    // Everything r1 produced still arrived.
    const fromR1 = new Set(h.ledger.accepted.filter((b) => b.startsWith('r1-')))
    const delivered = new Set(h.ledger.deliveredBodies())
    assert.ok(fromR1.size > 0)
    for (const b of fromR1) assert.ok(delivered.has(b), b)
  })

  it('a channel whose new configuration cannot be built keeps running as it was, and the next reload retries', async () => {
    const cfg = (channel: string, fail: boolean) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 50
a1.sources.r1.intervalMs = 5
${channel}
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k1.fail = ${fail}
`
    const memory =
      'a1.channels.c1.type = memory\na1.channels.c1.capacity = 1000\na1.channels.c1.keep-alive = 1'
    const h = await startHarness(cfg(memory, true))
    try {
      const c1 = h.agent.channels.get('c1')
      assert.ok(c1 !== undefined)
      await until(() => c1.size() === 1000, 10_000, 'c1 to fill up')
      let o = await h.reload(cfg('a1.channels.c1.type = test-fragile\na1.channels.c1.explode = true', true))
      assert.equal(o.result, 'applied')
      assert.equal(h.agent.channels.get('c1'), c1, 'the old channel still runs')
      assert.equal(c1.size(), 1000, 'with its events')
      assert.equal(h.metrics.get('CHANNEL.c1'), c1.counter)
      assert.equal(h.metrics.agent.get('ComponentBuildFailures'), 1)
      // Same file, the sink fixed: the channel is tried again (what runs is still the memory channel).
      o = await h.reload(cfg('a1.channels.c1.type = test-fragile\na1.channels.c1.capacity = 2000', false))
      assert.equal(o.result, 'applied', o.message)
      assert.equal(o.report?.movedEvents, 1000)
      assert.equal(h.agent.topology().channels[0]?.type, 'test-fragile')
      await until(() => h.ledger.delivered.length >= 1000, 10_000, 'the moved events to be delivered')
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(h.ledger)
    assert.equal(missing.length, 0)
    assert.equal(duplicated.length, 0)
  })

  it('a source whose settings change restarts and resumes; an unchanged file is a no-op', async () => {
    const cfg = (batch: number) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = ${batch}
a1.channels.c1.type = memory
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
`
    const h = await startHarness(cfg(10))
    try {
      await until(() => h.ledger.delivered.length > 100)
      let o = await h.reload(cfg(10))
      assert.equal(o.result, 'unchanged')
      o = await h.reload(`# a comment changes nothing\n${cfg(10).split('\n').reverse().join('\n')}`)
      assert.equal(o.result, 'unchanged', 'order and comments do not count')
      o = await h.reload(cfg(40))
      assert.deepEqual(o.report?.restarted, ['SOURCE.r1'])
      await until(() => (h.ledger.batches.get('k1') ?? []).some((n) => n >= 40), 10_000, 'bigger batches')
      assert.equal(h.ledger.builds.get('SINK.k1'), 1)
    } finally {
      await h.close()
    }
    const { missing, duplicated } = accounting(h.ledger)
    assert.equal(missing.length, 0)
    assert.equal(duplicated.length, 0)
  })
})
