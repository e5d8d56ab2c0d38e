/**
 * Foundation benchmarks (issue 2): seq → memory → null, netcat → memory → file_roll, and an idle agent.
 * Same config text for flumen and Java Flume.
 */

import { mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { freePort } from '../../test/peers/index.ts'
import { counter, type Impl, result, rssMb, type Scenario, start, waitForCount } from '../lib/harness.ts'

const SEQ_EVENTS = Number(process.env.BENCH_SEQ_EVENTS ?? 5_000_000)
const NETCAT_EVENTS = Number(process.env.BENCH_NETCAT_EVENTS ?? 200_000)

const seqNull: Scenario = {
  name: 'seq → memory → null (batch 1000)',
  area: 'core',
  description: 'Raw pipeline overhead: generated events through the memory channel into the null sink.',
  async run(impl: Impl) {
    const config = `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.batchSize = 1000
a1.sources.r1.totalEvents = ${SEQ_EVENTS}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.channels.c1.byteCapacity = 0
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
`
    const agent = await start(impl, config)
    try {
      // The seq source starts with the agent: time from the source's own StartTime.
      const m = await waitForCount(agent, counter('CHANNEL.c1', 'EventTakeSuccessCount'), SEQ_EVENTS, {
        startGroup: 'SOURCE.r1',
      })
      // Bodies are the decimal counter: average length of the numbers 0..N-1.
      let bytes = 0
      for (let d = 1, lo = 0; lo < SEQ_EVENTS; d++, lo = 10 ** (d - 1))
        bytes += d * (Math.min(SEQ_EVENTS, 10 ** d) - lo)
      return result(this.name, impl, SEQ_EVENTS, bytes, m, agent.readyMs)
    } finally {
      await agent.stop()
    }
  },
}

const netcatFileRoll: Scenario = {
  name: 'netcat → memory → file_roll (100 B lines)',
  area: 'core',
  description: 'One TCP client streaming lines (each acknowledged with OK) into rolled files.',
  async run(impl: Impl) {
    const port = await freePort()
    const agent = await start(impl, (dir) => {
      // Flume's file_roll does not create its directory.
      mkdirSync(join(dir, 'out'), { recursive: true })
      return `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${dir}/out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`
    })
    try {
      const line = `${'x'.repeat(99)}\n`
      const t0 = Date.now()
      await new Promise<void>((resolve, reject) => {
        const s = connect(port, '127.0.0.1')
        let acks = 0
        s.on('data', (d: Buffer) => {
          for (let i = 0; i < d.length; i++) if (d[i] === 0x0a) acks++
          if (acks >= NETCAT_EVENTS) {
            s.end()
            resolve()
          }
        })
        s.on('error', reject)
        s.on('connect', () => {
          let sent = 0
          const pump = () => {
            while (sent < NETCAT_EVENTS) {
              const chunk = line.repeat(Math.min(1000, NETCAT_EVENTS - sent))
              sent += Math.min(1000, NETCAT_EVENTS - sent)
              if (!s.write(chunk)) {
                s.once('drain', pump)
                return
              }
            }
          }
          pump()
        })
      })
      const m = await waitForCount(agent, counter('SINK.k1', 'EventDrainSuccessCount'), NETCAT_EVENTS, t0)
      return result(this.name, impl, NETCAT_EVENTS, NETCAT_EVENTS * 99, m, agent.readyMs)
    } finally {
      await agent.stop()
    }
  },
}

const idle: Scenario = {
  name: 'idle agent (netcat → memory → logger)',
  area: 'core',
  description: 'The user-guide example agent at rest: resident memory after 3 s and time to ready.',
  async run(impl: Impl) {
    const port = await freePort()
    const agent = await start(
      impl,
      `
a1.sources = r1
a1.sinks = k1
a1.channels = c1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sinks.k1.type = logger
a1.channels.c1.type = memory
a1.channels.c1.capacity = 1000
a1.channels.c1.transactionCapacity = 100
a1.sources.r1.channels = c1
a1.sinks.k1.channel = c1
`,
    )
    try {
      await new Promise((r) => setTimeout(r, 3000))
      const rss = rssMb(agent.pid).rss
      return {
        ...result(this.name, impl, 0, 0, { seconds: 1, peakRssMb: rss }, agent.readyMs),
        note: `idle RSS ${rss.toFixed(0)} MB`,
      }
    } finally {
      await agent.stop()
    }
  },
}

export const scenarios: Scenario[] = [seqNull, netcatFileRoll, idle]
