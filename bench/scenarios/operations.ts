/**
 * Operations benchmarks (issue 9), the same configuration on flumen and on Java Flume 1.11:
 *
 * - reload under load: StressSource at a fixed 20,000 events/s (100-byte bodies) → memory channel → null
 *   sink; after a 3 s warm-up the sink's batch size is changed in the config file. flumen is told with
 *   SIGHUP; Java Flume polls the file every second (`-i 1`, its fastest setting). Measured over the 8 s
 *   from the edit: events taken from the channel (throughput across the reload), the time until the new
 *   configuration ran (a component's StartTime changed), which components restarted, and the longest gap
 *   in delivery. Flume stops and restarts every component; flumen only the sink.
 * - idle agent with the monitoring server (flumen only, Java has no dashboard): resident memory before
 *   and after the dashboard is first opened.
 */

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startFlumeAgent } from '../../test/peers/index.ts'
import { type Impl, type RunningAgent, result, rssMb, type Scenario, startFlumen } from '../lib/harness.ts'

const RATE = 20_000
const WINDOW_MS = 8000

const config = (batch: number) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.StressSource
a1.sources.r1.maxEventsPerSecond = ${RATE}
a1.sources.r1.batchSize = 100
a1.sources.r1.size = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 200000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.byteCapacity = 0
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = ${batch}
a1.sinks.k1.channel = c1
`

interface Reloadable {
  readonly agent: RunningAgent
  /** Writes the new configuration and tells the agent (or lets it find out). */
  reload(text: string): void
}

async function startReloadable(impl: Impl): Promise<Reloadable> {
  if (impl === 'flumen') {
    const agent = await startFlumen(config(100))
    return {
      agent,
      reload(text) {
        writeFileSync(join(agent.dir, 'agent.conf'), text)
        process.kill(agent.pid, 'SIGHUP')
      },
    }
  }
  const java = await startFlumeAgent({
    config: config(100),
    name: 'a1',
    heapMb: 1024,
    reloadConf: true,
    pollIntervalSec: 1,
  })
  const agent: RunningAgent = {
    impl: 'java',
    pid: java.pid as number,
    readyMs: java.readyMs,
    dir: java.dir,
    metrics: () => java.metrics(),
    stop: async () => {
      await java.stop()
    },
  }
  return {
    agent,
    reload(text) {
      writeFileSync(java.configFile, text)
    },
  }
}

const startTimes = (m: Record<string, Record<string, string>>) =>
  new Map(Object.entries(m).map(([k, v]) => [k, v.StartTime]))

const reloadUnderLoad: Scenario = {
  name: 'reload under load (sink batch size change)',
  area: 'operations',
  description: 'Throughput, time to apply and restarted components when a sink setting changes at 20k ev/s.',
  async run(impl: Impl) {
    const { agent, reload } = await startReloadable(impl)
    try {
      await new Promise((r) => setTimeout(r, 3000))
      const before = startTimes(await agent.metrics())
      let last = Number((await agent.metrics())['CHANNEL.c1']?.EventTakeSuccessCount ?? 0)
      let taken = 0
      let peak = 0
      let lastMove = Date.now()
      let maxGap = 0
      let appliedMs: number | undefined
      let restarted: string[] = []
      const t0 = Date.now()
      reload(config(500))
      while (Date.now() - t0 < WINDOW_MS) {
        await new Promise((r) => setTimeout(r, 50))
        let m: Record<string, Record<string, string>>
        try {
          m = await agent.metrics()
        } catch {
          continue // Flume restarts its monitoring server during a reload.
        }
        peak = Math.max(peak, rssMb(agent.pid).peak)
        const now = Number(m['CHANNEL.c1']?.EventTakeSuccessCount ?? 0)
        // A counter that went back was restarted: count from zero.
        const delta = now >= last ? now - last : now
        last = now
        taken += delta
        const t = Date.now()
        if (delta > 0) {
          maxGap = Math.max(maxGap, t - lastMove)
          lastMove = t
        }
        const changed = [...startTimes(m)].filter(([k, v]) => before.has(k) && before.get(k) !== v)
        if (appliedMs === undefined && changed.length > 0) appliedMs = t - t0
        // Java restarts its components one after the other: keep the widest set seen.
        if (changed.length > restarted.length) restarted = changed.map(([k]) => k).sort()
      }
      maxGap = Math.max(maxGap, Date.now() - lastMove)
      return result(
        this.name,
        impl,
        taken,
        taken * 100,
        { seconds: WINDOW_MS / 1000, peakRssMb: peak },
        agent.readyMs,
        `applied after ${appliedMs === undefined ? 'never' : `${appliedMs} ms`}; StartTime changed for ${restarted.join(' ') || 'nothing'}; longest delivery gap ${maxGap} ms`,
      )
    } finally {
      await agent.stop()
    }
  },
}

const idleWithDashboard: Scenario = {
  name: 'idle agent, monitoring pages opened',
  area: 'operations',
  description:
    'Resident memory of an idle agent with the monitoring server, after its pages were opened (flumen: the dashboard, its live stream for 3 s, /metrics; Java: /metrics).',
  async run(impl: Impl) {
    const idleConfig = config(100).replace(`maxEventsPerSecond = ${RATE}`, 'maxEventsPerSecond = 1')
    let agent: RunningAgent
    let base: string
    if (impl === 'flumen') {
      agent = await startFlumen(idleConfig)
      base = agent.monitoringUrl as string
    } else {
      const java = await startFlumeAgent({ config: idleConfig, name: 'a1', heapMb: 1024 })
      agent = {
        impl: 'java',
        pid: java.pid as number,
        readyMs: java.readyMs,
        dir: java.dir,
        metrics: () => java.metrics(),
        stop: async () => {
          await java.stop()
        },
      }
      base = `http://127.0.0.1:${java.monitoringPort}`
    }
    try {
      await new Promise((r) => setTimeout(r, 3000))
      const idle = rssMb(agent.pid).rss
      if (impl === 'flumen') {
        await (await fetch(`${base}/`)).text()
        await (await fetch(`${base}/dashboard.js`)).text()
        const ac = new AbortController()
        const stream = await fetch(`${base}/api/events`, { signal: ac.signal })
        const reader = (stream.body as ReadableStream<Uint8Array>).getReader()
        const until = Date.now() + 3000
        while (Date.now() < until) await reader.read()
        ac.abort()
      }
      await (await fetch(`${base}/metrics`)).text()
      await new Promise((r) => setTimeout(r, 1000))
      const after = rssMb(agent.pid).rss
      return result(
        this.name,
        impl,
        0,
        0,
        { seconds: 1, peakRssMb: after },
        agent.readyMs,
        `RSS idle ${idle.toFixed(1)} MB, after the pages ${after.toFixed(1)} MB`,
      )
    } finally {
      await agent.stop()
    }
  },
}

export const scenarios: Scenario[] = [reloadUnderLoad, idleWithDashboard]
