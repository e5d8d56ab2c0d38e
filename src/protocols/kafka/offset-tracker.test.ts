import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { OffsetTracker, type Ticket } from './offset-tracker.ts'

describe('OffsetTracker', () => {
  it('commits only below the oldest pending ticket', () => {
    const t = new OffsetTracker()
    const a = t.issue('t', 0, 0, 10)
    const b = t.issue('t', 0, 10, 20)
    t.complete([b])
    assert.deepEqual(t.due(), new Map(), 'a is still pending')
    t.complete([a])
    assert.deepEqual(t.due(), new Map([['t', new Map([[0, 20]])]]))
    t.committed(new Map([['t', new Map([[0, 20]])]]))
    assert.deepEqual(t.due(), new Map(), 'nothing new')
  })

  it('splits a rolled-back ticket when only part of it is taken again', () => {
    const t = new OffsetTracker()
    const a = t.issue('t', 1, 100, 110)
    const rest = t.split(a, 104)
    assert.deepEqual([a.start, a.end, rest.start, rest.end], [100, 104, 104, 110])
    t.complete([a])
    assert.deepEqual(t.due(), new Map([['t', new Map([[1, 104]])]]))
    t.complete([rest])
    assert.deepEqual(t.due(), new Map([['t', new Map([[1, 110]])]]))
  })

  it('forgets retired partitions', () => {
    const t = new OffsetTracker()
    const a = t.issue('t', 0, 0, 5)
    t.retire('t', 0)
    t.complete([a])
    assert.deepEqual(t.due(), new Map())
  })

  it('never commits past an undelivered offset (random interleavings)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('issue' as const), fc.nat(20), fc.constant('commit' as const)), {
          maxLength: 80,
        }),
        (ops) => {
          const t = new OffsetTracker()
          let next = 0
          const held: Ticket[] = []
          const delivered = new Set<number>()
          let committed = 0
          for (const op of ops) {
            if (op === 'issue') {
              const n = 1 + (next % 3)
              held.push(t.issue('t', 0, next, next + n))
              next += n
            } else if (op === 'commit') {
              const due = t.due().get('t')?.get(0)
              if (due !== undefined) {
                assert.ok(due >= committed, 'monotonic')
                for (let o = 0; o < due; o++)
                  assert.ok(delivered.has(o), `offset ${o} committed before delivery`)
                committed = due
                t.committed(new Map([['t', new Map([[0, due]])]]))
              }
            } else if (held.length > 0) {
              const tk = held.splice(op % held.length, 1)[0] as Ticket
              t.complete([tk])
              for (let o = tk.start; o < tk.end; o++) delivered.add(o)
            }
          }
        },
      ),
    )
  })
})
