import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { ConfigError, EventDeliveryError } from '../core/errors.ts'
import type { DecodedFlumeEvent } from '../protocols/avro/flume-event.ts'
import { AvroResponder, type AvroStatus } from '../protocols/avro-ipc/index.ts'
import { type DecodedThriftEvent, ThriftResponder, type ThriftStatus } from '../protocols/thrift/index.ts'
import { optionsFromProperties, resolveOptions } from './config.ts'
import { type FailoverRpcClient, RpcClient } from './index.ts'

interface TestServer {
  readonly port: number
  readonly batches: DecodedFlumeEvent[][]
  connections: number
  status: AvroStatus | ThriftStatus
  close(): Promise<void>
}

const servers: Server[] = []
after(() => {
  for (const s of servers) s.close()
})

async function avroServer(): Promise<TestServer> {
  const t: TestServer = { port: 0, batches: [], connections: 0, status: 'OK', close: async () => {} }
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    t.connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    new AvroResponder(s, {
      append: (e) => {
        t.batches.push([e])
        return t.status as AvroStatus
      },
      appendBatch: (events) => {
        t.batches.push(events)
        return t.status as AvroStatus
      },
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  ;(t as { port: number }).port = (server.address() as { port: number }).port
  t.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      server.close(() => r())
    })
  return t
}

async function thriftServer(protocol: 'compact' | 'binary'): Promise<TestServer> {
  const t: TestServer = { port: 0, batches: [], connections: 0, status: 'OK', close: async () => {} }
  const server = createServer((s) => {
    t.connections++
    new ThriftResponder(
      s,
      {
        append: (e: DecodedThriftEvent) => {
          t.batches.push([e])
          return t.status as ThriftStatus
        },
        appendBatch: (events) => {
          t.batches.push(events)
          return t.status as ThriftStatus
        },
      },
      { protocol },
    )
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  ;(t as { port: number }).port = (server.address() as { port: number }).port
  t.close = () => new Promise<void>((r) => server.close(() => r()))
  return t
}

/** A port nobody listens on. */
async function deadPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

const events = (n: number, tag = 'e') =>
  Array.from({ length: n }, (_, i) => ({ headers: { i: String(i) }, body: `${tag}${i}` }))

describe('public API', () => {
  it("exports the SDK from the package entry: import { RpcClient } from 'flumen'", async () => {
    const api = await import('../index.ts')
    assert.equal(api.RpcClient, RpcClient)
    assert.equal(typeof api.RpcClient.create, 'function')
    assert.equal(api.EventDeliveryError, EventDeliveryError)
  })
})

describe('RpcClient properties (Flume RpcClientConfigurationConstants)', () => {
  const warnings: string[] = []
  const logger = { warn: (_o: unknown, m: string) => warnings.push(m), info: () => {} }

  it('parses a default client like Flume, with its defaults and leniency', () => {
    warnings.length = 0
    const o = optionsFromProperties(
      {
        hosts: 'h1 h2',
        'hosts.h1': 'a.example:41414',
        'hosts.h2': 'b:1',
        'batch-size': '0',
        'connect-timeout': '500',
        'request-timeout': 'x',
        maxIoWorkers: '4',
      },
      logger,
    )
    assert.equal(o.type, 'avro')
    assert.deepEqual(o.hosts, [{ name: 'h1', host: 'a.example', port: 41414 }])
    assert.equal(o.batchSize, 100)
    assert.equal(o.connectTimeoutMs, 20_000)
    assert.equal(o.requestTimeoutMs, 20_000)
    assert.ok(warnings.some((w) => w.includes('Only the first host will be used')))
    assert.ok(warnings.some((w) => w.includes('less than 1s')))
    assert.ok(warnings.some((w) => w.includes('no longer supported')))
  })

  it('maps client types, thrift protocol quirks, compression and TLS keys', () => {
    const base = { hosts: 'h1 h2', 'hosts.h1': 'a:1', 'hosts.h2': 'b:2' }
    assert.equal(optionsFromProperties({ ...base, 'client.type': 'DEFAULT_FAILOVER' }).type, 'failover')
    assert.equal(
      optionsFromProperties({ ...base, 'client.type': 'org.apache.flume.api.LoadBalancingRpcClient' }).type,
      'loadbalance',
    )
    const t = optionsFromProperties({ ...base, 'client.type': 'thrift', protocol: 'BINARY' })
    assert.equal(t.type, 'thrift')
    assert.equal(t.thriftProtocol, 'compact') // Flume compat: only exact 'binary'
    assert.equal(
      optionsFromProperties({ ...base, 'client.type': 'thrift', protocol: 'binary' }).thriftProtocol,
      'binary',
    )
    const z = optionsFromProperties({
      ...base,
      'compression-type': 'DEFLATE',
      'compression-level': '9',
      ssl: 'true',
      'trust-all-certs': 'TRUE',
      'exclude-protocols': 'TLSv1 TLSv1.1',
    })
    assert.equal(z.compressionLevel, 9)
    assert.deepEqual(z.ssl, {
      trustAllCerts: true,
      truststore: undefined,
      truststorePassword: undefined,
      truststoreType: undefined,
      excludeProtocols: ['TLSv1', 'TLSv1.1'],
      includeProtocols: undefined,
      excludeCipherSuites: undefined,
      includeCipherSuites: undefined,
    })
    const lb = optionsFromProperties({
      ...base,
      'client.type': 'default_loadbalance',
      'host-selector': 'RANDOM',
      backoff: 'true',
      maxBackoff: '5000',
    })
    assert.equal(lb.hostSelector, 'random')
    assert.equal(lb.backoff, true)
    assert.equal(lb.maxBackoffMs, 5000)
  })

  it('rejects what Flume rejects, with its messages', async () => {
    assert.throws(() => optionsFromProperties({}), /Hosts list is invalid/)
    assert.throws(() => optionsFromProperties({ hosts: 'h1' }), /Host not found: h1/)
    assert.throws(() => optionsFromProperties({ hosts: 'h1', 'hosts.h1': 'nohost' }), /Invalid hostname/)
    assert.throws(() => optionsFromProperties({ hosts: 'h1', 'hosts.h1': 'a:x' }), /Invalid Port/)
    assert.throws(
      () => optionsFromProperties({ hosts: 'h1', 'hosts.h1': 'a:1', 'client.type': 'com.x.Custom' }),
      ConfigError,
    )
    assert.throws(
      () => optionsFromProperties({ hosts: 'h1', 'hosts.h1': 'a:1', kerberos: 'true' }),
      /kerberos/,
    )
    await assert.rejects(resolveOptions({ type: 'loadbalance', hosts: ['a:1'] }), /At least two hosts/)
  })
})

describe('default (avro) and thrift clients', () => {
  it('split appendBatch by batch size and send single events with append', async () => {
    const s = await avroServer()
    const c = await RpcClient.create({ type: 'avro', hosts: [`127.0.0.1:${s.port}`], batchSize: 4 })
    await c.appendBatch(events(10))
    await c.append({ body: 'one' })
    assert.deepEqual(
      s.batches.map((b) => b.length),
      [4, 4, 2, 1],
    )
    assert.equal(s.batches[3]?.[0]?.body.toString(), 'one')
    await c.close()
    assert.equal(c.isActive(), false)
  })

  it('turns FAILED into EventDeliveryError and goes dead (Flume: DEAD until recreated)', async () => {
    const s = await avroServer()
    s.status = 'FAILED'
    const c = await RpcClient.create({ type: 'avro', hosts: [`127.0.0.1:${s.port}`] })
    await assert.rejects(
      c.appendBatch(events(2)),
      (e: Error) => e instanceof EventDeliveryError && /Status: FAILED/.test(e.message),
    )
    assert.equal(c.isActive(), false)
    await assert.rejects(c.appendBatch(events(1)), /invalid state: DEAD/)
  })

  it('reports an unreachable host as EventDeliveryError', async () => {
    const c = await RpcClient.create({
      type: 'avro',
      hosts: [`127.0.0.1:${await deadPort()}`],
      connectTimeoutMs: 2000,
    })
    await assert.rejects(c.appendBatch(events(1)), /ECONNREFUSED/)
  })

  for (const p of ['compact', 'binary'] as const) {
    it(`thrift (${p}): statuses other than OK fail the call but keep the client`, async () => {
      const s = await thriftServer(p)
      const c = await RpcClient.create({
        type: 'thrift',
        hosts: [`127.0.0.1:${s.port}`],
        thriftProtocol: p,
        batchSize: 3,
      })
      await c.appendBatch(events(7))
      assert.deepEqual(
        s.batches.map((b) => b.length),
        [3, 3, 1],
      )
      s.status = 'ERROR'
      await assert.rejects(c.appendBatch(events(1)), /Server returned status : ERROR/)
      assert.equal(c.isActive(), true)
      s.status = 'OK'
      await c.append({ headers: { k: 'v' }, body: Buffer.from([0, 1, 2]) })
      assert.deepEqual([...(s.batches.at(-1)?.[0]?.body ?? [])], [0, 1, 2])
      // Concurrent calls use a pool of connections (at most maxConnections).
      await Promise.all(Array.from({ length: 8 }, () => c.appendBatch(events(2))))
      assert.ok(s.connections >= 2 && s.connections <= 5, `connections ${s.connections}`)
      await c.close()
    })
  }
})

describe('failover client', () => {
  it('sticks to a host until it fails, then moves on in order', async () => {
    const a = await avroServer()
    const b = await avroServer()
    const c = (await RpcClient.create({
      type: 'failover',
      hosts: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
    })) as FailoverRpcClient
    await c.appendBatch(events(3))
    await c.appendBatch(events(3))
    assert.equal(a.batches.length, 2)
    a.status = 'FAILED'
    await c.appendBatch(events(3)) // a answers FAILED → same batch to b
    assert.equal(a.batches.length, 3)
    assert.equal(b.batches.length, 1)
    a.status = 'OK'
    await c.appendBatch(events(3)) // sticks to b
    assert.equal(b.batches.length, 2)
    await b.close()
    await c.appendBatch(events(3)) // b gone → back to a
    assert.equal(a.batches.length, 4)
    await c.close()
  })

  it('skips unreachable hosts and gives up after max-attempts', async () => {
    const dead = await deadPort()
    const a = await avroServer()
    const c = await RpcClient.create(
      new Map([
        ['client.type', 'default_failover'],
        ['hosts', 'h1 h2'],
        ['hosts.h1', `127.0.0.1:${dead}`],
        ['hosts.h2', `127.0.0.1:${a.port}`],
      ]),
    )
    await c.appendBatch(events(2))
    assert.equal(a.batches.length, 1)
    a.status = 'FAILED'
    await assert.rejects(c.appendBatch(events(1)), EventDeliveryError)
    await c.close()
  })
})

describe('load-balancing client (reuses core/order-selector)', () => {
  it('round robin rotates by one host per call', async () => {
    const hosts = [await avroServer(), await avroServer(), await avroServer()]
    const c = await RpcClient.create({ type: 'loadbalance', hosts: hosts.map((h) => `127.0.0.1:${h.port}`) })
    for (let i = 0; i < 9; i++) await c.appendBatch(events(1))
    assert.deepEqual(
      hosts.map((h) => h.batches.length),
      [3, 3, 3],
    )
    await c.close()
  })

  it('falls through failed hosts, backs them off, and uses them again once back', async () => {
    const a = await avroServer()
    const b = await avroServer()
    const c = await RpcClient.create(
      {
        'client.type': 'default_loadbalance',
        hosts: 'h1 h2',
        'hosts.h1': `127.0.0.1:${a.port}`,
        'hosts.h2': `127.0.0.1:${b.port}`,
        backoff: 'true',
        maxBackoff: '1000',
      },
      {},
    )
    a.status = 'FAILED'
    for (let i = 0; i < 6; i++) await c.appendBatch(events(1))
    // a failed once, then sat out its back-off: every batch landed on b.
    assert.equal(b.batches.length, 6)
    assert.ok(a.batches.length <= 2, `a got ${a.batches.length}`)
    a.status = 'OK'
    await new Promise((r) => setTimeout(r, 1100))
    const aBefore = a.batches.length
    for (let i = 0; i < 4; i++) await c.appendBatch(events(1))
    assert.equal(a.batches.length - aBefore, 2, 'a takes its turns again after its back-off')
    b.status = 'FAILED'
    a.status = 'FAILED'
    await assert.rejects(c.appendBatch(events(1)), /Unable to send batch to any host/)
    await c.close()
  })

  it('random order spreads over every host', async () => {
    const hosts = [await thriftServer('compact'), await thriftServer('compact')]
    const c = await RpcClient.create({
      type: 'loadbalance',
      transport: 'thrift',
      hostSelector: 'random',
      hosts: hosts.map((h) => `127.0.0.1:${h.port}`),
    })
    for (let i = 0; i < 40; i++) await c.append({ body: 'x' })
    for (const h of hosts) assert.ok(h.batches.length > 5, `${h.batches.length}`)
    await c.close()
  })
})
