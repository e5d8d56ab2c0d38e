// hdfs.webhdfs.parallelFiles through the real CLI against real HDFS 3.4.2 daemons (test/peers/hdfs.ts, the
// DataNode with Hadoop's default settings): under a backlog a bucket's events are spread over several
// in-use files ("stripes") written concurrently; every event lands exactly once, each file holds contiguous
// runs of events in channel order, every stripe is closed by idleTimeout, and a SIGKILLed agent's stripes
// are all finalized from the recovery record on restart.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { RpcClient } from '../../src/client/index.ts'
import type { WebHdfsClient } from '../../src/sinks/hdfs/webhdfs.ts'
import { eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { type HdfsEntry, inUse, useHdfs } from '../helpers/hdfs.ts'
import type { HdfsCluster } from '../peers/index.ts'

let hdfs: HdfsCluster
let fs: WebHdfsClient
const { agents, files } = useHdfs((h, f) => {
  hdfs = h
  fs = f
})

type Entry = HdfsEntry

function config(port: number, dir: string, root: string, sink: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = hdfs
a1.sinks.k1.channel = c1
a1.sinks.k1.hdfs.path = ${hdfs.nameNodeRpc}${root}
a1.sinks.k1.hdfs.webhdfs.address = ${hdfs.webHdfs}
a1.sinks.k1.hdfs.recoveryDir = ${join(dir, 'state')}
a1.sinks.k1.hdfs.filePrefix = ev
a1.sinks.k1.hdfs.fileType = DataStream
a1.sinks.k1.hdfs.rollCount = 0
a1.sinks.k1.hdfs.rollSize = 0
a1.sinks.k1.hdfs.rollInterval = 0
a1.sinks.k1.hdfs.batchSize = 100
a1.sinks.k1.hdfs.webhdfs.batchesPerWrite = 8
${sink}
`
}

/** Sends `n` events e0..e(n-1) in batches of 500 (each committed to the channel before the next). */
async function send(port: number, n: number, from = 0): Promise<void> {
  const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 500 })
  for (let i = from; i < from + n; i += 500) {
    const k = Math.min(500, from + n - i)
    await client.appendBatch(Array.from({ length: k }, (_, j) => ({ body: `e${i + j}` })))
  }
  await client.close()
}

/** The event numbers of each file, in file order. */
async function contents(es: readonly Entry[]): Promise<number[][]> {
  const out: number[][] = []
  for (const e of es) {
    const text = (await fs.read(e.path)).toString()
    out.push(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          assert.match(l, /^e\d+$/, `${e.path}: torn or foreign line ${JSON.stringify(l)}`)
          return Number(l.slice(1))
        }),
    )
  }
  return out
}

/** Each file holds contiguous runs of events in the original order: strictly increasing numbers. */
function assertRunsInOrder(perFile: readonly number[][]): void {
  for (const nums of perFile) {
    for (let i = 1; i < nums.length; i++) {
      assert.ok((nums[i] as number) > (nums[i - 1] as number), `out of order: ${nums.slice(i - 1, i + 1)}`)
    }
  }
}

describe('hdfs sink: parallel files per bucket (hdfs.webhdfs.parallelFiles)', { concurrency: false }, () => {
  it('a backlog is spread over several stripe files of one bucket; every event exactly once, in runs; idleTimeout closes them all', async () => {
    const port = await freePort()
    const dir = tempDir()
    const a = await startAgent(
      config(
        port,
        dir,
        '/par/a',
        'a1.sinks.k1.hdfs.webhdfs.parallelFiles = 4\na1.sinks.k1.hdfs.idleTimeout = 2',
      ),
      { dir },
    )
    agents.push(a)
    const N = 6000
    await send(port, N)
    const es = await eventually(
      async () => {
        const l = await files('/par/a')
        const bytes = l.reduce((n, e) => n + e.length, 0)
        const want = Array.from({ length: N }, (_, i) => `e${i}\n`.length).reduce((x, y) => x + y, 0)
        return bytes === want && l.length > 0 && inUse(l).length === 0 ? l : undefined
      },
      60_000,
      500,
    ).catch(async (e) => {
      throw new Error(`${JSON.stringify(await files('/par/a'))}\n${a.output().slice(-3000)}`, { cause: e })
    })
    // several files of the one bucket, Flume-like names with distinct counters
    assert.ok(es.length >= 2, `expected several stripe files, got ${JSON.stringify(es)}`)
    for (const e of es) assert.match(e.name, /^ev\.\d{13}$/)
    assert.equal(new Set(es.map((e) => e.name)).size, es.length)
    const perFile = await contents(es)
    const all = perFile.flat().sort((x, y) => x - y)
    assert.deepEqual(
      all,
      Array.from({ length: N }, (_, i) => i),
    )
    assertRunsInOrder(perFile)
    // runs: a file switches between runs only where another stripe took the events in between
    const runs = perFile.map(
      (nums) => nums.filter((n, i) => i === 0 || n !== (nums[i - 1] as number) + 1).length,
    )
    assert.ok(
      runs.reduce((x, y) => x + y, 0) <= N / 40,
      `events should be written in runs of ~50 or more, got ${runs}`,
    )
    // the recovery record lists no in-use file once all are closed
    const state = JSON.parse(readFileSync(join(dir, 'state', 'in-use-files.json'), 'utf8')) as {
      files: unknown[]
    }
    assert.deepEqual(state.files, [])
    await a.stop()
  })

  it('parallelFiles = 1: one file per bucket, its content in channel order', async () => {
    const port = await freePort()
    const dir = tempDir()
    const a = await startAgent(
      config(
        port,
        dir,
        '/par/one',
        'a1.sinks.k1.hdfs.webhdfs.parallelFiles = 1\na1.sinks.k1.hdfs.idleTimeout = 2',
      ),
      { dir },
    )
    agents.push(a)
    const N = 3000
    await send(port, N)
    const es = await eventually(
      async () => {
        const l = await files('/par/one')
        return l.length > 0 && inUse(l).length === 0 ? l : undefined
      },
      60_000,
      500,
    )
    assert.equal(es.length, 1, JSON.stringify(es))
    assert.deepEqual(
      (await contents(es))[0],
      Array.from({ length: N }, (_, i) => i),
    )
    await a.stop()
  })

  it('agent SIGKILLed with several stripes in use: each has its recovery entry and the restart finalizes them all', async () => {
    const port = await freePort()
    const dir = tempDir()
    const cfg = config(port, dir, '/par/kill', 'a1.sinks.k1.hdfs.webhdfs.parallelFiles = 3')
    const a = await startAgent(cfg, { dir })
    agents.push(a)
    const N = 5000
    await send(port, N)
    const stateFile = join(dir, 'state', 'in-use-files.json')
    type State = { files: { inUse: string; acked: number }[] }
    const want = Array.from({ length: N }, (_, i) => `e${i}\n`.length).reduce((x, y) => x + y, 0)
    // every event acknowledged (the recorded lengths add up), in more than one in-use file
    const recorded = await eventually(
      () => {
        const s = JSON.parse(readFileSync(stateFile, 'utf8')) as State
        return s.files.length >= 2 && s.files.reduce((n, f) => n + f.acked, 0) === want ? s : undefined
      },
      60_000,
      250,
    )
    const before = await files('/par/kill')
    assert.deepEqual(
      inUse(before).map((e) => e.path),
      recorded.files.map((f) => f.inUse).sort(),
    )
    await a.stop('SIGKILL')
    const b = await startAgent(cfg, { dir })
    agents.push(b)
    const es = await eventually(
      async () => {
        const l = await files('/par/kill')
        return l.length === before.length && inUse(l).length === 0 ? l : undefined
      },
      60_000,
      500,
    ).catch(async (e) => {
      throw new Error(`${JSON.stringify(await files('/par/kill'))}\n${b.output().slice(-3000)}`, { cause: e })
    })
    assert.deepEqual(
      es.map((e) => e.name),
      before.map((e) => e.name.replace(/\.tmp$/, '')).sort(),
    )
    const perFile = await contents(es)
    assert.deepEqual(
      perFile.flat().sort((x, y) => x - y),
      Array.from({ length: N }, (_, i) => i),
    )
    assertRunsInOrder(perFile)
    await b.stop()
  })
})
