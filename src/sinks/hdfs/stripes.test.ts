import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { stripeRuns } from './stripes.ts'

describe('hdfs stripes: splitting a bucket’s events over parallel files', () => {
  it('one batch or less → one run (stripe 0), whatever parallelFiles is', () => {
    assert.deepEqual(stripeRuns(100, 100, 4), [{ stripe: 0, from: 0, to: 100 }])
    assert.deepEqual(stripeRuns(1, 100, 8), [{ stripe: 0, from: 0, to: 1 }])
    assert.deepEqual(stripeRuns(0, 100, 4), [])
  })

  it('a backlog of 8 batches over 4 files: 2 batches per file, in order', () => {
    assert.deepEqual(stripeRuns(8000, 1000, 4), [
      { stripe: 0, from: 0, to: 2000 },
      { stripe: 1, from: 2000, to: 4000 },
      { stripe: 2, from: 4000, to: 6000 },
      { stripe: 3, from: 6000, to: 8000 },
    ])
  })

  it('a batch and a bit: two runs of near-equal size; parallelFiles = 1 never splits', () => {
    assert.deepEqual(stripeRuns(101, 100, 4), [
      { stripe: 0, from: 0, to: 51 },
      { stripe: 1, from: 51, to: 101 },
    ])
    assert.deepEqual(stripeRuns(8000, 1000, 1), [{ stripe: 0, from: 0, to: 8000 }])
  })

  it('property: consecutive non-empty runs covering every event once, count = min(files, batches)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 64 }),
        (count, batch, files) => {
          const runs = stripeRuns(count, batch, files)
          assert.equal(runs.length, Math.min(files, Math.ceil(count / batch)))
          let at = 0
          runs.forEach((r, i) => {
            assert.equal(r.stripe, i)
            assert.equal(r.from, at)
            assert.ok(r.to > r.from)
            at = r.to
          })
          assert.equal(at, count)
          const sizes = runs.map((r) => r.to - r.from)
          assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1)
          assert.deepEqual(
            sizes,
            [...sizes].sort((x, y) => y - x),
          )
        },
      ),
    )
  })
})
