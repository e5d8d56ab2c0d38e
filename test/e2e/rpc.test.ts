/**
 * End-to-end behaviour of the avro/thrift sources and sinks and of `flumen avro-client`, with real flumen
 * agents (the built CLI) and real sockets. Interop with Java Flume is in test/interop/flume-rpc.test.ts.
 */

import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { RpcClient } from '../../src/client/index.ts'
import { EventDeliveryError } from '../../src/core/errors.ts'
import type { DecodedFlumeEvent } from '../../src/protocols/avro/flume-event.ts'
import {
  AvroRequestor,
  AvroResponder,
  type AvroStatus,
  encodeFrame,
  ZlibDuplex,
} from '../../src/protocols/avro-ipc/index.ts'
import { avroEventsIn } from '../helpers/avro-files.ts'
import {
  type AgentProcess,
  BIN,
  eventually,
  fetchJson,
  freePort,
  runCli,
  startAgent,
  tempDir,
} from '../helpers/cli.ts'

const agents: AgentProcess[] = []
const servers: Server[] = []
after(async () => {
  for (const s of servers) s.close()
  await Promise.all(agents.map((a) => a.stop()))
})

async function agent(
  config: string,
  opts: { dir?: string; monitor?: boolean } = {},
): Promise<{ a: AgentProcess; metrics: () => Promise<Record<string, Record<string, string>>> }> {
  const mon = await freePort()
  const a = await startAgent(config, {
    ...(opts.dir ? { dir: opts.dir } : {}),
    sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
  })
  agents.push(a)
  return { a, metrics: () => fetchJson(`http://127.0.0.1:${mon}/metrics`) }
}

const ev = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ headers: { tag, i: String(i) }, body: `${tag}-${i}` }))

describe('avro source', { concurrency: true }, () => {
  it('answers FAILED when the channel is full, OK again once there is room', async () => {
    const port = await freePort()
    const dead = await freePort()
    const { metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 5
a1.channels.c1.transactionCapacity = 5
a1.channels.c1.keep-alive = 0
a1.sinks.k1.type = avro
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = ${dead}
a1.sinks.k1.batch-size = 5
a1.sinks.k1.channel = c1
`)
    const c = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: 5 })
    await c.appendBatch(ev(5, 'fill'))
    await assert.rejects(
      c.appendBatch(ev(1, 'over')),
      (e: Error) => e instanceof EventDeliveryError && /Status: FAILED/.test(e.message),
    )
    await c.close()
    const m = await metrics()
    assert.equal(m['SOURCE.r1']?.EventAcceptedCount, '5')
    assert.equal(m['SOURCE.r1']?.ChannelWriteFail, '1')
    assert.equal(m['CHANNEL.c1']?.ChannelSize, '5')
    // The sink cannot deliver (dead peer): nothing was taken for good.
    assert.equal(m['SINK.k1']?.EventDrainSuccessCount, '0')
  })

  it('a failing required channel answers FAILED; a failing optional channel does not', async () => {
    const port = await freePort()
    const port2 = await freePort()
    const dir = tempDir()
    mkdirSync(join(dir, 'out'))
    const { metrics } = await agent(`
a1.sources = r1 r2
a1.channels = big tiny
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = big tiny
a1.sources.r1.selector.optional = tiny
a1.sources.r2.type = avro
a1.sources.r2.bind = 127.0.0.1
a1.sources.r2.port = ${port2}
a1.sources.r2.channels = big tiny
a1.channels.big.type = memory
a1.channels.tiny.type = memory
a1.channels.tiny.capacity = 2
a1.channels.tiny.transactionCapacity = 2
a1.channels.tiny.keep-alive = 0
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ${dir}/out
a1.sinks.k1.sink.serializer = avro_event
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = big
`)
    const c1 = await RpcClient.create({ hosts: [`127.0.0.1:${port}`] })
    await c1.appendBatch(ev(2, 'a')) // fills tiny
    await c1.appendBatch(ev(3, 'b')) // tiny is optional: accepted
    const c2 = await RpcClient.create({ hosts: [`127.0.0.1:${port2}`] })
    await assert.rejects(c2.appendBatch(ev(3, 'c')), /Status: FAILED/) // tiny is required for r2
    await Promise.all([c1.close(), c2.close()])
    const m = await metrics()
    assert.equal(m['SOURCE.r1']?.EventAcceptedCount, '5')
    assert.equal(m['SOURCE.r2']?.ChannelWriteFail, '1')
    // Flume compat: r2's batch was committed to `big` before `tiny` failed (the client retries: duplicates).
    await eventually(() => avroEventsIn(join(dir, 'out')).length === 8 || undefined)
  })

  it('ipFilter: rules decide in order; a denied client is disconnected before anything is read', async () => {
    const deny = await freePort()
    const allow = await freePort()
    const { a } = await agent(`
a1.sources = r1 r2
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${deny}
a1.sources.r1.ipFilter = true
a1.sources.r1.ipFilterRules = allow:ip:10.*,deny:ip:*
a1.sources.r1.channels = c1
a1.sources.r2.type = avro
a1.sources.r2.bind = 127.0.0.1
a1.sources.r2.port = ${allow}
a1.sources.r2.ipFilter = true
a1.sources.r2.ipFilterRules = deny:ip:10.*,allow:name:localhost,deny:ip:*
a1.sources.r2.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`)
    const denied = await RpcClient.create({ hosts: [`127.0.0.1:${deny}`] })
    await assert.rejects(denied.appendBatch(ev(1, 'x')), EventDeliveryError)
    await a.waitFor(/connection denied by ipFilter.*rule=deny:ip:\*/)
    const ok = await RpcClient.create({ hosts: [`127.0.0.1:${allow}`] })
    await ok.appendBatch(ev(2, 'y'))
    await ok.close()
  })

  it('refuses an ipFilter without rules or with a malformed rule at configuration time', async () => {
    const dir = tempDir()
    const conf = join(dir, 'a.conf')
    writeFileSync(
      conf,
      `a1.sources = r1\na1.channels = c1\na1.sources.r1.type = avro\na1.sources.r1.bind = 127.0.0.1\na1.sources.r1.port = 1\na1.sources.r1.channels = c1\na1.sources.r1.ipFilter = true\na1.sources.r1.ipFilterRules = allow:host:x\na1.channels.c1.type = memory\n`,
    )
    const r = await runCli(['check', '-f', conf, '-n', 'a1'])
    assert.equal(r.code, 1)
    assert.match(
      r.stdout,
      /a\.conf:\d+: error: Invalid ipFilter patternRule 'allow:host:x'.*\[a1\.sources\.r1\.ipFilterRules\]/,
    )
  })

  it('hardening: oversized requests, garbage, slow clients and excess connections lose their connection, with a reason; the source goes on', async () => {
    const port = await freePort()
    const { a, metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.max-frame-bytes = 65536
a1.sources.r1.max-connections = 3
a1.sources.r1.stall-timeout = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`)
    const raw = async (): Promise<Socket> => {
      const s = connect(port, '127.0.0.1')
      s.on('error', () => {})
      await new Promise((r) => s.once('connect', r))
      return s
    }
    const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())))
    // 1. A request announcing 1 MiB.
    const big = await raw()
    big.write(Buffer.from('00000001000000010010000000', 'hex'))
    await closed(big)
    await a.waitFor(/closed a client connection.*request too large: Request of more than 65536 bytes/)
    // 2. Garbage where the handshake should be.
    const junk = await raw()
    junk.write(encodeFrame(1, [Buffer.from('not a handshake at all')]))
    await closed(junk)
    await a.waitFor(/closed a client connection.*malformed request/)
    // 3. Half a pack, then silence.
    const slow = await raw()
    slow.write(Buffer.from('0000000100000001000000', 'hex'))
    await closed(slow)
    await a.waitFor(/closed a client connection.*slow client.*stall-timeout/)
    // 4. Too many connections.
    const held = [await raw(), await raw(), await raw()]
    const extra = await raw()
    await closed(extra)
    await a.waitFor(/connection refused, max-connections reached/)
    for (const s of held) s.destroy()
    // Still serving.
    await eventually(
      async () => Number((await metrics())['SOURCE.r1']?.OpenConnectionCount) === 0 || undefined,
    )
    const c = await RpcClient.create({ hosts: [`127.0.0.1:${port}`] })
    await c.appendBatch(ev(3, 'after'))
    await c.close()
    assert.equal((await metrics())['SOURCE.r1']?.EventAcceptedCount, '3')
  })

  it('refuses a JKS keystore with the keytool command, and keeps the rest of the agent running', async () => {
    const dir = tempDir()
    const jks = join(dir, 'server.jks')
    await promisify(execFile)('keytool', [
      ...['-genkeypair', '-alias', 'x', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=x'],
      ...['-storetype', 'JKS', '-keystore', jks, '-storepass', 'password', '-keypass', 'password'],
    ])
    const bad = await freePort()
    const good = await freePort()
    const { a } = await agent(`
a1.sources = tls plain
a1.channels = c1
a1.sinks = k1
a1.sources.tls.type = avro
a1.sources.tls.bind = 127.0.0.1
a1.sources.tls.port = ${bad}
a1.sources.tls.ssl = true
a1.sources.tls.keystore = ${jks}
a1.sources.tls.keystore-password = password
a1.sources.tls.channels = c1
a1.sources.plain.type = avro
a1.sources.plain.bind = 127.0.0.1
a1.sources.plain.port = ${good}
a1.sources.plain.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`)
    const line = await a.waitFor(/server\.jks is a JKS file/)
    assert.match(
      line,
      /keytool -importkeystore -srckeystore \S+server\.jks -destkeystore \S+server\.p12 -deststoretype PKCS12/,
    )
    const c = await RpcClient.create({ hosts: [`127.0.0.1:${good}`] })
    await c.appendBatch(ev(1, 'ok'))
    await c.close()
  })
})

/** An in-process avro server whose answers the test scripts. */
async function scriptedServer(answer: (n: number, events: DecodedFlumeEvent[]) => AvroStatus | 'hang') {
  const got: { status: AvroStatus | 'hang'; events: DecodedFlumeEvent[] }[] = []
  let connections = 0
  const server = createServer((s) => {
    connections++
    new AvroResponder(s, {
      append: () => 'OK',
      appendBatch: (events) => {
        const status = answer(got.length, events)
        got.push({ status, events })
        return status === 'hang' ? new Promise<AvroStatus>(() => {}) : status
      },
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { port: (server.address() as { port: number }).port, got, connections: () => connections }
}

describe('avro sink', { concurrency: true }, () => {
  it('commits its take only after the peer answered OK: FAILED and silence roll back, nothing is lost', async () => {
    const peer = await scriptedServer((n) => (n === 0 ? 'FAILED' : n === 1 ? 'hang' : 'OK'))
    const port = await freePort()
    const { metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = avro
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = ${peer.port}
a1.sinks.k1.batch-size = 10
a1.sinks.k1.request-timeout = 1000
a1.sinks.k1.connect-timeout = 1000
a1.sinks.k1.channel = c1
`)
    const c = await RpcClient.create({ hosts: [`127.0.0.1:${port}`] })
    await c.appendBatch(ev(25, 'keep'))
    await c.close()
    await eventually(
      async () => (await metrics())['SINK.k1']?.EventDrainSuccessCount === '25' || undefined,
      30_000,
    )
    const ok = peer.got
      .filter((g) => g.status === 'OK')
      .flatMap((g) => g.events.map((e) => e.body.toString()))
    assert.deepEqual(
      ok.sort(),
      ev(25, 'keep')
        .map((e) => e.body)
        .sort(),
    )
    // The first batch was answered FAILED, the second never: both came back and were sent again.
    assert.equal(peer.got[0]?.status, 'FAILED')
    assert.equal(peer.got[1]?.status, 'hang')
    assert.deepEqual(
      peer.got[2]?.events.map((e) => e.body.toString()),
      peer.got[0]?.events.map((e) => e.body.toString()),
    )
    const m = (await metrics())['SINK.k1'] ?? {}
    assert.equal(m.EventWriteFail !== '0', true)
    assert.ok(Number(m.ConnectionCreatedCount) >= 2, 'reconnected after the failures')
    assert.equal((await metrics())['CHANNEL.c1']?.ChannelSize, '0')
  })

  it('reset-connection-interval reopens the connection; maxIoWorkers is accepted with a warning', async () => {
    const peer = await scriptedServer(() => 'OK')
    const port = await freePort()
    const { a, metrics } = await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = avro
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = ${peer.port}
a1.sinks.k1.reset-connection-interval = 1
a1.sinks.k1.maxIoWorkers = 8
a1.sinks.k1.channel = c1
`)
    await a.waitFor(/Specifying the number of workers is no longer supported/)
    const c = await RpcClient.create({ hosts: [`127.0.0.1:${port}`] })
    for (let i = 0; i < 4; i++) {
      await c.appendBatch(ev(2, `r${i}`))
      await new Promise((r) => setTimeout(r, 700))
    }
    await c.close()
    await eventually(
      async () => (await metrics())['SINK.k1']?.EventDrainSuccessCount === '8' || undefined,
      20_000,
    )
    assert.ok(peer.connections() >= 2, `connections: ${peer.connections()}`)
    assert.ok(Number((await metrics())['SINK.k1']?.ConnectionClosedCount) >= 1)
  })

  it('deflate on both ends of a flumen → flumen hop', async () => {
    const collector = await freePort()
    const entry = await freePort()
    const dir = tempDir()
    mkdirSync(join(dir, 'out'))
    await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${collector}
a1.sources.r1.compression-type = deflate
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ${dir}/out
a1.sinks.k1.sink.serializer = avro_event
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
`)
    await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${entry}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = avro
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = ${collector}
a1.sinks.k1.compression-type = deflate
a1.sinks.k1.compression-level = 1
a1.sinks.k1.channel = c1
`)
    const c = await RpcClient.create({ hosts: [`127.0.0.1:${entry}`] })
    await c.appendBatch(
      Array.from({ length: 300 }, (_, i) => ({ headers: { i: String(i) }, body: 'z'.repeat(1000) + i })),
    )
    await c.close()
    const got = await eventually(() => {
      const e = avroEventsIn(join(dir, 'out'))
      return e.length === 300 ? e : undefined
    }, 20_000)
    assert.equal(new Set(got.map((e) => e.headers.i)).size, 300)
    // A plain client cannot talk to the deflate source: the zlib layer rejects it.
    const plain = connect(collector, '127.0.0.1')
    plain.on('error', () => {})
    const r = new AvroRequestor(plain, { peer: 'x', connectTimeoutMs: 2000, requestTimeoutMs: 2000 })
    await assert.rejects(r.appendBatch([{ headers: {}, body: Buffer.from('x') }]))
    // …and a deflate client to it works.
    const z = connect(collector, '127.0.0.1')
    await new Promise((res) => z.once('connect', res))
    const zr = new AvroRequestor(new ZlibDuplex(z), {
      peer: 'z',
      connectTimeoutMs: 2000,
      requestTimeoutMs: 2000,
    })
    assert.equal(await zr.appendBatch([{ headers: {}, body: Buffer.from('x') }]), 'OK')
    zr.close()
  })
})

describe('thrift source', () => {
  it('answers ERROR when something other than a channel fails, FAILED for a full channel', async () => {
    const dir = tempDir()
    writeFileSync(
      join(dir, 'boom.mjs'),
      `export const spec = { kind: 'interceptor', type: 'boom', summary: 'throws on "boom"', fields: {},
         build: () => ({ intercept(events) { if (events.some((e) => e.body.toString() === 'boom')) throw new Error('interceptor exploded'); return events } }) }\n`,
    )
    const port = await freePort()
    const { metrics } = await agent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = thrift
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.interceptors = b
a1.sources.r1.interceptors.b.type = ./boom.mjs
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 3
a1.channels.c1.transactionCapacity = 3
a1.channels.c1.keep-alive = 0
a1.sinks.k1.type = thrift
a1.sinks.k1.hostname = 127.0.0.1
a1.sinks.k1.port = ${await freePort()}
a1.sinks.k1.channel = c1
`,
      { dir },
    )
    const c = await RpcClient.create({ type: 'thrift', hosts: [`127.0.0.1:${port}`] })
    await assert.rejects(c.append({ body: 'boom' }), /Server returned status : ERROR/)
    await c.appendBatch(ev(3, 'fill'))
    await assert.rejects(c.appendBatch(ev(1, 'x')), /Server returned status : FAILED/)
    await c.close()
    const m = (await metrics())['SOURCE.r1'] ?? {}
    assert.equal(m.GenericProcessingFail, '1')
    assert.equal(m.ChannelWriteFail, '1')
    assert.equal(m.EventAcceptedCount, '3')
  })
})

describe('flumen avro-client', { concurrency: true }, () => {
  async function collector(): Promise<{ port: number; out: string }> {
    const port = await freePort()
    const dir = tempDir()
    const out = join(dir, 'out')
    mkdirSync(out)
    await agent(`
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = avro
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.serializer = avro_event
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
`)
    return { port, out }
  }

  it('-F file with -R headers: one event per line (\\n, \\r\\n and \\r end lines)', async () => {
    const { port, out } = await collector()
    const dir = tempDir()
    writeFileSync(join(dir, 'in.txt'), 'first\nsécond\r\nthird\rfourth\n\nsixth')
    writeFileSync(join(dir, 'h.properties'), 'host = web-1\ncity = K\\u00f6ln\n')
    const r = await runCli([
      'avro-client',
      '-H',
      '127.0.0.1',
      '-p',
      String(port),
      '-F',
      join(dir, 'in.txt'),
      '-R',
      join(dir, 'h.properties'),
    ])
    assert.equal(r.code, 0, r.stderr)
    const got = await eventually(() => {
      const e = avroEventsIn(out)
      return e.length === 6 ? e : undefined
    })
    assert.deepEqual(
      got.map((e) => e.body),
      ['first', 'sécond', 'third', 'fourth', '', 'sixth'],
    )
    for (const e of got) assert.deepEqual(e.headers, { host: 'web-1', city: 'Köln' })
  })

  it('reads standard input; -P takes RpcClient properties', async () => {
    const { port, out } = await collector()
    const dir = tempDir()
    writeFileSync(
      join(dir, 'rpc.properties'),
      `client.type = default\nhosts = h1\nhosts.h1 = 127.0.0.1:${port}\nbatch-size = 2\n`,
    )
    const child = spawn(process.execPath, [BIN, 'avro-client', '-P', join(dir, 'rpc.properties')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.stdin.end(Array.from({ length: 7 }, (_, i) => `line ${i}`).join('\n'))
    const code = await new Promise<number | null>((r) => child.on('close', r))
    assert.equal(code, 0, err)
    await eventually(() => avroEventsIn(out).length === 7 || undefined)
  })

  it('--dirname sends every file and renames it .COMPLETED; long lines are cut at 2048 characters', async () => {
    const { port, out } = await collector()
    const spool = tempDir()
    writeFileSync(join(spool, 'a.log'), 'a1\na2\n')
    writeFileSync(join(spool, 'b.log'), `${'x'.repeat(5000)}\n`)
    writeFileSync(join(spool, '.hidden'), 'skip me\n')
    writeFileSync(join(spool, 'old.log.COMPLETED'), 'skip me too\n')
    const r = await runCli(['avro-client', '-H', '127.0.0.1', '-p', String(port), '--dirname', spool])
    assert.equal(r.code, 0, r.stderr)
    const got = await eventually(() => {
      const e = avroEventsIn(out)
      return e.length === 5 ? e : undefined
    })
    assert.deepEqual(
      got.map((e) => e.body.length),
      [2, 2, 2048, 2048, 904],
    )
    assert.deepEqual(readdirSync(spool).sort(), [
      '.hidden',
      'a.log.COMPLETED',
      'b.log.COMPLETED',
      'old.log.COMPLETED',
    ])
  })

  it('exits 1 with a message when the source cannot be reached, 2 on bad usage', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'in.txt'), 'x\n')
    const r = await runCli([
      'avro-client',
      '-H',
      '127.0.0.1',
      '-p',
      String(await freePort()),
      '-F',
      join(dir, 'in.txt'),
    ])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /unable to deliver events after 0 sent: .*ECONNREFUSED/)
    const u = await runCli(['avro-client', '-F', 'x', '--dirname', 'y', '-H', 'h', '-p', '1'])
    assert.equal(u.code, 2)
    assert.match(u.stderr, /cannot be used simultaneously/)
    assert.equal(existsSync(join(dir, 'in.txt.COMPLETED')), false)
  })
})
