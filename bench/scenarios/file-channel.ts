/**
 * File channel benchmarks (issue 3), the same configuration on flumen and on Java Flume 1.11:
 *
 * - throughput: StressSource(s) of 500-byte events → file channel → null sink, batch 100 and 1000, one and
 *   four concurrent sources; events/s and MB/s of bodies through the channel (takes committed), from the
 *   channel's StartTime to the last take, both read from the agent's own /metrics;
 * - the disk's own limit, in the same run and on the same filesystem: sequential appends, each followed by
 *   fdatasync, in chunks the size of one batch-1000 commit and of 4 MiB; printed with each flumen result
 *   as the share of that limit reached;
 * - replay: a channel holding 1,000,000 events (500 B) is killed with SIGKILL, then the agent restarts on
 *   the same directories; the time from spawn until the channel reports its 1,000,000 events.
 *
 * Sizes can be changed with BENCH_FC_EVENTS (throughput, per scenario) and BENCH_FC_REPLAY_EVENTS.
 */

import { mkdirSync, rmSync } from 'node:fs'
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { tempDir } from '../../test/peers/index.ts'
import { type Impl, type Result, type RunningAgent, rssMb, type Scenario, start } from '../lib/harness.ts'

const EVENTS = Number(process.env.BENCH_FC_EVENTS ?? 1_000_000)
const REPLAY_EVENTS = Number(process.env.BENCH_FC_REPLAY_EVENTS ?? 1_000_000)
const BODY = 500

type Metrics = Record<string, Record<string, string>>
const num = (m: Metrics, group: string, attr: string) => Number(m[group]?.[attr] ?? 0)

/** Sequential appends of `chunk` bytes, each followed by fdatasync, for about `ms`: bytes per second. */
export async function fsyncWriteRate(dir: string, chunk: number, ms = 2500): Promise<number> {
  const path = join(dir, `disk-probe-${chunk}`)
  const fh = await open(path, 'w')
  const buf = Buffer.alloc(chunk, 0x5a)
  let pos = 0
  const t0 = performance.now()
  try {
    while (performance.now() - t0 < ms) {
      let done = 0
      while (done < chunk) done += (await fh.write(buf, done, chunk - done, pos + done)).bytesWritten
      pos += chunk
      await fh.datasync()
    }
  } finally {
    await fh.close()
    await unlink(path)
  }
  return pos / ((performance.now() - t0) / 1000)
}

function channelConfig(dirs: string, capacity: number, txCap: number): string {
  return `a1.channels = c1
a1.channels.c1.type = file
a1.channels.c1.checkpointDir = ${dirs}/checkpoint
a1.channels.c1.dataDirs = ${dirs}/data
a1.channels.c1.capacity = ${capacity}
a1.channels.c1.transactionCapacity = ${txCap}
`
}

function stressSources(n: number, batch: number, perSource: number): string {
  const names = Array.from({ length: n }, (_, i) => `r${i + 1}`)
  let s = `a1.sources = ${names.join(' ')}\n`
  for (const r of names) {
    s += `a1.sources.${r}.type = org.apache.flume.source.StressSource
a1.sources.${r}.size = ${BODY}
a1.sources.${r}.batchSize = ${batch}
a1.sources.${r}.maxTotalEvents = ${perSource}
a1.sources.${r}.channels = c1
`
  }
  return s
}

/** Polls /metrics until `pick` reaches `target`, tracking peak RSS. Returns when it got there. */
async function waitFor(
  agent: RunningAgent,
  pick: (m: Metrics) => number,
  target: number,
  timeoutMs = 900_000,
) {
  const t0 = performance.now()
  let peak = 0
  for (;;) {
    peak = Math.max(peak, rssMb(agent.pid).peak)
    let m: Metrics | undefined
    try {
      m = await agent.metrics()
    } catch {
      m = undefined
    }
    if (m !== undefined && pick(m) >= target)
      return { at: performance.now(), peak: Math.max(peak, rssMb(agent.pid).peak), m }
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`${agent.impl}: stuck at ${m === undefined ? '?' : pick(m)} of ${target}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function kill9(agent: RunningAgent): Promise<void> {
  try {
    process.kill(agent.pid, 'SIGKILL')
  } catch {
    // already gone
  }
  await agent.stop()
}

function throughput(sources: number, batch: number): Scenario {
  const name = `file channel, ${BODY} B, batch ${batch}, ${sources} source${sources > 1 ? 's' : ''}`
  return {
    name,
    area: 'file-channel',
    description: 'StressSource → file channel → null sink; events/s through the channel (committed takes).',
    async run(impl: Impl): Promise<Result> {
      const dirs = tempDir('flumen-bench-fc')
      const perSource = Math.ceil(EVENTS / sources)
      const total = perSource * sources
      let note: string | undefined
      if (impl === 'flumen') {
        // The physical limit, measured now, on the filesystem the channel writes to.
        mkdirSync(join(dirs, 'probe'), { recursive: true })
        const recordSize = Math.round(batch * (BODY + 24) * Math.min(sources, 2))
        const atRecord = await fsyncWriteRate(join(dirs, 'probe'), recordSize)
        const at4m = await fsyncWriteRate(join(dirs, 'probe'), 4 << 20)
        note = `disk fsync'd append: ${(atRecord / 1e6).toFixed(0)} MB/s in ${Math.round(recordSize / 1024)} KiB writes, ${(at4m / 1e6).toFixed(0)} MB/s in 4 MiB writes`
        ;(globalThis as { __fcDisk?: { atRecord: number; at4m: number } }).__fcDisk = { atRecord, at4m }
      }
      const config = `${stressSources(sources, batch, perSource)}${channelConfig(dirs, Math.max(2_000_000, total), Math.max(batch, 100))}a1.sinks = k1
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = ${batch}
a1.sinks.k1.channel = c1
`
      const agent = await start(impl, config)
      try {
        // The clock starts at the channel's StartTime (epoch ms, reported the same way by both agents; both
        // start channels first, then the sink, then the sources) and stops when the last event was taken.
        const end = await waitFor(agent, (m) => num(m, 'CHANNEL.c1', 'EventTakeSuccessCount'), total)
        const endAt = Date.now()
        const began = num(end.m, 'CHANNEL.c1', 'StartTime')
        const seconds = (endAt - began) / 1000
        const events = total
        const r: Result = {
          scenario: name,
          impl,
          events,
          seconds,
          eventsPerSec: events / seconds,
          mbPerSec: (events * BODY) / seconds / 1e6,
          peakRssMb: end.peak,
          readyMs: agent.readyMs,
        }
        const disk = (globalThis as { __fcDisk?: { atRecord: number; at4m: number } }).__fcDisk
        if (impl === 'flumen' && disk !== undefined) {
          // Bytes the channel writes per event: body + record framing (~24 B), plus the take records.
          const written = r.eventsPerSec * (BODY + 24)
          note += `; channel writes ≈ ${(written / 1e6).toFixed(0)} MB/s = ${((100 * written) / disk.atRecord).toFixed(0)}% / ${((100 * written) / disk.at4m).toFixed(0)}% of them`
        }
        return note === undefined ? r : { ...r, note }
      } finally {
        await agent.stop()
        rmSync(dirs, { recursive: true, force: true })
      }
    },
  }
}

const replay: Scenario = {
  name: `file channel replay of ${REPLAY_EVENTS.toLocaleString('en-US')} events after kill -9`,
  area: 'file-channel',
  description:
    'Fill a file channel (no sink), SIGKILL the agent, restart on the same directories; events/s = events ÷ time from spawn to channel open.',
  async run(impl: Impl): Promise<Result> {
    const dirs = tempDir('flumen-bench-fcr')
    const fill = `${stressSources(1, 1000, REPLAY_EVENTS)}${channelConfig(dirs, REPLAY_EVENTS + 1000, 1000)}`
    try {
      const filler = await start(impl, fill)
      try {
        await waitFor(filler, (m) => num(m, 'CHANNEL.c1', 'ChannelSize'), REPLAY_EVENTS)
      } finally {
        await kill9(filler)
      }
      // Restart with an idle source on the same directories: the replay is all the agent does.
      const idle = `a1.sources = r1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 0
a1.sources.r1.channels = c1
${channelConfig(dirs, REPLAY_EVENTS + 1000, 1000)}`
      const t0 = performance.now()
      const agent = await start(
        impl,
        idle.replace('port = 0', `port = ${20000 + Math.floor(Math.random() * 20000)}`),
      )
      try {
        const end = await waitFor(agent, (m) => num(m, 'CHANNEL.c1', 'ChannelSize'), REPLAY_EVENTS)
        const seconds = (end.at - t0) / 1000
        return {
          scenario: this.name,
          impl,
          events: REPLAY_EVENTS,
          seconds,
          eventsPerSec: REPLAY_EVENTS / seconds,
          mbPerSec: (REPLAY_EVENTS * BODY) / seconds / 1e6,
          peakRssMb: end.peak,
          readyMs: agent.readyMs,
          note: `replay + start: ${seconds.toFixed(2)} s`,
        }
      } finally {
        await agent.stop()
      }
    } finally {
      rmSync(dirs, { recursive: true, force: true })
    }
  },
}

export const scenarios: Scenario[] = [
  throughput(1, 100),
  throughput(1, 1000),
  throughput(4, 100),
  throughput(4, 1000),
  replay,
]
