import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { constants, inflateSync } from 'node:zlib'
import fc from 'fast-check'
import { AvroReader, AvroWriter } from '../avro/binary.ts'
import type { DecodedFlumeEvent } from '../avro/flume-event.ts'
import {
  AvroRequestor,
  AvroResponder,
  type AvroRpcHandler,
  type AvroStatus,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  encodeResponse,
  FLUME_PROTOCOL_HASH,
  FLUME_PROTOCOL_JSON,
  FrameDecoder,
  FrameError,
  readHandshakeRequest,
  resetLearntServerHashes,
  writeHandshakeRequest,
  ZlibDuplex,
} from './index.ts'

const H = '86aadae2c45474c0fe93ffd0f2350a65'
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const ev = (headers: Record<string, string>, body: string) => ({
  headers: Object.assign(Object.create(null) as Record<string, string>, headers),
  body: Buffer.from(body),
})

/** Collects the frames a decoder emits. */
function decodeAll(bytes: Buffer, chunks?: number[], max?: number): [number, Buffer][] {
  const out: [number, Buffer][] = []
  const d = new FrameDecoder(
    (s, p) => out.push([s, Buffer.from(p)]),
    max === undefined ? {} : { maxFrameBytes: max },
  )
  if (chunks === undefined) d.push(bytes)
  else {
    let at = 0
    for (const c of chunks) {
      d.push(bytes.subarray(at, Math.min(bytes.length, at + c)))
      at += c
    }
    d.push(bytes.subarray(at))
  }
  assert.equal(d.partial, false)
  return out
}

// Pack 1 of the reference (§1.6), as Java sends it: two buffers (header part, parameters).
const JAVA_PACK1 = hex(`00000001 00000002
  00000030 ${H} 00 ${H} 02 00 00 16 617070656e644261746368
  0000000b 0202026102620004686900`)
const JAVA_PACK2 = hex(`00000002 00000002 00000008 00 0c 617070656e64 00000009 020261026200046869`)

describe('Flume protocol text', () => {
  it('is the 1334-byte JSON Java hashes to 86aadae2…', () => {
    assert.equal(FLUME_PROTOCOL_JSON.length, 1334)
    assert.equal(Buffer.byteLength(FLUME_PROTOCOL_JSON), 1334)
    assert.equal(FLUME_PROTOCOL_HASH.toString('hex'), H)
    assert.equal(createHash('md5').update(FLUME_PROTOCOL_JSON, 'utf8').digest('hex'), H)
    // The doc alone hashes to the reference's value too.
    const doc = (JSON.parse(FLUME_PROTOCOL_JSON) as { doc: string }).doc
    assert.equal(doc.length, 797)
    assert.equal(createHash('md5').update(doc).digest('hex'), '88aad36f64ba5625eca55633e9362c36')
    // Without the doc it is the 509-byte variant.
    const { doc: _d, ...rest } = JSON.parse(FLUME_PROTOCOL_JSON) as Record<string, unknown>
    const noDoc = JSON.stringify(rest)
    assert.equal(noDoc.length, 509)
    assert.equal(createHash('md5').update(noDoc).digest('hex'), '30da54059df72d9584b867d5202e2069')
  })
})

describe('frame codec', () => {
  it('concatenates the buffers of a Java pack', () => {
    const frames = decodeAll(JAVA_PACK1)
    assert.equal(frames.length, 1)
    const [serial, payload] = frames[0] as [number, Buffer]
    assert.equal(serial, 1)
    assert.equal(payload.length, 0x30 + 0x0b)
  })

  it('decodes the same under any chunking (property)', () => {
    const all = Buffer.concat([
      JAVA_PACK1,
      JAVA_PACK2,
      encodeFrame(7, []),
      encodeFrame(8, [Buffer.alloc(0), hex('01')]),
    ])
    const whole = decodeAll(all)
    assert.deepEqual(
      whole.map(([s]) => s),
      [1, 2, 7, 8],
    )
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }), (chunks) => {
        assert.deepEqual(decodeAll(all, chunks), whole)
      }),
    )
  })

  it('rejects negative counts, negative lengths and packs over the limit before buffering them', () => {
    assert.throws(() => decodeAll(hex('00000001 ffffffff')), FrameError)
    assert.throws(() => decodeAll(hex('00000001 00000001 80000000')), FrameError)
    // The announced length alone trips the limit: the bytes never have to arrive.
    assert.throws(
      () => decodeAll(hex('00000001 00000001 00100000'), undefined, 1024),
      (e: FrameError) => e.code === 'FLUME_ERR_FRAME_TOO_LARGE',
    )
    // Many empty buffers count their headers.
    const many = Buffer.concat([hex('00000001 00001000'), Buffer.alloc(4 * 0x1000)])
    assert.throws(() => decodeAll(many, undefined, 1024), FrameError)
  })
})

describe('messages (reference vectors §1.6)', () => {
  it('encodes the handshake request as Java sends it (35 bytes)', () => {
    const w = new AvroWriter()
    writeHandshakeRequest(w, {
      clientHash: FLUME_PROTOCOL_HASH,
      clientProtocol: null,
      serverHash: FLUME_PROTOCOL_HASH,
      meta: new Map(),
    })
    assert.equal(w.view().toString('hex'), `${H}00${H}0200`)
  })

  it('encodes the first appendBatch exactly as the flattened reference request', () => {
    const buf = encodeRequest(
      1,
      {
        clientHash: FLUME_PROTOCOL_HASH,
        clientProtocol: null,
        serverHash: FLUME_PROTOCOL_HASH,
        meta: new Map(),
      },
      'appendBatch',
      [ev({ a: 'b' }, 'hi')],
    )
    const [[serial, payload]] = decodeAll(buf) as [[number, Buffer]]
    assert.equal(serial, 1)
    assert.equal(
      payload.toString('hex'),
      `${H}00${H}0200` + '00' + '16617070656e644261746368' + '0202026102620004686900',
    )
    // … which is the concatenation of Java's two buffers.
    assert.deepEqual(payload, decodeAll(JAVA_PACK1)[0]?.[1])
  })

  it('encodes append without a handshake like pack 2', () => {
    const buf = encodeRequest(2, undefined, 'append', [ev({ a: 'b' }, 'hi')])
    assert.deepEqual(decodeAll(buf)[0], decodeAll(JAVA_PACK2)[0])
  })

  it('encodes responses: BOTH + OK, OK alone, FAILED, system error', () => {
    const both = { match: 'BOTH' as const, serverProtocol: null, serverHash: null, meta: null }
    assert.equal(
      encodeResponse(1, both, { status: 'OK' }).toString('hex'),
      '00000001' + '00000001' + '00000007' + '00000000000000',
    )
    assert.equal(
      encodeResponse(2, undefined, { status: 'OK' }).toString('hex'),
      '00000002000000010000000300' + '0000',
    )
    assert.equal(encodeResponse(2, undefined, { status: 'FAILED' }).toString('hex').slice(-4), '0002')
    const err = 'org.apache.avro.AvroRuntimeException: boom'
    const e = encodeResponse(3, undefined, { error: err })
    const [[, payload]] = decodeAll(e) as [[number, Buffer]]
    assert.equal(payload.subarray(0, 4).toString('hex'), `00010054`)
    assert.deepEqual(decodeResponse(payload, false), { handshake: undefined, outcome: { error: err } })
  })

  it('decodes Java responses, including the leading empty handshake buffer of later packs', () => {
    const p1 = decodeAll(
      hex('00000001 00000003 00000004 00000000 00000001 00 00000002 0000'),
    )[0]?.[1] as Buffer
    const r1 = decodeResponse(p1, true)
    assert.equal(r1.handshake?.match, 'BOTH')
    assert.deepEqual(r1.outcome, { status: 'OK' })
    const p2 = decodeAll(hex('00000002 00000003 00000000 00000001 00 00000002 0002'))[0]?.[1] as Buffer
    assert.deepEqual(decodeResponse(p2, false).outcome, { status: 'FAILED' })
    // A Java system error: flag, union index 0, string.
    const msg = Buffer.from('org.apache.avro.AvroRuntimeException: x')
    const p3 = Buffer.concat([hex('00 01 00'), Buffer.from([msg.length * 2]), msg])
    assert.deepEqual(decodeResponse(p3, false).outcome, { error: msg.toString() })
  })

  it('reads back a handshake request with protocol text', () => {
    const w = new AvroWriter()
    const other = Buffer.alloc(16, 7)
    writeHandshakeRequest(w, {
      clientHash: other,
      clientProtocol: '{"x":1}',
      serverHash: FLUME_PROTOCOL_HASH,
      meta: null,
    })
    const r = new AvroReader(w.view())
    assert.deepEqual(readHandshakeRequest(r, 100), {
      clientHash: other,
      clientProtocol: '{"x":1}',
      serverHash: FLUME_PROTOCOL_HASH,
      meta: null,
    })
  })
})

describe('deflate layer', () => {
  it('compresses each write into a sync-flushed zlib stream (reference vector §1.8)', async () => {
    // A duplex whose writes we capture: the zlib layer writes compressed bytes to it.
    const out: Buffer[] = []
    const inner = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        out.push(chunk)
        cb()
      },
    })
    const z = new ZlibDuplex(inner, 6)
    const payload = JAVA_PACK1
    assert.equal(payload.length, 75)
    await new Promise<void>((r) => z.write(payload, () => r()))
    const compressed = Buffer.concat(out)
    assert.equal(compressed.subarray(0, 2).toString('hex'), '789c')
    assert.equal(compressed.subarray(-4).toString('hex'), '0000ffff')
    assert.equal(
      compressed.toString('hex'),
      '789c626060606460606062606030685b75ebd191909203ff26ffbff0c9942b95015d808981412cb1a020352fc529b12439838181819b8989299129898125239301000000ffff',
    )
    assert.deepEqual(inflateSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH }), payload)
    z.destroy()
  })
})

// ---------------------------------------------------------------------------------------------------------
// Requestor ↔ responder over real sockets

interface Harness {
  server: Server
  port: number
  responders: AvroResponder[]
  closes: (string | undefined)[]
}

async function startServer(
  handler: AvroRpcHandler,
  opts: { maxFrameBytes?: number; deflate?: boolean } = {},
): Promise<Harness> {
  const h: Harness = { server: createServer(), port: 0, responders: [], closes: [] }
  h.server.on('connection', (s: Socket) => {
    const stream = opts.deflate ? new ZlibDuplex(s) : s
    h.responders.push(
      new AvroResponder(stream, handler, {
        ...(opts.maxFrameBytes === undefined ? {} : { maxFrameBytes: opts.maxFrameBytes }),
        onClose: (reason) => h.closes.push(reason),
      }),
    )
  })
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', () => r()))
  h.port = (h.server.address() as { port: number }).port
  return h
}

async function client(
  port: number,
  opts: { deflate?: boolean; timeout?: number } = {},
): Promise<AvroRequestor> {
  const s = connect(port, '127.0.0.1')
  await new Promise<void>((r, j) => {
    s.once('connect', () => r())
    s.once('error', j)
  })
  return new AvroRequestor(opts.deflate ? new ZlibDuplex(s) : s, {
    peer: `127.0.0.1:${port}`,
    connectTimeoutMs: opts.timeout ?? 5000,
    requestTimeoutMs: opts.timeout ?? 5000,
  })
}

describe('requestor ↔ responder', () => {
  const received: DecodedFlumeEvent[][] = []
  let status: AvroStatus = 'OK'
  let h: Harness
  const handler: AvroRpcHandler = {
    append: (e) => {
      received.push([e])
      return status
    },
    appendBatch: async (events) => {
      received.push(events)
      // Later batches finish first when they are smaller: replies leave out of order.
      await new Promise((r) => setTimeout(r, Math.max(0, 30 - events.length)))
      return status
    },
  }
  before(async () => {
    resetLearntServerHashes()
    h = await startServer(handler)
  })
  after(() => h.server.close())

  it('delivers batches and single events with headers and non-ASCII bodies', async () => {
    received.length = 0
    const c = await client(h.port)
    const batch = [ev({ a: 'b', ключ: 'значение', empty: '' }, 'héllo wörld ✓'), ev({}, '')]
    assert.equal(await c.appendBatch(batch), 'OK')
    assert.equal(await c.append(ev({ k: 'v' }, '日本')), 'OK')
    assert.equal(received.length, 2)
    assert.deepEqual({ ...received[0]?.[0]?.headers }, { a: 'b', ключ: 'значение', empty: '' })
    assert.equal(received[0]?.[0]?.body.toString(), 'héllo wörld ✓')
    assert.equal(received[1]?.[0]?.body.toString(), '日本')
    c.close()
  })

  it('pipelines concurrent calls on one connection and matches replies by serial', async () => {
    received.length = 0
    const c = await client(h.port)
    await c.append(ev({}, 'first')) // handshake
    const sizes = [1, 5, 20, 2, 13]
    const results = await Promise.all(
      sizes.map((n, i) => c.appendBatch(Array.from({ length: n }, (_, j) => ev({ i: String(i) }, `e${j}`)))),
    )
    assert.deepEqual(results, ['OK', 'OK', 'OK', 'OK', 'OK'])
    assert.deepEqual(
      received
        .slice(1)
        .map((b) => b.length)
        .sort((a, b) => a - b),
      [...sizes].sort((a, b) => a - b),
    )
    c.close()
  })

  it('queues calls made before the handshake reply', async () => {
    const c = await client(h.port)
    const results = await Promise.all([
      c.append(ev({}, 'a')),
      c.appendBatch([ev({}, 'b')]),
      c.append(ev({}, 'c')),
    ])
    assert.deepEqual(results, ['OK', 'OK', 'OK'])
    c.close()
  })

  it('returns FAILED as a status, and handler errors as remote errors', async () => {
    const c = await client(h.port)
    status = 'FAILED'
    assert.equal(await c.appendBatch([ev({}, 'x')]), 'FAILED')
    status = 'OK'
    const h2 = await startServer({
      append: () => {
        throw new Error('nope')
      },
      appendBatch: () => Promise.reject(new TypeError('bad')),
    })
    const c2 = await client(h2.port)
    await assert.rejects(c2.append(ev({}, 'x')), /answered with an error: Error: nope/)
    await assert.rejects(c2.appendBatch([ev({}, 'x')]), /TypeError: bad/)
    c2.close()
    h2.server.close()
    c.close()
  })

  it('answers NONE to an unknown hash without text, then CLIENT once the text comes', async () => {
    const s = connect(h.port, '127.0.0.1')
    const replies: [number, Buffer][] = []
    const dec = new FrameDecoder((serial, p) => replies.push([serial, Buffer.from(p)]))
    s.on('data', (d: Buffer) => dec.push(d))
    await new Promise((r) => s.once('connect', r))
    const other = Buffer.alloc(16, 0x30)
    const call = hex('00 16617070656e644261746368 0202026102620004686900')
    const w = new AvroWriter()
    writeHandshakeRequest(w, { clientHash: other, clientProtocol: null, serverHash: other, meta: new Map() })
    s.write(encodeFrame(1, [w.view(), call]))
    await waitFor(() => replies.length === 1)
    const none = decodeResponse(replies[0]?.[1] as Buffer, true)
    assert.equal(none.handshake?.match, 'NONE')
    assert.equal(none.handshake?.serverProtocol, FLUME_PROTOCOL_JSON)
    assert.deepEqual(none.handshake?.serverHash, FLUME_PROTOCOL_HASH)
    assert.equal(none.outcome, undefined)
    // Reference bytes: 04 (NONE) 02 ec14 <1334 bytes> 02 <H> 00.
    const p = replies[0]?.[1] as Buffer
    assert.equal(p.subarray(0, 4).toString('hex'), '0402ec14')
    assert.equal(p.length, 0x54c)
    // Resend with a protocol text without the doc (what another Avro version would send).
    const { doc: _doc, ...noDoc } = JSON.parse(FLUME_PROTOCOL_JSON) as Record<string, unknown>
    const w2 = new AvroWriter()
    writeHandshakeRequest(w2, {
      clientHash: other,
      clientProtocol: JSON.stringify(noDoc),
      serverHash: FLUME_PROTOCOL_HASH,
      meta: new Map(),
    })
    s.write(encodeFrame(2, [w2.view(), call]))
    await waitFor(() => replies.length === 2)
    const both = decodeResponse(replies[1]?.[1] as Buffer, true)
    assert.equal(both.handshake?.match, 'BOTH')
    assert.deepEqual(both.outcome, { status: 'OK' })
    s.destroy()
  })

  it('closes the connection with a reason on garbage, a huge pack or an incompatible protocol', async (t) => {
    const h2 = await startServer(handler, { maxFrameBytes: 4096 })
    t.after(() => h2.server.close())
    const send = async (bytes: Buffer) => {
      const s = connect(h2.port, '127.0.0.1')
      s.on('error', () => {})
      await new Promise((r) => s.once('connect', r))
      s.write(bytes)
      await new Promise((r) => s.once('close', r))
    }
    await send(hex('00000001 00000001 00010000')) // 64 KiB announced
    await send(encodeFrame(1, [hex('ff')])) // truncated handshake
    const w = new AvroWriter()
    writeHandshakeRequest(w, {
      clientHash: Buffer.alloc(16, 1),
      clientProtocol:
        '{"protocol":"X","messages":{"append":{"request":[{"name":"x","type":"int"}],"response":"string"}}}',
      serverHash: FLUME_PROTOCOL_HASH,
      meta: null,
    })
    await send(encodeFrame(1, [w.view(), hex('00 0c617070656e64 02')]))
    await waitFor(() => h2.closes.length === 3)
    assert.match(h2.closes[0] ?? '', /request too large: Request of more than 4096 bytes/)
    assert.match(h2.closes[1] ?? '', /malformed request: Input ends inside/)
    assert.match(h2.closes[2] ?? '', /incompatible client protocol.*message 'append'/)
    // The server still works.
    const c = await client(h2.port)
    assert.equal(await c.append(ev({}, 'still here')), 'OK')
    c.close()
    h2.server.close()
  })

  it('counts a stall from the last complete request: a steady stream of requests never looks stalled', async () => {
    const stalls: number[] = []
    const h2 = await startServer(handler)
    const s = connect(h2.port, '127.0.0.1')
    await new Promise((r) => s.once('connect', r))
    const hs = new AvroWriter()
    writeHandshakeRequest(hs, {
      clientHash: FLUME_PROTOCOL_HASH,
      clientProtocol: null,
      serverHash: FLUME_PROTOCOL_HASH,
      meta: new Map(),
    })
    const call = hex('00 0c617070656e64 020261026200046869') // append {a: b} "hi"
    s.write(encodeFrame(1, [hs.view(), call]))
    await waitFor(() => h2.responders.length === 1 && h2.responders[0]?.requests === 1)
    const resp = h2.responders[0] as AvroResponder
    assert.equal(resp.stalledSince(), 0)
    // Each write completes one request and starts the next one half-way.
    const frame = encodeFrame(2, [call])
    const half = frame.subarray(0, 10)
    s.write(half)
    await waitFor(() => resp.stalledSince() !== 0)
    const first = resp.stalledSince()
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20))
      s.write(Buffer.concat([frame.subarray(10), half]))
      await waitFor(() => resp.stalledSince() > first + i)
      stalls.push(resp.stalledSince())
    }
    assert.ok(
      stalls.every((t) => t > first),
      'the stall clock restarted after each complete request',
    )
    s.write(frame.subarray(10))
    await waitFor(() => resp.stalledSince() === 0)
    s.destroy()
    h2.server.close()
  })

  it('times out a call the server never answers and fails the connection', async () => {
    const h2 = await startServer({ append: () => new Promise<AvroStatus>(() => {}), appendBatch: () => 'OK' })
    const c = await client(h2.port, { timeout: 200 })
    await assert.rejects(c.append(ev({}, 'x')), /Handshake to .* timed out after 200 ms/)
    assert.equal(c.active, false)
    h2.server.close()
  })

  it('works over the deflate layer', async () => {
    received.length = 0
    const h2 = await startServer(handler, { deflate: true })
    const c = await client(h2.port, { deflate: true })
    const big = ev({ h: 'x'.repeat(100) }, 'y'.repeat(100_000))
    for (let i = 0; i < 5; i++) assert.equal(await c.appendBatch([big, ev({ i: String(i) }, 'small')]), 'OK')
    assert.equal(received.length, 5)
    assert.equal(received[4]?.[0]?.body.length, 100_000)
    c.close()
    h2.server.close()
  })
})

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met')
    await new Promise((r) => setTimeout(r, 5))
  }
}
