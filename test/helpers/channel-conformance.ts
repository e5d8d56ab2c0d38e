/**
 * The channel contract, as one suite every channel runs (memory, file, spillable memory, jdbc, kafka):
 * commit/rollback visibility, take order, rollback order, transactionCapacity, capacity with keep-alive,
 * the take wait, the state machine, and a model-based property test of random interleaved transactions.
 *
 *   channelConformance('memory', async (o) => ({ channel: new MemoryChannel('c', …), cleanup: async () => {} }))
 */

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { Channel, Transaction } from '../../src/core/channel.ts'
import { ChannelError, ChannelFullError, TransactionStateError } from '../../src/core/errors.ts'
import { Event } from '../../src/core/event.ts'

export interface ConformanceOptions {
  readonly capacity: number
  readonly transactionCapacity: number
  /** Seconds. */
  readonly keepAlive: number
}

export type ChannelFactory = (
  o: ConformanceOptions,
) => Promise<{ channel: Channel; cleanup: () => Promise<void> }>

export interface ConformanceFeatures {
  /** Whether the channel enforces `capacity` (kafka does not). */
  readonly capacity?: boolean
  /** Whether the full-channel error comes at put rather than at commit (file channel, like Flume's). */
  readonly fullAtPut?: boolean
}

const ev = (s: string) => Event.fromString(s, { n: s })
const bodies = (events: readonly Event[]) => events.map((e) => e.body.toString())

async function putCommit(ch: Channel, items: string[]): Promise<void> {
  const tx = ch.begin()
  tx.put(items.map(ev))
  await tx.commit()
  tx.close()
}

async function takeCommit(ch: Channel, n: number): Promise<string[]> {
  const tx = ch.begin()
  const got = await tx.take(n)
  await tx.commit()
  tx.close()
  return bodies(got)
}

export function channelConformance(
  name: string,
  make: ChannelFactory,
  features: ConformanceFeatures = {},
): void {
  const enforcesCapacity = features.capacity ?? true
  const withChannel = async (o: Partial<ConformanceOptions>, fn: (ch: Channel) => Promise<void>) => {
    const { channel, cleanup } = await make({ capacity: 100, transactionCapacity: 10, keepAlive: 0, ...o })
    await channel.start()
    try {
      await fn(channel)
    } finally {
      await channel.stop()
      await cleanup()
    }
  }

  describe(`channel conformance: ${name}`, () => {
    it('delivers committed events in put order, headers and bodies intact', () =>
      withChannel({}, async (ch) => {
        await putCommit(ch, ['a', 'b', 'c'])
        await putCommit(ch, ['d'])
        const tx = ch.begin()
        const got = await tx.take(10)
        assert.deepEqual(bodies(got), ['a', 'b', 'c', 'd'])
        assert.deepEqual({ ...got[0]?.headers }, { n: 'a' })
        await tx.commit()
        tx.close()
        assert.equal(ch.size(), 0)
      }))

    it('keeps puts invisible until commit and discards them on rollback', () =>
      withChannel({}, async (ch) => {
        const tx = ch.begin()
        tx.put([ev('x'), ev('y')])
        assert.deepEqual(await takeCommit(ch, 10), [])
        await tx.rollback()
        tx.close()
        assert.deepEqual(await takeCommit(ch, 10), [])
        await putCommit(ch, ['z'])
        assert.deepEqual(await takeCommit(ch, 10), ['z'])
      }))

    it('returns rolled-back takes to the head, in their original order', () =>
      withChannel({}, async (ch) => {
        await putCommit(ch, ['1', '2', '3', '4'])
        const tx = ch.begin()
        assert.deepEqual(bodies(await tx.take(2)), ['1', '2'])
        await putCommit(ch, ['5'])
        await tx.rollback()
        tx.close()
        assert.deepEqual(await takeCommit(ch, 10), ['1', '2', '3', '4', '5'])
      }))

    it('refuses more puts than transactionCapacity in one transaction', () =>
      withChannel({ transactionCapacity: 3 }, async (ch) => {
        const tx = ch.begin()
        tx.put([ev('a'), ev('b')])
        assert.throws(
          () => tx.put([ev('c'), ev('d')]),
          (e: unknown) => e instanceof ChannelError && e.code === 'FLUME_ERR_TRANSACTION_CAPACITY',
        )
        await tx.rollback()
        tx.close()
        assert.equal(ch.size(), 0)
      }))

    it('never takes more than transactionCapacity in one transaction', () =>
      withChannel({ transactionCapacity: 3 }, async (ch) => {
        await putCommit(ch, ['a', 'b', 'c'])
        await putCommit(ch, ['d', 'e'])
        const tx = ch.begin()
        const first = await tx.take(10)
        assert.ok(first.length <= 3)
        let total = first.length
        while (total < 3) total += (await tx.take(10)).length
        await assert.rejects(tx.take(1), (e: unknown) => e instanceof ChannelError)
        await tx.rollback()
        tx.close()
        assert.equal(ch.size(), 5)
      }))

    if (enforcesCapacity) {
      it('fails with ChannelFullError when full after keep-alive, and keeps what it has', () =>
        withChannel({ capacity: 4, transactionCapacity: 4, keepAlive: 0 }, async (ch) => {
          await putCommit(ch, ['a', 'b', 'c'])
          const tx = ch.begin()
          let err: unknown
          try {
            tx.put([ev('d'), ev('e')])
            await tx.commit()
          } catch (e) {
            err = e
          }
          assert.ok(err instanceof ChannelFullError, `expected ChannelFullError, got ${String(err)}`)
          if (tx.state === 'open') await tx.rollback()
          tx.close()
          assert.deepEqual(await takeCommit(ch, 10), ['a', 'b', 'c'])
        }))

      it('waits up to keep-alive for space and succeeds when a take frees it', () =>
        withChannel({ capacity: 2, transactionCapacity: 2, keepAlive: 2 }, async (ch) => {
          await putCommit(ch, ['a', 'b'])
          const t0 = Date.now()
          const pending = putCommit(ch, ['c'])
          await new Promise((r) => setTimeout(r, 150))
          assert.deepEqual(await takeCommit(ch, 1), ['a'])
          await pending
          assert.ok(Date.now() - t0 < 1900, 'commit should complete once space is freed, before keep-alive')
          assert.deepEqual(await takeCommit(ch, 10), ['b', 'c'])
        }))

      it('counts taken-but-uncommitted events against capacity', () =>
        withChannel({ capacity: 2, transactionCapacity: 2, keepAlive: 0 }, async (ch) => {
          await putCommit(ch, ['a', 'b'])
          const tx = ch.begin()
          assert.equal((await tx.take(2)).length, 2)
          await assert.rejects(putCommit(ch, ['c']), (e: unknown) => e instanceof ChannelFullError)
          await tx.commit()
          tx.close()
          await putCommit(ch, ['c'])
          assert.deepEqual(await takeCommit(ch, 10), ['c'])
        }))
    }

    it('waits up to keep-alive for a first event on an empty channel', () =>
      withChannel({ keepAlive: 1 }, async (ch) => {
        const t0 = Date.now()
        const tx = ch.begin()
        const waiting = tx.take(5)
        setTimeout(() => void putCommit(ch, ['late']), 100)
        assert.deepEqual(bodies(await waiting), ['late'])
        assert.ok(Date.now() - t0 < 900)
        await tx.commit()
        tx.close()
        const t1 = Date.now()
        assert.deepEqual(await takeCommit(ch, 5), [])
        assert.ok(Date.now() - t1 >= 900, 'an empty take waits for keep-alive')
      }))

    it('enforces the transaction state machine', () =>
      withChannel({}, async (ch) => {
        const tx = ch.begin()
        assert.throws(() => tx.close(), TransactionStateError)
        await tx.commit()
        assert.throws(() => tx.put([ev('a')]), TransactionStateError)
        await assert.rejects(tx.take(1), TransactionStateError)
        await assert.rejects(tx.commit(), TransactionStateError)
        tx.close()
        assert.equal(tx.state, 'closed')
      }))

    it('loses and duplicates nothing under random interleaved transactions (model check)', async () => {
      type Op =
        | { kind: 'put'; n: number }
        | { kind: 'take'; n: number }
        | { kind: 'commit'; which: number }
        | { kind: 'rollback'; which: number }
        | { kind: 'begin' }
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ kind: fc.constant('put' as const), n: fc.integer({ min: 1, max: 4 }) }),
        fc.record({ kind: fc.constant('take' as const), n: fc.integer({ min: 1, max: 4 }) }),
        fc.record({ kind: fc.constant('commit' as const), which: fc.nat(3) }),
        fc.record({ kind: fc.constant('rollback' as const), which: fc.nat(3) }),
        fc.constant({ kind: 'begin' as const }),
      )
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
          const { channel: ch, cleanup } = await make({
            capacity: 1000,
            transactionCapacity: 8,
            keepAlive: 0,
          })
          await ch.start()
          try {
            let next = 0
            // Model: committed-visible queue; open transactions with their staged puts and takes.
            const model: string[] = []
            const delivered: string[] = []
            const open: { tx: Transaction; puts: string[]; takes: string[] }[] = []
            for (const op of ops) {
              if (op.kind === 'begin' || open.length === 0) {
                if (open.length < 4) open.push({ tx: ch.begin(), puts: [], takes: [] })
                if (op.kind === 'begin') continue
              }
              const t = open[('which' in op ? op.which : next) % open.length] as (typeof open)[number]
              if (op.kind === 'put') {
                if (t.puts.length + op.n > 8) continue
                const items = Array.from({ length: op.n }, () => String(next++))
                t.tx.put(items.map(ev))
                t.puts.push(...items)
              } else if (op.kind === 'take') {
                const room = 8 - t.takes.length
                if (room <= 0) continue
                const got = bodies(await t.tx.take(Math.min(op.n, room)))
                const expect = model.splice(0, got.length)
                assert.deepEqual(got, expect)
                t.takes.push(...got)
              } else if (op.kind === 'commit') {
                await t.tx.commit()
                t.tx.close()
                model.push(...t.puts)
                delivered.push(...t.takes)
                open.splice(open.indexOf(t), 1)
              } else {
                await t.tx.rollback()
                t.tx.close()
                model.unshift(...t.takes)
                open.splice(open.indexOf(t), 1)
              }
            }
            for (const t of open) {
              await t.tx.rollback()
              t.tx.close()
              model.unshift(...t.takes)
            }
            const rest = await takeAll(ch)
            // Rolled-back takes of different transactions return in rollback order; compare as multisets
            // plus the FIFO order of events never taken.
            assert.deepEqual([...rest].sort(), [...model].sort())
            assert.equal(
              new Set([...rest, ...delivered]).size,
              rest.length + delivered.length,
              'no duplicates',
            )
          } finally {
            await ch.stop()
            await cleanup()
          }
        }),
        { numRuns: 60 },
      )
    })
  })
}

async function takeAll(ch: Channel): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    const got = await takeCommit(ch, 8)
    if (got.length === 0) return out
    out.push(...got)
  }
}
