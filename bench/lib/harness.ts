/**
 * Benchmark harness: runs the same Flume configuration on flumen and on Apache Flume 1.11 (Java, from
 * test/peers) in the same run, measures both the same way, and reports ratios.
 *
 * Measurements, identical for both agents:
 * - throughput: wall time from the start of the load until a counter in `/metrics` (the same Flume JSON
 *   on both sides) reaches the expected value, polled every 50 ms → events/s and MB/s of body bytes;
 * - memory: peak RSS (VmHWM from /proc/<pid>/status) over the agent's life, and RSS when idle;
 * - ready: spawn to "ready" (flumen's `Agent ready` line; Java: sources started and ports listening).
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { freePort, startFlumeAgent, tempDir } from '../../test/peers/index.ts'

export const ROOT = resolve(import.meta.dirname, '../..')

export type Impl = 'flumen' | 'java'

export interface RunningAgent {
  readonly impl: Impl
  readonly pid: number
  readonly readyMs: number
  readonly dir: string
  /** Base URL of the monitoring server (`http://127.0.0.1:<port>`). */
  readonly monitoringUrl?: string
  metrics(): Promise<Record<string, Record<string, string>>>
  stop(): Promise<void>
}

export interface Result {
  readonly scenario: string
  readonly impl: Impl
  readonly events: number
  readonly seconds: number
  readonly eventsPerSec: number
  readonly mbPerSec: number
  readonly peakRssMb: number
  readonly readyMs: number
  readonly note?: string
}

/** Peak resident set (VmHWM) and current RSS of a process, in MB. */
export function rssMb(pid: number): { rss: number; peak: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0)
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
  } catch {
    return { rss: 0, peak: 0 }
  }
}

export async function startFlumen(
  config: string | ((dir: string) => string),
  opts: { name?: string; sys?: Record<string, string> } = {},
): Promise<RunningAgent> {
  const dir = tempDir('flumen-bench')
  const mon = await freePort()
  const file = join(dir, 'agent.conf')
  writeFileSync(file, typeof config === 'function' ? config(dir) : config)
  const t0 = performance.now()
  // Run the bin as users do (its shebang carries the V8 flags), with the project's Node 24 first on PATH.
  const child: ChildProcess = spawn(
    join(ROOT, 'bin/flumen.js'),
    [
      'agent',
      '-n',
      opts.name ?? 'a1',
      '-f',
      file,
      '--no-reload-conf',
      '-Dflume.root.logger=WARN,console',
      '-Dflume.monitoring.type=http',
      `-Dflume.monitoring.port=${mon}`,
      '-Dflumen.log.format=json',
      ...Object.entries(opts.sys ?? {}).map(([k, v]) => `-D${k}=${v}`),
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
    },
  )
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  // Readiness: the monitoring port answers and every source reports its start time.
  let readyMs = 0
  for (;;) {
    if (child.exitCode !== null) throw new Error(`flumen exited before ready:\n${out}`)
    try {
      const r = await fetch(`http://127.0.0.1:${mon}/metrics`)
      if (r.ok) {
        readyMs = performance.now() - t0
        break
      }
    } catch {}
    if (performance.now() - t0 > 30_000) throw new Error(`flumen not ready after 30 s:\n${out}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  const pid = child.pid as number
  return {
    impl: 'flumen',
    pid,
    readyMs,
    dir,
    monitoringUrl: `http://127.0.0.1:${mon}`,
    metrics: async () =>
      (await (await fetch(`http://127.0.0.1:${mon}/metrics`)).json()) as Record<
        string,
        Record<string, string>
      >,
    stop: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('close', r))
    },
  }
}

export async function startJava(
  config: string | ((dir: string) => string),
  opts: { name?: string; heapMb?: number } = {},
): Promise<RunningAgent> {
  const agent = await startFlumeAgent({
    config: typeof config === 'function' ? ({ dir }) => config(dir) : config,
    name: opts.name ?? 'a1',
    heapMb: opts.heapMb ?? 1024,
  })
  return {
    impl: 'java',
    pid: agent.pid,
    readyMs: agent.readyMs,
    dir: agent.dir,
    metrics: () => agent.metrics(),
    stop: async () => {
      await agent.stop()
    },
  }
}

export const start = (
  impl: Impl,
  config: string | ((dir: string) => string),
  opts: { name?: string } = {},
) => (impl === 'flumen' ? startFlumen(config, opts) : startJava(config, opts))

/**
 * Polls /metrics until `pick(metrics) >= target`; returns seconds elapsed and the peak RSS seen. The start
 * is `t0` (epoch ms), or, for loads the agent generates itself, the `StartTime` the agent reports for
 * `startGroup` (both agents report it the same way in their Flume JSON).
 */
export async function waitForCount(
  agent: RunningAgent,
  pick: (m: Record<string, Record<string, string>>) => number,
  target: number,
  t0: number | { startGroup: string },
  timeoutMs = 600_000,
): Promise<{ seconds: number; peakRssMb: number }> {
  let peak = 0
  const began = Date.now()
  for (;;) {
    peak = Math.max(peak, rssMb(agent.pid).peak)
    const m = await agent.metrics()
    if (pick(m) >= target) {
      const start = typeof t0 === 'number' ? t0 : Number(m[t0.startGroup]?.StartTime)
      return { seconds: (Date.now() - start) / 1000, peakRssMb: Math.max(peak, rssMb(agent.pid).peak) }
    }
    if (Date.now() - began > timeoutMs)
      throw new Error(`${agent.impl}: counter stuck at ${pick(m)} of ${target}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const counter = (group: string, attr: string) => (m: Record<string, Record<string, string>>) =>
  Number(m[group]?.[attr] ?? 0)

export interface Scenario {
  readonly name: string
  /** Issue area, for grouping in the report. */
  readonly area: string
  readonly description: string
  run(impl: Impl): Promise<Result>
}

export function result(
  scenario: string,
  impl: Impl,
  events: number,
  bodyBytes: number,
  m: { seconds: number; peakRssMb: number },
  readyMs: number,
  note?: string,
): Result {
  return {
    scenario,
    impl,
    events,
    seconds: m.seconds,
    eventsPerSec: events / m.seconds,
    mbPerSec: bodyBytes / m.seconds / 1e6,
    peakRssMb: m.peakRssMb,
    readyMs,
    ...(note === undefined ? {} : { note }),
  }
}

/** CPU time (user + system) a process has used so far, in ms (from /proc, 100 Hz clock ticks); 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[11]) + Number(rest[12])) * 10
  } catch {
    return 0
  }
}
