// flumen's Kafka sink, source and channel through the real CLI against a real Kafka 3.9 broker (KRaft,
// from Maven Central jars): configs as Flume users write them (components by class name), records checked
// with Kafka's own console producer/consumer. The broker also has a SASL_SSL listener (PLAIN over TLS with
// a self-signed certificate) for the security passthrough.

import assert from 'node:assert/strict'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  type AgentProcess,
  eventually,
  fetchJson,
  freePort,
  runCli,
  startAgent,
  tempDir,
  writeConfig,
} from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'
import { lineClient } from '../helpers/net.ts'
import { type KafkaBroker, freePort as peerPort, startKafka, testKeystores } from '../peers/index.ts'

let broker: KafkaBroker
let saslPort: number
let caPem: string
const agents: AgentProcess[] = []

before(async () => {
  const ks = await testKeystores()
  const port = await peerPort()
  const controllerPort = await peerPort()
  saslPort = await peerPort()
  broker = await startKafka({
    port,
    controllerPort,
    serverProps: {
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_SSL://127.0.0.1:${saslPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${saslPort}`,
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";',
      'ssl.keystore.location': ks.keystore,
      'ssl.keystore.password': ks.password,
      'ssl.keystore.type': 'PKCS12',
      'ssl.key.password': ks.password,
    },
  })
  const der = readFileSync(ks.certificate)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
  caPem = join(tempDir(), 'ca.pem')
  writeFileSync(caPem, `-----BEGIN CERTIFICATE-----\n${der}\n-----END CERTIFICATE-----\n`)
})

after(async () => {
  for (const a of agents)
    if (a.child.exitCode === null && a.child.signalCode === null) await a.stop('SIGKILL')
  await broker?.stop()
})

async function agent(
  config: string,
): Promise<{ a: AgentProcess; metrics: () => Promise<Record<string, Record<string, string>>> }> {
  const port = await freePort()
  const a = await startAgent(config, {
    sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(port) },
  })
  agents.push(a)
  return { a, metrics: () => fetchJson(`http://127.0.0.1:${port}/metrics`) }
}

const memory = (name = 'c1') => `
a1.channels.${name}.type = memory
a1.channels.${name}.capacity = 100000
a1.channels.${name}.transactionCapacity = 1000
`

const fileRoll = (dir: string, serializer = 'text') => `
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${dir}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = ${serializer}
`

/** header_and_text lines: `{k1=v1, k2=v2} body`. */
function parseHeaderLine(l: string): { headers: Record<string, string>; body: string } {
  const end = l.indexOf('} ')
  const headers: Record<string, string> = {}
  for (const kv of l.slice(1, end).split(', ')) {
    const i = kv.indexOf('=')
    headers[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return { headers, body: l.slice(end + 2) }
}

describe('kafka sink', () => {
  it('a real-time agent (exec tail -F → memory → KafkaSink by class name): every line lands on the topic', async () => {
    const dir = tempDir()
    const log = join(dir, 'app.log')
    writeFileSync(log, '')
    const { a, metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${log}
a1.sources.r1.channels = c1
${memory()}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sinks.k1.kafka.topic = realtime
a1.sinks.k1.flumeBatchSize = 100
a1.sinks.k1.kafka.producer.acks = 1
a1.sinks.k1.kafka.producer.linger.ms = 1
a1.sinks.k1.kafka.producer.compression.type = snappy
a1.sinks.k1.channel = c1
`)
    const N = 2000
    for (let i = 0; i < N; i += 250) {
      appendFileSync(log, Array.from({ length: 250 }, (_, j) => `line ${i + j} ${'x'.repeat(40)}\n`).join(''))
      await new Promise((r) => setTimeout(r, 50))
    }
    const m = await eventually(async () => {
      const j = await metrics()
      return Number(j['SINK.k1']?.EventDrainSuccessCount) >= N ? j : undefined
    }, 60_000).catch(async (e: Error) => {
      throw new Error(`${e.message}\nmetrics: ${JSON.stringify(await metrics())}\n${a.output().slice(-3000)}`)
    })
    const sink = m['SINK.k1'] as Record<string, string>
    // Flume's KafkaSinkCounter attribute set, nothing else.
    assert.deepEqual(Object.keys(sink).sort(), [
      'BatchCompleteCount',
      'BatchEmptyCount',
      'BatchUnderflowCount',
      'ConnectionClosedCount',
      'ConnectionCreatedCount',
      'ConnectionFailedCount',
      'EventDrainAttemptCount',
      'EventDrainSuccessCount',
      'KafkaEventSendTimer',
      'RollbackCount',
      'StartTime',
      'StopTime',
      'Type',
    ])
    assert.equal(sink.RollbackCount, '0')
    const records = await broker.consume('realtime', { count: N, timeoutMs: 20_000 })
    assert.equal(records.length, N)
    const values = new Set(records.map((r) => r.value))
    for (let i = 0; i < N; i++) assert.ok(values.has(`line ${i} ${'x'.repeat(40)}`), `line ${i}`)
    await a.stop()
  })

  it('routes by topic header, keys by the key header, partitions by header, copies mapped headers', async () => {
    await broker.createTopic('routed-a', 3)
    await broker.createTopic('routed-b', 1)
    const dir = tempDir()
    const input = join(dir, 'in.txt')
    writeFileSync(input, '')
    const { a, metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -n +1 -F ${input}
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ex
a1.sources.r1.interceptors.ex.type = regex_extractor
a1.sources.r1.interceptors.ex.regex = ^(\\\\S+) (\\\\S+) (\\\\S+) (\\\\S+)
a1.sources.r1.interceptors.ex.serializers = s1 s2 s3 s4
a1.sources.r1.interceptors.ex.serializers.s1.name = app
a1.sources.r1.interceptors.ex.serializers.s2.name = key
a1.sources.r1.interceptors.ex.serializers.s3.name = part
a1.sources.r1.interceptors.ex.serializers.s4.name = trace
${memory()}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.brokerList = ${broker.bootstrap}
a1.sinks.k1.topic = routed-%{app}
a1.sinks.k1.batchSize = 10
a1.sinks.k1.requiredAcks = -1
a1.sinks.k1.partitionIdHeader = part
a1.sinks.k1.header.trace = X-Trace
a1.sinks.k1.channel = c1
`)
    appendFileSync(input, 'a k1 2 t1 hello\nb k2 0 t2 world\na k3 1 t3 again\n')
    await eventually(
      async () => Number((await metrics())['SINK.k1']?.EventDrainSuccessCount) >= 3 || undefined,
      30_000,
    )
    const ra = await broker.consume('routed-a', { count: 2 })
    const rb = await broker.consume('routed-b', { count: 1 })
    const byKey = new Map([...ra, ...rb].map((r) => [r.key, r]))
    assert.deepEqual([...byKey].map(([k, r]) => [k, r.partition, r.value, r.headers['X-Trace']]).sort(), [
      ['k1', 2, 'a k1 2 t1 hello', 't1'],
      ['k2', 0, 'b k2 0 t2 world', 't2'],
      ['k3', 1, 'a k3 1 t3 again', 't3'],
    ])
    // The deprecated keys work, each with a warning naming its replacement.
    for (const old of ['brokerList', 'topic', 'batchSize', 'requiredAcks']) {
      assert.ok(
        a.lines.some((l) => l.includes(`'${old}' is deprecated`)),
        old,
      )
    }
    await a.stop()
  })
})

describe('kafka source', () => {
  it('round trip to file_roll: keys, partitions, offsets, timestamps and mapped Kafka headers as Flume headers', async () => {
    await broker.createTopic('in', 3)
    const N = 300
    await broker.produce(
      'in',
      Array.from({ length: N }, (_, i) => ({
        key: `key-${i % 7}`,
        value: `event ${i}`,
        headers: { 'trace-id': `t${i}` },
      })),
    )
    const out = tempDir()
    const { a, metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sources.r1.kafka.topics = in
a1.sources.r1.kafka.consumer.group.id = roundtrip
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.batchSize = 50
a1.sources.r1.header.traceId = trace-id
a1.sources.r1.channels = c1
${memory()}
${fileRoll(out, 'header_and_text')}
`)
    const lines = await eventually(() => {
      const l = rolledLines(out)
      return l.length >= N ? l : undefined
    }, 60_000)
    assert.equal(lines.length, N)
    const seen = new Set<string>()
    for (const l of lines) {
      const { headers, body } = parseHeaderLine(l)
      const i = Number(body.split(' ')[1])
      assert.equal(body, `event ${i}`)
      assert.equal(headers.key, `key-${i % 7}`)
      assert.equal(headers.traceId, `t${i}`)
      assert.equal(headers.topic, 'in')
      assert.ok(Math.abs(Number(headers.timestamp) - Date.now()) < 10 * 60_000, headers.timestamp)
      seen.add(`${headers.partition}/${headers.offset}`)
    }
    assert.equal(seen.size, N, 'every (partition, offset) once')
    const src = (await metrics())['SOURCE.r1'] as Record<string, string>
    assert.equal(src.EventAcceptedCount, String(N))
    assert.deepEqual(Object.keys(src).sort(), [
      'AppendAcceptedCount',
      'AppendBatchAcceptedCount',
      'AppendBatchReceivedCount',
      'AppendReceivedCount',
      'EventAcceptedCount',
      'EventReceivedCount',
      'KafkaCommitTimer',
      'KafkaEmptyCount',
      'KafkaEventGetTimer',
      'OpenConnectionCount',
      'StartTime',
      'StopTime',
      'Type',
    ])
    await a.stop()
  })

  it('a consumer-group restart resumes at the committed offsets: no loss, at most one batch read again', async () => {
    await broker.createTopic('resume', 2)
    const out = tempDir()
    const config = `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sources.r1.kafka.topics = resume
a1.sources.r1.kafka.consumer.group.id = resumers
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.batchSize = 100
a1.sources.r1.batchDurationMillis = 200
a1.sources.r1.channels = c1
${memory()}
${fileRoll(out)}
`
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => `r${from + i}`)
    await broker.produce('resume', batch(0, 1500))
    const first = await agent(config)
    await eventually(() => rolledLines(out).length >= 1500 || undefined, 60_000)
    // Crash with everything delivered: at most the last batch may not have had its offsets committed.
    await first.a.stop('SIGKILL')
    await broker.produce('resume', batch(1500, 1500))
    const second = await agent(config)
    await eventually(() => new Set(rolledLines(out)).size >= 3000 || undefined, 60_000)
    await new Promise((r) => setTimeout(r, 1000)) // anything re-read arrives with the same poll
    const lines = rolledLines(out)
    assert.deepEqual([...new Set(lines)].sort(), batch(0, 3000).sort(), 'no loss')
    assert.ok(lines.length - 3000 <= 100, `re-read ${lines.length - 3000} records (more than one batch)`)
    // A graceful restart commits before leaving: nothing is read twice.
    await second.a.stop()
    await broker.produce('resume', batch(3000, 500))
    const third = await agent(config)
    await eventually(() => new Set(rolledLines(out)).size >= 3500 || undefined, 60_000)
    await new Promise((r) => setTimeout(r, 1000))
    const after3 = rolledLines(out)
    assert.equal(after3.length - lines.length, 500, 'graceful restart: exactly the new records')
    await third.a.stop()
  })

  it('subscribes by Java regex and picks up topics created later', async () => {
    await broker.createTopic('metrics-a', 1)
    await broker.produce('metrics-a', ['a1', 'a2'])
    const out = tempDir()
    const { a } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.sources.r1.kafka.topics.regex = metrics-\\\\p{Lower}+
a1.sources.r1.kafka.topics = ignored-when-regex-is-set
a1.sources.r1.kafka.consumer.group.id = pattern
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.kafka.consumer.metadata.max.age.ms = 1000
a1.sources.r1.channels = c1
${memory()}
${fileRoll(out, 'header_and_text')}
`)
    await eventually(() => rolledLines(out).length >= 2 || undefined, 30_000)
    await broker.createTopic('metrics-b', 1)
    await broker.createTopic('metrics-1', 1) // not a whole-name match
    await broker.produce('metrics-b', ['b1'])
    await broker.produce('metrics-1', ['x'])
    const lines = await eventually(() => {
      const l = rolledLines(out)
      return l.length >= 3 ? l : undefined
    }, 30_000)
    await new Promise((r) => setTimeout(r, 1500))
    assert.deepEqual(
      rolledLines(out)
        .map((l) => `${parseHeaderLine(l).headers.topic}:${parseHeaderLine(l).body}`)
        .sort(),
      ['metrics-a:a1', 'metrics-a:a2', 'metrics-b:b1'],
    )
    assert.equal(lines.length, 3)
    await a.stop()
  })
})

describe('kafka channel', () => {
  it('between a netcat source and a file_roll sink: nothing acknowledged is lost across a SIGKILL', async () => {
    const port = await freePort()
    const out = tempDir()
    const config = `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel
a1.channels.c1.kafka.bootstrap.servers = ${broker.bootstrap}
a1.channels.c1.kafka.topic = durable-channel
a1.channels.c1.kafka.consumer.group.id = durable
${fileRoll(out)}
a1.sinks.k1.sink.batchSize = 100
`
    const N = 20_000
    const lines = Array.from({ length: N }, (_, i) => `msg-${i}`)
    const first = await agent(config)
    const c1 = await lineClient(port)
    c1.send(
      lines
        .slice(0, 3000)
        .map((l) => `${l}\n`)
        .join(''),
    )
    await c1.waitReplies(3000, 60_000)
    // The sink is delivering too (its consumer joined), then more input arrives and the agent dies.
    await eventually(() => rolledLines(out).length > 0 || undefined, 30_000)
    c1.send(
      lines
        .slice(3000)
        .map((l) => `${l}\n`)
        .join(''),
    )
    await c1.waitReplies(5000, 60_000)
    await first.a.stop('SIGKILL')
    await c1.closed
    const acked = c1.replies.filter((r) => r === 'OK').length
    assert.ok(acked >= 5000 && acked < N, `killed mid-stream after ${acked} acknowledgements`)
    const second = await agent(config)
    const c2 = await lineClient(port)
    // At-least-once client: resend everything not acknowledged.
    c2.send(
      lines
        .slice(acked)
        .map((l) => `${l}\n`)
        .join(''),
    )
    await c2.waitReplies(N - acked, 60_000)
    c2.end()
    const got = await eventually(() => {
      const s = new Set(rolledLines(out))
      return s.size >= N ? s : undefined
    }, 60_000)
    for (const l of lines) assert.ok(got.has(l), `${l} lost`)
    const chan = (await second.metrics())['CHANNEL.c1'] as Record<string, string>
    for (const k of ['KafkaEventGetTimer', 'KafkaEventSendTimer', 'KafkaCommitTimer', 'RollbackCount'])
      assert.ok(k in chan, k)
    await second.a.stop()
  })
})

describe('kafka security passthrough', () => {
  const saslProps = (role: 'producer' | 'consumer', component: string, password = 'alice-secret') => `
${component}.kafka.${role}.security.protocol = SASL_SSL
${component}.kafka.${role}.sasl.mechanism = PLAIN
${component}.kafka.${role}.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="${password}";
${component}.kafka.${role}.ssl.truststore.location = ${caPem}
${component}.kafka.${role}.ssl.truststore.type = PEM
`

  it('SASL PLAIN over TLS both ways; a wrong password fails clearly and delivers nothing', async () => {
    const bootstrap = `127.0.0.1:${saslPort}`
    const { a: sink, metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 500
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
${memory()}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${bootstrap}
a1.sinks.k1.kafka.topic = secure
a1.sinks.k1.channel = c1
${saslProps('producer', 'a1.sinks.k1')}
`)
    await eventually(
      async () => Number((await metrics())['SINK.k1']?.EventDrainSuccessCount) >= 500 || undefined,
      30_000,
    )
    await sink.stop()
    const out = tempDir()
    const { a: source } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.kafka.bootstrap.servers = ${bootstrap}
a1.sources.r1.kafka.topics = secure
a1.sources.r1.kafka.consumer.auto.offset.reset = earliest
a1.sources.r1.channels = c1
${saslProps('consumer', 'a1.sources.r1')}
${memory()}
${fileRoll(out)}
`)
    const got = await eventually(() => {
      const l = rolledLines(out)
      return l.length >= 500 ? l : undefined
    }, 30_000)
    assert.deepEqual(new Set(got), new Set(Array.from({ length: 500 }, (_, i) => String(i))))
    await source.stop()

    const { a: bad, metrics: badMetrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 10
a1.sources.r1.channels = c1
${memory()}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = ${bootstrap}
a1.sinks.k1.kafka.topic = secure-bad
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.producer.delivery.timeout.ms = 2000
${saslProps('producer', 'a1.sinks.k1', 'wrong')}
`)
    await bad.waitFor(/Sink could not deliver a batch.*(SASL|uthenticat)/i, 30_000)
    const m = (await badMetrics())['SINK.k1'] as Record<string, string>
    assert.equal(m.EventDrainSuccessCount, '0')
    assert.ok(Number(m.RollbackCount) >= 1)
    await bad.stop()
  })

  it('flumen check refuses what the client cannot honour and warns about unknown keys, with file:line', async () => {
    const dir = tempDir()
    const f = writeConfig(
      dir,
      'kafka.conf',
      `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:9092
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.producer.security.protocol = SASL_SSL
a1.sinks.k1.kafka.producer.sasl.kerberos.service.name = kafka
a1.sinks.k1.kafka.producer.interceptor.classes = com.acme.Audit
a1.sinks.k1.kafka.producer.no.such.setting = 1
`,
    )
    const r = await runCli(['check', '-f', f, '-n', 'a1'])
    assert.equal(r.code, 1, r.stdout)
    const at = (line: number, re: RegExp) =>
      assert.ok(
        r.stdout.split('\n').some((l) => l.startsWith(`${f}:${line}: `) && re.test(l)),
        `${line}: ${re}\n${r.stdout}`,
      )
    at(10, /error: .*GSSAPI.*not supported/)
    at(12, /error: 'interceptor.classes' is not supported/)
    at(13, /warning: 'no.such.setting' is not a Kafka client property/)
  })

  it('a truststore Node cannot read drops the component at startup with the command that converts it', async () => {
    const ks = await testKeystores()
    const { a } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 1
a1.sources.r1.channels = c1
${memory()}
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:${saslPort}
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.producer.security.protocol = SSL
a1.sinks.k1.kafka.producer.ssl.truststore.location = ${ks.truststore}
`)
    await a.waitFor(/kafka\.producer\.ssl\.truststore\.location.*keytool -exportcert -rfc/, 15_000)
    await a.stop()
  })
})
