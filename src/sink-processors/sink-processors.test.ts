import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildContext, ScriptedSink } from '../../test/helpers/fakes.ts'
import { EventDeliveryError } from '../core/errors.ts'
import { OrderSelector } from '../core/order-selector.ts'
import type { Sink } from '../core/spec.ts'
import { type FailoverSinkProcessor, spec as failoverSpec } from './failover.ts'
import { spec as lbSpec } from './load-balance.ts'

const sinks = (...s: ScriptedSink[]) => new Map<string, Sink>(s.map((x) => [x.name, x]))

describe('failover sink processor', () => {
  it('uses the highest priority, fails over in the same call, and probes the failed sink after its penalty', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
    const k1 = new ScriptedSink('k1', ['throw', 'throw', 'ready'])
    const k2 = new ScriptedSink('k2', ['ready'])
    const proc = failoverSpec.build(
      {
        maxpenalty: 30_000,
        priority: new Map([
          ['k1', '10'],
          ['k2', '5'],
        ]),
      } as never,
      { ...buildContext(), sinks: sinks(k1, k2) },
    ) as FailoverSinkProcessor
    assert.equal(await proc.process(), 'ready') // k1 throws → k2 delivers in the same call
    assert.deepEqual([k1.calls, k2.calls], [1, 1])
    assert.deepEqual(proc.failedSinks(), ['k1'])
    t.mock.timers.tick(1500) // penalty is 2 s: not yet
    await proc.process()
    assert.deepEqual([k1.calls, k2.calls], [1, 2])
    t.mock.timers.tick(600) // 2.1 s: probe k1, which throws again → penalty 4 s, k2 serves the call
    await proc.process()
    assert.deepEqual([k1.calls, k2.calls], [2, 3])
    t.mock.timers.tick(3000) // 3 s of 4: k2 still
    await proc.process()
    assert.equal(k1.calls, 2)
    t.mock.timers.tick(1100) // past 4 s: k1 probed, READY → back in the pool and active again
    assert.equal(await proc.process(), 'ready')
    assert.equal(k1.calls, 3)
    assert.deepEqual(proc.failedSinks(), [])
    await proc.process()
    assert.deepEqual([k1.calls, k2.calls], [4, 4])
  })

  it('throws EventDeliveryError when every sink failed', async () => {
    const proc = failoverSpec.build({ maxpenalty: 30_000, priority: new Map() } as never, {
      ...buildContext(),
      sinks: sinks(new ScriptedSink('a', ['throw']), new ScriptedSink('b', ['throw'])),
    })
    await assert.rejects(proc.process(), EventDeliveryError)
  })

  it('orders sinks without a priority by their position in the group, and ignores duplicate priorities', async () => {
    const a = new ScriptedSink('a', ['ready'])
    const b = new ScriptedSink('b', ['ready'])
    const c = new ScriptedSink('c', ['ready'])
    const proc = failoverSpec.build({ maxpenalty: 30_000, priority: new Map([['c', '-1']]) } as never, {
      ...buildContext(),
      sinks: sinks(a, b, c),
    })
    await proc.process()
    // a gets the implicit −1 first, so c's explicit −1 duplicates it and c is never used; a is active.
    assert.deepEqual([a.calls, b.calls, c.calls], [1, 0, 0])
  })

  it('caps the penalty at maxpenalty', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 0 })
    const k1 = new ScriptedSink('k1', ['throw'])
    const k2 = new ScriptedSink('k2', ['ready'])
    const proc = failoverSpec.build(
      {
        maxpenalty: 3000,
        priority: new Map([
          ['k1', '2'],
          ['k2', '1'],
        ]),
      } as never,
      {
        ...buildContext(),
        sinks: sinks(k1, k2),
      },
    )
    await proc.process()
    for (let i = 0; i < 5; i++) {
      t.mock.timers.tick(3001)
      await proc.process() // probe fails each time; the penalty never exceeds 3 s
    }
    assert.equal(k1.calls, 6)
  })
})

describe('load_balance sink processor', () => {
  it('rotates the first sink per call and falls through on failure', async () => {
    const a = new ScriptedSink('a', ['ready'])
    const b = new ScriptedSink('b', ['throw', 'ready'])
    const c = new ScriptedSink('c', ['ready'])
    const proc = lbSpec.build({ backoff: false, selector: 'round_robin', maxTimeOut: 30_000 } as never, {
      ...buildContext(),
      sinks: sinks(a, b, c),
    })
    await proc.process() // a
    await proc.process() // b throws → c
    await proc.process() // c
    await proc.process() // a
    assert.deepEqual([a.calls, b.calls, c.calls], [2, 1, 2])
  })

  it('backs failed sinks off exponentially when backoff = true', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 10_000 })
    const a = new ScriptedSink('a', ['throw', 'ready'])
    const b = new ScriptedSink('b', ['ready'])
    const proc = lbSpec.build({ backoff: true, selector: 'round_robin', maxTimeOut: 30_000 } as never, {
      ...buildContext(),
      sinks: sinks(a, b),
    })
    await proc.process() // a throws (backed off 2 s) → b
    for (let i = 0; i < 4; i++) await proc.process() // only b eligible
    assert.deepEqual([a.calls, b.calls], [1, 5])
    t.mock.timers.tick(2001)
    await proc.process()
    await proc.process()
    assert.equal(a.calls, 2)
  })

  it('throws when all sinks fail', async () => {
    const proc = lbSpec.build({ backoff: false, selector: 'random', maxTimeOut: 0 } as never, {
      ...buildContext(),
      sinks: sinks(new ScriptedSink('a', ['throw']), new ScriptedSink('b', ['throw'])),
    })
    await assert.rejects(proc.process(), EventDeliveryError)
  })

  it('needs at least two sinks', () => {
    assert.equal(lbSpec.validateSinks?.({} as never, ['only']).length, 1)
    assert.equal(lbSpec.validateSinks?.({} as never, ['a', 'b']).length, 0)
  })
})

describe('OrderSelector back-off arithmetic (Flume OrderSelector)', () => {
  it('doubles from 2 s and resets after an hour of quiet', () => {
    const s = new OrderSelector(['x'], 'round_robin', true, 1_000_000)
    s.informFailure('x', 0)
    assert.equal(s.backedOffFor('x', 0), 2000)
    s.informFailure('x', 2000)
    assert.equal(s.backedOffFor('x', 2000), 4000)
    s.informFailure('x', 6000)
    assert.equal(s.backedOffFor('x', 6000), 8000)
    // More than last back-off (8 s) + 1 h later: sequential count restarts at 1 → 2 s.
    const later = 6000 + 8000 + 3_600_000 + 1
    s.informFailure('x', later)
    assert.equal(s.backedOffFor('x', later), 2000)
  })
})
