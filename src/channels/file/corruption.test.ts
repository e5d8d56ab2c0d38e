/**
 * Known-damage tests on real files (Vector disk_v2 `known_errors` style): truncate, extend, flip bytes in
 * data logs and checkpoints, delete or replace files, then restart and check what the channel restores and
 * what it reports.
 */

import assert from 'node:assert/strict'
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { decodeFileHeader, scanRecord } from './format.ts'
import type { FileChannel } from './index.ts'
import {
  type ChannelDirs,
  dirsIn,
  drain,
  fileChannel,
  putCommit,
  recordingLogger,
  removeRoot,
  takeCommit,
  tempRoot,
} from './test-support/harness.ts'

/** Records of a log file: offset and length of each. */
function records(path: string): { offset: number; length: number }[] {
  const b = readFileSync(path)
  const h = decodeFileHeader(b)
  if (typeof h === 'string') throw new Error(h)
  const out: { offset: number; length: number }[] = []
  let pos = h.size
  while (pos < b.length) {
    const r = scanRecord(b, pos, b.length - pos)
    if (r.kind !== 'record') break
    out.push({ offset: pos, length: r.record.length })
    pos += r.record.length
  }
  return out
}

function logFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^log-\d+$/.test(n))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
    .map((n) => join(dir, n))
}

function flipByte(path: string, at: number): void {
  const b = readFileSync(path)
  b[at] = (b[at] as number) ^ 0x5a
  writeFileSync(path, b)
}

/** Starts a channel, runs `fn`, then simulates kill -9 (no checkpoint of what fn did). */
async function thenCrash(dirs: ChannelDirs, fn: (ch: FileChannel) => Promise<void>, o = {}): Promise<void> {
  const ch = fileChannel(dirs, o, { cacheBytes: 0 })
  await ch.start()
  await fn(ch)
  await ch.crashForTest()
}

async function restart(dirs: ChannelDirs, o = {}) {
  const { logger, lines } = recordingLogger()
  const ch = fileChannel(dirs, o, { cacheBytes: 0, logger })
  await ch.start()
  return { ch, lines }
}

const tenEvents = async (ch: FileChannel) => {
  for (let i = 0; i < 5; i++) await putCommit(ch, [`e${2 * i}`, `e${2 * i + 1}`])
}

function withRoot(fn: (root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = tempRoot('flumen-corrupt-')
    try {
      await fn(root)
    } finally {
      removeRoot(root)
    }
  }
}

describe('file channel: damaged data logs', () => {
  it(
    'truncates a torn record at the tail and keeps every complete one',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      await thenCrash(dirs, tenEvents)
      const [log] = logFiles(dirs.dataDirs[0] as string)
      const recs = records(log as string)
      assert.equal(recs.length, 5)
      const last = recs[4] as { offset: number; length: number }
      truncateSync(log as string, last.offset + Math.floor(last.length / 2))
      const { ch, lines } = await restart(dirs)
      assert.equal(ch.lastReplay?.tornTails, 1)
      assert.ok(lines.some((l) => String(l.msg).startsWith('Torn write') && l.level === 40))
      assert.equal(statSync(log as string).size, last.offset, 'truncated at the start of the torn record')
      await putCommit(ch, ['after'])
      assert.deepEqual(await drain(ch), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'after'])
      await ch.stop()
    }),
  )

  it(
    'discards garbage appended after the last record',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      await thenCrash(dirs, tenEvents)
      const [log] = logFiles(dirs.dataDirs[0] as string)
      const size = statSync(log as string).size
      appendFileSync(log as string, Buffer.from('FREC\x01\x02\x03 half a header', 'latin1'))
      const { ch } = await restart(dirs)
      assert.equal(ch.lastReplay?.tornTails, 1)
      assert.equal(statSync(log as string).size, size)
      assert.equal((await drain(ch)).length, 10)
      await ch.stop()
    }),
  )

  it(
    'treats a damaged last record as torn (checksum), never as data',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      await thenCrash(dirs, tenEvents)
      const [log] = logFiles(dirs.dataDirs[0] as string)
      const last = records(log as string)[4] as { offset: number; length: number }
      flipByte(log as string, last.offset + last.length - 2) // inside the last event's body
      const { ch } = await restart(dirs)
      assert.equal(ch.lastReplay?.tornTails, 1)
      assert.deepEqual(await drain(ch), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'])
      await ch.stop()
    }),
  )

  it(
    'skips damage inside a file, keeps the records after it, and reports the loss',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      await thenCrash(dirs, tenEvents)
      const [log] = logFiles(dirs.dataDirs[0] as string)
      const second = records(log as string)[1] as { offset: number; length: number }
      flipByte(log as string, second.offset + 20)
      const { ch, lines } = await restart(dirs)
      assert.equal(ch.lastReplay?.damagedRegions, 1)
      assert.equal(ch.lastReplay?.tornTails, 0)
      const err = lines.find((l) => String(l.msg).startsWith('Damaged data inside a log file'))
      assert.equal(err?.level, 50)
      assert.equal(err?.bytes, second.length)
      assert.deepEqual(await drain(ch), ['e0', 'e1', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'])
      await ch.stop()
    }),
  )

  it(
    'skips a damaged event at take time, counts it, and delivers the rest',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      const a = fileChannel(dirs, {}, { cacheBytes: 0 })
      await a.start()
      await tenEvents(a)
      await a.stop() // checkpointed: the replay will not rescan these records
      const [log] = logFiles(dirs.dataDirs[0] as string)
      const third = records(log as string)[2] as { offset: number; length: number }
      flipByte(log as string, third.offset + third.length - 1) // e5's body
      const { ch, lines } = await restart(dirs)
      assert.deepEqual(await drain(ch), ['e0', 'e1', 'e2', 'e3', 'e4', 'e6', 'e7', 'e8', 'e9'])
      assert.equal(ch.counter.snapshot().EventTakeErrorCount, 1)
      assert.ok(lines.some((l) => String(l.msg).startsWith('Damaged event')))
      await ch.stop()
    }),
  )

  it(
    'reports events lost with a log file deleted behind its back',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      const a = fileChannel(dirs, { maxFileSize: 200 }, { cacheBytes: 0 })
      await a.start()
      await tenEvents(a)
      await a.stop()
      const logs = logFiles(dirs.dataDirs[0] as string)
      assert.ok(logs.length >= 3)
      unlinkSync(logs[1] as string)
      const { ch, lines } = await restart(dirs)
      assert.ok((ch.lastReplay?.lostEvents ?? 0) > 0)
      assert.ok(lines.some((l) => String(l.msg).startsWith('A log file the checkpoint needs is missing')))
      assert.ok(
        lines.some((l) => String(l.msg).startsWith('Events the checkpoint or the log refer to are missing')),
      )
      assert.equal((await drain(ch)).length, 10 - (ch.lastReplay?.lostEvents ?? 0))
      await ch.stop()
    }),
  )

  it(
    'deletes an empty log file left by a crash during its creation',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      await thenCrash(dirs, tenEvents)
      const blank = join(dirs.dataDirs[0] as string, 'log-99')
      writeFileSync(blank, Buffer.alloc(0))
      const { ch } = await restart(dirs)
      assert.equal(ch.lastReplay?.filesDeleted, 1)
      assert.equal((await drain(ch)).length, 10)
      await ch.stop()
    }),
  )

  it(
    'refuses a foreign file named like a log, saying which',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      mkdirSync(dirs.dataDirs[0] as string, { recursive: true })
      writeFileSync(join(dirs.dataDirs[0] as string, 'log-3'), 'not a flumen log, but not empty either')
      const ch = fileChannel(dirs)
      await assert.rejects(
        ch.start(),
        /log-3 is not a usable flumen log file \(not a flumen file channel log/,
      )
    }),
  )

  it(
    "refuses Java Flume's file channel directories with a clear message",
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      mkdirSync(dirs.checkpointDir, { recursive: true })
      mkdirSync(dirs.dataDirs[0] as string, { recursive: true })
      writeFileSync(join(dirs.dataDirs[0] as string, 'log-1'), Buffer.from([0x7f, 0, 0, 0, 4]))
      writeFileSync(join(dirs.dataDirs[0] as string, 'log-1.meta'), Buffer.from([1, 2, 3]))
      const ch = fileChannel(dirs)
      await assert.rejects(ch.start(), /belongs to a Java Flume file channel/)
    }),
  )
})

/** A history over several small files with interleaved takes, so replays must honour takes exactly. */
async function history(ch: FileChannel): Promise<string[]> {
  const expect: string[] = []
  let n = 0
  for (let round = 0; round < 12; round++) {
    const batch = Array.from({ length: 5 }, () => `h${n++}`)
    await putCommit(ch, batch)
    expect.push(...batch)
    if (round % 2 === 1) {
      const got = await takeCommit(ch, 3)
      assert.deepEqual(got, expect.splice(0, 3))
    }
    if (round === 5) await ch.checkpoint()
  }
  return expect
}

describe('file channel: damaged checkpoints', () => {
  const small = { maxFileSize: 400 }

  for (const compress of [false, true]) {
    it(
      `restores from the backup checkpoint when the primary is damaged, and says so${compress ? ' (gzipped backup)' : ''}`,
      withRoot(async (root) => {
        const dirs = dirsIn(root, 1, true)
        const o = { ...small, compressBackupCheckpoint: compress }
        const a = fileChannel(dirs, o, { cacheBytes: 0 })
        await a.start()
        const expect = await history(a)
        await a.stop()
        const backup = readFileSync(join(dirs.backupCheckpointDir as string, 'checkpoint'))
        assert.equal(backup[0] === 0x1f && backup[1] === 0x8b, compress, 'gzip magic only when compressed')
        flipByte(join(dirs.checkpointDir, 'checkpoint'), 60)
        const { ch, lines } = await restart(dirs, o)
        assert.equal(ch.lastReplay?.source, 'backup')
        assert.ok(lines.some((l) => /damaged .*restoring from the backup checkpoint/.test(String(l.msg))))
        assert.deepEqual(await drain(ch), expect)
        await ch.stop()
      }),
    )
  }

  it(
    'replays all logs when the checkpoint is damaged and there is no backup, exactly',
    withRoot(async (root) => {
      const dirs = dirsIn(root, 2)
      const a = fileChannel(dirs, small, { cacheBytes: 0 })
      await a.start()
      const expect = await history(a)
      await a.stop()
      const cp = join(dirs.checkpointDir, 'checkpoint')
      truncateSync(cp, statSync(cp).size - 7)
      const { ch, lines } = await restart(dirs, small)
      assert.equal(ch.lastReplay?.source, 'logs')
      assert.ok(
        lines.some((l) => /dual checkpoints are off; replaying all .* \(full replay\)/.test(String(l.msg))),
      )
      assert.deepEqual(await drain(ch), expect)
      await ch.stop()
    }),
  )

  it(
    'replays all logs when both checkpoints are damaged',
    withRoot(async (root) => {
      const dirs = dirsIn(root, 1, true)
      const a = fileChannel(dirs, small, { cacheBytes: 0 })
      await a.start()
      const expect = await history(a)
      await a.stop()
      flipByte(join(dirs.checkpointDir, 'checkpoint'), 50)
      flipByte(join(dirs.backupCheckpointDir as string, 'checkpoint'), 50)
      const { ch, lines } = await restart(dirs, small)
      assert.equal(ch.lastReplay?.source, 'logs')
      assert.ok(lines.some((l) => /the backup is damaged too .*full replay/.test(String(l.msg))))
      assert.deepEqual(await drain(ch), expect)
      await ch.stop()
    }),
  )

  it(
    'does not trust a backup whose copy was interrupted',
    withRoot(async (root) => {
      const dirs = dirsIn(root, 1, true)
      const a = fileChannel(dirs, small, { cacheBytes: 0 })
      await a.start()
      const expect = await history(a)
      await a.stop()
      unlinkSync(join(dirs.backupCheckpointDir as string, 'backupComplete'))
      writeFileSync(join(dirs.checkpointDir, 'checkpoint'), 'garbage')
      const { ch, lines } = await restart(dirs, small)
      assert.equal(ch.lastReplay?.source, 'logs')
      assert.ok(lines.some((l) => /backup was interrupted/.test(String(l.msg))))
      assert.deepEqual(await drain(ch), expect)
      await ch.stop()
    }),
  )

  it(
    'reports a log file shorter than the checkpoint recorded',
    withRoot(async (root) => {
      const dirs = dirsIn(root)
      const a = fileChannel(dirs, {}, { cacheBytes: 0 })
      await a.start()
      await tenEvents(a)
      await a.stop()
      const [log] = logFiles(dirs.dataDirs[0] as string)
      const recs = records(log as string)
      truncateSync(log as string, (recs[3] as { offset: number }).offset)
      const { ch, lines } = await restart(dirs)
      assert.ok(lines.some((l) => String(l.msg).startsWith('A log file is shorter than the checkpoint')))
      assert.equal(ch.lastReplay?.lostEvents, 4)
      assert.deepEqual(await drain(ch), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'])
      await ch.stop()
    }),
  )

  it(
    'keeps consumed files while the backup checkpoint cannot be written',
    withRoot(async (root) => {
      const dirs = dirsIn(root, 1, true)
      const ch = fileChannel(dirs, small, { cacheBytes: 0 })
      await ch.start()
      await history(ch)
      const before = logFiles(dirs.dataDirs[0] as string).length
      // Make the backup directory unusable: replace it with a file.
      removeRoot(dirs.backupCheckpointDir as string)
      writeFileSync(dirs.backupCheckpointDir as string, 'not a directory')
      await drain(ch)
      assert.equal(await ch.checkpoint(), true)
      assert.equal(ch.counter.snapshot().CheckpointBackupWriteErrorCount, 1)
      assert.equal(
        logFiles(dirs.dataDirs[0] as string).length,
        before + 0,
        'nothing deleted without a backup',
      )
      unlinkSync(dirs.backupCheckpointDir as string)
      mkdirSync(dirs.backupCheckpointDir as string)
      assert.equal(await ch.checkpoint(), true)
      assert.equal(logFiles(dirs.dataDirs[0] as string).length, 1)
      await ch.stop()
    }),
  )
})
