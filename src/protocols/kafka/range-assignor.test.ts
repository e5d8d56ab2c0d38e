import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { rangeAssigner, roundRobinAssigner } from './range-assignor.ts'

type Members = Parameters<typeof rangeAssigner>[1]
type Metadata = Parameters<typeof rangeAssigner>[3]

const members = (m: Record<string, string[]>): Members =>
  new Map(Object.entries(m).map(([id, topics]) => [id, { memberId: id, version: 0, topics }])) as Members
const metadata = (t: Record<string, number>): Metadata =>
  ({ topics: new Map(Object.entries(t).map(([k, n]) => [k, { partitionsCount: n }])) }) as unknown as Metadata

function flat(r: ReturnType<typeof rangeAssigner>): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const m of r) {
    out[m.memberId] = [...m.assignments.values()].flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`))
  }
  return out
}

describe('partition assignors', () => {
  it('range: contiguous ranges per topic, the first members get the extra partitions (Java RangeAssignor)', () => {
    const r = rangeAssigner(
      'a',
      members({ c1: ['t0', 't1'], c0: ['t0', 't1'] }),
      new Set(['t0', 't1']),
      metadata({ t0: 3, t1: 3 }),
    )
    // Java's javadoc example: C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2]
    assert.deepEqual(flat(r), { c1: ['t0-2', 't1-2'], c0: ['t0-0', 't0-1', 't1-0', 't1-1'] })
  })

  it('roundrobin: all partitions dealt in turn to subscribed members (Java RoundRobinAssignor)', () => {
    const r = roundRobinAssigner(
      'a',
      members({ c0: ['t0', 't1'], c1: ['t0', 't1'] }),
      new Set(['t0', 't1']),
      metadata({ t0: 3, t1: 3 }),
    )
    // Java's javadoc example: C0 [t0p0, t0p2, t1p1], C1 [t0p1, t1p0, t1p2]
    assert.deepEqual(flat(r), { c0: ['t0-0', 't0-2', 't1-1'], c1: ['t0-1', 't1-0', 't1-2'] })
  })

  it('only members subscribed to a topic get its partitions', () => {
    const r = rangeAssigner('a', members({ a: ['x'], b: ['y'] }), new Set(['x']), metadata({ x: 2, y: 1 }))
    assert.deepEqual(flat(r), { a: ['x-0', 'x-1'], b: ['y-0'] })
  })
})
