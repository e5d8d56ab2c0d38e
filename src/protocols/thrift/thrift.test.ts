import assert from 'node:assert/strict'
import { connect, createServer, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  decodeCall,
  decodeReply,
  encodeCall,
  encodeException,
  encodeReply,
  ThriftError,
  ThriftFrameDecoder,
  type ThriftProtocolName,
  ThriftRequestor,
  ThriftResponder,
  type ThriftStatus,
} from './index.ts'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const ev = (headers: Record<string, string>, body: string | Buffer) => ({
  headers: Object.assign(Object.create(null) as Record<string, string>, headers),
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
})
const frames = (buf: Buffer): Buffer[] => {
  const out: Buffer[] = []
  new ThriftFrameDecoder((p) => out.push(Buffer.from(p))).push(buf)
  return out
}

// Reference §3.3 (npm thrift 0.14.1 writers; event {a:"b"}/"hi", seqid 1).
const COMPACT_BATCH = hex(
  '0000001e 82 21 01 0b 617070656e644261746368 19 1c 1b 01 88 01 61 01 62 18 02 68 69 00 00',
)
const COMPACT_APPEND = hex('00000018 82210106617070656e64 1c 1b01880161016218026869 00 00')
const COMPACT_OK = hex('00000013 82 41 01 0b 617070656e644261746368 05 00 00 00')
const BINARY_BATCH = hex(
  '0000003d 80010001 0000000b 617070656e644261746368 00000001 0f0001 0c 00000001 0d0001 0b0b 00000001 00000001 61 00000001 62 0b0002 00000002 6869 00 00',
)
const BINARY_OK = hex('0000001f 80010002 0000000b 617070656e644261746368 00000001 08 0000 00000000 00')

describe('thrift codec: reference vectors', () => {
  const e = [ev({ a: 'b' }, 'hi')]
  it('encodes calls byte for byte', () => {
    assert.deepEqual(encodeCall('compact', 'appendBatch', 1, e), COMPACT_BATCH)
    assert.deepEqual(encodeCall('compact', 'append', 1, e), COMPACT_APPEND)
    assert.deepEqual(encodeCall('binary', 'appendBatch', 1, e), BINARY_BATCH)
  })
  it('encodes OK replies byte for byte', () => {
    assert.deepEqual(encodeReply('compact', 'appendBatch', 1, 'OK'), COMPACT_OK)
    assert.deepEqual(encodeReply('binary', 'appendBatch', 1, 'OK'), BINARY_OK)
  })
  it('decodes the vectors', () => {
    for (const [p, buf, name] of [
      ['compact', COMPACT_BATCH, 'appendBatch'],
      ['compact', COMPACT_APPEND, 'append'],
      ['binary', BINARY_BATCH, 'appendBatch'],
    ] as const) {
      const c = decodeCall(p, frames(buf)[0] as Buffer)
      assert.equal(c.name, name)
      assert.equal(c.seqid, 1)
      assert.deepEqual({ ...c.events?.[0]?.headers }, { a: 'b' })
      assert.equal(c.events?.[0]?.body.toString(), 'hi')
    }
    assert.deepEqual(decodeReply('compact', frames(COMPACT_OK)[0] as Buffer), {
      name: 'appendBatch',
      seqid: 1,
      status: 'OK',
    })
    assert.deepEqual(decodeReply('binary', frames(BINARY_OK)[0] as Buffer), {
      name: 'appendBatch',
      seqid: 1,
      status: 'OK',
    })
  })
  it('reads old-style (non-strict) binary messages, as Java servers do', () => {
    // name length, name, type byte, seqid, then the same args.
    const strict = frames(BINARY_BATCH)[0] as Buffer
    const args = strict.subarray(4 + 4 + 11 + 4)
    const old = Buffer.concat([hex('0000000b'), Buffer.from('appendBatch'), hex('01 00000007'), args])
    const c = decodeCall('binary', old)
    assert.equal(c.seqid, 7)
    assert.equal(c.events?.length, 1)
  })
})

const eventArb = fc.record({
  headers: fc.dictionary(fc.string(), fc.string({ unit: 'grapheme' }), { maxKeys: 6 }),
  body: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
})

describe('thrift codec: properties', () => {
  for (const p of ['compact', 'binary'] as const) {
    it(`${p}: calls and replies round-trip`, () => {
      fc.assert(
        fc.property(
          fc.array(eventArb, { maxLength: 40 }),
          fc.integer({ min: 1, max: 0x7fffffff }),
          (events, seqid) => {
            const c = decodeCall(
              p,
              frames(
                encodeCall(
                  p,
                  'appendBatch',
                  seqid,
                  events.map((x) => ev(x.headers, x.body)),
                ),
              )[0] as Buffer,
            )
            assert.equal(c.seqid, seqid)
            assert.equal(c.events?.length, events.length)
            c.events?.forEach((got, i) => {
              assert.deepEqual({ ...got.headers }, { ...events[i]?.headers })
              assert.deepEqual(got.body, events[i]?.body)
            })
            for (const s of ['OK', 'FAILED', 'ERROR', 'UNKNOWN'] as const) {
              assert.deepEqual(decodeReply(p, frames(encodeReply(p, 'appendBatch', seqid, s))[0] as Buffer), {
                name: 'appendBatch',
                seqid,
                status: s,
              })
            }
          },
        ),
      )
    })
    it(`${p}: garbage never crashes the decoder, only ThriftError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
          try {
            decodeCall(p, Buffer.from(bytes))
          } catch (e) {
            assert.ok(e instanceof ThriftError, String(e))
          }
        }),
      )
    })
  }
  it('refuses events missing a required field, and mismatched protocols with a clear reason', () => {
    // compact appendBatch with an event holding only the body
    const noHeaders = hex('82 21 01 0b 617070656e644261746368 19 1c 28 02 68 69 00 00')
    assert.throws(() => decodeCall('compact', noHeaders), /Required field 'headers' was not present/)
    assert.throws(
      () => decodeCall('compact', frames(BINARY_BATCH)[0] as Buffer),
      /the peer speaks the binary protocol/,
    )
    assert.throws(() => decodeCall('binary', frames(COMPACT_BATCH)[0] as Buffer), ThriftError)
  })
  it('frame decoder: any chunking, size limit checked from the header', () => {
    const all = Buffer.concat([COMPACT_BATCH, COMPACT_APPEND, BINARY_OK])
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 20 }), (cuts) => {
        const out: Buffer[] = []
        const d = new ThriftFrameDecoder((p) => out.push(Buffer.from(p)))
        let at = 0
        for (const c of cuts) {
          d.push(all.subarray(at, at + c))
          at += c
        }
        d.push(all.subarray(at))
        assert.equal(out.length, 3)
        assert.equal(d.partial, false)
      }),
    )
    const d = new ThriftFrameDecoder(() => {}, 100)
    assert.throws(() => d.push(hex('00001000')), /Frame size \(4096\) larger than max length \(100\)/)
  })
})

describe('thrift requestor ↔ responder', () => {
  for (const p of ['compact', 'binary'] as ThriftProtocolName[]) {
    it(`${p}: append, appendBatch, statuses, exceptions and unknown methods`, async () => {
      let status: ThriftStatus = 'OK'
      const got: number[] = []
      const closes: (string | undefined)[] = []
      const server = createServer((s: Socket) => {
        new ThriftResponder(
          s,
          {
            append: (e) => {
              got.push(1)
              if (e.body.toString() === 'throw') throw new Error('boom')
              return status
            },
            appendBatch: async (events) => {
              got.push(events.length)
              return status
            },
          },
          { protocol: p, onClose: (r) => closes.push(r) },
        )
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
      const port = (server.address() as { port: number }).port
      const s = connect(port, '127.0.0.1')
      await new Promise((r) => s.once('connect', r))
      const c = new ThriftRequestor(s, { peer: `127.0.0.1:${port}`, protocol: p, requestTimeoutMs: 5000 })
      assert.equal(await c.call('append', [ev({ ключ: 'ü' }, 'x')]), 'OK')
      assert.equal(
        await c.call(
          'appendBatch',
          Array.from({ length: 20 }, (_, i) => ev({ i: String(i) }, `e${i}`)),
        ),
        'OK',
      )
      status = 'ERROR'
      assert.equal(await c.call('appendBatch', [ev({}, 'y')]), 'ERROR')
      await assert.rejects(c.call('append', [ev({}, 'throw')]), /Internal error processing append: boom/)
      assert.ok(c.active)
      assert.deepEqual(got, [1, 20, 1, 1])
      // A raw client speaking the other protocol is disconnected with a reason.
      const other = p === 'compact' ? BINARY_BATCH : COMPACT_BATCH
      const raw = connect(port, '127.0.0.1')
      raw.on('error', () => {})
      await new Promise((r) => raw.once('connect', r))
      raw.write(other)
      await new Promise((r) => raw.once('close', r))
      assert.match(closes.find((x) => x !== undefined) ?? '', /malformed request/)
      c.close()
      server.close()
    })
  }
  it('answers an unknown method with a TApplicationException, and times out a silent server', async () => {
    const server = createServer((s: Socket) => {
      s.on('data', () => {}) // never answers
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as { port: number }).port
    const s = connect(port, '127.0.0.1')
    await new Promise((r) => s.once('connect', r))
    const c = new ThriftRequestor(s, { peer: 'x', protocol: 'compact', requestTimeoutMs: 150 })
    await assert.rejects(c.call('append', [ev({}, 'x')]), /timed out after 150 ms/)
    assert.equal(c.active, false)
    server.close()
    const ex = frames(encodeException('compact', 'foo', 3, "Invalid method name: 'foo'", 1))[0] as Buffer
    assert.deepEqual(decodeReply('compact', ex), {
      name: 'foo',
      seqid: 3,
      exception: "Invalid method name: 'foo' (TApplicationException type 1)",
    })
  })
})
