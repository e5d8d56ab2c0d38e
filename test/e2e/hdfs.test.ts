// flumen's HDFS sink through the real CLI against real HDFS 3.4.2 daemons (NameNode + DataNode from Maven
// Central jars, test/peers/hdfs.ts): configs as Flume users write them, files read back with Hadoop's own
// FsShell (-text for SequenceFiles and compressed streams) or WebHDFS. Sources are the ones users put in
// front of a collector (spooldir, avro, netcat, seq).

import assert from 'node:assert/strict'
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { RpcClient } from '../../src/client/index.ts'
import type { WebHdfsClient } from '../../src/sinks/hdfs/webhdfs.ts'
import { type AgentProcess, eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { type HdfsEntry, inUse, useHdfs } from '../helpers/hdfs.ts'
import type { HdfsCluster } from '../peers/index.ts'

let hdfs: HdfsCluster
let fs: WebHdfsClient
const { agents, files } = useHdfs((h, f) => {
  hdfs = h
  fs = f
})

type Entry = HdfsEntry

/** `hdfs dfs -text` of each file: Hadoop's own reader (SequenceFile, codecs by extension). */
async function hadoopText(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return []
  const r = await hdfs.fsShell(['-text', ...paths.map((p) => `${hdfs.nameNodeRpc}${p}`)], {
    timeoutMs: 60_000,
  })
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

describe('hdfs sink', { concurrency: false }, () => {
  it('a collector: spooldir → memory → hdfs with %y/%m/%d, prefix, suffix, inUsePrefix, DataStream, size rolls, idleTimeout', async () => {
    const spool = tempDir('flumen-hdfs-spool-')
    const lines = Array.from(
      { length: 300 },
      (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`,
    )
    // files are complete before they are dropped in, as spooldir requires: write aside, rename in
    const aside = join(tempDir(), 'app.log')
    writeFileSync(aside, `${lines.join('\n')}\n`)
    renameSync(aside, join(spool, 'app.log'))
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
      `a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = ${spool}
a1.sources.r1.deletePolicy = immediate
a1.sources.r1.batchSize = 100
a1.sources.r1.interceptors = ts
a1.sources.r1.interceptors.ts.type = timestamp`,
    )
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
    // deletePolicy = immediate: the spooled file goes once its last batch is committed
    await eventually(() => (readdirSync(spool).some((n) => !n.startsWith('.')) ? undefined : true))
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
    await client.appendBatch([
      ...ev('web', 'a', 20),
      ...ev('db', 'a', 10),
      ...ev('../../../escape', '/etc/../..', 5),
    ])
    await client.close()
    const es = await eventually(
      async () => {
        const l = await files('/user/flume')
        return l.filter((e) => !e.path.startsWith('/user/flume/collector')).length >= 3 &&
          inUse(l).length === 0
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

  it("every fileType and codec round-trips through Hadoop's reader (hdfs dfs -text)", async () => {
    const kinds: Record<string, string> = {
      seqWritable: 'hdfs.fileType = SequenceFile',
      seqText: 'hdfs.fileType = SequenceFile\nhdfs.writeFormat = Text',
      seqDeflate: 'hdfs.fileType = SequenceFile\nhdfs.writeFormat = Text\nhdfs.codeC = DefaultCodec',
      seqGzip: 'hdfs.fileType = SequenceFile\nhdfs.codeC = gzip',
      gz: 'hdfs.fileType = CompressedStream\nhdfs.codeC = org.apache.hadoop.io.compress.GzipCodec',
      deflate: 'hdfs.fileType = CompressedStream\nhdfs.codeC = deflate',
      text: 'hdfs.fileType = DataStream',
      avro: 'hdfs.fileType = DataStream\nhdfs.fileSuffix = .avro\nserializer = avro_event',
    }
    const names = Object.keys(kinds)
    const sinks = names
      .map(
        (n, i) => `a1.sinks.s${i}.type = hdfs
a1.sinks.s${i}.channel = c${i}
a1.sinks.s${i}.hdfs.path = ${hdfs.nameNodeRpc}/formats/${n}
a1.sinks.s${i}.hdfs.webhdfs.address = ${hdfs.webHdfs}
a1.sinks.s${i}.hdfs.recoveryDir = ${join(tempDir(), 'state')}
a1.sinks.s${i}.hdfs.rollInterval = 0
a1.sinks.s${i}.hdfs.rollSize = 0
a1.sinks.s${i}.hdfs.rollCount = 120
a1.sinks.s${i}.hdfs.idleTimeout = 1
a1.sinks.s${i}.hdfs.batchSize = 50
${kinds[n]
  ?.split('\n')
  .map((l) => `a1.sinks.s${i}.${l}`)
  .join('\n')}
a1.channels.c${i}.type = memory
a1.channels.c${i}.capacity = 10000`,
      )
      .join('\n')
    const a = await startAgent(
      `a1.sources = r1
a1.channels = ${names.map((_, i) => `c${i}`).join(' ')}
a1.sinks = ${names.map((_, i) => `s${i}`).join(' ')}
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 500
a1.sources.r1.batchSize = 50
a1.sources.r1.channels = ${names.map((_, i) => `c${i}`).join(' ')}
${sinks}
`,
    )
    agents.push(a)
    const expected = Array.from({ length: 500 }, (_, i) => String(i))
    const decode = (n: string, lines: string[]): string[] => {
      if (n.startsWith('seq')) {
        // key \t value; Writable values print as hex bytes, Text values as text
        return lines.map((l) => {
          const [key, v] = l.split('\t') as [string, string]
          assert.match(key, /^\d{13}$/)
          return n === 'seqText' || n === 'seqDeflate'
            ? v
            : Buffer.from(v.replaceAll(' ', ''), 'hex').toString()
        })
      }
      if (n === 'avro') return lines.map((l) => (JSON.parse(l) as { body: string }).body)
      return lines
    }
    for (const n of names) {
      // idleTimeout closes files between the source's batches too (and drops the bucket, as Flume does),
      // so the number of files varies: wait until every event is in finalized files.
      let es: Entry[] = []
      const values = await eventually(
        async () => {
          es = await files(`/formats/${n}`)
          if (es.length === 0 || inUse(es).length > 0) return undefined
          const v = decode(n, await hadoopText(es.map((e) => e.path)))
          return v.length === expected.length ? v : undefined
        },
        60_000,
        500,
      )
      assert.deepEqual(values, expected, n)
      if (n === 'gz' || n === 'deflate') {
        for (const e of es)
          assert.match(e.name, n === 'gz' ? /^FlumeData\.\d+\.gz$/ : /^FlumeData\.\d+\.deflate$/)
      }
    }
    await a.stop()
  })

  it('rolls by count and by time; maxOpenFiles closes the least recently used bucket first', async () => {
    const port = await freePort()
    const a = await agent(
      'lru',
      `
      hdfs.path = /lru/%{x}
      hdfs.fileType = DataStream
      hdfs.rollCount = 4
      hdfs.rollSize = 0
      hdfs.rollInterval = 2
      hdfs.maxOpenFiles = 2
      hdfs.batchSize = 100`,
      `a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}`,
    )
    const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 100 })
    const ev = (x: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ headers: { x }, body: `${x}${i}` }))
    // a: 6 events → one full file of 4 (rolled when the 5th came) and one in use with 2
    await client.appendBatch(ev('a', 6))
    await eventually(async () => (await files('/lru/a')).length === 2, 10_000)
    let a1 = await files('/lru/a')
    assert.equal(inUse(a1).length, 1)
    // b and c open two more buckets: with maxOpenFiles = 2, a (least recently used) is closed
    await client.appendBatch(ev('b', 1))
    await client.appendBatch(ev('c', 1))
    await eventually(async () => inUse(await files('/lru/a')).length === 0, 10_000)
    a1 = await files('/lru/a')
    assert.deepEqual(
      a1.map((e) => e.length),
      [12, 6],
    )
    assert.equal(inUse(await files('/lru/c')).length, 1)
    // rollInterval = 2 s closes b and c without any more events
    await eventually(async () => inUse(await files('/lru')).length === 0, 10_000)
    assert.equal((await fs.read((await files('/lru/c'))[0]?.path as string)).toString(), 'c0\n')
    await client.close()
    await a.stop()
  })

  it('maxOpenFiles with more buckets in one batch than it allows: the extra files are closed after the write', async () => {
    const port = await freePort()
    const a = await agent(
      'lru-one-batch',
      `
      hdfs.path = /lru1/%{x}
      hdfs.fileType = DataStream
      hdfs.rollCount = 0
      hdfs.rollSize = 0
      hdfs.rollInterval = 0
      hdfs.maxOpenFiles = 2
      hdfs.batchSize = 100`,
      `a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}`,
    )
    const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 100 })
    const ev = (x: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ headers: { x }, body: `${x}${i}` }))
    // one batch, three buckets: d is the least recently used once e and f are opened
    await client.appendBatch([...ev('d', 2), ...ev('e', 2), ...ev('f', 2)])
    const all = await eventually(async () => {
      const l = await files('/lru1')
      return l.reduce((n, e) => n + e.length, 0) === 18 ? l : undefined
    }, 15_000)
    // no timer would ever close an orphaned file here (rollInterval = 0, no idleTimeout): exactly two stay open
    await eventually(async () => (inUse(await files('/lru1')).length === 2 ? true : undefined), 10_000)
    assert.equal(all.length, 3)
    const d = await files('/lru1/d')
    assert.equal(inUse(d).length, 0)
    assert.equal((await fs.read((d[0] as Entry).path)).toString(), 'd0\nd1\n')
    await client.close()
    await a.stop()
    assert.equal(inUse(await files('/lru1')).length, 0)
  })

  it('buckets by header and by rounded time in a time zone; a missing timestamp is bucketed by the clock, not wedged', async () => {
    const port = await freePort()
    const a = await agent(
      'round',
      `
      hdfs.path = /round/%{host}/%Y-%m-%d/%H%M
      hdfs.filePrefix = ev-%H
      hdfs.fileType = DataStream
      hdfs.round = true
      hdfs.roundValue = 10
      hdfs.roundUnit = minute
      hdfs.timeZone = Asia/Kolkata
      hdfs.rollCount = 0
      hdfs.rollSize = 0
      hdfs.rollInterval = 0
      hdfs.idleTimeout = 1`,
      `a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}`,
    )
    const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 100 })
    // 2024-03-01 06:33 UTC = 12:03 IST; 06:39 → 12:09; 06:41 → 12:11; 18:35 → 2024-03-02 00:05 IST
    const at = (h: number, m: number) => String(Date.UTC(2024, 2, 1, h, m, 30))
    await client.appendBatch([
      { headers: { host: 'h1', timestamp: at(6, 33) }, body: 'a' },
      { headers: { host: 'h1', timestamp: at(6, 39) }, body: 'b' },
      { headers: { host: 'h1', timestamp: at(6, 41) }, body: 'c' },
      { headers: { host: 'h2', timestamp: at(18, 35) }, body: 'd' },
      { headers: { host: 'h2' }, body: 'no-timestamp' },
      { headers: { host: 'h2', timestamp: 'soon' }, body: 'bad-timestamp' },
    ])
    await client.close()
    const es = await eventually(
      async () => {
        const l = await files('/round')
        return l.length === 4 && inUse(l).length === 0 ? l : undefined
      },
      20_000,
      250,
    )
    const dirs = es.map((e) => e.path.replace(/\/[^/]+$/, ''))
    assert.deepEqual(dirs.slice(0, 3), [
      '/round/h1/2024-03-01/1200',
      '/round/h1/2024-03-01/1210',
      '/round/h2/2024-03-02/0000',
    ])
    assert.match(es[0]?.name as string, /^ev-12\.\d+$/)
    assert.equal((await fs.read(es[0]?.path as string)).toString(), 'a\nb\n')
    // the two events without a usable timestamp went to the bucket of the sink's clock
    const now = es[3] as Entry
    assert.match(now.path, /^\/round\/h2\/\d{4}-\d\d-\d\d\/\d\d[0-5]0\//)
    assert.equal((await fs.read(now.path)).toString(), 'no-timestamp\nbad-timestamp\n')
    await a.waitFor(/without a usable timestamp header/)
    await a.stop()
  })

  for (const which of ['DataNode', 'NameNode'] as const) {
    it(`${which} stopped for 30 s mid-load: nothing lost, no file left in use`, {
      timeout: 300_000,
    }, async () => {
      const port = await freePort()
      const root = `/outage${which}`
      const a = await agent(
        which,
        `
        hdfs.path = ${root}/%{part}
        hdfs.fileType = DataStream
        hdfs.rollCount = 300
        hdfs.rollSize = 0
        hdfs.rollInterval = 0
        hdfs.idleTimeout = 3
        hdfs.callTimeout = 5000
        hdfs.retryInterval = 2
        hdfs.batchSize = 20
        hdfs.webhdfs.batchesPerWrite = 4`,
        `a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}`,
      )
      const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 50 })
      const sent: string[] = []
      let sending = true
      const load = (async () => {
        for (let b = 0; sending; b++) {
          const batch = Array.from({ length: 50 }, (_, i) => ({
            headers: { part: String(b % 2) },
            body: `b${b}-e${i}`,
          }))
          await client.appendBatch(batch)
          for (const e of batch) sent.push(e.body)
          await new Promise((r) => setTimeout(r, 100))
        }
      })()
      await new Promise((r) => setTimeout(r, 2000))
      if (which === 'DataNode') await hdfs.stopDataNode()
      else await hdfs.stopNameNode()
      await new Promise((r) => setTimeout(r, 30_000))
      if (which === 'DataNode') await hdfs.startDataNode()
      else await hdfs.startNameNode()
      await new Promise((r) => setTimeout(r, 3000))
      sending = false
      await load
      await client.close()
      // every event sent is in a finalized file; failed files were cut back to what was acknowledged
      const got = await eventually(
        async () => {
          const es = await files(root)
          if (inUse(es).length > 0) return undefined
          const lines: string[] = []
          for (const e of es) lines.push(...(await fs.read(e.path)).toString().split('\n').filter(Boolean))
          const have = new Set(lines)
          return sent.every((b) => have.has(b)) ? lines : undefined
        },
        180_000,
        2000,
      ).catch(async (e) => {
        throw new Error(`${JSON.stringify(await files(root))}\n${a.output().slice(-5000)}`, { cause: e })
      })
      // at least once: a batch retried after a failure may appear twice, but no line is torn
      for (const l of got) assert.match(l, /^b\d+-e\d+$/)
      assert.ok(got.length >= sent.length)
      assert.ok(sent.length > 1000, `only ${sent.length} events were sent`)
      await a.stop()
    })
  }

  it('agent SIGKILLed mid-file: the restart finalizes the orphan (and an in-use file found by the scan)', async () => {
    const port = await freePort()
    const dir = tempDir()
    const cfg = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = hdfs
a1.sinks.k1.channel = c1
a1.sinks.k1.hdfs.path = webhdfs://${hdfs.webHdfs.replace('http://', '')}/kill/%Y
a1.sinks.k1.hdfs.useLocalTimeStamp = true
a1.sinks.k1.hdfs.filePrefix = app
a1.sinks.k1.hdfs.fileType = DataStream
a1.sinks.k1.hdfs.rollCount = 0
a1.sinks.k1.hdfs.rollSize = 0
a1.sinks.k1.hdfs.rollInterval = 0
a1.sinks.k1.hdfs.recoveryDir = ${join(dir, 'state')}
`
    const a = await startAgent(cfg, { dir })
    agents.push(a)
    const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 100 })
    await client.appendBatch(Array.from({ length: 30 }, (_, i) => ({ body: `k${i}` })))
    await client.close()
    const year = String(new Date().getFullYear())
    const orphan = await eventually(async () => {
      const es = await files(`/kill/${year}`)
      return es.length === 1 && es[0]?.length === 30 * 4 - 10 ? es[0] : undefined
    })
    assert.match(orphan.name, /^app\.\d+\.tmp$/)
    // HDFS shows the length when the DataNode closed the file, a moment before the sink recorded the
    // acknowledgement (and committed the channel): kill only after that, or the restart rightly deletes it
    await eventually(() =>
      readFileSync(join(dir, 'state', 'in-use-files.json'), 'utf8').includes('"acked":110')
        ? true
        : undefined,
    )
    await a.stop('SIGKILL')
    // a second orphan of this sink's naming that the state file does not know (e.g. the state was lost)
    await fs.create('/kill/app.1000.tmp', Buffer.from('old\n'))
    const b = await startAgent(cfg, { dir })
    agents.push(b)
    const after = await eventually(async () => {
      const es = [
        ...(await files(`/kill/${year}`)),
        ...(await files('/kill')).filter((e) => e.path === '/kill/app.1000'),
      ]
      return es.length === 2 && inUse(es).length === 0 ? es : undefined
    }, 30_000).catch(async (e) => {
      throw new Error(`${JSON.stringify(await files('/kill'))}\n${b.output().slice(-5000)}`, { cause: e })
    })
    assert.equal(after[0]?.name, orphan.name.replace(/\.tmp$/, ''))
    assert.equal(
      (await fs.read(after[0]?.path as string)).toString(),
      Array.from({ length: 30 }, (_, i) => `k${i}\n`).join(''),
    )
    assert.equal((await fs.read('/kill/app.1000')).toString(), 'old\n')
    await b.waitFor(/finalized/)
    await b.stop()
  })
})
