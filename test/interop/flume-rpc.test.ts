/**
 * Avro and Thrift RPC against real Apache Flume 1.11 (Java, from Maven Central via test/peers), in both
 * directions, plain, with deflate, with TLS, and with both:
 *
 *   Java RpcClient (FlumeSend) / flume-ng avro-client ──▶ flumen avro|thrift source
 *   Java agent (avro|thrift sinks)                     ──▶ flumen avro|thrift source
 *   flumen agent (avro|thrift sinks)                   ──▶ Java avro|thrift source
 *   flumen RpcClient SDK                               ──▶ Java avro|thrift source
 *
 * Every receiving side writes with file_roll + the avro_event serializer, so the test reads back exact
 * headers and bodies (non-ASCII included). One JVM agent per direction carries all variants as separate
 * sources/channels/sinks, to keep the number of JVMs low.
 */

import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { RpcClient } from '../../src/client/index.ts'
import { FrameDecoder } from '../../src/protocols/avro-ipc/frame.ts'
import { avroEventsIn, type StoredEvent } from '../helpers/avro-files.ts'
import { type AgentProcess, eventually, startAgent } from '../helpers/cli.ts'
import {
  type FlumeAgent,
  flumeSend,
  freePort,
  runFlumeTool,
  startFlumeAgent,
  type TestKeystores,
  tempDir,
  testKeystores,
} from '../peers/index.ts'

/** One receiving variant: a source of one kind, written to its own avro_event file_roll directory. */
interface Variant {
  readonly name: string
  readonly kind: 'avro' | 'thrift'
  readonly deflate?: boolean
  readonly tls?: boolean
  readonly thriftProtocol?: 'compact' | 'binary'
}

const VARIANTS: readonly Variant[] = [
  { name: 'avro', kind: 'avro' },
  { name: 'avroZ', kind: 'avro', deflate: true },
  { name: 'avroTls', kind: 'avro', tls: true },
  { name: 'avroTlsZ', kind: 'avro', tls: true, deflate: true },
  { name: 'thriftC', kind: 'thrift' },
  { name: 'thriftB', kind: 'thrift', thriftProtocol: 'binary' },
  { name: 'thriftTls', kind: 'thrift', tls: true },
]

/** Receiving config: one source + memory channel + avro_event file_roll per variant. */
function receiverConfig(
  agent: string,
  dir: string,
  ports: ReadonlyMap<string, number>,
  ks: TestKeystores,
  extra: { sources: string[]; channels: string[]; sinks: string[]; lines: string[] } = {
    sources: [],
    channels: [],
    sinks: [],
    lines: [],
  },
): string {
  const l: string[] = []
  const names = VARIANTS.map((v) => v.name)
  l.push(`${agent}.sources = ${[...names.map((n) => `r_${n}`), ...extra.sources].join(' ')}`)
  l.push(`${agent}.channels = ${[...names.map((n) => `c_${n}`), ...extra.channels].join(' ')}`)
  l.push(`${agent}.sinks = ${[...names.map((n) => `k_${n}`), ...extra.sinks].join(' ')}`)
  for (const v of VARIANTS) {
    const s = `${agent}.sources.r_${v.name}`
    l.push(
      `${s}.type = ${v.kind}`,
      `${s}.bind = 127.0.0.1`,
      `${s}.port = ${ports.get(v.name)}`,
      `${s}.channels = c_${v.name}`,
    )
    if (v.deflate) l.push(`${s}.compression-type = deflate`)
    if (v.thriftProtocol) l.push(`${s}.protocol = ${v.thriftProtocol}`)
    if (v.tls) {
      l.push(
        `${s}.ssl = true`,
        `${s}.keystore = ${ks.keystore}`,
        `${s}.keystore-password = ${ks.password}`,
        `${s}.keystore-type = PKCS12`,
      )
    }
    l.push(`${agent}.channels.c_${v.name}.type = memory`, `${agent}.channels.c_${v.name}.capacity = 10000`)
    const k = `${agent}.sinks.k_${v.name}`
    const out = join(dir, v.name)
    mkdirSync(out, { recursive: true }) // Flume's file_roll does not create it
    l.push(
      `${k}.type = file_roll`,
      `${k}.channel = c_${v.name}`,
      `${k}.sink.directory = ${out}`,
      `${k}.sink.rollInterval = 0`,
      `${k}.sink.serializer = avro_event`,
    )
  }
  l.push(...extra.lines)
  return `${l.join('\n')}\n`
}

/** Sender lines: an avro source `in_<v>` fed by the test, and a sink of the variant's kind to `port`. */
function senderLines(
  agent: string,
  v: Variant,
  inPort: number,
  outPort: number,
  ks: TestKeystores,
): string[] {
  const s = `${agent}.sources.in_${v.name}`
  const k = `${agent}.sinks.out_${v.name}`
  const l = [
    `${s}.type = avro`,
    `${s}.bind = 127.0.0.1`,
    `${s}.port = ${inPort}`,
    `${s}.channels = cin_${v.name}`,
    `${agent}.channels.cin_${v.name}.type = memory`,
    `${k}.type = ${v.kind}`,
    `${k}.hostname = 127.0.0.1`,
    `${k}.port = ${outPort}`,
    `${k}.channel = cin_${v.name}`,
    `${k}.batch-size = 7`,
  ]
  if (v.deflate) l.push(`${k}.compression-type = deflate`)
  if (v.thriftProtocol) l.push(`${k}.protocol = ${v.thriftProtocol}`)
  if (v.tls) {
    l.push(
      `${k}.ssl = true`,
      `${k}.truststore = ${ks.truststore}`,
      `${k}.truststore-password = ${ks.password}`,
      `${k}.truststore-type = PKCS12`,
    )
  }
  return l
}

const BODIES = [
  'plain ascii',
  'héllo wörld',
  '日本語のテキスト',
  'emoji 🚀 and tab\tinside',
  'Ελληνικά · ∑ ≠ ∞',
]

function sorted(events: readonly StoredEvent[]): StoredEvent[] {
  return [...events].sort((a, b) =>
    (a.headers.seq ?? '').localeCompare(b.headers.seq ?? '', 'en', { numeric: true }),
  )
}

function expectEvents(got: readonly StoredEvent[], n: number, headers: Record<string, string>): void {
  assert.equal(got.length, n, `expected ${n} events, got ${got.length}`)
  const s = sorted(got)
  for (let i = 0; i < n; i++) {
    const e = s[i] as StoredEvent
    assert.equal(e.body, BODIES[i % BODIES.length], `body of event ${i}`)
    for (const [k, v] of Object.entries(headers)) assert.equal(e.headers[k], v, `header ${k} of event ${i}`)
  }
}

// Tests run concurrently (the sink runners' back-off, up to 5 s on both sides, would otherwise add up);
// each filters the events it reads back by its own `t` header.
describe('interop with Apache Flume 1.11 (Java)', { timeout: 300_000, concurrency: 4 }, () => {
  let ks: TestKeystores
  let dir: string
  let bodyFile: string
  // flumen hub: receives every variant on r_<v>, and forwards in_<v> → Java collector.
  let hub: AgentProcess
  const hubPorts = new Map<string, number>()
  const hubInPorts = new Map<string, number>()
  // Java collector: receives every variant from flumen.
  let collector: FlumeAgent
  const collectorPorts = new Map<string, number>()
  // Java forwarder: in_<v> (avro, fed by FlumeSend) → sink of the variant → flumen hub.
  let forwarder: FlumeAgent
  const forwarderInPorts = new Map<string, number>()

  before(async () => {
    ks = await testKeystores()
    dir = tempDir('rpc-interop')
    bodyFile = join(dir, 'bodies.txt')
    writeFileSync(bodyFile, `${BODIES.join('\n')}\n`)
    for (const v of VARIANTS) {
      hubPorts.set(v.name, await freePort())
      hubInPorts.set(v.name, await freePort())
      collectorPorts.set(v.name, await freePort())
      forwarderInPorts.set(v.name, await freePort())
    }
    collector = await startFlumeAgent({
      name: 'jc',
      config: ({ dir: d }) => receiverConfig('jc', join(d, 'out'), collectorPorts, ks),
    })
    const hubLines: string[] = []
    for (const v of VARIANTS)
      hubLines.push(
        ...senderLines('a1', v, hubInPorts.get(v.name) as number, collectorPorts.get(v.name) as number, ks),
      )
    hub = await startAgent(
      receiverConfig('a1', join(dir, 'hub'), hubPorts, ks, {
        sources: VARIANTS.map((v) => `in_${v.name}`),
        channels: VARIANTS.map((v) => `cin_${v.name}`),
        sinks: VARIANTS.map((v) => `out_${v.name}`),
        lines: hubLines,
      }),
    )
    const fl: string[] = [
      `jf.sources = ${VARIANTS.map((v) => `in_${v.name}`).join(' ')}`,
      `jf.channels = ${VARIANTS.map((v) => `cin_${v.name}`).join(' ')}`,
      `jf.sinks = ${VARIANTS.map((v) => `out_${v.name}`).join(' ')}`,
    ]
    for (const v of VARIANTS)
      fl.push(
        ...senderLines('jf', v, forwarderInPorts.get(v.name) as number, hubPorts.get(v.name) as number, ks),
      )
    forwarder = await startFlumeAgent({ name: 'jf', config: `${fl.join('\n')}\n` })
  })

  after(async () => {
    await Promise.all([hub?.stop(), collector?.kill(), forwarder?.kill()])
  })

  const hubOut = (v: string) => avroEventsIn(join(dir, 'hub', v))
  const collectorOut = (v: string) => avroEventsIn(join(collector.dir, 'out', v))

  for (const v of VARIANTS) {
    const what = `${v.kind}${v.thriftProtocol ? ` (${v.thriftProtocol})` : ''}${v.deflate ? ' + deflate' : ''}${v.tls ? ' + TLS' : ''}`

    it(`Java RpcClient → flumen ${what} source`, async () => {
      const headers = { t: `rpc-${v.name}`, client: 'java-rpc', schlüssel: 'wért ✓', variant: v.name }
      const r = await flumeSend({
        type: v.kind,
        port: hubPorts.get(v.name) as number,
        count: 25,
        batch: 10,
        bodyFile,
        headers,
        ...(v.deflate ? { compression: 'deflate' as const } : {}),
        ...(v.thriftProtocol ? { thriftProtocol: v.thriftProtocol } : {}),
        ...(v.tls ? { ssl: { truststore: ks.truststore, password: ks.password, type: 'PKCS12' } } : {}),
      })
      assert.equal(r.sent, 25)
      const got = await eventually(() => {
        const all = hubOut(v.name).filter((e) => e.headers.t === headers.t)
        return all.length >= 25 ? all : undefined
      })
      // FlumeSend's body-file mode sends the lines in order, cycling; no seq header: order = file order.
      assert.equal(got.length, 25)
      got.forEach((e, i) => {
        assert.equal(e.body, BODIES[i % BODIES.length])
        assert.deepEqual(e.headers, headers)
      })
    })

    it(`Java ${v.kind} sink → flumen ${what} source`, async () => {
      const headers = { t: `sink-${v.name}`, hop: 'java-sink', ключ: 'значение' }
      await flumeSend({
        type: 'avro',
        port: forwarderInPorts.get(v.name) as number,
        count: 20,
        batch: 5,
        bodyFile,
        headers,
      })
      const got = await eventually(() => {
        const all = hubOut(v.name).filter((e) => e.headers.t === headers.t)
        return all.length >= 20 ? all : undefined
      }, 30_000)
      assert.equal(got.length, 20)
      got.forEach((e, i) => {
        assert.equal(e.body, BODIES[i % BODIES.length])
        assert.deepEqual(e.headers, headers)
      })
    })

    it(`flumen ${v.kind} sink → Java ${what} source`, async () => {
      const client = await RpcClient.create({
        type: 'avro',
        hosts: [`127.0.0.1:${hubInPorts.get(v.name)}`],
        batchSize: 4,
      })
      const events = Array.from({ length: 18 }, (_, i) => ({
        headers: { t: `hop-${v.name}`, seq: String(i), from: 'flumen', ünïcödé: '✓ ok' },
        body: BODIES[i % BODIES.length] as string,
      }))
      await client.appendBatch(events)
      await client.close()
      const got = await eventually(() => {
        const all = collectorOut(v.name).filter((e) => e.headers.t === `hop-${v.name}`)
        return all.length >= 18 ? all : undefined
      }, 30_000)
      expectEvents(got, 18, { from: 'flumen', ünïcödé: '✓ ok' })
    })

    it(`flumen RpcClient → Java ${what} source`, async () => {
      const client = await RpcClient.create({
        type: v.kind,
        hosts: [`127.0.0.1:${collectorPorts.get(v.name)}`],
        batchSize: 6,
        ...(v.deflate ? { compressionLevel: 9 } : {}),
        ...(v.thriftProtocol ? { thriftProtocol: v.thriftProtocol } : {}),
        ...(v.tls
          ? { ssl: { truststore: ks.truststore, truststorePassword: ks.password, truststoreType: 'PKCS12' } }
          : {}),
      })
      const events = Array.from({ length: 13 }, (_, i) => ({
        headers: { t: `sdk-${v.name}`, seq: String(i), sdk: 'yes' },
        body: BODIES[i % BODIES.length] as string,
      }))
      await client.appendBatch(events.slice(0, 10))
      for (const e of events.slice(10)) await client.append(e)
      await client.close()
      const got = await eventually(() => {
        const all = collectorOut(v.name).filter((e) => e.headers.t === `sdk-${v.name}`)
        return all.length >= 13 ? all : undefined
      }, 30_000)
      expectEvents(got, 13, { sdk: 'yes' })
    })
  }

  it('flume-ng avro-client (-F file, -R header file) → flumen avro source', async () => {
    const headerFile = join(dir, 'headers.properties')
    writeFileSync(headerFile, 't = avro-client\ntool = avro-client\nplace = M\\u00fcnchen\n')
    const r = await runFlumeTool('avro-client', [
      '-H',
      '127.0.0.1',
      '-p',
      String(hubPorts.get('avro')),
      '-F',
      bodyFile,
      '-R',
      headerFile,
    ])
    assert.equal(r.code, 0, r.stderr)
    const got = await eventually(() => {
      const all = hubOut('avro').filter((e) => e.headers.t === 'avro-client')
      return all.length >= BODIES.length ? all : undefined
    })
    assert.deepEqual(
      got.map((e) => e.body),
      BODIES,
    )
    for (const e of got)
      assert.deepEqual(e.headers, { t: 'avro-client', tool: 'avro-client', place: 'München' })
  })

  it("a Java client's first call is answered BOTH: the handshake matches on the first round trip", async () => {
    // A recording proxy between Java's RpcClient and the flumen avro source.
    const replies: Buffer[] = []
    let requests = 0
    const proxy = createServer((client: Socket) => {
      const upstream = connect(hubPorts.get('avro') as number, '127.0.0.1')
      const reqDec = new FrameDecoder(() => {
        requests++
      })
      const resDec = new FrameDecoder((_s, p) => replies.push(Buffer.from(p)))
      client.on('data', (d: Buffer) => {
        reqDec.push(d)
        upstream.write(d)
      })
      upstream.on('data', (d: Buffer) => {
        resDec.push(d)
        client.write(d)
      })
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
      client.on('error', () => {})
      upstream.on('error', () => {})
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
    const port = (proxy.address() as { port: number }).port
    await flumeSend({ type: 'avro', port, count: 3, batch: 3 })
    proxy.close()
    assert.equal(requests, 1, 'one request: no NONE round trip')
    assert.equal(replies.length, 1)
    // HandshakeResponse: match BOTH (0), serverProtocol null, serverHash null, meta null; then OK.
    assert.equal((replies[0] as Buffer).toString('hex'), '00000000000000')
  })
})
