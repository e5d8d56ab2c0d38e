import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ChannelCounter, MetricsRegistry, SinkCounter, SourceCounter } from '../core/counters.ts'
import { LogRing } from './log-ring.ts'
import { type StatusProvider, StatusSampler, type TopologyView } from './status.ts'

function setup(states: Record<string, string> = {}) {
  const metrics = new MetricsRegistry()
  const r1 = metrics.register(new SourceCounter('r1'))
  const c1 = metrics.register(new ChannelCounter('c1'))
  const k1 = metrics.register(new SinkCounter('k1'))
  const k2 = metrics.register(new SinkCounter('k2'))
  c1.channelCapacity = 10_000
  const ring = new LogRing(10)
  const topology: TopologyView = {
    sources: [{ name: 'r1', type: 'seq', channels: ['c1'], selector: 'replicating', interceptors: [] }],
    channels: [{ name: 'c1', type: 'memory', durable: false }],
    sinks: [
      { name: 'k1', type: 'null', channel: 'c1' },
      { name: 'k2', type: 'null', channel: 'c1' },
    ],
    sinkGroups: [],
  }
  const provider: StatusProvider = {
    agentName: 'a1',
    version: 'test',
    metrics,
    agentState: () => 'running',
    ready: () => true,
    topology: () => topology,
    componentStates: () =>
      ['SOURCE.r1', 'CHANNEL.c1', 'SINK.k1', 'SINK.k2'].map((id) => ({ id, state: states[id] ?? 'running' })),
    recentLogs: () => ring.recent(),
    reloads: () => ({ watching: true, pollIntervalSec: 30, count: 0, failures: 0 }),
  }
  return { r1, c1, k1, k2, ring, sampler: new StatusSampler(provider) }
}

/** Advances the counters as if `inRate` events/s were put and `outRate` taken for `seconds`. */
function flow(s: ReturnType<typeof setup>, seconds: number, inRate: number, outRate: number) {
  s.r1.eventAcceptedCount += inRate * seconds
  s.c1.eventPutSuccessCount += inRate * seconds
  s.c1.eventTakeSuccessCount += outRate * seconds
  s.c1.channelSize += (inRate - outRate) * seconds
  s.k1.eventDrainSuccessCount += (outRate / 2) * seconds
  s.k2.eventDrainSuccessCount += (outRate / 2) * seconds
}

describe('status frames', () => {
  it('has no rates on the first sample, then smoothed rates, runway and the slowest sink as origin', () => {
    const s = setup()
    const f0 = s.sampler.frame(1_000)
    assert.equal(f0.intervalSec, null)
    assert.equal(f0.components.find((c) => c.id === 'CHANNEL.c1')?.inRate, null)
    assert.deepEqual(f0.edges, [
      { from: 'SOURCE.r1', to: 'CHANNEL.c1' },
      { from: 'CHANNEL.c1', to: 'SINK.k1' },
      { from: 'CHANNEL.c1', to: 'SINK.k2' },
    ])
    flow(s, 1, 1000, 600)
    const f1 = s.sampler.frame(2_000)
    const c1 = f1.components.find((c) => c.id === 'CHANNEL.c1')
    assert.equal(f1.intervalSec, 1)
    assert.equal(c1?.inRate, 1000)
    assert.equal(c1?.outRate, 600)
    assert.equal(c1?.size, 400)
    // (10000 − 400) free slots at 400 events/s net.
    assert.equal(c1?.runwaySec, 24)
    assert.equal(f1.components.find((c) => c.id === 'SOURCE.r1')?.inRate, 1000, 'accepted counts as in')
    assert.equal(f1.backpressure.length, 1)
    assert.equal(f1.backpressure[0]?.severity, 'filling')
    assert.equal(f1.backpressure[0]?.origin, 'SINK.k1')
    assert.match(
      f1.backpressure[0]?.reason ?? '',
      /SINK\.k1 delivers 300\/s while CHANNEL\.c1 receives 1000\/s/,
    )
    // Balanced again: the smoothed rates converge, the runway goes back to infinity.
    for (let t = 3; t < 40; t++) {
      flow(s, 1, 500, 500)
      s.sampler.frame(t * 1000)
    }
    flow(s, 1, 500, 500)
    const f2 = s.sampler.frame(40_000)
    const c2 = f2.components.find((c) => c.id === 'CHANNEL.c1')
    assert.ok(Math.abs((c2?.inRate ?? 0) - 500) < 1)
    assert.equal(c2?.runwaySec, null)
    assert.deepEqual(f2.backpressure, [])
  })

  it('blames a sink that is not running, then one that fails, when the channel is full', () => {
    const states: Record<string, string> = { 'SINK.k2': 'retrying' }
    const s = setup(states)
    s.sampler.frame(0)
    s.c1.channelSize = 10_000
    let f = s.sampler.frame(1000)
    assert.equal(f.backpressure[0]?.severity, 'full')
    assert.equal(f.backpressure[0]?.origin, 'SINK.k2')
    assert.equal(f.backpressure[0]?.runwaySec, 0)
    states['SINK.k2'] = 'running'
    s.k1.eventWriteFail += 100
    f = s.sampler.frame(2000)
    assert.equal(f.backpressure[0]?.origin, 'SINK.k1')
    assert.match(f.backpressure[0]?.reason ?? '', /fails to deliver/)
    // No failure counted, but error logs from the sink in the last 30 s.
    f = s.sampler.frame(3000)
    assert.equal(f.backpressure[0]?.origin, 'SINK.k1', 'slowest (both deliver 0/s, first wins)')
    s.ring.add({ level: 50, time: 3500, msg: 'Sink could not deliver a batch', component: 'SINK.k2' })
    f = s.sampler.frame(4000)
    assert.equal(f.backpressure[0]?.origin, 'SINK.k2')
    assert.match(f.backpressure[0]?.reason ?? '', /logs delivery errors/)
    assert.equal(f.errors.at(-1)?.component, 'SINK.k2')
  })

  it('names the channel when its writes fail while it is not full (byte capacity), and a counter reset restarts a rate', () => {
    const s = setup()
    s.sampler.frame(0)
    s.r1.channelWriteFail += 50
    let f = s.sampler.frame(1000)
    assert.equal(f.backpressure[0]?.severity, 'refusing')
    assert.equal(f.backpressure[0]?.origin, 'CHANNEL.c1')
    f = s.sampler.frame(2000)
    assert.deepEqual(
      f.backpressure,
      [],
      'no new failure: no pressure, even while the smoothed rate trails off',
    )
    flow(s, 10, 100, 100)
    s.sampler.frame(12_000)
    // The sink restarted: its counter began again at 30.
    s.k1.eventDrainSuccessCount = 30
    f = s.sampler.frame(13_000)
    const k1 = f.components.find((c) => c.id === 'SINK.k1')
    assert.ok((k1?.outRate ?? -1) >= 0, 'never negative')
  })
})
