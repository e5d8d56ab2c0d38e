// flumen's HDFS sink through the real CLI against real HDFS 3.4.2 daemons (NameNode + DataNode from Maven
// Central jars, test/peers/hdfs.ts): configs as Flume users write them, files read back with Hadoop's own
// FsShell (-text for SequenceFiles and compressed streams) or WebHDFS. Sources are the ones users put in
// front of a collector (netcat, avro, seq); swapping in spooldir is a config change.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { RpcClient } from '../../src/client/index.ts'
import { WebHdfsClient } from '../../src/sinks/hdfs/webhdfs.ts'
import { type AgentProcess, eventually, fetchJson, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { lineClient } from '../helpers/net.ts'
import { type HdfsCluster, startHdfs } from '../peers/index.ts'

let hdfs: HdfsCluster
let fs: WebHdfsClient
const agents: AgentProcess[] = []

before(async () => {
  hdfs = await startHdfs()
  fs = new WebHdfsClient({ baseUrl: hdfs.webHdfs, user: hdfs.user, timeoutMs: 20_000 })
})

after(async () => {
  for (const a of agents)
    if (a.child.exitCode === null && a.child.signalCode === null) await a.stop('SIGKILL')
  fs?.close()
  await hdfs?.stop()
})

interface Entry {
  readonly path: string
  readonly name: string
  readonly length: number
}

/** Every file under `dir`, recursively (WebHDFS LISTSTATUS). */
async function files(dir: string): Promise<Entry[]> {
  const out: Entry[] = []
  for (const st of (await fs.list(dir)) ?? []) {
    const p = `${dir}/${st.pathSuffix}`
    if (st.type === 'DIRECTORY') out.push(...(await files(p)))
    else out.push({ path: p, name: st.pathSuffix, length: st.length })
  }
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

/** `hdfs dfs -text` of each file: Hadoop's own reader (SequenceFile, codecs by extension). */
async function hadoopText(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return []
  const r = await hdfs.fsShell(['-text', ...paths.map((p) => `${hdfs.nameNodeRpc}${p}`)], { timeoutMs: 60_000 })
  return r.stdout.split('\n').filter((l) => l.length > 0)
}

async function agent(name: string, sinkProps: string, source: string, extra = ''): Promise<AgentProcess> {
  const dir = tempDir()
  const a = await startAgent(
    `a1.sources = r1
a1.channels = c1
a1.sinks = k1
${source}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = hdfs
a1.sinks.k1.channel = c1
a1.sinks.k1.hdfs.webhdfs.address = ${hdfs.webHdfs}
a1.sinks.k1.hdfs.recoveryDir = ${join(dir, 'state')}
${sinkProps
  .trim()
  .split('\n')
  .map((l) => `a1.sinks.k1.${l.trim()}`)
  .join('\n')}
${extra}
`,
    { dir, name: 'a1' },
  )
  agents.push(a)
  void name
  return a
}

const inUse = (es: readonly Entry[]) => es.filter((e) => /\.tmp$|^_/.test(e.name))

describe('hdfs sink', { concurrency: false }, () => {
  it('a collector: netcat → memory → hdfs with %y/%m/%d, prefix, suffix, inUsePrefix, DataStream, size rolls, idleTimeout', async () => {
    const port = await freePort()
    const a = await agent(
      'collector',
      `
      hdfs.path = ${hdfs.nameNodeRpc}/user/flume/collector/%y/%m/%d
      hdfs.filePrefix = event
      hdfs.fileSuffix = .log
      hdfs.inUsePrefix = _
      hdfs.fileType = DataStream
      hdfs.writeFormat = Text
      hdfs.rollSize = 2000
      hdfs.rollCount = 0
      hdfs.rollInterval = 0
      hdfs.idleTimeout = 2
      hdfs.batchSize = 50`,
      `a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.interceptors = ts
a1.sources.r1.interceptors.ts.type = timestamp`,
    )
    const c = await lineClient(port)
    const lines = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`)
    c.send(`${lines.join('\n')}\n`)
    await c.waitReplies(300, 30_000)
    c.end()
    const d = new Date()
    const p2 = (n: number) => String(n).padStart(2, '0')
    const day = `/user/flume/collector/${p2(d.getFullYear() % 100)}/${p2(d.getMonth() + 1)}/${p2(d.getDate())}`
    // idleTimeout closes the last file: no in-use file remains, every line is there exactly once.
    const done = await eventually(
      async () => {
        const es = await files('/user/flume/collector')
        const bytes = es.reduce((n, e) => n + e.length, 0)
        return bytes === 300 * 51 && inUse(es).length === 0 ? es : undefined
      },
      30_000,
      250,
    )
    for (const e of done) {
      assert.match(e.path, new RegExp(`^${day}/event\\.\\d{13}\\.log$`))
    }
    // size rolls: 300 × 51 body bytes = 15300 → files of ≥ 2000 body bytes each (the last may be smaller)
    assert.ok(done.length >= 7, `expected several size-rolled files, got ${done.length}`)
    const counters = done.map((e) => Number(/\.(\d+)\.log$/.exec(e.name)?.[1]))
    assert.deepEqual(
      counters,
      [...counters].sort((x, y) => x - y),
    )
    const text = await hadoopText(done.map((e) => e.path))
    assert.deepEqual(text, lines)
    await a.stop()
  })

  it('its avro variant names files by %{logType}; header values cannot leave the directory', async () => {
    const port = await freePort()
    const a = await agent(
      'avro',
      `
      hdfs.path = ${hdfs.nameNodeRpc}/user/flume/bytype/%{dir}
      hdfs.filePrefix = %{logType}
      hdfs.fileSuffix = .log
      hdfs.fileType = DataStream
      hdfs.rollCount = 0
      hdfs.rollSize = 0
      hdfs.rollInterval = 0
      hdfs.idleTimeout = 1
      hdfs.useLocalTimeStamp = true`,
      `a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}`,
    )
    const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 100 })
    const ev = (logType: string, dir: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ headers: { logType, dir }, body: `${logType}-${i}` }))
    await client.appendBatch([...ev('web', 'a', 20), ...ev('db', 'a', 10), ...ev('../../../escape', '/etc/../..', 5)])
    await client.close()
    const es = await eventually(
      async () => {
        const l = await files('/user/flume')
        return l.filter((e) => !e.path.startsWith('/user/flume/collector')).length >= 3 && inUse(l).length === 0
          ? l
          : undefined
      },
      30_000,
      250,
    )
    const mine = es.filter((e) => !e.path.startsWith('/user/flume/collector'))
    // everything stayed under /user/flume/bytype; '..' segments became '__', the leading '/' was dropped
    for (const e of mine) assert.ok(e.path.startsWith('/user/flume/bytype/'), e.path)
    assert.equal((await files('/etc')).length, 0)
    const web = mine.filter((e) => /^\/user\/flume\/bytype\/a\/web\.\d+\.log$/.test(e.path))
    const db = mine.filter((e) => /^\/user\/flume\/bytype\/a\/db\.\d+\.log$/.test(e.path))
    const esc = mine.filter((e) => e.path.startsWith('/user/flume/bytype/etc/__/__/__/__/__/escape.'))
    assert.equal(web.length, 1)
    assert.equal(db.length, 1)
    assert.equal(esc.length, 1, JSON.stringify(mine))
    assert.deepEqual(
      (await fs.read((web[0] as Entry).path)).toString().trim().split('\n'),
      Array.from({ length: 20 }, (_, i) => `web-${i}`),
    )
    await a.stop()
  })
})
