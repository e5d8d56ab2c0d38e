/**
 * Crash tests of the file channel with the real CLI (dist/):
 *
 * 1. A netcat client sends numbered lines and records which were answered OK (committed). The agent's
 *    sink cannot deliver (its output directory sits under a regular file), so everything stays in the
 *    file channel. The agent is killed with SIGKILL in the middle of the stream, twice.
 * 2. The agent restarts with a working file_roll sink and is killed again several times while it drains,
 *    then allowed to finish.
 *
 * Every acknowledged line must be in the output; duplicates are allowed (at-least-once) and reported.
 * Also: a second agent on the same directories refuses to start its channel, naming the first agent's
 * process, and takes over once the first agent is gone.
 */

import assert from 'node:assert/strict'
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { feedThenKill, LineClient, numberedLine, outputLines } from '../helpers/line-client.ts'
import { mountSmallFs } from '../helpers/small-fs.ts'

/** Temp directories of this file, removed when its tests are done (agents are stopped by then). */
const scratchDirs: string[] = []
function scratch(prefix?: string): string {
  const d = tempDir(prefix)
  scratchDirs.push(d)
  return d
}
after(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true })
})

interface Dirs {
  readonly root: string
  readonly checkpoint: string
  readonly data: string
  readonly backup: string
}

function config(d: Dirs, port: number, sinkDir: string): string {
  return `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${d.checkpoint}
a1.channels.c1.dataDirs = ${d.data}/a,${d.data}/b
a1.channels.c1.useDualCheckpoints = true
a1.channels.c1.backupCheckpointDir = ${d.backup}
a1.channels.c1.capacity = 200000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.checkpointInterval = 300
a1.channels.c1.maxFileSize = 262144
a1.channels.c1.minimumRequiredSpace = 1048576
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${sinkDir}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 100
`
}

const line = numberedLine

describe('file channel crash tests (real CLI)', () => {
  it('delivers every acknowledged event through repeated SIGKILLs', { timeout: 180_000 }, async (t) => {
    const root = scratch('flumen-crash-')
    const d: Dirs = {
      root,
      checkpoint: join(root, 'checkpoint'),
      data: join(root, 'data'),
      backup: join(root, 'backup'),
    }
    const port = await freePort()
    // A sink directory under a regular file: mkdir and open fail (ENOTDIR), even for root.
    writeFileSync(join(root, 'blocker'), 'not a directory')
    const blocked = join(root, 'blocker', 'out')
    const acked = new Set<string>()
    const sent = new Set<string>()
    let next = 0

    // Phase 1: fill the channel, killing the agent mid-stream twice.
    for (const target of [15000, 10000]) {
      const agent = await startAgent(config(d, port, blocked), { dir: root })
      const r = await feedThenKill(agent, port, next, target)
      next = r.next
      for (const l of r.client.acked) acked.add(l)
      for (const l of r.client.sent) sent.add(l)
      assert.ok(r.client.acked.length >= target)
      assert.equal(r.client.failed.length, 0, `no line refused: ${r.client.failed[0]?.reason}`)
    }

    // Phase 2: a working sink; kill repeatedly while it drains.
    const out = join(root, 'out')
    mkdirSync(out)
    // Each restart is killed once the output has grown past the next threshold, so the kills land while
    // the sink drains (reading the output as it grows; the sink writes before it commits its take).
    let kills = 0
    const progress: number[] = []
    for (const share of [0.1, 0.25, 0.4, 0.55, 0.7, 0.85]) {
      const agent = await startAgent(config(d, port, out), { dir: root })
      const threshold = Math.floor(acked.size * share)
      await eventually(() => (new Set(outputLines(out)).size >= threshold ? true : undefined), 30_000, 5)
      agent.child.kill('SIGKILL')
      await agent.exited
      kills++
      progress.push(new Set(outputLines(out)).size)
    }
    t.diagnostic(`distinct lines delivered when each draining agent was killed: ${progress.join(', ')}`)
    const midDrain = progress.filter((n) => n < acked.size).length
    assert.ok(midDrain >= 4, `most kills land mid-drain (${progress.join(', ')})`)
    const final = await startAgent(config(d, port, out), { dir: root })
    await eventually(() => {
      const got = new Set(outputLines(out))
      for (const l of acked) if (!got.has(l)) return undefined
      return true
    }, 60_000)
    await final.stop('SIGTERM')
    assert.match(final.output(), /File channel closed events=0/)

    const lines = outputLines(out)
    const counts = new Map<string, number>()
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1)
    const missing = [...acked].filter((l) => !counts.has(l))
    const unknown = [...counts.keys()].filter((l) => !sent.has(l))
    const duplicates = [...counts.values()].reduce((n, c) => n + (c - 1), 0)
    t.diagnostic(
      `acked ${acked.size}, sent ${sent.size}, delivered ${lines.length} lines (${counts.size} distinct), duplicates ${duplicates}, SIGKILLs ${2 + kills}`,
    )
    assert.deepEqual(missing, [], 'every acknowledged event is delivered')
    assert.deepEqual(unknown, [], 'nothing that was never sent comes out')
  })

  it('refuses a second agent on the same directories, then takes over when the first is gone', async () => {
    const root = scratch('flumen-lock-')
    const d: Dirs = {
      root,
      checkpoint: join(root, 'checkpoint'),
      data: join(root, 'data'),
      backup: join(root, 'backup'),
    }
    mkdirSync(join(root, 'out'))
    const first = await startAgent(config(d, await freePort(), join(root, 'out')), { dir: root })
    const port2 = await freePort()
    const second = await startAgent(config(d, port2, join(root, 'out')), { dir: scratch() })
    try {
      const refusal = await second.waitFor(/cannot lock its checkpointDir/)
      assert.match(refusal, new RegExp(`process ${first.child.pid} holds it`))
      assert.match(second.output(), /Agent ready .*ready=false/)
      // Its source answers FAILED, naming the reason, instead of accepting events it cannot keep.
      const client = await LineClient.open(port2)
      await client.send(['x'])
      await client.waitReplies(1)
      assert.match(client.failed[0]?.reason ?? '', /^FAILED: File channel c1 is not open: .*cannot lock/)
      client.destroy()
      await first.stop('SIGTERM')
      await second.waitFor(/Component started after retrying/, 10_000)
      const c2 = await LineClient.open(port2)
      await c2.send(['y'])
      await c2.waitReplies(1)
      assert.deepEqual(c2.acked, ['y'])
      c2.destroy()
    } finally {
      await second.stop('SIGTERM')
      await first.stop('SIGTERM')
    }
  })

  it('pushes back on clients when the disk is full, and resumes by itself', {
    timeout: 120_000,
  }, async (t) => {
    const fs = await mountSmallFs(24 * 1024 * 1024)
    t.diagnostic(`small filesystem: ${fs.kind}`)
    const root = scratch('flumen-full-')
    try {
      const d: Dirs = {
        root,
        checkpoint: join(fs.dir, 'checkpoint'),
        data: join(fs.dir, 'data'),
        backup: join(fs.dir, 'backup'),
      }
      const port = await freePort()
      writeFileSync(join(root, 'blocker'), 'not a directory yet')
      const conf = config(d, port, join(root, 'blocker')).replace(
        'minimumRequiredSpace = 1048576',
        'minimumRequiredSpace = 8388608',
      )
      const agent = await startAgent(conf, { dir: root })
      try {
        const client = await LineClient.open(port)
        const pad = 'p'.repeat(400)
        let i = 0
        while (client.failed.length === 0) {
          await client.send(Array.from({ length: 200 }, () => `${line(i++)} ${pad}`))
          await client.waitReplies(client.sent.length)
        }
        assert.match(
          client.failed[0]?.reason ?? '',
          /^FAILED: File channel c1 refuses puts: .* below minimumRequiredSpace/,
        )
        await agent.waitFor(/File channel is short of disk space/)
        const ackedWhileFull = client.acked.length
        // Let the sink deliver: its directory appears, it drains, consumed files go, puts resume.
        renameSync(join(root, 'blocker'), join(root, 'blocker.old'))
        mkdirSync(join(root, 'blocker'))
        await eventually(() => {
          const got = new Set(outputLines(join(root, 'blocker')).map((l) => l.split(' ')[0]))
          return client.acked.every((l) => got.has(l.split(' ')[0] as string)) ? true : undefined
        }, 30_000)
        await agent.waitFor(/File channel has disk space again/, 30_000)
        await client.send(['after-full'])
        await client.waitReplies(client.sent.length)
        assert.equal(client.acked.at(-1), 'after-full', `refused: ${client.failed.at(-1)?.reason}`)
        t.diagnostic(`acked ${ackedWhileFull} lines before the disk filled; all delivered after it freed up`)
        client.destroy()
      } finally {
        await agent.stop('SIGTERM')
      }
    } finally {
      await fs.unmount()
    }
  })
})
