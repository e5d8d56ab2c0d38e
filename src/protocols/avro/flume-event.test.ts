import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AvroReader, AvroWriter } from './binary.ts'
import { decodeDatum } from './datum.ts'
import { AvroError } from './errors.ts'
import {
  decodeFlumeEvent,
  encodeFlumeEvents,
  encodeFlumeEventsSeparately,
  type FlumeEventLike,
  readFlumeEvent,
  readFlumeEventArray,
  writeFlumeEvent,
  writeFlumeEventArray,
} from './flume-event.ts'
import { AVRO_FLUME_EVENT_SCHEMA, FLUME_EVENT_SCHEMA } from './schemas.ts'

function headers(o: Record<string, string>): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, o)
}

/** Random events: headers with awkward keys (__proto__, unicode, empty) and bodies of any bytes. */
const eventArb = fc.record({
  headers: fc
    .dictionary(
      fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'timestamp', '')),
      fc.oneof(fc.string({ unit: 'grapheme' }), fc.string()),
      { maxKeys: 8 },
    )
    .map(headers),
  body: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
})

describe('Flume event datum', () => {
  it('matches the reference vector ({a: "b"}, "hi")', () => {
    // flume-wire-protocols.md §8.1: block data 02 02 61 02 62 00 04 68 69.
    assert.equal(
      encodeFlumeEvents([{ headers: headers({ a: 'b' }), body: Buffer.from('hi') }]).toString('hex'),
      '020261026200046869',
    )
    assert.equal(encodeFlumeEvents([{ headers: headers({}), body: Buffer.alloc(0) }]).toString('hex'), '0000')
  })

  it('round-trips random batches, and agrees with the generic decoder for both schemas', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 20 }), (events) => {
        const buf = encodeFlumeEvents(events)
        const r = new AvroReader(buf)
        for (const e of events) {
          const start = r.pos
          const got = readFlumeEvent(r)
          assert.equal(Object.getPrototypeOf(got.headers), null)
          assert.deepEqual({ ...got.headers }, { ...e.headers })
          assert.deepEqual(got.body, e.body)
          const datum = buf.subarray(start, r.pos)
          for (const schema of [FLUME_EVENT_SCHEMA, AVRO_FLUME_EVENT_SCHEMA]) {
            const generic = decodeDatum(datum, schema) as { headers: Record<string, string>; body: Buffer }
            assert.deepEqual({ ...generic.headers }, { ...e.headers })
            assert.deepEqual(generic.body, e.body)
          }
        }
        assert.ok(r.atEnd())
      }),
    )
  })

  it('encodes each event separately into one shared allocation', () => {
    const events: FlumeEventLike[] = [
      { headers: headers({ a: '1' }), body: Buffer.from('x') },
      { headers: headers({}), body: Buffer.from('yy') },
      { headers: headers({ k: 'v', k2: 'v2' }), body: new Uint8Array([0, 1, 2]) },
    ]
    const parts = encodeFlumeEventsSeparately(events)
    assert.equal(parts.length, 3)
    assert.equal(new Set(parts.map((p) => p.buffer)).size, 1)
    parts.forEach((p, i) => {
      const e = decodeFlumeEvent(p, { exact: true })
      assert.deepEqual({ ...e.headers }, { ...(events[i] as FlumeEventLike).headers })
      assert.deepEqual([...e.body], [...(events[i] as FlumeEventLike).body])
    })
    assert.deepEqual(Buffer.concat(parts), encodeFlumeEvents(events))
  })

  it('decodeFlumeEvent ignores trailing bytes like Java unless exact', () => {
    const buf = Buffer.concat([
      encodeFlumeEvents([{ headers: headers({}), body: Buffer.from('a') }]),
      Buffer.from([9]),
    ])
    assert.equal(decodeFlumeEvent(buf).body.toString(), 'a')
    assert.throws(() => decodeFlumeEvent(buf, { exact: true }), { code: 'FLUME_ERR_AVRO_MALFORMED' })
  })

  it('writes and reads array<AvroFlumeEvent> (appendBatch)', () => {
    const events = [
      { headers: headers({ a: 'b' }), body: Buffer.from('hi') },
      { headers: headers({}), body: Buffer.from('') },
    ]
    const w = new AvroWriter()
    writeFlumeEventArray(w, events)
    assert.equal(w.view().toString('hex'), `04${'020261026200046869'}0000` + '00')
    const got = readFlumeEventArray(new AvroReader(w.view()), 10)
    assert.equal(got.length, 2)
    assert.throws(() => readFlumeEventArray(new AvroReader(w.view()), 1), { code: 'FLUME_ERR_AVRO_LIMIT' })
    const empty = new AvroWriter()
    writeFlumeEventArray(empty, [])
    assert.equal(empty.view().toString('hex'), '00')
  })

  it('applies header and body limits', () => {
    const w = new AvroWriter()
    writeFlumeEvent(w, { headers: headers({ a: 'b', c: 'd' }), body: Buffer.alloc(10) })
    const buf = w.view()
    const limits = { maxHeaders: 10, maxHeaderBytes: 10, maxBodyBytes: 10 }
    assert.doesNotThrow(() => decodeFlumeEvent(buf, { limits }))
    assert.throws(() => decodeFlumeEvent(buf, { limits: { ...limits, maxHeaders: 1 } }), {
      code: 'FLUME_ERR_AVRO_LIMIT',
    })
    assert.throws(() => decodeFlumeEvent(buf, { limits: { ...limits, maxBodyBytes: 9 } }), {
      code: 'FLUME_ERR_AVRO_LIMIT',
    })
    // Several blocks add up against maxHeaders: two blocks of one header each.
    const twoBlocks = Buffer.from('02026102620202630264000000', 'hex')
    assert.deepEqual({ ...decodeFlumeEvent(twoBlocks).headers }, { a: 'b', c: 'd' })
    assert.throws(() => decodeFlumeEvent(twoBlocks, { limits: { ...limits, maxHeaders: 1 } }), {
      code: 'FLUME_ERR_AVRO_LIMIT',
    })
  })

  it('fails with a typed error on every truncation of a valid datum', () => {
    const buf = encodeFlumeEvents([
      { headers: headers({ host: 'h1', ts: '17' }), body: Buffer.from('payload') },
    ])
    for (let cut = 0; cut < buf.length; cut++) {
      assert.throws(
        () => decodeFlumeEvent(buf.subarray(0, cut)),
        { code: 'FLUME_ERR_AVRO_TRUNCATED' },
        `cut ${cut}`,
      )
    }
  })

  it('only throws AvroError on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          decodeFlumeEvent(bytes)
        } catch (e) {
          assert.ok(e instanceof AvroError, String(e))
        }
      }),
    )
  })
})
