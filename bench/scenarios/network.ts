/**
 * Network ingestion benchmarks (issue 6), same config text for flumen and Java Flume 1.11:
 *
 * - syslog: syslog-ng's `loggen` at full rate over 2 TCP connections (newline framing, 256-byte messages)
 *   → syslogtcp → memory → null;
 * - http: batches of 100 JSON events (~100-byte bodies) POSTed by 8 keep-alive clients → http → memory
 *   → null.
 *
 * A warm-up round of a tenth of the volume runs first on each agent (JIT on both sides), then the timed
 * round: from the first byte sent until the source has received every event and either accepted it or
 * given up on it (Flume's syslogtcp drops events its channel refuses, counted in ChannelWriteFail; flumen
 * holds the sender back instead). Dropped events are reported in the note and not counted as throughput.
 * Needs `loggen` (Debian package syslog-ng-core; .ci/run installs it).
 *
 * `npm run bench -- network`; env BENCH_SYSLOG_EVENTS (default 1,000,000), BENCH_HTTP_BATCHES (20,000).
 */

import { execFile } from 'node:child_process'
import { Agent, request } from 'node:http'
import { promisify } from 'node:util'
import { freePort } from '../../test/peers/index.ts'
import { type Impl, type RunningAgent, result, rssMb, type Scenario, start } from '../lib/harness.ts'

const run = promisify(execFile)
const SYSLOG_EVENTS = Number(process.env.BENCH_SYSLOG_EVENTS ?? 1_000_000)
const HTTP_BATCHES = Number(process.env.BENCH_HTTP_BATCHES ?? 20_000)

function config(source: string): string {
  return `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
${source}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
`
}

interface Counts {
  readonly received: number
  readonly accepted: number
  readonly failed: number
}

async function counts(agent: RunningAgent): Promise<Counts> {
  const g = (await agent.metrics())['SOURCE.r1'] ?? {}
  const n = (k: string) => Number(g[k] ?? 0)
  return {
    received: n('EventReceivedCount'),
    accepted: n('EventAcceptedCount'),
    // Flume's syslog sources count one ChannelWriteFail per dropped event; flumen retries instead.
    failed: n('ChannelWriteFail') + n('EventReadFail'),
  }
}

/** Waits until `n` events were received and each was accepted or given up on; tracks peak RSS. */
async function settle(
  agent: RunningAgent,
  n: number,
  timeoutMs = 600_000,
): Promise<Counts & { peak: number }> {
  const t0 = Date.now()
  let peak = 0
  for (;;) {
    peak = Math.max(peak, rssMb(agent.pid).peak)
    const c = await counts(agent)
    const done = agent.impl === 'java' ? c.accepted + c.failed >= c.received : c.accepted >= c.received
    if (c.received >= n && done) return { ...c, peak: Math.max(peak, rssMb(agent.pid).peak) }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`${agent.impl}: ${JSON.stringify(c)} after ${timeoutMs} ms, expected ${n} received`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

const syslogTcp: Scenario = {
  name: 'syslog TCP (loggen, 256 B) → memory → null',
  area: 'network',
  description: 'loggen at full rate, newline framing, 2 connections, into syslogtcp.',
  async run(impl: Impl) {
    const size = 256
    const port = await freePort()
    const agent = await start(
      impl,
      config(`a1.sources.r1.type = syslogtcp\na1.sources.r1.host = 127.0.0.1\na1.sources.r1.port = ${port}`),
    )
    // -n counts per connection; -I lifts loggen's default 10 s limit. Checks that loggen sent them all.
    const loggen = async (n: number) => {
      const { stdout, stderr } = await run('loggen', [
        '-S',
        '-n',
        String(n / 2),
        '-r',
        '100000000',
        '-I',
        '3600',
        '-s',
        String(size),
        '--active-connections',
        '2',
        '-Q',
        '127.0.0.1',
        String(port),
      ])
      const sent = Number(/count=(\d+)/.exec(stdout + stderr)?.[1])
      if (sent !== n) throw new Error(`loggen sent ${sent} of ${n} messages: ${stdout}${stderr}`)
    }
    try {
      const warm = Math.round(SYSLOG_EVENTS / 10)
      await loggen(warm)
      const c0 = await settle(agent, warm)
      const t0 = Date.now()
      await loggen(SYSLOG_EVENTS)
      const c1 = await settle(agent, c0.received + SYSLOG_EVENTS)
      const seconds = (Date.now() - t0) / 1000
      const accepted = c1.accepted - c0.accepted
      const dropped = c1.received - c0.received - accepted
      return result(
        this.name,
        impl,
        accepted,
        accepted * size,
        { seconds, peakRssMb: c1.peak },
        agent.readyMs,
        dropped > 0 ? `${dropped.toLocaleString('en-US')} events dropped` : undefined,
      )
    } finally {
      await agent.stop()
    }
  },
}

const httpBatches: Scenario = {
  name: 'http JSON, batches of 100 → memory → null',
  area: 'network',
  description: '8 keep-alive clients POST JSON arrays of 100 events into the http source.',
  async run(impl: Impl) {
    const perBatch = 100
    const events = Array.from({ length: perBatch }, (_, i) => ({
      headers: { host: 'web-01.example.com', seq: String(i) },
      body: `2026-11-20T22:31:00Z INFO request id=${i} path=/api/v1/items/${i % 977} status=200 bytes=51`,
    }))
    const body = Buffer.from(JSON.stringify(events))
    const bodyBytes = events.reduce((n, e) => n + Buffer.byteLength(e.body), 0)
    const port = await freePort()
    const agent = await start(
      impl,
      config(`a1.sources.r1.type = http\na1.sources.r1.bind = 127.0.0.1\na1.sources.r1.port = ${port}`),
    )
    const clients = 8
    const post = (http: Agent) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/',
            agent: http,
            headers: { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': body.length },
          },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    const load = async (n: number) => {
      const http = new Agent({ keepAlive: true, maxSockets: clients })
      let next = 0
      let refused = 0
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < n) {
            next++
            if ((await post(http)) !== 200) refused++
          }
        }),
      )
      http.destroy()
      if (refused > 0) throw new Error(`${refused} requests were not answered 200`)
    }
    try {
      const warm = Math.round(HTTP_BATCHES / 10)
      await load(warm)
      await settle(agent, warm * perBatch)
      const t0 = Date.now()
      await load(HTTP_BATCHES)
      const c = await settle(agent, (warm + HTTP_BATCHES) * perBatch)
      const seconds = (Date.now() - t0) / 1000
      return result(
        this.name,
        impl,
        HTTP_BATCHES * perBatch,
        HTTP_BATCHES * bodyBytes,
        { seconds, peakRssMb: c.peak },
        agent.readyMs,
      )
    } finally {
      await agent.stop()
    }
  },
}

export const scenarios: Scenario[] = [syslogTcp, httpBatches]
