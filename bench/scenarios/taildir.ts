/**
 * TAILDIR benchmarks (issue 5), the same configuration on flumen and on Java Flume 1.11:
 *
 * - catch-up: 10 files written before the start (BENCH_TAILDIR_LINES lines of 200 bytes in all, default
 *   1,000,000 = 200 MB) → memory channel (large enough for all of them) → null sink; MB/s of line bodies
 *   from the source's StartTime until its EventAcceptedCount reaches the total (both agents report both
 *   in their /metrics JSON);
 * - steady: 10 files each appended at a steady rate (BENCH_TAILDIR_RATE MB/s in all, default 20, for
 *   BENCH_TAILDIR_SECONDS, default 15) while the agent runs; both keep up, so the figures that matter are
 *   the agent's CPU time per MB (utime + stime from /proc) and the lag from the last write to the last
 *   delivered line. MB/s is bytes ÷ (write time + lag).
 *
 * Both use batchSize 1000 on the source and sink, backoffSleepIncrement 100 / maxBackoffSleep 500 (so
 * neither agent sleeps seconds between polls of a growing file), and the positions file in a temp dir.
 */

import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { tempDir } from '../../test/peers/index.ts'
import {
  counter,
  cpuMs,
  type Impl,
  type Result,
  result,
  type Scenario,
  start,
  waitForCount,
} from '../lib/harness.ts'

const LINES = Number(process.env.BENCH_TAILDIR_LINES ?? 1_000_000)
const RATE_MB = Number(process.env.BENCH_TAILDIR_RATE ?? 20)
const SECONDS = Number(process.env.BENCH_TAILDIR_SECONDS ?? 15)
const FILES = 10
const LINE = 200 // bytes with the newline

function config(logs: string, pos: string, capacity = 100_000): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.channels = c1
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = ${logs}/app-.*\\\\.log
a1.sources.r1.positionFile = ${pos}
a1.sources.r1.batchSize = 1000
a1.sources.r1.backoffSleepIncrement = 100
a1.sources.r1.maxBackoffSleep = 500
a1.channels.c1.type = memory
a1.channels.c1.capacity = ${capacity}
a1.channels.c1.byteCapacity = 800000000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
`
}

/** `n` lines of exactly LINE bytes, numbered from `from`. */
function block(file: number, from: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n * LINE)
  const pad = 'x'.repeat(LINE)
  for (let i = 0; i < n; i++) {
    const head = `f${file} ${String(from + i).padStart(10, '0')} `
    b.write(head + pad.slice(head.length + 1), i * LINE, 'latin1')
    b[i * LINE + LINE - 1] = 10
  }
  return b
}

const taken = counter('CHANNEL.c1', 'EventTakeSuccessCount')
const accepted = counter('SOURCE.r1', 'EventAcceptedCount')

const catchUp: Scenario = {
  name: `taildir catch-up, ${FILES} files, ${(LINES / 1e6).toFixed(1)}M × ${LINE} B`,
  area: 'taildir',
  description: 'Pre-written files → TAILDIR → memory → null; MB/s from source start to the last take.',
  async run(impl: Impl): Promise<Result> {
    const root = tempDir('flumen-bench-taildir')
    const logs = join(root, 'logs')
    mkdirSync(logs)
    const per = Math.ceil(LINES / FILES)
    for (let f = 0; f < FILES; f++) {
      const fd = openSync(join(logs, `app-${f}.log`), 'w')
      for (let i = 0; i < per; i += 10_000) writeSync(fd, block(f, i, Math.min(10_000, per - i)))
      closeSync(fd)
    }
    const total = per * FILES
    try {
      // The channel holds every line, so the source never waits for the sink's runner back-off (up to
      // 5 s whenever the null sink empties the channel): the figure is the source's own read rate.
      const agent = await start(impl, config(logs, join(root, 'pos.json'), total + 1000))
      try {
        const cpu0 = cpuMs(agent.pid) / 1000
        const m = await waitForCount(agent, accepted, total, { startGroup: 'SOURCE.r1' })
        const cpu = cpuMs(agent.pid) / 1000 - cpu0
        const mb = (total * LINE) / 1e6
        return result(
          this.name,
          impl,
          total,
          total * (LINE - 1),
          m,
          agent.readyMs,
          `agent CPU after ready ${cpu.toFixed(1)} s = ${((1000 * cpu) / mb).toFixed(1)} ms per MB`,
        )
      } finally {
        await agent.stop()
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  },
}

const steady: Scenario = {
  name: `taildir steady, ${FILES} files growing, ${RATE_MB} MB/s`,
  area: 'taildir',
  description: `${FILES} files appended at ${RATE_MB} MB/s in all for ${SECONDS} s while the agent runs; CPU per MB and lag.`,
  async run(impl: Impl): Promise<Result> {
    const root = tempDir('flumen-bench-taildir')
    const logs = join(root, 'logs')
    mkdirSync(logs)
    const fds = Array.from({ length: FILES }, (_, f) => openSync(join(logs, `app-${f}.log`), 'a'))
    try {
      const agent = await start(impl, config(logs, join(root, 'pos.json')))
      try {
        const tickMs = 50
        const linesPerTick = Math.max(1, Math.round((RATE_MB * 1e6 * tickMs) / 1000 / LINE / FILES))
        const ticks = Math.round((SECONDS * 1000) / tickMs)
        const cpu0 = cpuMs(agent.pid) / 1000
        const t0 = performance.now()
        const epoch0 = Date.now()
        let written = 0
        for (let t = 0; t < ticks; t++) {
          for (let f = 0; f < FILES; f++)
            writeSync(fds[f] as number, block(f, t * linesPerTick, linesPerTick))
          written += linesPerTick * FILES
          const next = t0 + (t + 1) * tickMs
          const wait = next - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        }
        const wroteAt = Date.now()
        const m = await waitForCount(agent, taken, written, epoch0)
        const lagMs = Date.now() - wroteAt
        const cpu = cpuMs(agent.pid) / 1000 - cpu0
        const mb = (written * LINE) / 1e6
        return result(
          this.name,
          impl,
          written,
          written * (LINE - 1),
          m,
          agent.readyMs,
          `agent CPU ${cpu.toFixed(1)} s = ${((1000 * cpu) / mb).toFixed(1)} ms per MB; lag after the last write ${lagMs} ms`,
        )
      } finally {
        await agent.stop()
      }
    } finally {
      for (const fd of fds) closeSync(fd)
      rmSync(root, { recursive: true, force: true })
    }
  },
}

export const scenarios: Scenario[] = [catchUp, steady]
