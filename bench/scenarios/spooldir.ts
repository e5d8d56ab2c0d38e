/**
 * Spooling directory benchmarks (issue 5), the same configuration on flumen and on Java Flume 1.11:
 * a spool directory holding BENCH_SPOOL_MB (default 1024) MB of 200-byte lines in 8 files →
 * spooldir (batchSize 1000) → memory channel (capacity 100000, transactionCapacity 10000) or file channel
 * → file_roll (batchSize 1000). MB/s of line bytes from the source's StartTime until the sink has drained
 * every line (EventDrainSuccessCount from the agent's own /metrics), and the agent's peak RSS.
 */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../test/peers/index.ts'
import {
  counter,
  type Impl,
  type Result,
  result,
  type Scenario,
  start,
  waitForCount,
} from '../lib/harness.ts'

const MB = Number(process.env.BENCH_SPOOL_MB ?? 1024)
const LINE = 200
const FILES = 8

/** Writes the spool files; returns the number of lines. Lines are 199 bytes + `\n`, all distinct. */
function writeSpool(dir: string): number {
  const perFile = Math.floor((MB * 1024 * 1024) / LINE / FILES)
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(8)
  const chunkLines = 50_000
  for (let f = 0; f < FILES; f++) {
    const path = join(dir, `app-${f}.log`)
    writeFileSync(path, '')
    for (let start = 0; start < perFile; start += chunkLines) {
      const n = Math.min(chunkLines, perFile - start)
      const buf = Buffer.allocUnsafe(n * LINE)
      for (let i = 0; i < n; i++) {
        const head = `${f} ${String(start + i).padStart(10, '0')} `
        const line = head + filler.slice(0, LINE - 1 - head.length)
        buf.write(line, i * LINE, 'latin1')
        buf[i * LINE + LINE - 1] = 0x0a
      }
      writeFileSync(path, buf, { flag: 'a' })
    }
  }
  return perFile * FILES
}

function scenario(channel: 'memory' | 'file'): Scenario {
  const name = `spooldir ${MB} MB of ${LINE} B lines → ${channel} → file_roll`
  return {
    name,
    area: 'spooldir',
    description: `spooldir (batch 1000) → ${channel} channel → file_roll (batch 1000); MB/s of lines drained.`,
    async run(impl: Impl): Promise<Result> {
      const root = tempDir('flumen-bench-spool')
      const spool = join(root, 'spool')
      const out = join(root, 'out')
      mkdirSync(spool)
      mkdirSync(out)
      try {
        const lines = writeSpool(spool)
        const channelConfig =
          channel === 'memory'
            ? `a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 10000`
            : `a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${root}/checkpoint
a1.channels.c1.dataDirs = ${root}/data
a1.channels.c1.capacity = 1000000
a1.channels.c1.transactionCapacity = 10000`
        const config = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = ${spool}
a1.sources.r1.batchSize = 1000
a1.sources.r1.deletePolicy = immediate
a1.sources.r1.channels = c1
${channelConfig}
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`
        const agent = await start(impl, config)
        try {
          const m = await waitForCount(
            agent,
            counter('SINK.k1', 'EventDrainSuccessCount'),
            lines,
            { startGroup: 'SOURCE.r1' },
            1_800_000,
          )
          return result(name, impl, lines, lines * LINE, m, agent.readyMs)
        } finally {
          await agent.stop()
        }
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    },
  }
}

export const scenarios: Scenario[] = [scenario('memory'), scenario('file')]
