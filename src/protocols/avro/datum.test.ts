import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AvroReader, AvroWriter } from './binary.ts'
import {
  type AvroValue,
  DEFAULT_DECODE_LIMITS,
  decodeDatum,
  encodeDatum,
  minEncodedSize,
  readDatum,
  skipDatum,
  transcodeDatum,
  writeDatum,
} from './datum.ts'
import { AvroError } from './errors.ts'
import { parseSchema } from './schema.ts'

const COMPLEX = parseSchema(
  JSON.stringify({
    type: 'record',
    name: 'Everything',
    namespace: 't',
    fields: [
      { name: 'n', type: 'null' },
      { name: 'b', type: 'boolean' },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 'by', type: 'bytes' },
      { name: 's', type: 'string' },
      { name: 'fx', type: { type: 'fixed', name: 'Four', size: 4 } },
      { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE'] } },
      { name: 'a', type: { type: 'array', items: 'long' } },
      { name: 'm', type: { type: 'map', values: ['null', 'string'] } },
      { name: 'u', type: ['null', 'int', 'string', 'Four'] },
      {
        name: 'tree',
        type: {
          type: 'record',
          name: 'Tree',
          fields: [
            { name: 'label', type: 'string' },
            { name: 'kids', type: { type: 'array', items: 'Tree' } },
          ],
        },
      },
    ],
  }),
)

function nullProto(o: Record<string, AvroValue>): Record<string, AvroValue> {
  return Object.assign(Object.create(null) as Record<string, AvroValue>, o)
}

/** Trees up to three levels deep (the recursive Tree record). */
function treeOf(kids: fc.Arbitrary<AvroValue[]>): fc.Arbitrary<AvroValue> {
  return fc.record({ label: fc.string(), kids }).map((o) => nullProto(o as Record<string, AvroValue>))
}
const treeArb = treeOf(
  fc.array(treeOf(fc.array(treeOf(fc.constant([])), { maxLength: 3 })), { maxLength: 3 }),
)

const valueArb = fc
  .record({
    n: fc.constant(null),
    b: fc.boolean(),
    i: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    l: fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })),
    f: fc.float({ noNaN: true }).map((x) => Math.fround(x)),
    d: fc.double({ noNaN: true }),
    by: fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
    s: fc.string({ unit: 'grapheme' }),
    fx: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((u) => Buffer.from(u)),
    e: fc.constantFrom('RED', 'GREEN', 'BLUE'),
    a: fc.array(fc.maxSafeInteger(), { maxLength: 10 }),
    m: fc.dictionary(fc.string(), fc.option(fc.string(), { nil: null })).map((o) => nullProto(o)),
    u: fc.oneof(
      fc.constant(null),
      fc.integer({ min: -1000, max: 1000 }),
      fc.string(),
      fc.uint8Array({ minLength: 4, maxLength: 4 }).map((u) => Buffer.from(u)),
    ),
    tree: treeArb,
  })
  .map((o) => nullProto(o as Record<string, AvroValue>))

/** Long values come back as numbers when they are safe integers. */
function normalize(v: AvroValue): AvroValue {
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(v)
  }
  if (Array.isArray(v)) return v.map(normalize)
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const o = Object.create(null) as Record<string, AvroValue>
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x)
    return o
  }
  return v
}

describe('generic datums', () => {
  it('round-trip through writeDatum/readDatum, and skip/transcode agree on the bytes', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 4 }), (values) => {
        const w = new AvroWriter(1)
        for (const v of values) writeDatum(w, COMPLEX, v)
        const buf = w.view()
        const r = new AvroReader(buf)
        const s = new AvroReader(buf)
        for (const v of values) {
          const start = r.pos
          assert.deepEqual(readDatum(r, COMPLEX), normalize(v))
          skipDatum(s, COMPLEX)
          assert.equal(s.pos, r.pos)
          // Our encoder is canonical, so a canonical copy is byte-identical.
          const t = new AvroWriter(1)
          transcodeDatum(new AvroReader(buf, start, r.pos), COMPLEX, t)
          assert.deepEqual(t.view(), buf.subarray(start, r.pos))
        }
        assert.ok(r.atEnd())
      }),
      { numRuns: 200 },
    )
  })

  it('encodes unions by the first branch that fits', () => {
    const u = parseSchema(
      '["null","int","long","double","string",{"type":"enum","name":"E","symbols":["x"]}]',
    )
    assert.equal(encodeDatum(u, null).toString('hex'), '00')
    assert.equal(encodeDatum(u, 1).toString('hex'), '0202')
    assert.equal(
      encodeDatum(u, 2 ** 40)
        .toString('hex')
        .slice(0, 2),
      '04',
    ) // too big for int: long
    assert.equal(encodeDatum(u, 1.5).toString('hex').slice(0, 2), '06')
    assert.equal(encodeDatum(u, 'x').toString('hex'), '080278') // string comes before the enum
    assert.throws(() => encodeDatum(u, true), { code: 'FLUME_ERR_AVRO_ENCODE' })
  })

  it('reports where a value does not fit', () => {
    assert.throws(() => encodeDatum(COMPLEX, { n: null, b: 1 }), /\$\.b does not fit schema type boolean/)
  })

  it('decodes multi-block and negative-count arrays/maps, and transcodes them to one block', () => {
    const s = parseSchema('{"type":"array","items":{"type":"map","values":"int"}}')
    // array: block of -1 item with byte size, then block of 1 item, then 0.
    //   item 1: map {a: 1} as two blocks: [1 entry][0]
    //   item 2: map {b: 2, c: 3} as blocks [-1 entry, size][1 entry][0]
    const m1 = '02' + '0261' + '02' + '00' // {a:1}
    const m2 = '01' + '06' + '0262' + '04' + '02' + '0263' + '06' + '00' // {b:2} sized block, then {c:3}
    const buf = Buffer.from('010a' + m1 + '02' + m2 + '00', 'hex') // sized block (5 bytes: m1), then m2, then end
    const v = decodeDatum(buf, s) as Record<string, AvroValue>[]
    assert.deepEqual(
      v.map((o) => ({ ...o })),
      [{ a: 1 }, { b: 2, c: 3 }],
    )
    const r = new AvroReader(buf)
    skipDatum(r, s)
    assert.ok(r.atEnd())
    const w = new AvroWriter()
    transcodeDatum(new AvroReader(buf), s, w)
    assert.deepEqual(w.view(), encodeDatum(s, [{ a: 1 }, { b: 2, c: 3 }]))
    assert.equal(w.view().toString('hex'), '04' + '0202610200' + '04026204026306' + '00' + '00')
  })

  it('transcoding shortens over-long varints', () => {
    const s = parseSchema('"long"')
    const w = new AvroWriter()
    transcodeDatum(new AvroReader(Buffer.from('8280808000', 'hex')), s, w) // 1 written in 5 bytes
    assert.equal(w.view().toString('hex'), '02')
  })

  it('rejects out-of-range union and enum indexes', () => {
    const s = parseSchema('["null","int"]')
    assert.throws(() => decodeDatum(Buffer.from('04', 'hex'), s), { code: 'FLUME_ERR_AVRO_MALFORMED' })
    assert.throws(() => decodeDatum(Buffer.from('01', 'hex'), s), { code: 'FLUME_ERR_AVRO_MALFORMED' })
    const e = parseSchema('{"type":"enum","name":"E","symbols":["A"]}')
    assert.throws(() => decodeDatum(Buffer.from('02', 'hex'), e), { code: 'FLUME_ERR_AVRO_MALFORMED' })
    assert.throws(() => skipDatum(new AvroReader(Buffer.from('02', 'hex')), e), {
      code: 'FLUME_ERR_AVRO_MALFORMED',
    })
  })

  it('caps nesting depth instead of overflowing the stack', () => {
    const s = parseSchema('{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}')
    const deep = Buffer.alloc(100_000, 0x02) // union branch 1 again and again
    for (const f of [
      () => decodeDatum(deep, s),
      () => skipDatum(new AvroReader(deep), s),
      () => transcodeDatum(new AvroReader(deep), s, new AvroWriter()),
    ]) {
      assert.throws(f, { code: 'FLUME_ERR_AVRO_LIMIT' })
    }
    const ok = Buffer.concat([Buffer.alloc(100, 0x02), Buffer.from([0])])
    assert.doesNotThrow(() => decodeDatum(ok, s))
  })

  it('caps collection sizes, so zero-byte items cannot spin', () => {
    const s = parseSchema('{"type":"array","items":"null"}')
    const huge = Buffer.from('feffffffffffff1f00', 'hex') // 2^52-ish nulls
    assert.throws(() => decodeDatum(huge, s, { ...DEFAULT_DECODE_LIMITS, maxItems: 1000 }), {
      code: 'FLUME_ERR_AVRO_LIMIT',
    })
    assert.deepEqual(decodeDatum(Buffer.from('0600', 'hex'), s), [null, null, null])
  })

  it('decodeDatum rejects trailing bytes; every error on garbage is an AvroError', () => {
    assert.throws(() => decodeDatum(Buffer.from('0200', 'hex'), parseSchema('"int"')), {
      code: 'FLUME_ERR_AVRO_MALFORMED',
    })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        for (const f of [
          () => decodeDatum(bytes, COMPLEX),
          () => skipDatum(new AvroReader(bytes), COMPLEX),
          () => transcodeDatum(new AvroReader(bytes), COMPLEX, new AvroWriter()),
        ]) {
          try {
            f()
          } catch (e) {
            assert.ok(e instanceof AvroError, String(e))
          }
        }
      }),
    )
  })

  it('minEncodedSize', () => {
    assert.equal(minEncodedSize(parseSchema('"null"')), 0)
    assert.equal(
      minEncodedSize(parseSchema('{"type":"record","name":"N","fields":[{"name":"a","type":"null"}]}')),
      0,
    )
    assert.equal(minEncodedSize(COMPLEX), 0 + 1 + 1 + 1 + 4 + 8 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 2)
    assert.equal(
      minEncodedSize(parseSchema('{"type":"record","name":"L","fields":[{"name":"n","type":["null","L"]}]}')),
      1,
    )
  })
})
