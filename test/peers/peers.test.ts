// Proves the real peers work on this machine: each is provisioned from Maven Central by the project's own files,
// started, and does one real round trip with real Java clients. A peer that cannot start fails here (never skips).
// Timings are printed as test diagnostics; test/peers/README.md quotes them.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createConnection, createServer } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type FlumeAgent,
  flumeSend,
  freePort,
  type HdfsCluster,
  type KafkaBroker,
  PeerError,
  peersDir,
  provision,
  runFlumeTool,
  startFlumeAgent,
  startHdfs,
  startKafka,
  tempDir,
  testKeystores,
} from './index.ts'

const ms = (n: number): string => `${Math.round(n)} ms`

/** Polls Flume's /metrics until the sink has committed `n` events. */
async function drained(agent: FlumeAgent, sink: string, n: number, timeoutMs = 30_000): Promise<void> {
  await agent.waitUntil(
    `${sink} to drain ${n} events`,
    async () => Number((await agent.metrics())[`SINK.${sink}`]?.EventDrainSuccessCount ?? 0) >= n,
    timeoutMs,
  )
}

/** A dir for file_roll: Flume compat: RollingFileSink never creates sink.directory (it fails every batch). */
function outDir(dir: string): string {
  mkdirSync(join(dir, 'out'))
  return join(dir, 'out')
}

/** All lines of all files file_roll wrote into dir. */
function rolledLines(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter(Boolean)
}

describe('provisioning', () => {
  it('resolves three separate classpaths from ~/.m2', async (t) => {
    const t0 = performance.now()
    const [flume, kafka, hdfs] = await Promise.all([
      provision('flume'),
      provision('kafka'),
      provision('hdfs'),
    ])
    t.diagnostic(`provision flume+kafka+hdfs: ${ms(performance.now() - t0)}`)
    const names = (jars: readonly string[]): string[] => jars.map((j) => j.slice(j.lastIndexOf('/') + 1))
    // Flume's Kafka 2.7 clients and guava must never meet the 3.9 broker or the Hadoop daemons.
    assert.ok(names(flume.jars).includes('kafka-clients-2.7.2.jar'))
    assert.ok(names(flume.jars).includes('flume-ng-node-1.11.0.jar'))
    assert.ok(names(kafka.jars).includes('kafka-clients-3.9.1.jar'))
    assert.ok(!names(kafka.jars).some((j) => j.startsWith('flume-') || j.startsWith('hadoop-')))
    assert.ok(names(hdfs.jars).some((j) => /^hadoop-hdfs-3\.4\.\d+\.jar$/.test(j)))
    assert.ok(!names(hdfs.jars).some((j) => j.startsWith('flume-') || j.startsWith('kafka')))
    for (const jar of [...flume.jars, ...kafka.jars, ...hdfs.jars]) assert.ok(jar.endsWith('.jar'), jar)
  })
})

describe('flume', () => {
  it('is Flume 1.11.0 (flume-ng version)', async () => {
    const v = await runFlumeTool('version', [])
    assert.match(v.stdout, /^Flume 1\.11\.0$/m)
  })

  it('seq and netcat sources -> memory -> file_roll', async (t) => {
    const ncPort = await freePort()
    const agent = await startFlumeAgent({
      config: ({ dir }) => `
a1.sources = seq nc
a1.channels = c1
a1.sinks = k1
a1.sources.seq.type = seq
a1.sources.seq.totalEvents = 10
a1.sources.seq.channels = c1
a1.sources.nc.type = netcat
a1.sources.nc.bind = 127.0.0.1
a1.sources.nc.port = ${ncPort}
a1.sources.nc.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ${outDir(dir)}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
`,
    })
    t.diagnostic(`flume agent ready: ${ms(agent.readyMs)}`)
    try {
      // netcat acks every line with "OK"; wait for both acks before closing
      await new Promise<void>((resolve, reject) => {
        const s = createConnection({ port: ncPort, host: '127.0.0.1' }, () => s.write('hello\nworld\n'))
        let acks = ''
        s.on('data', (b) => {
          acks += b.toString()
          if (acks === 'OK\nOK\n') s.end(resolve)
        })
        s.on('error', reject)
      })
      await drained(agent, 'k1', 12)
    } finally {
      await agent.stop()
    }
    const lines = rolledLines(join(agent.dir, 'out'))
    assert.deepEqual(lines.filter((l) => /^\d+$/.test(l)).map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert.deepEqual(
      lines.filter((l) => !/^\d+$/.test(l)),
      ['hello', 'world'],
    )
  })

  it('avro-client, Java RpcClient (avro+deflate, thrift) -> avro/thrift sources -> file_roll', async (t) => {
    const [avroPort, deflatePort, thriftPort] = [await freePort(), await freePort(), await freePort()]
    const agent = await startFlumeAgent({
      config: ({ dir }) => `
a1.sources = av avz th
a1.channels = c1
a1.sinks = k1
a1.sources.av.type = avro
a1.sources.av.bind = 127.0.0.1
a1.sources.av.port = ${avroPort}
a1.sources.av.channels = c1
a1.sources.avz.type = avro
a1.sources.avz.bind = 127.0.0.1
a1.sources.avz.port = ${deflatePort}
a1.sources.avz.compression-type = deflate
a1.sources.avz.channels = c1
a1.sources.th.type = thrift
a1.sources.th.bind = 127.0.0.1
a1.sources.th.port = ${thriftPort}
a1.sources.th.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ${outDir(dir)}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
`,
    })
    t.diagnostic(`flume agent (3 RPC sources) ready: ${ms(agent.readyMs)}`)
    try {
      const input = join(tempDir('avro-client'), 'input.txt')
      writeFileSync(input, Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(''))
      const ac = await runFlumeTool('avro-client', ['-H', '127.0.0.1', '-p', String(avroPort), '-F', input])
      t.diagnostic(`avro-client: ${ms(ac.ms)}`)
      const z = await flumeSend({
        type: 'avro',
        port: deflatePort,
        count: 500,
        batch: 100,
        compression: 'deflate',
      })
      assert.equal(z.sent, 500)
      assert.equal(z.batches, 5)
      t.diagnostic(`FlumeSend avro+deflate 500 events: ${ms(z.result.ms)} (JVM), ${ms(z.ms)} in appendBatch`)
      const th = await flumeSend({
        type: 'thrift',
        port: thriftPort,
        count: 30,
        batch: 7,
        headers: { k: 'v' },
      })
      assert.equal(th.sent, 30)
      t.diagnostic(`FlumeSend thrift 30 events: ${ms(th.result.ms)}`)
      await drained(agent, 'k1', 550)
      const m = await agent.metrics()
      assert.equal(m['SOURCE.av']?.EventAcceptedCount, '20')
      assert.equal(m['SOURCE.avz']?.EventAcceptedCount, '500')
      assert.equal(m['SOURCE.th']?.EventAcceptedCount, '30')
    } finally {
      // SIGKILL is enough: file_roll flushes before each commit and the drain count above covers every event.
      // A graceful stop would cost ~4 s per Avro source (Netty's graceful event-loop shutdown in NettyServer.close).
      agent.kill('SIGKILL')
      await agent.exited
    }
    const lines = rolledLines(join(agent.dir, 'out'))
    assert.equal(lines.length, 550)
    assert.equal(lines.filter((l) => l.startsWith('line ')).length, 20)
    assert.equal(new Set(lines.filter((l) => l.startsWith('event '))).size, 500) // 0..499; thrift repeats 0..29
  })

  it('TLS: avro and thrift sources with a PKCS12 keystore, FlumeSend with the truststore', async () => {
    const ks = await testKeystores()
    const [avroPort, thriftPort] = [await freePort(), await freePort()]
    const tls = (s: string): string =>
      `a1.sources.${s}.ssl = true\na1.sources.${s}.keystore = ${ks.keystore}\n` +
      `a1.sources.${s}.keystore-password = ${ks.password}\na1.sources.${s}.keystore-type = ${ks.type}\n`
    const agent = await startFlumeAgent({
      config: `
a1.sources = av th
a1.channels = c1
a1.sinks = k1
a1.sources.av.type = avro
a1.sources.av.bind = 127.0.0.1
a1.sources.av.port = ${avroPort}
a1.sources.av.channels = c1
${tls('av')}
a1.sources.th.type = thrift
a1.sources.th.bind = 127.0.0.1
a1.sources.th.port = ${thriftPort}
a1.sources.th.channels = c1
${tls('th')}
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`,
    })
    try {
      const ssl = { truststore: ks.truststore, password: ks.password, type: ks.type }
      assert.equal((await flumeSend({ type: 'avro', port: avroPort, count: 10, ssl })).sent, 10)
      assert.equal((await flumeSend({ type: 'thrift', port: thriftPort, count: 10, ssl })).sent, 10)
      const plain = await flumeSend({ type: 'avro', port: avroPort, count: 1, check: false })
      assert.equal(plain.result.code, 1, 'a plaintext client must not get through a TLS source')
      const m = await agent.metrics()
      assert.equal(m['SOURCE.av']?.EventAcceptedCount, '10')
      assert.equal(m['SOURCE.th']?.EventAcceptedCount, '10')
    } finally {
      agent.kill('SIGKILL')
      await agent.exited
    }
  })

  it('an agent that cannot start throws with the tail of its log', async () => {
    const busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    const port = (busy.address() as { port: number }).port
    try {
      await assert.rejects(
        startFlumeAgent({
          readyTimeoutMs: 20_000,
          config: `
a1.sources = av
a1.channels = c1
a1.sinks = k1
a1.sources.av.type = avro
a1.sources.av.bind = 127.0.0.1
a1.sources.av.port = ${port}
a1.sources.av.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`,
        }),
        (e: unknown) =>
          e instanceof PeerError &&
          /Address already in use|startup failed|Unable to start/.test(e.message) &&
          /last lines of .*out\.log/.test(e.message),
      )
    } finally {
      busy.close()
    }
  })

  it('kills its JVMs when the test process dies (even by SIGKILL)', async () => {
    // A child node process starts an agent, reports the JVM pid, and is then SIGKILLed: the watchdog must reap it.
    const script = `
      import { startFlumeAgent } from ${JSON.stringify(join(peersDir, 'index.ts'))}
      const a = await startFlumeAgent({ config: 'a1.sources = s\\na1.channels = c\\na1.sinks = k\\na1.sources.s.type = seq\\na1.sources.s.channels = c\\na1.channels.c.type = memory\\na1.sinks.k.type = null\\na1.sinks.k.channel = c\\n' })
      console.log(a.pid)
      setInterval(() => {}, 1000)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())))
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)))
    })
    const alive = (): boolean => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    assert.ok(alive(), 'the agent JVM runs while its owner lives')
    child.kill('SIGKILL')
    const deadline = performance.now() + 15_000
    while (alive() && performance.now() < deadline) await sleep(100)
    assert.ok(!alive(), `JVM ${pid} outlived its SIGKILLed owner`)
  })
})

describe('kafka', () => {
  let kafka: KafkaBroker
  before(async () => {
    kafka = await startKafka()
  })
  after(async () => {
    await kafka?.stop()
  })

  it('creates a topic, produces and consumes with the Java CLI tools', async (t) => {
    t.diagnostic(`kafka broker ready: ${ms(kafka.readyMs)} (${kafka.bootstrap})`)
    let t0 = performance.now()
    await kafka.createTopic('peers-test', 3)
    t.diagnostic(`createTopic: ${ms(performance.now() - t0)}`)
    assert.ok((await kafka.listTopics()).includes('peers-test'))
    const records = Array.from({ length: 10 }, (_, i) => ({
      key: `k${i}`,
      value: `value ${i}\twith a tab`,
      headers: { seq: String(i), src: 'peers' },
    }))
    t0 = performance.now()
    await kafka.produce('peers-test', [...records, { key: null, value: 'no key' }])
    t.diagnostic(`produce 11: ${ms(performance.now() - t0)}`)
    t0 = performance.now()
    const got = await kafka.consume('peers-test', { count: 11, timeoutMs: 10_000 })
    t.diagnostic(`consume 11: ${ms(performance.now() - t0)}`)
    assert.equal(got.length, 11)
    const byKey = new Map(got.map((r) => [r.key, r]))
    for (const r of records) {
      assert.equal(byKey.get(r.key)?.value, r.value)
      assert.deepEqual(byKey.get(r.key)?.headers, r.headers)
    }
    assert.equal(byKey.get(null)?.value, 'no key')
    assert.deepEqual(new Set(got.map((r) => r.partition)).size > 1, true)
  })

  it("Flume's Kafka sink (2.7.2 clients) writes to the 3.9.1 broker", async () => {
    await kafka.createTopic('from-flume', 1)
    const agent = await startFlumeAgent({
      config: `
a1.sources = s
a1.channels = c
a1.sinks = k
a1.sources.s.type = seq
a1.sources.s.totalEvents = 5
a1.sources.s.channels = c
a1.channels.c.type = memory
a1.sinks.k.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k.kafka.bootstrap.servers = ${kafka.bootstrap}
a1.sinks.k.kafka.topic = from-flume
a1.sinks.k.channel = c
`,
    })
    try {
      const got = await kafka.consume('from-flume', { count: 5, timeoutMs: 20_000 })
      assert.deepEqual(
        got.map((r) => r.value),
        ['0', '1', '2', '3', '4'],
      )
    } finally {
      agent.kill('SIGKILL')
      await agent.exited
    }
  })
})

describe('hdfs', () => {
  let hdfs: HdfsCluster
  before(async () => {
    hdfs = await startHdfs()
  })
  after(async () => {
    await hdfs?.stop()
  })

  /** WebHDFS CREATE: the NameNode redirects (307) to the DataNode, which takes the bytes. */
  async function webHdfsCreate(path: string, body: string): Promise<number> {
    const nn = await fetch(
      `${hdfs.webHdfs}/webhdfs/v1${path}?op=CREATE&overwrite=true&user.name=${hdfs.user}`,
      {
        method: 'PUT',
        redirect: 'manual',
      },
    )
    assert.equal(nn.status, 307)
    const location = nn.headers.get('location') ?? ''
    assert.ok(location.startsWith('http://127.0.0.1:'), `redirect to loopback, got ${location}`)
    // Not fetch: the DataNode answers every CREATE/APPEND with an unsolicited "100 Continue" first (WebHdfsHandler
    // .writeContinueHeader), which undici rejects as a bad response; node:http reports it as 'information'.
    return new Promise((resolve, reject) => {
      const req = request(location, { method: 'PUT' }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  it('WebHDFS write, FsShell -cat, WebHDFS read', async (t) => {
    t.diagnostic(`hdfs ready: ${ms(hdfs.readyMs)} (${hdfs.nameNodeRpc}, ${hdfs.webHdfs})`)
    assert.equal(await webHdfsCreate('/peers/hello.txt', 'hello\nhdfs\n'), 201)
    const cat = await hdfs.fsShell(['-cat', '/peers/hello.txt'])
    t.diagnostic(`FsShell -cat: ${ms(cat.ms)}`)
    assert.equal(cat.stdout, 'hello\nhdfs\n')
    const open = await fetch(`${hdfs.webHdfs}/webhdfs/v1/peers/hello.txt?op=OPEN&user.name=${hdfs.user}`)
    assert.equal(open.status, 200)
    assert.equal(await open.text(), 'hello\nhdfs\n')
  })

  it('NameNode and DataNode restart on the same addresses', async (t) => {
    let t0 = performance.now()
    await hdfs.stopDataNode()
    await hdfs.startDataNode()
    t.diagnostic(`DataNode stop+start: ${ms(performance.now() - t0)}`)
    t0 = performance.now()
    await hdfs.stopNameNode()
    await assert.rejects(hdfs.fsShell(['-ls', '/']), PeerError)
    await hdfs.startNameNode()
    t.diagnostic(`NameNode stop+start (incl. one failing FsShell): ${ms(performance.now() - t0)}`)
    assert.equal((await hdfs.fsShell(['-cat', '/peers/hello.txt'])).stdout, 'hello\nhdfs\n')
    assert.equal(await webHdfsCreate('/peers/after-restart.txt', 'x'), 201)
  })

  it('Flume HDFS sink writes a SequenceFile that FsShell -text reads', async (t) => {
    const agent = await startFlumeAgent({
      // the cluster's hdfs-site (dfs.replication=1) for Flume's HDFS client; without it every file asks for 3
      // replicas and, on this one-DataNode cluster, Flume rotates after every batch ("Block Under-replication")
      extraClasspath: [hdfs.confDir],
      config: `
a1.sources = s
a1.channels = c
a1.sinks = k
a1.sources.s.type = seq
a1.sources.s.totalEvents = 5
a1.sources.s.channels = c
a1.channels.c.type = memory
a1.sinks.k.type = hdfs
a1.sinks.k.channel = c
a1.sinks.k.hdfs.path = ${hdfs.nameNodeRpc}/flume/seq
a1.sinks.k.hdfs.filePrefix = events
a1.sinks.k.hdfs.rollInterval = 1
a1.sinks.k.hdfs.rollCount = 0
a1.sinks.k.hdfs.rollSize = 0
`,
    })
    try {
      // The roll timer closes the file (and renames away .tmp) 1 s after it was opened. Not rollCount=5:
      // Flume compat: BucketWriter.append checks shouldRotate() before writing, so a count roll needs a 6th event.
      await agent.waitForLog(/Renaming hdfs:\/\/.*\/flume\/seq\/events\.\d+\.tmp to /, 30_000)
      // Flume logs before it renames: wait until the NameNode has the final name before killing the agent.
      const deadline = Date.now() + 30_000
      for (;;) {
        const ls = await hdfs.fsShell(['-ls', '/flume/seq'])
        if (/\/flume\/seq\/events\.\d+$/m.test(ls.stdout)) break
        if (Date.now() > deadline) assert.fail(`Flume never renamed its .tmp file:\n${ls.stdout}`)
        await sleep(200)
      }
    } finally {
      // The file is closed and renamed; a graceful stop would add ~5 s (SinkRunner waits for the interrupted
      // HDFS sink thread, which logs "Timed out before HDFS call was made").
      agent.kill('SIGKILL')
      await agent.exited
    }
    const ls = await hdfs.fsShell(['-ls', '-R', '/flume'])
    assert.match(ls.stdout, /^-\S+ +1 .*\/flume\/seq\/events\.\d+$/m) // replication 1: the conf dir was read
    const text = await hdfs.fsShell(['-text', '/flume/seq/events.*'])
    t.diagnostic(`FsShell -text: ${ms(text.ms)}`)
    // Writable format: LongWritable timestamp key, BytesWritable body (printed as hex: "0" is 30)
    const rows = text.stdout.trim().split('\n')
    assert.equal(rows.length, 5)
    assert.deepEqual(
      rows.map((r) => r.split('\t')[1]),
      ['30', '31', '32', '33', '34'],
    )
  })
})
