/**
 * Multi-agent flows with real flumen processes linked by avro sinks and sources: fan-in, fan-out
 * (replicating), a failover sink group whose primary collector is SIGKILLed mid-load, and a load-balanced
 * group across two collectors with one going down and coming back.
 *
 * The test client sends batches with unique `id` headers and records each batch the entry agent
 * acknowledged; collectors write with file_roll + avro_event, read back at the end. The channel type is a
 * parameter (FLUMEN_FLOW_CHANNEL, default `file`): with file channels on both sides no acknowledged event
 * may be missing, killed collectors included (they are restarted on the same directories and replay).
 * With memory channels, what sat in a SIGKILLed collector's channel is gone by design, so those tests
 * bound the loss by the channel's capacity instead, and check everything acknowledged after the kill.
 */

import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { RpcClient } from '../../src/client/index.ts'
import { avroEventsIn } from '../helpers/avro-files.ts'
import { type AgentProcess, eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'

type ChannelKind = 'memory' | 'file'

/** File channels on both sides (the no-loss guarantee); FLUMEN_FLOW_CHANNEL=memory runs the same flows on memory. */
const CHANNEL: ChannelKind = process.env.FLUMEN_FLOW_CHANNEL === 'memory' ? 'memory' : 'file'
const MEMORY_CAPACITY = 2000

function channel(agent: string, name: string, dir: string, kind: ChannelKind = CHANNEL): string {
  const c = `${agent}.channels.${name}`
  if (kind === 'file') {
    return [
      `${c}.type = file`,
      `${c}.checkpointDir = ${dir}/${name}/checkpoint`,
      `${c}.dataDirs = ${dir}/${name}/data`,
      `${c}.capacity = 100000`,
      `${c}.transactionCapacity = 1000`,
      `${c}.minimumRequiredSpace = 1048576`,
    ].join('\n')
  }
  return [`${c}.type = memory`, `${c}.capacity = ${MEMORY_CAPACITY}`, `${c}.transactionCapacity = 1000`].join(
    '\n',
  )
}

const running = new Set<AgentProcess>()
after(async () => {
  await Promise.all([...running].map((a) => a.stop('SIGKILL')))
})

async function run(config: string, dir: string): Promise<AgentProcess> {
  const a = await startAgent(config, { dir })
  running.add(a)
  void a.exited.then(() => running.delete(a))
  return a
}

/** A collector: avro source → channel → file_roll (avro_event) in `<dir>/out`. */
function collectorConfig(dir: string, port: number): string {
  mkdirSync(join(dir, 'out'), { recursive: true })
  return `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
${channel('a1', 'c1', dir)}
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${dir}/out
a1.sinks.k1.sink.serializer = avro_event
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 500
`
}

function avroSink(agent: string, name: string, ch: string, port: number): string {
  const k = `${agent}.sinks.${name}`
  return [
    `${k}.type = avro`,
    `${k}.channel = ${ch}`,
    `${k}.hostname = 127.0.0.1`,
    `${k}.port = ${port}`,
    `${k}.batch-size = 200`,
    `${k}.connect-timeout = 2000`,
    `${k}.request-timeout = 5000`,
  ].join('\n')
}

interface Collector {
  readonly dir: string
  readonly port: number
  agent: AgentProcess
  ids(): string[]
}

async function collector(): Promise<Collector> {
  const dir = tempDir('flumen-flow-')
  const port = await freePort()
  const c: Collector = {
    dir,
    port,
    agent: await run(collectorConfig(dir, port), dir),
    ids: () => avroEventsIn(join(dir, 'out')).map((e) => e.headers.id as string),
  }
  return c
}

async function restart(c: Collector): Promise<void> {
  c.agent = await run(collectorConfig(c.dir, c.port), c.dir)
}

/**
 * Sends `total` events in batches to an avro source, retrying a batch (with a new client) until it is
 * acknowledged. Returns the ids acknowledged, in order. `onProgress` sees the number sent so far.
 */
async function load(
  port: number,
  tag: string,
  total: number,
  batch = 100,
  onProgress?: (sent: number) => Promise<void> | void,
): Promise<string[]> {
  const acked: string[] = []
  let client = await RpcClient.create({
    hosts: [`127.0.0.1:${port}`],
    batchSize: batch,
    connectTimeoutMs: 2000,
    requestTimeoutMs: 10_000,
  })
  for (let i = 0; i < total; i += batch) {
    const events = Array.from({ length: Math.min(batch, total - i) }, (_, j) => ({
      headers: { id: `${tag}-${i + j}` },
      body: `${tag} event ${i + j} ${'x'.repeat(200)}`,
    }))
    for (let attempt = 0; ; attempt++) {
      try {
        await client.appendBatch(events)
        break
      } catch (e) {
        if (attempt > 200) throw e
        await client.close()
        await new Promise((r) => setTimeout(r, 100))
        client = await RpcClient.create({
          hosts: [`127.0.0.1:${port}`],
          batchSize: batch,
          connectTimeoutMs: 2000,
          requestTimeoutMs: 10_000,
        })
      }
    }
    for (const e of events) acked.push(e.headers.id)
    await onProgress?.(i + events.length)
  }
  await client.close()
  return acked
}

function missing(acked: readonly string[], received: Iterable<string>): string[] {
  const got = new Set(received)
  return acked.filter((id) => !got.has(id))
}

describe(`multi-agent flows (${CHANNEL} channels)`, { concurrency: true, timeout: 240_000 }, () => {
  it('fan-in: three agents → one collector', async () => {
    const col = await collector()
    const entries: number[] = []
    for (let n = 0; n < 3; n++) {
      const dir = tempDir('flumen-flow-')
      const port = await freePort()
      entries.push(port)
      await run(
        `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
${channel('a1', 'c1', dir)}
${avroSink('a1', 'k1', 'c1', col.port)}
`,
        dir,
      )
    }
    const acked = (await Promise.all(entries.map((p, n) => load(p, `in${n}`, 1500)))).flat()
    assert.equal(acked.length, 4500)
    const ids = await eventually(() => {
      const got = col.ids()
      return missing(acked, got).length === 0 ? got : undefined
    }, 60_000)
    assert.equal(new Set(ids).size, 4500)
  })

  it('fan-out: a replicating agent feeds two collectors, each gets everything', async () => {
    const a = await collector()
    const b = await collector()
    const dir = tempDir('flumen-flow-')
    const port = await freePort()
    await run(
      `
a1.sources = r1
a1.channels = ca cb
a1.sinks = ka kb
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = ca cb
a1.sources.r1.selector.type = replicating
${channel('a1', 'ca', dir)}
${channel('a1', 'cb', dir)}
${avroSink('a1', 'ka', 'ca', a.port)}
${avroSink('a1', 'kb', 'cb', b.port)}
`,
      dir,
    )
    const acked = await load(port, 'fan', 3000)
    for (const c of [a, b]) {
      await eventually(() => missing(acked, c.ids()).length === 0 || undefined, 60_000)
      assert.equal(new Set(c.ids()).size, 3000)
    }
  })

  it('failover group: the primary collector is killed mid-load, the backup takes over', async () => {
    const primary = await collector()
    const backup = await collector()
    const dir = tempDir('flumen-flow-')
    const port = await freePort()
    await run(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = kp kb
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = kp kb
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.kp = 10
a1.sinkgroups.g1.processor.priority.kb = 5
a1.sinkgroups.g1.processor.maxpenalty = 10000
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
${channel('a1', 'c1', dir)}
${avroSink('a1', 'kp', 'c1', primary.port)}
${avroSink('a1', 'kb', 'c1', backup.port)}
`,
      dir,
    )
    let killedAt = -1
    const acked = await load(port, 'fo', 6000, 100, async (sent) => {
      if (killedAt < 0 && sent >= 2000 && primary.ids().length > 0) {
        killedAt = sent
        await primary.agent.stop('SIGKILL')
      }
      if (sent % 500 === 0) await new Promise((r) => setTimeout(r, 50)) // let the sinks keep up
    })
    assert.ok(killedAt > 0, 'the primary was killed during the load')
    const afterKill = acked.slice(killedAt)
    await eventually(() => missing(afterKill, backup.ids()).length === 0 || undefined, 60_000)
    if (CHANNEL === 'file') {
      // Durable: the primary replays what it had acknowledged but not yet written.
      await restart(primary)
      await eventually(
        () => missing(acked, [...primary.ids(), ...backup.ids()]).length === 0 || undefined,
        60_000,
      )
    } else {
      // Memory: only what sat in the killed primary's channel can be missing.
      const lost = missing(acked, [...primary.ids(), ...backup.ids()])
      assert.ok(
        lost.length <= MEMORY_CAPACITY,
        `${lost.length} events lost, more than the primary's channel holds`,
      )
    }
    assert.ok(backup.ids().length > 0 && primary.ids().length > 0)
  })

  it('load-balanced group: one collector goes down and comes back; nothing acknowledged is lost', async () => {
    const a = await collector()
    const b = await collector()
    const dir = tempDir('flumen-flow-')
    const port = await freePort()
    await run(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = ka kb
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = ka kb
a1.sinkgroups.g1.processor.type = load_balance
a1.sinkgroups.g1.processor.backoff = true
a1.sinkgroups.g1.processor.selector = round_robin
a1.sinkgroups.g1.processor.selector.maxTimeOut = 2000
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
${channel('a1', 'c1', dir)}
${avroSink('a1', 'ka', 'c1', a.port)}
${avroSink('a1', 'kb', 'c1', b.port)}
`,
      dir,
    )
    let phase = 0
    let bBefore = 0
    const acked = await load(port, 'lb', 6000, 100, async (sent) => {
      if (phase === 0 && sent >= 1500 && b.ids().length > 0) {
        phase = 1
        await b.agent.stop('SIGKILL')
      } else if (phase === 1 && sent >= 3500) {
        phase = 2
        await restart(b)
        bBefore = b.ids().length
      }
      // After the restart, slow down so the load outlasts b's back-off (capped at 2 s) by a few seconds.
      await new Promise((r) => setTimeout(r, phase === 2 ? 200 : sent % 500 === 0 ? 50 : 0))
    })
    assert.equal(phase, 2)
    if (CHANNEL === 'file') {
      await eventually(() => missing(acked, [...a.ids(), ...b.ids()]).length === 0 || undefined, 60_000)
    } else {
      await eventually(
        () => missing(acked.slice(3500), [...a.ids(), ...b.ids()]).length === 0 || undefined,
        60_000,
      )
      const lost = missing(acked, [...a.ids(), ...b.ids()])
      assert.ok(lost.length <= MEMORY_CAPACITY, `${lost.length} events lost, more than b's channel holds`)
    }
    // b took its share again once it was back.
    await eventually(() => b.ids().length > bBefore || undefined, 30_000)
  })
})
