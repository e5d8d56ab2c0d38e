/**
 * RPC benchmarks (issue 4), same config text for flumen and Java Flume 1.11, load from Java Flume's own
 * RpcClient (NettyAvroRpcClient) in both cases — bench/java/FlumeLoad.java: 4 threads in one JVM, each
 * with its own client and connection, batches of 100, 500-byte bodies:
 *
 * - avro source → memory → null;
 * - a two-hop avro chain: agent A (avro source → memory → avro sink) → agent B (avro source → memory →
 *   null), the load into A; peak RSS is A's plus B's.
 *
 * Timing is read from the agents themselves, the same way for both: from the first poll that sees the
 * entry source accept events to the poll that sees the last hop's channel give up every event
 * (EventTakeSuccessCount; Java's null sink has no counters of its own). The generator's JVM start-up and
 * JIT warm-up before the first batch are thus outside the measurement for both agents.
 */

import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { freePort, provision, runJava } from '../../test/peers/index.ts'
import { counter, type Impl, type Result, ROOT, result, rssMb, type Scenario, start } from '../lib/harness.ts'

const THREADS = 4
const PER_THREAD = Number(process.env.BENCH_RPC_EVENTS ?? 250_000)
const BODY_BYTES = 500
const BATCH = 100

/** Compiles FlumeLoad.java against Flume's jars once (cached by content hash); returns the classpath. */
async function loadGenerator(): Promise<string> {
  const { classpath } = await provision('flume')
  const src = join(ROOT, 'bench/java/FlumeLoad.java')
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16)
  const out = join(process.env.FLUMEN_PEERS_CACHE ?? join(homedir(), '.cache/flumen-peers'), 'bench', hash)
  if (!existsSync(join(out, 'FlumeLoad.class'))) {
    mkdirSync(out, { recursive: true })
    execFileSync('javac', ['-cp', classpath, '-d', out, src])
  }
  return `${out}:${classpath}`
}

/** Runs the flumen-SDK generator (bench/lib/rpc-load.ts) in its own process. */
function sendWithFlumenClient(port: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(ROOT, 'node_modules/.bin/node'),
      [
        join(ROOT, 'bench/lib/rpc-load.ts'),
        String(port),
        String(THREADS),
        String(PER_THREAD),
        String(BATCH),
        String(BODY_BYTES),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`rpc-load exited ${code}`))))
  })
}

/** Runs the Java generator against `port`; resolves when every batch was acknowledged. */
async function send(port: number): Promise<unknown> {
  return runJava({
    classpath: await loadGenerator(),
    main: 'FlumeLoad',
    args: ['127.0.0.1', String(port), String(THREADS), String(PER_THREAD), String(BATCH), String(BODY_BYTES)],
    // C2 on (the runner's tool default is C1 only): the generator runs long enough to need it.
    jvm: [
      '-XX:TieredStopAtLevel=4',
      '-Xmx512m',
      '-Dlog4j.configurationFile=' + join(ROOT, 'test/peers/flume/tools-log4j2.xml'),
    ],
    timeoutMs: 900_000,
  })
}

const channel = (agent: string) => `
${agent}.channels.c1.type = memory
${agent}.channels.c1.capacity = 100000
${agent}.channels.c1.transactionCapacity = 1000
${agent}.channels.c1.byteCapacity = 0
`

function sourceOnly(generator: 'java' | 'flumen'): Scenario {
  return {
    name: `avro (${generator === 'java' ? 'Java' : 'flumen'} RpcClient ×4) → memory → null`,
    area: 'rpc',
    description:
      generator === 'java'
        ? 'Avro source throughput: 4 connections of Java RpcClients, batches of 100, 500-byte events.'
        : "The same with flumen's RpcClient as the load (cheaper per batch than Java's): the agents' capacity.",
    async run(impl: Impl): Promise<Result> {
      const port = await freePort()
      const agent = await start(
        impl,
        `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
${channel('a1')}
a1.sinks.k1.type = null
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.channel = c1
`,
      )
      try {
        const total = THREADS * PER_THREAD
        const sending = generator === 'java' ? send(port) : sendWithFlumenClient(port)
        const m = await waitAll(
          [agent],
          () => agent.metrics().then(counter('SOURCE.r1', 'EventAcceptedCount')),
          () => agent.metrics().then(counter('CHANNEL.c1', 'EventTakeSuccessCount')),
          total,
          sending,
        )
        return result(this.name, impl, total, total * BODY_BYTES, m, agent.readyMs)
      } finally {
        await agent.stop()
      }
    },
  }
}

function twoHop(generator: 'java' | 'flumen'): Scenario {
  return {
    name: `two-hop avro chain A → B (${generator === 'java' ? 'Java' : 'flumen'} RpcClient ×4)`,
    area: 'rpc',
    description: 'avro → memory → avro sink → avro → memory → null; peak RSS is both agents together.',
    async run(impl: Impl): Promise<Result> {
      const portA = await freePort()
      const portB = await freePort()
      const b = await start(
        impl,
        `
b.sources = r1
b.channels = c1
b.sinks = k1
b.sources.r1.type = avro
b.sources.r1.bind = 127.0.0.1
b.sources.r1.port = ${portB}
b.sources.r1.channels = c1
${channel('b')}
b.sinks.k1.type = null
b.sinks.k1.batchSize = 1000
b.sinks.k1.channel = c1
`,
        { name: 'b' },
      )
      const a = await start(
        impl,
        `
a.sources = r1
a.channels = c1
a.sinks = k1
a.sources.r1.type = avro
a.sources.r1.bind = 127.0.0.1
a.sources.r1.port = ${portA}
a.sources.r1.channels = c1
${channel('a')}
a.sinks.k1.type = avro
a.sinks.k1.hostname = 127.0.0.1
a.sinks.k1.port = ${portB}
a.sinks.k1.batch-size = 1000
a.sinks.k1.channel = c1
`,
        { name: 'a' },
      )
      try {
        const total = THREADS * PER_THREAD
        const sending = generator === 'java' ? send(portA) : sendWithFlumenClient(portA)
        const m = await waitAll(
          [a, b],
          () => a.metrics().then(counter('SOURCE.r1', 'EventAcceptedCount')),
          () => b.metrics().then(counter('CHANNEL.c1', 'EventTakeSuccessCount')),
          total,
          sending,
        )
        return result(
          this.name,
          impl,
          total,
          total * BODY_BYTES,
          m,
          Math.max(a.readyMs, b.readyMs),
          'peak RSS = A + B',
        )
      } finally {
        await Promise.all([a.stop(), b.stop()])
      }
    },
  }
}

/**
 * Polls both counters every 20 ms: the clock starts at the first poll where `first` > 0 and stops at the
 * first where `last` reaches `target`. Peak RSS is the sum of the agents' peaks. A generator failure aborts.
 */
async function waitAll(
  agents: readonly { pid: number; impl: Impl }[],
  first: () => Promise<number>,
  last: () => Promise<number>,
  target: number,
  sending: Promise<unknown>,
): Promise<{ seconds: number; peakRssMb: number }> {
  let failed: unknown
  sending.catch((e: unknown) => {
    failed = e
  })
  const peaks = agents.map(() => 0)
  const sample = () =>
    agents.forEach((a, i) => {
      peaks[i] = Math.max(peaks[i] as number, rssMb(a.pid).peak)
    })
  const began = Date.now()
  let t0 = 0
  for (;;) {
    sample()
    if (failed !== undefined) throw failed
    if (t0 === 0 && (await first()) > 0) t0 = Date.now()
    const n = await last()
    if (n >= target) {
      sample()
      return { seconds: (Date.now() - t0) / 1000, peakRssMb: peaks.reduce((x, y) => x + y, 0) }
    }
    if (Date.now() - began > 900_000) throw new Error(`counter stuck at ${n} of ${target}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const scenarios: Scenario[] = [
  sourceOnly('java'),
  twoHop('java'),
  sourceOnly('flumen'),
  twoHop('flumen'),
]
