import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AvroReader, AvroWriter, longSize, varintSize } from './binary.ts'
import { AvroError, AvroLimitError, AvroMalformedError, AvroTruncatedError } from './errors.ts'

function hex(f: (w: AvroWriter) => void): string {
  const w = new AvroWriter(1)
  f(w)
  return w.view().toString('hex')
}

function reader(h: string): AvroReader {
  return new AvroReader(Buffer.from(h, 'hex'))
}

describe('AvroWriter / AvroReader: numbers', () => {
  // Vectors from the Avro spec's zig-zag table, plus the 64-bit extremes.
  const longs: [number | bigint, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [2, '04'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [-65, '8101'],
    [8191, 'fe7f'],
    [8192, '808001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
    [2 ** 53 - 1, 'feffffffffffff1f'],
    [-(2 ** 53 - 1), 'fdffffffffffff1f'],
    [(1n << 63n) - 1n, 'feffffffffffffffff01'],
    [-(1n << 63n), 'ffffffffffffffffff01'],
  ]

  it('encodes longs as zig-zag varints', () => {
    for (const [v, h] of longs) {
      assert.equal(
        hex((w) => (typeof v === 'bigint' ? w.writeBigLong(v) : w.writeLong(v))),
        h,
        String(v),
      )
      assert.equal(
        hex((w) => w.writeBigLong(BigInt(v))),
        h,
        `${v} as bigint`,
      )
      assert.equal(reader(h).readBigLong(), BigInt(v))
      if (typeof v === 'number') {
        assert.equal(reader(h).readLong(), v)
        assert.equal(longSize(v), h.length / 2)
      }
    }
  })

  it('encodes ints and refuses out-of-range ones', () => {
    assert.equal(
      hex((w) => w.writeInt(-(2 ** 31))),
      'ffffffff0f',
    )
    assert.equal(
      hex((w) => w.writeInt(2 ** 31 - 1)),
      'feffffff0f',
    )
    assert.equal(reader('ffffffff0f').readInt(), -(2 ** 31))
    assert.throws(() => new AvroWriter().writeInt(2 ** 31), { code: 'FLUME_ERR_AVRO_ENCODE' })
    assert.throws(() => new AvroWriter().writeInt(1.5), { code: 'FLUME_ERR_AVRO_ENCODE' })
  })

  it('rejects longs that are not safe integers as numbers', () => {
    assert.throws(() => new AvroWriter().writeLong(2 ** 53), { code: 'FLUME_ERR_AVRO_ENCODE' })
    assert.throws(() => new AvroWriter().writeLong(Number.NaN), { code: 'FLUME_ERR_AVRO_ENCODE' })
    assert.throws(() => new AvroWriter().writeBigLong(1n << 63n), { code: 'FLUME_ERR_AVRO_ENCODE' })
  })

  it('readLong refuses values beyond the safe range; readLongValue falls back to bigint', () => {
    const h = hex((w) => w.writeBigLong(1n << 60n))
    assert.throws(() => reader(h).readLong(), AvroLimitError)
    assert.equal(reader(h).readLongValue(), 1n << 60n)
    assert.equal(reader('feffffffffffff1f').readLongValue(), 2 ** 53 - 1)
  })

  it('rejects over-long varints and truncated input with typed errors', () => {
    assert.throws(() => reader('ffffffffff0f').readInt(), AvroMalformedError) // 6 bytes
    assert.throws(() => reader('ffffffffffffffffffff01').readBigLong(), AvroMalformedError) // 11 bytes
    assert.throws(() => reader('ffffffffffffffffffff01').skipLong(), AvroMalformedError)
    assert.throws(() => reader('ff').skipLong(), AvroTruncatedError)
    const r = reader('feffffffffffffffff0102')
    r.skipLong()
    assert.equal(r.readLong(), 1)
    assert.throws(() => reader('ff').readLong(), AvroTruncatedError)
    assert.throws(() => reader('ffff').readInt(), AvroTruncatedError)
    assert.throws(() => reader('').readLong(), AvroTruncatedError)
    assert.throws(() => reader('0000').readFloat(), AvroTruncatedError)
    assert.throws(() => reader('00000000').readDouble(), AvroTruncatedError)
    assert.throws(() => reader('').readBoolean(), AvroTruncatedError)
    assert.throws(() => reader('02').readBoolean(), AvroMalformedError)
  })

  it('round-trips any long, int, float and double', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.maxSafeInteger(),
        fc.double(),
        fc.float(),
        (big, int, safe, d, f) => {
          const w = new AvroWriter(1)
          w.writeBigLong(big)
          w.writeInt(int)
          w.writeLong(safe)
          w.writeDouble(d)
          w.writeFloat(f)
          const r = new AvroReader(w.view())
          assert.equal(r.readBigLong(), big)
          assert.equal(r.readInt(), int)
          assert.equal(r.readLong(), safe)
          assert.equal(r.readDouble(), d)
          assert.equal(r.readFloat(), f)
          assert.ok(r.atEnd())
        },
      ),
    )
  })
})

describe('AvroWriter / AvroReader: bytes and strings', () => {
  it('writes strings exactly like Buffer.from(s, "utf8") with a length prefix', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        (s) => {
          const w = new AvroWriter(1)
          w.writeString(s)
          const expected = Buffer.from(s, 'utf8')
          const r = new AvroReader(w.view())
          assert.equal(r.readLong(), expected.length)
          assert.deepEqual(w.view().subarray(r.pos), expected)
          assert.equal(new AvroReader(w.view()).readString(1 << 30), expected.toString('utf8'))
        },
      ),
    )
  })

  it('handles the one-byte/two-byte length prefix boundary for short non-ASCII strings', () => {
    for (let n = 0; n <= 63; n++) {
      for (const ch of ['a', 'é', '€', '😀', '\ud800']) {
        const s = ch.repeat(n)
        const w = new AvroWriter(1)
        w.writeString(s)
        w.writeString('x')
        const r = new AvroReader(w.view())
        assert.equal(r.readString(1 << 20), Buffer.from(s).toString())
        assert.equal(r.readString(1 << 20), 'x')
      }
    }
  })

  it('long strings whose length prefix shrinks after encoding', () => {
    for (const n of [64, 100, 2730, 2731, 5000, 8191, 8192, 9000]) {
      const s = 'a'.repeat(n)
      const w = new AvroWriter(1)
      w.writeString(s)
      w.writeLong(7)
      const r = new AvroReader(w.view())
      assert.equal(r.readString(1 << 20), s)
      assert.equal(r.readLong(), 7)
    }
  })

  it('readBytes returns a view and enforces the caller cap and the input end', () => {
    const w = new AvroWriter()
    w.writeBytes(Buffer.from('hello'))
    const buf = w.view()
    const b = new AvroReader(buf).readBytes(5)
    assert.equal(b.toString(), 'hello')
    assert.equal(b.buffer, buf.buffer) // no copy
    assert.throws(() => new AvroReader(buf).readBytes(4), { code: 'FLUME_ERR_AVRO_LIMIT', offset: 0 })
    assert.throws(() => new AvroReader(buf.subarray(0, 4)).readBytes(100), {
      code: 'FLUME_ERR_AVRO_TRUNCATED',
    })
    assert.throws(() => reader('01').readBytes(100), { code: 'FLUME_ERR_AVRO_MALFORMED' }) // length -1
    // A huge declared length fails on the input end before anything is sized from it.
    assert.throws(() => reader('feffffffffffff1f').readString(2 ** 53), { code: 'FLUME_ERR_AVRO_TRUNCATED' })
  })

  it('reads fixed and skips', () => {
    const r = reader('0102030405')
    assert.deepEqual([...r.readFixed(2)], [1, 2])
    r.skipFixed(1)
    assert.throws(() => r.readFixed(3), AvroTruncatedError)
    assert.equal(r.remaining, 2)
  })
})

describe('AvroWriter / AvroReader: maps and blocks', () => {
  it('writes a string map as one block like Java, empty map as a single 0', () => {
    assert.equal(
      hex((w) => w.writeStringMap({})),
      '00',
    )
    assert.equal(
      hex((w) => w.writeStringMap({ a: 'b' })),
      '0202610262' + '00',
    )
    const nullProto = Object.create(null) as Record<string, string>
    const protoKey = '__proto__'
    nullProto[protoKey] = 'x' // an ordinary key on a null-prototype object
    assert.equal(
      hex((w) => w.writeStringMap(nullProto)),
      `02${Buffer.from([18]).toString('hex')}${Buffer.from('__proto__').toString('hex')}027800`,
    )
  })

  it('widens the count prefix when a map has 64 or more entries', () => {
    for (const n of [63, 64, 65, 200, 9000]) {
      const m: Record<string, string> = {}
      for (let i = 0; i < n; i++) m[`k${i}`] = `v${i}`
      const w = new AvroWriter(1)
      w.writeStringMap(m)
      const r = new AvroReader(w.view())
      assert.equal(r.readBlockCount(1e6), n)
      for (let i = 0; i < n; i++) {
        assert.equal(r.readString(100), `k${i}`)
        assert.equal(r.readString(100), `v${i}`)
      }
      assert.equal(r.readBlockCount(1e6), 0)
      assert.ok(r.atEnd())
    }
  })

  it('reads negative block counts with their byte size, and checks both', () => {
    // count -2 (03), size 4 (08), then 4 bytes, then 0
    const r = reader('0308' + '02610262' + '00')
    assert.equal(r.readBlockCount(10), 2)
    assert.equal(r.lastBlockSize, 4)
    assert.equal(r.readString(10), 'a')
    assert.equal(r.readString(10), 'b')
    assert.equal(r.readBlockCount(10), 0)
    assert.equal(r.lastBlockSize, -1)
    assert.throws(() => reader('0301').readBlockCount(10), AvroMalformedError) // negative size
    assert.throws(() => reader('0364').readBlockCount(10), AvroTruncatedError) // size beyond input
    assert.throws(() => reader('14').readBlockCount(5), AvroLimitError) // 10 items > 5
  })
})

describe('AvroReader: hostile input', () => {
  it('only ever throws AvroError on random bytes, and never moves past the end', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 20 }),
        (bytes, ops) => {
          const r = new AvroReader(bytes)
          try {
            for (const op of ops) {
              switch (op) {
                case 0:
                  r.readLong()
                  break
                case 1:
                  r.readInt()
                  break
                case 2:
                  r.readBigLong()
                  break
                case 3:
                  r.readString(1 << 20)
                  break
                case 4:
                  r.readBytes(1 << 20)
                  break
                case 5:
                  r.readBlockCount(1 << 20)
                  break
                case 6:
                  r.readDouble()
                  break
                case 7:
                  r.readBoolean()
                  break
                case 8:
                  r.skipBytes()
                  break
                default:
                  r.readFixed(3)
              }
              assert.ok(r.pos <= r.end)
            }
          } catch (e) {
            assert.ok(e instanceof AvroError, String(e))
            assert.ok(r.pos <= r.end)
          }
        },
      ),
    )
  })

  it('honours a window inside a larger buffer', () => {
    const buf = Buffer.from('0402ff', 'hex')
    const r = new AvroReader(buf, 0, 1)
    assert.equal(r.readLong(), 2)
    assert.throws(() => r.readLong(), AvroTruncatedError)
    assert.throws(() => new AvroReader(buf, 2, 5), RangeError)
  })
})

describe('AvroWriter buffer management', () => {
  it('grows from a tiny buffer and finish() hands over ownership', () => {
    const w = new AvroWriter(1)
    for (let i = 0; i < 1000; i++) w.writeLong(i * 1000)
    const out = w.finish()
    w.writeLong(5)
    const r = new AvroReader(out)
    for (let i = 0; i < 1000; i++) assert.equal(r.readLong(), i * 1000)
    assert.ok(r.atEnd())
    assert.equal(w.view().toString('hex'), '0a')
  })

  it('varintSize matches the encoder', () => {
    for (const z of [0, 127, 128, 16383, 16384, 2 ** 35, 2 ** 53 - 1]) {
      const w = new AvroWriter()
      // Inverse zig-zag: even z encodes z/2, odd z encodes -(z+1)/2.
      w.writeBigLong(z % 2 === 0 ? BigInt(z) / 2n : -(BigInt(z) + 1n) / 2n)
      assert.equal(varintSize(z), w.pos, String(z))
    }
  })
})
