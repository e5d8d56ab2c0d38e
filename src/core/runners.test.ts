import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../test/helpers/fakes.ts'
import { EventDeliveryError } from './errors.ts'
import { PollableSourceRunner, SinkRunner } from './runners.ts'
import type { Status } from './spec.ts'

/** A processor that records when it was called and follows a script of outcomes. */
function scripted(steps: ('ready' | 'backoff' | 'throw' | 'deliveryError')[]) {
  const calls: number[] = []
  let i = 0
  return {
    calls,
    async process(): Promise<Status> {
      calls.push(Date.now())
      const s = steps[Math.min(i++, steps.length - 1)]
      if (s === 'throw') throw new Error('boom')
      if (s === 'deliveryError') throw new EventDeliveryError('nope')
      return s as Status
    },
  }
}

/** The mocked clock advances in 100 ms steps, so a sleep can end up to one step late. */
function assertGaps(actual: number[], expected: number[]): void {
  assert.ok(actual.length >= expected.length, `only ${actual.length} gaps: ${actual}`)
  expected.forEach((e, i) => {
    const a = actual[i] as number
    assert.ok(a >= e && a <= e + 100, `gap ${i}: expected ${e} ms, got ${a} (all: ${actual})`)
  })
}

async function advance(t: import('node:test').TestContext, ms: number): Promise<void> {
  // Let pending promise continuations run between timer steps.
  for (let i = 0; i < ms; i += 100) {
    t.mock.timers.tick(100)
    for (let k = 0; k < 5; k++) await Promise.resolve()
    await new Promise((r) => setImmediate(r))
  }
}

describe('SinkRunner (Flume SinkRunner timing)', () => {
  it('sleeps min(k × 1000, 5000) ms after the k-th consecutive BACKOFF and 5000 ms after an error', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
    const p = scripted([
      'backoff',
      'backoff',
      'backoff',
      'backoff',
      'backoff',
      'backoff',
      'ready',
      'throw',
      'backoff',
    ])
    const runner = new SinkRunner('k1', p, silentLogger, () => 0)
    runner.start()
    await advance(t, (1 + 2 + 3 + 4 + 5 + 5 + 5 + 2) * 1000)
    const gaps = p.calls.slice(1).map((c, i) => c - (p.calls[i] as number))
    // BACKOFF ×6: 1, 2, 3, 4, 5, 5 s; READY: at once; error: 5 s; then BACKOFF counts from 1 again.
    assertGaps(gaps, [1000, 2000, 3000, 4000, 5000, 5000, 0, 5000])
    t.mock.timers.reset()
    await runner.stop()
  })

  it('drains while the channel has events on stop, then stops at the first BACKOFF', async () => {
    let pending = 3
    const calls: number[] = []
    const proc = {
      async process(): Promise<Status> {
        calls.push(pending)
        if (pending === 0) return 'backoff'
        pending--
        return 'ready'
      },
    }
    const runner = new SinkRunner('k1', proc, silentLogger, () => pending)
    runner.start()
    await runner.stop(5000)
    assert.equal(pending, 0)
  })
})

describe('PollableSourceRunner (Flume PollableSourceRunner timing)', () => {
  it('uses the source back-off settings and polls again at once after a delivery error', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 })
    const p = scripted(['backoff', 'backoff', 'deliveryError', 'throw', 'ready', 'backoff'])
    const runner = new PollableSourceRunner('r1', p, silentLogger, { increment: 200, max: 300 })
    runner.start()
    await advance(t, 200 + 300 + 0 + 300 + 0 + 200 + 100)
    const gaps = p.calls.slice(1).map((c, i) => c - (p.calls[i] as number))
    assertGaps(gaps, [200, 300, 0, 300, 0])
    t.mock.timers.reset()
    await runner.stop()
  })
})
