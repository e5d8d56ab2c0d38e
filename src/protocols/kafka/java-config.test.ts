import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseJaas, parseJaasFile } from './jaas.ts'
import { consumerSettings, type Globals, producerSettings } from './java-config.ts'

const none: Globals = { sys: new Map(), env: {} }
const producer = (p: Record<string, string>, globals = none) =>
  producerSettings({
    props: new Map(Object.entries({ 'bootstrap.servers': 'h1:9092,h2:9093', ...p })),
    clientId: 'c',
    globals,
  })
const consumer = (p: Record<string, string>, globals = none) =>
  consumerSettings({
    props: new Map(Object.entries({ 'bootstrap.servers': 'h1:9092', 'group.id': 'g', ...p })),
    clientId: 'c',
    globals,
  })

describe('Java producer properties', () => {
  it("uses Java 2.7's defaults", () => {
    const t = producer({})
    assert.deepEqual(t.errors, [])
    assert.deepEqual(t.settings.bootstrap, ['h1:9092', 'h2:9093'])
    assert.equal(t.settings.acks, 1)
    assert.equal(t.settings.compression, 'none')
    assert.equal(t.settings.idempotent, false)
    assert.equal(t.settings.requestTimeoutMs, 30_000)
    assert.equal(t.settings.maxRequestBytes, 1_048_576)
    assert.equal(t.settings.unkeyed, 'sticky')
    assert.equal(t.settings.tls, undefined)
    // delivery.timeout.ms (120 s) at retry.backoff.ms (100 ms) spacing
    assert.equal(t.settings.retries, 1200)
  })

  it('maps acks, compression, idempotence, retries and sizes', () => {
    const t = producer({
      acks: 'all',
      'compression.type': 'zstd',
      'enable.idempotence': 'TRUE',
      'delivery.timeout.ms': '5000',
      'retry.backoff.ms': '500',
      'max.request.size': '2000000',
      'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner',
    })
    assert.deepEqual(t.errors, [])
    assert.equal(t.settings.acks, -1)
    assert.equal(t.settings.compression, 'zstd')
    assert.equal(t.settings.idempotent, true)
    assert.equal(t.settings.retries, 10)
    assert.equal(t.settings.retryBackoffMs, 500)
    assert.equal(t.settings.maxRequestBytes, 2_000_000)
    assert.equal(t.settings.unkeyed, 'round-robin')
    assert.equal(producer({ acks: '-1' }).settings.acks, -1)
    assert.equal(producer({ acks: '0' }).settings.acks, 0)
    assert.equal(producer({ retries: '3' }).settings.retries, 3)
  })

  it('notes keys that have nothing to tune, warns about unknown keys', () => {
    const t = producer({ 'linger.ms': '5', 'batch.size': '65536', 'no.such.key': 'x' })
    assert.deepEqual(t.errors, [])
    assert.deepEqual(
      t.notes.map((n) => n.key),
      ['linger.ms', 'batch.size'],
    )
    assert.deepEqual(
      t.warnings.map((w) => w.key),
      ['no.such.key'],
    )
  })

  it('refuses what it cannot honour and bad values, naming the key', () => {
    const keys = (p: Record<string, string>) => producer(p).errors.map((e) => e.key)
    assert.deepEqual(keys({ 'interceptor.classes': 'com.x.Y' }), ['interceptor.classes'])
    assert.deepEqual(keys({ 'transactional.id': 't' }), ['transactional.id'])
    assert.deepEqual(keys({ 'partitioner.class': 'com.acme.MyPartitioner' }), ['partitioner.class'])
    assert.deepEqual(keys({ 'value.serializer': 'com.acme.Ser' }), ['value.serializer'])
    assert.deepEqual(keys({ acks: '2' }), ['acks'])
    assert.deepEqual(keys({ 'compression.type': 'brotli' }), ['compression.type'])
    assert.deepEqual(keys({ 'request.timeout.ms': 'soon' }), ['request.timeout.ms'])
    assert.deepEqual(keys({ 'enable.idempotence': 'yes' }), ['enable.idempotence'])
    assert.deepEqual(keys({ 'enable.idempotence': 'true', acks: '1' }), ['enable.idempotence'])
    assert.deepEqual(keys({ 'security.protocol': 'SASL_PLAINTEXT' }), ['security.protocol']) // GSSAPI default
    assert.deepEqual(
      producerSettings({
        props: new Map([['bootstrap.servers', 'nohost']]),
        clientId: 'c',
        globals: none,
      }).errors.map((e) => e.key),
      ['bootstrap.servers'],
    )
  })
})

describe('Java consumer properties', () => {
  it("uses Java 2.7's defaults", () => {
    const t = consumer({})
    assert.deepEqual(t.errors, [])
    assert.equal(t.settings.groupId, 'g')
    assert.equal(t.settings.autoOffsetReset, 'latest')
    assert.equal(t.settings.sessionTimeoutMs, 10_000)
    assert.equal(t.settings.heartbeatIntervalMs, 3_000)
    assert.equal(t.settings.rebalanceTimeoutMs, 300_000)
    assert.equal(t.settings.fetchMaxWaitMs, 500)
    assert.equal(t.settings.maxPartitionFetchBytes, 1_048_576)
    assert.equal(t.settings.readCommitted, false)
    assert.equal(t.settings.autoCreateTopics, true)
    assert.deepEqual(t.settings.assignmentStrategies, ['range'])
  })

  it('maps offsets reset, group timing, fetch sizes, isolation and assignors', () => {
    const t = consumer({
      'auto.offset.reset': 'earliest',
      'session.timeout.ms': '6000',
      'heartbeat.interval.ms': '1000',
      'max.poll.interval.ms': '2000',
      'fetch.min.bytes': '10',
      'fetch.max.wait.ms': '100',
      'isolation.level': 'read_committed',
      'partition.assignment.strategy':
        'org.apache.kafka.clients.consumer.RoundRobinAssignor, org.apache.kafka.clients.consumer.RangeAssignor',
      'group.instance.id': 'agent-1',
    })
    assert.deepEqual(t.errors, [])
    assert.equal(t.settings.autoOffsetReset, 'earliest')
    assert.equal(t.settings.sessionTimeoutMs, 6000)
    assert.equal(t.settings.rebalanceTimeoutMs, 6000, 'raised to session.timeout.ms')
    assert.deepEqual(
      t.warnings.map((w) => w.key),
      ['max.poll.interval.ms'],
    )
    assert.equal(t.settings.fetchMinBytes, 10)
    assert.equal(t.settings.readCommitted, true)
    assert.deepEqual(t.settings.assignmentStrategies, ['roundrobin', 'range'])
    assert.equal(t.settings.groupInstanceId, 'agent-1')
  })

  it('refuses auto commit, custom deserializers, unknown assignors and a heartbeat slower than the session', () => {
    const keys = (p: Record<string, string>) => consumer(p).errors.map((e) => e.key)
    assert.deepEqual(keys({ 'enable.auto.commit': 'true' }), ['enable.auto.commit'])
    assert.deepEqual(keys({ 'value.deserializer': 'x.Y' }), ['value.deserializer'])
    assert.deepEqual(
      keys({ 'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.StickyAssignor' }),
      ['partition.assignment.strategy'],
    )
    assert.deepEqual(keys({ 'heartbeat.interval.ms': '20000' }), ['heartbeat.interval.ms'])
    assert.deepEqual(keys({ 'auto.offset.reset': 'smallest' }), ['auto.offset.reset'])
  })
})

describe('TLS and SASL properties', () => {
  it("enables TLS for SSL, fills unset stores from the globals, honours Flume's hostname switch", () => {
    const g: Globals = {
      sys: new Map([['javax.net.ssl.trustStore', '/etc/ts.pem']]),
      env: { FLUME_SSL_TRUSTSTORE_TYPE: 'PEM', FLUME_SSL_KEYSTORE_PATH: '/etc/ks.p12' },
    }
    const t = producer(
      {
        'security.protocol': 'SSL',
        'ssl.keystore.location': '/mine.p12',
        'ssl.disableTLSHostnameVerification': 'true',
      },
      g,
    )
    assert.deepEqual(t.errors, [])
    assert.equal(t.settings.tls?.truststoreLocation, '/etc/ts.pem')
    assert.equal(t.settings.tls?.truststoreType, 'PEM')
    assert.equal(t.settings.tls?.keystoreLocation, '/mine.p12', 'a component key wins over the globals')
    assert.equal(t.settings.tls?.verifyHostname, false)
    assert.equal(producer({ 'security.protocol': 'SSL' }).settings.tls?.verifyHostname, true)
    assert.equal(
      producer({ 'security.protocol': 'SSL', 'ssl.endpoint.identification.algorithm': '' }).settings.tls
        ?.verifyHostname,
      false,
    )
    // Without SSL the globals never switch TLS on.
    assert.equal(producer({}, g).settings.tls, undefined)
  })

  it('reads SASL PLAIN and SCRAM credentials from sasl.jaas.config or the JAAS file', () => {
    const plain = producer({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'PLAIN',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p\\"w;d";',
    })
    assert.deepEqual(plain.errors, [])
    assert.deepEqual(plain.settings.sasl, { mechanism: 'PLAIN', username: 'alice', password: 'p"w;d' })
    assert.ok(plain.settings.tls !== undefined)
    const dir = mkdtempSync(join(tmpdir(), 'jaas-'))
    const file = join(dir, 'jaas.conf')
    writeFileSync(
      file,
      `// comment\nClient {\n  org.apache.zookeeper.server.auth.DigestLoginModule required username="zk" password="zk";\n};\nKafkaClient {\n  /* scram */ org.apache.kafka.common.security.scram.ScramLoginModule required\n  username=bob\n  password="s3cret";\n};\n`,
    )
    const scram = consumer(
      { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-512' },
      { sys: new Map([['java.security.auth.login.config', file]]), env: {} },
    )
    assert.deepEqual(scram.errors, [])
    assert.deepEqual(scram.settings.sasl, { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 's3cret' })
    assert.equal(scram.settings.tls, undefined)
  })

  it('refuses GSSAPI, OAUTHBEARER, a wrong login module and missing credentials', () => {
    const msg = (p: Record<string, string>) =>
      producer({ 'security.protocol': 'SASL_PLAINTEXT', ...p }).errors[0]?.message ?? ''
    assert.match(msg({ 'sasl.mechanism': 'GSSAPI' }), /GSSAPI.*not supported/)
    assert.match(msg({ 'sasl.mechanism': 'OAUTHBEARER' }), /not supported/)
    assert.match(msg({ 'sasl.mechanism': 'PLAIN' }), /needs credentials/)
    assert.match(
      msg({
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";',
      }),
      /needs PlainLoginModule/,
    )
  })
})

describe('JAAS syntax', () => {
  it('parses one login module entry with quoted and bare values', () => {
    const e = parseJaas(' x.y.PlainLoginModule  required\n username = "a b" password=c ;')
    assert.ok(!('error' in e))
    assert.equal(e.loginModule, 'x.y.PlainLoginModule')
    assert.deepEqual(
      [...e.options],
      [
        ['username', 'a b'],
        ['password', 'c'],
      ],
    )
  })

  it('reports malformed entries', () => {
    assert.ok('error' in parseJaas('x.Y required username="a"'))
    assert.ok('error' in parseJaas('x.Y maybe;'))
    assert.ok('error' in parseJaas('x.Y required a="1"; z.W required;'))
    assert.ok('error' in parseJaas('x.Y required a="1;'))
    assert.ok('error' in parseJaasFile('/nonexistent/jaas.conf'))
  })
})

describe('docs/kafka.md', () => {
  it('documents every Java client property the translation knows', async () => {
    const { readFileSync } = await import('node:fs')
    const { COMMON_KEYS, CONSUMER_KEYS, PRODUCER_KEYS } = await import('./java-config.ts')
    const doc = readFileSync(new URL('../../../docs/kafka.md', import.meta.url), 'utf8')
    // Every key must appear in a code span: itself, a `a.b/c/d` group, or a `prefix.*` pattern.
    const spans = [...doc.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)
    const covered = (key: string) =>
      spans.some((sp) => {
        if (sp === key) return true
        if (sp.endsWith('.*') && key.startsWith(sp.slice(0, -1))) return true
        const slash = /^(.*\.)([\w.]+(?:\/[\w.]+)+)$/.exec(sp)
        return slash !== null && (slash[2] as string).split('/').some((tail) => `${slash[1]}${tail}` === key)
      })
    const missing: string[] = []
    for (const key of [...COMMON_KEYS.keys(), ...PRODUCER_KEYS.keys(), ...CONSUMER_KEYS.keys()]) {
      if (!covered(key)) missing.push(key)
    }
    assert.deepEqual(missing, [])
  })
})
