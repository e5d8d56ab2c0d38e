import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { channelConformance } from '../../../test/helpers/channel-conformance.ts'
import { ChannelError } from '../../core/errors.ts'
import { Event, newHeaders } from '../../core/event.ts'
import {
  dirsIn,
  drain,
  fileChannel,
  putCommit,
  recordingLogger,
  removeRoot,
  takeCommit,
  tempRoot,
} from './test-support/harness.ts'

channelConformance(
  'file',
  async (o) => {
    const root = tempRoot()
    return {
      channel: fileChannel(dirsIn(root), {
        capacity: o.capacity,
        transactionCapacity: o.transactionCapacity,
        keepAliveMs: o.keepAlive * 1000,
      }),
      cleanup: async () => removeRoot(root),
    }
  },
  { fullAtPut: true },
)

channelConformance(
  'file (two data dirs, no cache, fsync per interval)',
  async (o) => {
    const root = tempRoot()
    return {
      channel: fileChannel(
        dirsIn(root, 2),
        {
          capacity: o.capacity,
          transactionCapacity: o.transactionCapacity,
          keepAliveMs: o.keepAlive * 1000,
          fsyncPerTransaction: false,
          maxFileSize: 600,
        },
        { cacheBytes: 0 },
      ),
      cleanup: async () => removeRoot(root),
    }
  },
  { fullAtPut: true },
)

describe('file channel', () => {
  it('keeps committed events across a restart, in order, with headers', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root)
      const a = fileChannel(dirs)
      await a.start()
      await putCommit(a, ['a', 'b', 'c'])
      const tx = a.begin()
      const h = newHeaders({ k: 'v' })
      const tricky = '__proto__' // must be stored like any other header
      h[tricky] = 'x'
      tx.put([new Event(Buffer.from([0, 1, 2, 255]), h)])
      await tx.commit()
      tx.close()
      assert.deepEqual(await takeCommit(a, 1), ['a'])
      await a.stop()

      const b = fileChannel(dirs)
      await b.start()
      assert.equal(b.size(), 3)
      const t2 = b.begin()
      const got = await t2.take(10)
      await t2.commit()
      t2.close()
      assert.deepEqual(
        got.slice(0, 2).map((e) => e.body.toString()),
        ['b', 'c'],
      )
      assert.deepEqual([...(got[2] as Event).body], [0, 1, 2, 255])
      assert.equal((got[2] as Event).headers[tricky], 'x')
      assert.equal((got[2] as Event).headers.k, 'v')
      await b.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('replays without a clean stop (no checkpoint on close), reading bodies from the log', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root, 2)
      const a = fileChannel(dirs, { checkpointOnClose: false }, { cacheBytes: 0 })
      await a.start()
      for (let i = 0; i < 20; i++) await putCommit(a, [`${i}a`, `${i}b`])
      assert.equal((await takeCommit(a, 5)).length, 5)
      await a.stop()
      const b = fileChannel(dirs, {}, { cacheBytes: 0 })
      await b.start()
      assert.equal(b.lastReplay?.source, 'checkpoint')
      assert.ok((b.lastReplay?.records ?? 0) >= 21)
      const all = await drain(b)
      assert.equal(all.length, 35)
      assert.deepEqual(all.slice(0, 3), ['2b', '3a', '3b'])
      await b.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('deletes data files once all their events are taken', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root)
      const ch = fileChannel(dirs, { maxFileSize: 2000 })
      await ch.start()
      for (let i = 0; i < 50; i++) await putCommit(ch, [`event-${i}-${'x'.repeat(100)}`])
      const files = () => readdirSync(dirs.dataDirs[0] as string).filter((n) => n.startsWith('log-'))
      const before = files().length
      assert.ok(before > 3, `expected several files, got ${before}`)
      await drain(ch, 7)
      await ch.checkpoint()
      const after = files().length
      assert.equal(after, 1, `only the file being written should remain: ${files().join(', ')}`)
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('refuses a second channel on the same directories, naming the holder', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root)
      const a = fileChannel(dirs, {}, { name: 'c1' })
      await a.start()
      const b = fileChannel(dirs, {}, { name: 'c2' })
      await assert.rejects(b.start(), (e: unknown) => e instanceof ChannelError && /c1/.test(e.message))
      assert.equal(b.counter.snapshot().Unhealthy, 1)
      assert.throws(() => {
        const tx = b.begin()
        tx.put([Event.fromString('x')])
      }, /not open/)
      await a.stop()
      await b.start()
      await b.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('exposes Flume file channel metrics', async () => {
    const root = tempRoot()
    try {
      const ch = fileChannel(dirsIn(root), { capacity: 10, transactionCapacity: 10 })
      await ch.start()
      await putCommit(ch, ['a', 'b'])
      const s = ch.counter.snapshot()
      assert.equal(s.ChannelSize, 2)
      assert.equal(s.ChannelCapacity, 10)
      assert.equal(s.ChannelFillPercentage, 20)
      assert.equal(s.Open, true)
      assert.equal(s.Closed, 0)
      assert.equal(s.Unhealthy, 0)
      for (const k of [
        'EventPutErrorCount',
        'EventTakeErrorCount',
        'CheckpointWriteErrorCount',
        'CheckpointBackupWriteErrorCount',
      ]) {
        assert.equal(s[k], 0, k)
      }
      await ch.stop()
      assert.equal(ch.counter.snapshot().Open, false)
    } finally {
      removeRoot(root)
    }
  })

  it('logs what the replay found', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root)
      const a = fileChannel(dirs)
      await a.start()
      await putCommit(a, ['a'])
      await a.stop()
      const { logger, lines } = recordingLogger()
      const b = fileChannel(dirs, {}, { logger })
      await b.start()
      const open = lines.find((l) => l.msg === 'File channel open')
      assert.equal(open?.events, 1)
      assert.equal(open?.from, 'checkpoint')
      await b.stop()
    } finally {
      removeRoot(root)
    }
  })
})
