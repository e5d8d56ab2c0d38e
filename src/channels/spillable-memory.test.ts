import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { channelConformance } from '../../test/helpers/channel-conformance.ts'
import { compileAgent } from '../config/compile.ts'
import type { Channel } from '../core/channel.ts'
import { ChannelFullError } from '../core/errors.ts'
import { Event } from '../core/event.ts'
import type { PropertyValue } from '../core/spec.ts'
import { Registry } from '../registry.ts'
import {
  dirsIn,
  drain,
  putCommit,
  removeRoot,
  silent,
  takeCommit,
  tempRoot,
} from './file/test-support/harness.ts'
import {
  buildSpillable,
  DrainOrder,
  type SpillableMemoryChannel,
  type SpillableMemoryConfig,
  spillableSettings,
} from './spillable-memory.ts'

function cfg(root: string, o: Partial<SpillableMemoryConfig> = {}): SpillableMemoryConfig {
  const d = dirsIn(root)
  return {
    memoryCapacity: 100,
    overflowCapacity: 1000,
    overflowTimeout: 0,
    overflowDeactivationThreshold: 5,
    byteCapacityBufferPercentage: 20,
    byteCapacity: undefined,
    avgEventSize: 500,
    ignoredCapacity: undefined,
    ignoredKeepAlive: undefined,
    checkpointDir: d.checkpointDir,
    useDualCheckpoints: false,
    backupCheckpointDir: undefined,
    compressBackupCheckpoint: false,
    dataDirs: d.dataDirs,
    transactionCapacity: 100,
    checkpointInterval: 3_600_000,
    maxFileSize: 1623195647,
    minimumRequiredSpace: 1048576,
    useLogReplayV1: false,
    useFastReplay: false,
    checkpointOnClose: true,
    fsyncPerTransaction: true,
    fsyncInterval: 5,
    encryptionActiveKey: undefined,
    encryptionCipherProvider: undefined,
    encryptionKeyProvider: undefined,
    encryptionKeyProviderProps: new Map(),
    ...o,
  }
}

const spill = (root: string, o: Partial<SpillableMemoryConfig> = {}) =>
  buildSpillable('c1', cfg(root, o), new Map(), silent, { cacheBytes: 0 })

channelConformance('spillablememory (memory only)', async (o) => {
  const root = tempRoot()
  return {
    channel: spill(root, {
      memoryCapacity: o.capacity,
      overflowCapacity: 0,
      transactionCapacity: o.transactionCapacity,
      overflowTimeout: o.keepAlive,
    }),
    cleanup: async () => removeRoot(root),
  }
})

channelConformance('spillablememory (overflow only)', async (o) => {
  const root = tempRoot()
  return {
    channel: spill(root, {
      memoryCapacity: 0,
      overflowCapacity: o.capacity,
      transactionCapacity: o.transactionCapacity,
      overflowTimeout: o.keepAlive,
    }),
    cleanup: async () => removeRoot(root),
  }
})

async function withChannel(
  o: Partial<SpillableMemoryConfig>,
  fn: (ch: SpillableMemoryChannel, root: string) => Promise<void>,
): Promise<void> {
  const root = tempRoot()
  const ch = spill(root, o)
  await ch.start()
  try {
    await fn(ch, root)
  } finally {
    await ch.stop()
    removeRoot(root)
  }
}

const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i))

describe('drain order', () => {
  it('merges runs by side and hands them out head first', () => {
    const d = new DrainOrder()
    d.putPrimary(3)
    d.putPrimary(2)
    d.putOverflow(4)
    d.putPrimary(1)
    assert.deepEqual(d.runs(), [5, -4, 1])
    d.takePrimary(5)
    assert.deepEqual(d.runs(), [-4, 1])
    d.putFirstPrimary(2)
    assert.deepEqual(d.runs(), [2, -4, 1])
    d.takePrimary(2)
    d.takeOverflow(3)
    d.putFirstOverflow(2)
    assert.deepEqual(d.runs(), [-3, 1])
    assert.equal(d.overflowCount, 3)
    assert.equal(d.memoryCount, 1)
    assert.throws(() => d.takePrimary(1), /cannot take/)
  })
})

describe('spillable memory channel', () => {
  it('spills to the overflow when memory is full and keeps put order across the spill', () =>
    withChannel({ memoryCapacity: 5, overflowDeactivationThreshold: 50 }, async (ch) => {
      await putCommit(ch, names(0, 3)) // memory
      await putCommit(ch, names(3, 3)) // memory has room for 2 only: overflow
      // Flume compat: an active overflow only stops puts from waiting for memory; with room they go there.
      await putCommit(ch, names(6, 2))
      assert.deepEqual(ch.drain.runs(), [3, -3, 2])
      assert.equal(ch.counter.snapshot().OverflowActive, 1)
      // A transaction takes from one side: the first batch ends with the memory run.
      assert.deepEqual(await takeCommit(ch, 10), ['0', '1', '2'])
      assert.equal(ch.counter.snapshot().OverflowActive, 0, 'memory is 60% free again')
      await putCommit(ch, names(8, 2))
      assert.deepEqual(ch.drain.runs(), [-3, 4])
      assert.deepEqual(await drain(ch, 4), names(3, 7))
      assert.equal(ch.size(), 0)
    }))

  it('spills by bytes too (avgEventSize slots)', () =>
    withChannel(
      { memoryCapacity: 100, byteCapacity: 2500, byteCapacityBufferPercentage: 0, avgEventSize: 500 },
      async (ch) => {
        // 5 slots of 500 bytes; a 1200-byte body costs 3.
        const put = async (size: number) => {
          const tx = ch.begin()
          tx.put([new Event(Buffer.alloc(size, 0x61))])
          await tx.commit()
          tx.close()
        }
        await put(1200)
        await put(1000)
        assert.deepEqual(ch.drain.runs(), [2])
        await put(10)
        assert.deepEqual(ch.drain.runs(), [2, -1])
      },
    ))

  it('refuses when memory is full and there is no overflow', () =>
    withChannel({ memoryCapacity: 2, overflowCapacity: 0 }, async (ch) => {
      await putCommit(ch, ['a', 'b'])
      await assert.rejects(
        putCommit(ch, ['c']),
        (e: unknown) => e instanceof ChannelFullError && /overflow is disabled/.test((e as Error).message),
      )
      assert.equal(ch.overflow, undefined)
    }))

  it('keeps overflowed events across a crash and loses only the memory part', async () => {
    const root = tempRoot()
    try {
      let ch = spill(root, { memoryCapacity: 3 })
      await ch.start()
      await putCommit(ch, names(0, 3))
      await putCommit(ch, names(3, 4))
      await ch.overflow?.crashForTest()
      ch = spill(root, { memoryCapacity: 3 })
      await ch.start()
      assert.deepEqual(await drain(ch), names(3, 4))
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('starts again with its whole memory capacity after a stop (same instance)', async () => {
    const root = tempRoot()
    try {
      const ch = spill(root, { memoryCapacity: 3, overflowCapacity: 0 })
      await ch.start()
      await putCommit(ch, ['a', 'b', 'c'])
      await ch.stop() // without an overflow the memory queue is lost (and a warning says so)
      await ch.start()
      await putCommit(ch, ['d', 'e', 'f'])
      assert.deepEqual(await drain(ch), ['d', 'e', 'f'])
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('writes the memory queue to the overflow on a graceful stop', async () => {
    const root = tempRoot()
    try {
      let ch = spill(root, { memoryCapacity: 3 })
      await ch.start()
      await putCommit(ch, names(0, 3))
      await putCommit(ch, names(3, 2))
      await ch.stop()
      ch = spill(root, { memoryCapacity: 3 })
      await ch.start()
      // Overflowed events first, then what was in memory at stop.
      assert.deepEqual(await drain(ch), ['3', '4', '0', '1', '2'])
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('hands out every event exactly once, in put order, under random commits and rollbacks', async () => {
    type Op = { kind: 'put'; n: number } | { kind: 'take'; n: number; commit: boolean }
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), n: fc.integer({ min: 1, max: 7 }) }),
      fc.record({
        kind: fc.constant('take' as const),
        n: fc.integer({ min: 1, max: 9 }),
        commit: fc.boolean(),
      }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 10 }),
        async (ops: Op[], mem) => {
          const root = tempRoot()
          const ch: Channel = spill(root, { memoryCapacity: mem, overflowDeactivationThreshold: 30 })
          await ch.start()
          try {
            let next = 0
            const model: string[] = []
            for (const op of ops) {
              if (op.kind === 'put') {
                const items = names(next, op.n)
                next += op.n
                await putCommit(ch, items)
                model.push(...items)
              } else {
                const tx = ch.begin()
                const got = (await tx.take(op.n)).map((e) => e.body.toString())
                assert.deepEqual(got, model.slice(0, got.length), 'takes follow put order')
                if (op.commit) {
                  await tx.commit()
                  model.splice(0, got.length)
                } else await tx.rollback()
                tx.close()
              }
              assert.equal(ch.size(), model.length)
            }
            assert.deepEqual(await drain(ch, 9), model)
          } finally {
            await ch.stop()
            removeRoot(root)
          }
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('spillable memory configuration', () => {
  const compile = async (props: Record<string, string>) => {
    const lines: [string, string][] = [
      ['a1.sources', 'r1'],
      ['a1.channels', 'c1'],
      ['a1.sinks', 'k1'],
      ['a1.sources.r1.type', 'seq'],
      ['a1.sources.r1.channels', 'c1'],
      ['a1.sinks.k1.type', 'null'],
      ['a1.sinks.k1.channel', 'c1'],
      ['a1.channels.c1.type', 'spillablememory'],
      ...Object.entries(props).map(([k, v]) => [`a1.channels.c1.${k}`, v] as [string, string]),
    ]
    const properties = new Map<string, PropertyValue>(
      lines.map(([k, v], i) => [k, { value: v, file: 'agent.conf', line: i + 1 }]),
    )
    const c = await compileAgent({
      agentName: 'a1',
      properties,
      registry: new Registry(),
      env: {},
      sys: new Map(),
    })
    return {
      config: c.channels.get('c1')?.config as SpillableMemoryConfig | undefined,
      diagnostics: c.diagnostics,
    }
  }

  it("has Flume's defaults and its both-zero rule", async () => {
    const { config, diagnostics } = await compile({})
    assert.deepEqual(diagnostics, [])
    const s = spillableSettings(config as SpillableMemoryConfig)
    assert.equal(s.memoryCapacity, 10000)
    assert.equal(s.overflowCapacity, 100000000)
    assert.equal(s.overflowTimeoutMs, 3000)
    assert.equal(s.transactionCapacity, 10000)
    assert.equal(s.avgEventSize, 500)
    const zero = await compile({ memoryCapacity: '0', overflowCapacity: '0' })
    assert.equal(spillableSettings(zero.config as SpillableMemoryConfig).overflowCapacity, 100000000)
  })

  it('accepts the class name and reports a transactionCapacity above overflowCapacity', async () => {
    const { diagnostics } = await compile({ overflowCapacity: '10', transactionCapacity: '20' })
    assert.match(
      diagnostics[0]?.message ?? '',
      /transactionCapacity \(20\) cannot be higher than overflowCapacity \(10\)/,
    )
    const reg = new Registry()
    assert.equal(
      (await reg.load('channel', 'org.apache.flume.channel.SpillableMemoryChannel'))?.type,
      'spillablememory',
    )
  })
})
