/**
 * Disk full, on a real small filesystem (tmpfs, or a loop-mounted ext4 image; see test/helpers/small-fs.ts):
 * below minimumRequiredSpace puts are refused with ChannelFullError while takes go on; a real ENOSPC in the
 * middle of a commit fails that commit only, leaves everything committed intact, and the channel accepts
 * puts again by itself once space is back.
 */

import assert from 'node:assert/strict'
import { unlinkSync } from 'node:fs'
import { describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fillTo, mountSmallFs } from '../../../test/helpers/small-fs.ts'
import { ChannelFullError } from '../../core/errors.ts'
import { Event } from '../../core/event.ts'
import type { FileChannel } from './index.ts'
import { dirsIn, drain, fileChannel, recordingLogger } from './test-support/harness.ts'

const MB = 1024 * 1024
const body = (i: number) => Event.fromString(`${String(i).padStart(8, '0')}-${'z'.repeat(2000)}`)

async function putBatch(ch: FileChannel, from: number, n: number): Promise<void> {
  const tx = ch.begin()
  try {
    tx.put(Array.from({ length: n }, (_, k) => body(from + k)))
    await tx.commit()
  } finally {
    if (tx.state === 'open') await tx.rollback()
    tx.close()
  }
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached in time')
    await delay(50)
  }
}

describe('file channel: disk full', () => {
  it('refuses puts below minimumRequiredSpace, keeps taking, and resumes by itself', async (t) => {
    const fs = await mountSmallFs(16 * MB)
    t.diagnostic(`small filesystem: ${fs.kind}`)
    const { logger, lines } = recordingLogger()
    const dirs = dirsIn(fs.dir)
    const ch = fileChannel(
      dirs,
      { capacity: 100_000, transactionCapacity: 1000, maxFileSize: 1 * MB, minimumRequiredSpace: 4 * MB },
      { logger, cacheBytes: 0, lowSpaceRefreshMs: 100 },
    )
    try {
      await ch.start()
      let next = 0
      let refused: unknown
      for (let i = 0; i < 200 && refused === undefined; i++) {
        try {
          await putBatch(ch, next, 100)
          next += 100
        } catch (e) {
          refused = e
        }
      }
      assert.ok(refused instanceof ChannelFullError, `expected ChannelFullError, got ${String(refused)}`)
      assert.match((refused as Error).message, /below minimumRequiredSpace/)
      assert.ok(next >= 2000, `some data fits first (${next})`)
      assert.ok(lines.some((l) => String(l.msg).startsWith('File channel is short of disk space')))
      // Takes still work while puts are refused; consumed files are deleted and puts come back.
      const got = await drain(ch, 500)
      assert.equal(got.length, next)
      assert.deepEqual(
        got.map((s) => Number(s.slice(0, 8))),
        Array.from({ length: next }, (_, i) => i),
      )
      await waitFor(() => ch.counter.snapshot().LowDiskSpace === 0)
      assert.ok(lines.some((l) => String(l.msg).startsWith('File channel has disk space again')))
      await putBatch(ch, next, 100)
      assert.equal(ch.size(), 100)
    } finally {
      await ch.stop()
      await fs.unmount()
    }
  })

  it('survives ENOSPC in the middle of a commit without damaging committed data', async (t) => {
    const fs = await mountSmallFs(12 * MB)
    t.diagnostic(`small filesystem: ${fs.kind}`)
    const dirs = dirsIn(fs.dir)
    const cfg = { capacity: 100_000, transactionCapacity: 2000, minimumRequiredSpace: 1 * MB }
    // Refresh free space rarely, so the filler below goes unnoticed and the write itself hits ENOSPC.
    let ch = fileChannel(dirs, cfg, { cacheBytes: 0, spaceRefreshMs: 3_600_000, lowSpaceRefreshMs: 100 })
    let filler: string | undefined
    try {
      await ch.start()
      await putBatch(ch, 0, 500)
      filler = await fillTo(fs.dir, 1500 * 1024)
      // 2000 events of ~2 KB = 4 MB: more than is left.
      await assert.rejects(putBatch(ch, 500, 2000), (e: unknown) => {
        assert.ok(e instanceof ChannelFullError, String(e))
        assert.match((e as Error).message, /refuses puts/)
        return true
      })
      assert.equal(ch.counter.snapshot().EventPutErrorCount, 2000)
      assert.equal(ch.counter.snapshot().LowDiskSpace, 1)
      // Refused outright now, without writing.
      await assert.rejects(putBatch(ch, 500, 1), ChannelFullError)
      unlinkSync(filler)
      filler = undefined
      await waitFor(() => ch.counter.snapshot().LowDiskSpace === 0)
      await putBatch(ch, 500, 100)
      // Everything committed is intact after a crash and a replay.
      await ch.crashForTest()
      ch = fileChannel(dirs, cfg, { cacheBytes: 0 })
      await ch.start()
      assert.equal(ch.lastReplay?.damagedRegions, 0)
      const got = (await drain(ch, 1000)).map((s) => Number(s.slice(0, 8)))
      assert.deepEqual(
        got,
        Array.from({ length: 600 }, (_, i) => i),
      )
    } finally {
      if (filler !== undefined) unlinkSync(filler)
      await ch.stop()
      await fs.unmount()
    }
  })
})
