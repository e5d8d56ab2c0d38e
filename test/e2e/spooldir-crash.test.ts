/**
 * Spooldir crash test with the real CLI: large files → spooldir (batch 1000) → durable file channel →
 * file_roll (batch 100). The agent is killed with SIGKILL three times while it reads, restarted each time,
 * then allowed to finish. Every line must arrive; duplicates are counted and must stay within what one
 * crash can re-deliver: the source batch whose position was not yet recorded plus the sink batch written
 * but not yet committed, per kill.
 */

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { META_FILE_NAME, parseMeta } from '../../src/sources/spooldir/tracker.ts'
import { eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledFiles } from '../helpers/files.ts'

const root = tempDir('flumen-spool-crash-')
after(() => rmSync(root, { recursive: true, force: true }))

const FILES = 4
const LINES = 100_000
const SOURCE_BATCH = 1000
const SINK_BATCH = 100
const KILLS = 3

function countLines(out: string): { total: number; distinct: Map<string, number>; torn: number } {
  const distinct = new Map<string, number>()
  let total = 0
  let torn = 0
  if (!existsSync(out)) return { total, distinct, torn }
  for (const f of rolledFiles(out)) {
    const text = readFileSync(join(out, f), 'latin1')
    for (const l of text.split('\n')) {
      if (l.length === 0) continue
      if (!/^f\d-\d{6} x+$/.test(l)) {
        torn++
        continue
      }
      total++
      distinct.set(l, (distinct.get(l) ?? 0) + 1)
    }
  }
  return { total, distinct, torn }
}

describe('spooldir crash/restart (real CLI, file channel)', () => {
  it('SIGKILL while reading large files: every line delivered, duplicates bounded', {
    timeout: 300_000,
  }, async () => {
    const spool = join(root, 'spool')
    const out = join(root, 'out')
    mkdirSync(spool)
    const pad = 'x'.repeat(80)
    for (let f = 0; f < FILES; f++) {
      const lines: string[] = []
      for (let i = 0; i < LINES; i++) lines.push(`f${f}-${String(i).padStart(6, '0')} ${pad}`)
      writeFileSync(join(spool, `part-${f}.log`), `${lines.join('\n')}\n`)
    }
    const config = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = ${spool}
a1.sources.r1.batchSize = ${SOURCE_BATCH}
a1.sources.r1.pollDelay = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${root}/checkpoint
a1.channels.c1.dataDirs = ${root}/data
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = ${SOURCE_BATCH}
a1.channels.c1.checkpointInterval = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = ${SINK_BATCH}
`
    const total = FILES * LINES
    const fileSize = LINES * (pad.length + 11)
    const offsetsAtKill: number[] = []
    for (let k = 1; k <= KILLS; k++) {
      const agent = await startAgent(config, { dir: join(root, `run${k}`), ...mkdir(join(root, `run${k}`)) })
      // Kill it in the middle of file k-1: some files done, the current one half read (its position in
      // the tracker file past the middle).
      await eventually(
        () => {
          const done = readdirSync(spool).filter((f) => f.endsWith('.COMPLETED')).length
          const meta = parseMeta(readFileSync(join(spool, '.flumespool', META_FILE_NAME), { flag: 'r' }))
          return done === k - 1 && meta !== undefined && meta.offset > fileSize / 2 && meta.offset < fileSize
            ? true
            : undefined
        },
        120_000,
        5,
      )
      await agent.stop('SIGKILL')
      offsetsAtKill.push(parseMeta(readFileSync(join(spool, '.flumespool', META_FILE_NAME)))?.offset ?? -1)
    }
    const agent = await startAgent(config, { dir: join(root, 'final'), ...mkdir(join(root, 'final')) })
    await eventually(
      () => (readdirSync(spool).filter((f) => f.endsWith('.COMPLETED')).length === FILES ? true : undefined),
      180_000,
      100,
    )
    await eventually(() => (countLines(out).distinct.size >= total ? true : undefined), 120_000, 100)
    await agent.stop()
    const c = countLines(out)
    assert.equal(c.distinct.size, total, 'every line delivered')
    const duplicates = c.total - c.distinct.size
    const bound = KILLS * (SOURCE_BATCH + SINK_BATCH)
    console.log(
      `spooldir crash test: ${KILLS} kills at source offsets ${offsetsAtKill.join(', ')} of ${fileSize}, ` +
        `${duplicates} duplicate lines (bound ${bound}), ${c.torn} torn`,
    )
    assert.ok(
      offsetsAtKill.every((o) => o > 0 && o < fileSize),
      'each kill hit a half-read file',
    )
    assert.ok(duplicates <= bound, `${duplicates} duplicates > ${bound}`)
    assert.equal(c.torn, 0)
  })
})

function mkdir(d: string): Record<string, never> {
  mkdirSync(d, { recursive: true })
  return {}
}
