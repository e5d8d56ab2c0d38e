import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import zlib from 'node:zlib'
import fc from 'fast-check'
import { getCodec, isSupportedCodec, SUPPORTED_CODECS } from './codecs.ts'
import { AvroError } from './errors.ts'

const sample = Buffer.from('flumen '.repeat(500) + 'tail', 'utf8')

describe('container codecs', () => {
  it('round-trip random data with every supported codec', () => {
    for (const name of SUPPORTED_CODECS) {
      const codec = getCodec(name)
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 5000 }), (u) => {
          const data = Buffer.from(u)
          assert.deepEqual(codec.decompress(codec.compress(data), data.length), data)
        }),
        { numRuns: 30 },
      )
      assert.deepEqual(codec.decompress(codec.compress(sample), sample.length), sample, name)
    }
  })

  it('deflate is raw RFC 1951 (no zlib header), matching the reference vector', () => {
    // flume-wire-protocols.md §8.1: the 9 data bytes of the {a:"b"}/"hi" event compress to these 11 bytes.
    const data = Buffer.from('020261026200046869', 'hex')
    assert.equal(getCodec('deflate').compress(data).toString('hex'), '63624a644a6260c9c80400')
    assert.deepEqual(zlib.inflateRawSync(getCodec('deflate').compress(sample)), sample)
  })

  it('snappy appends the big-endian CRC32 of the uncompressed data and checks it', () => {
    const snappy = getCodec('snappy')
    const c = snappy.compress(sample)
    assert.equal(c.readUInt32BE(c.length - 4), zlib.crc32(sample))
    const flipped = Buffer.from(c)
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1
    assert.throws(() => snappy.decompress(flipped, 1e6), {
      code: 'FLUME_ERR_AVRO_CODEC',
      message: /checksum/,
    })
    assert.throws(() => snappy.decompress(Buffer.from([1, 2]), 1e6), { code: 'FLUME_ERR_AVRO_CODEC' })
  })

  it('caps the decompressed size before allocating it', () => {
    for (const name of SUPPORTED_CODECS) {
      const codec = getCodec(name)
      assert.throws(
        () => codec.decompress(codec.compress(sample), 100, 4242),
        { code: 'FLUME_ERR_AVRO_LIMIT', offset: 4242 },
        name,
      )
    }
    // A snappy stream claiming 2^32-1 bytes is refused from its header alone.
    const liar = Buffer.from('ffffffff0f00' + '00000000', 'hex')
    assert.throws(() => getCodec('snappy').decompress(liar, 1 << 20), { code: 'FLUME_ERR_AVRO_LIMIT' })
  })

  it('reports corrupt blocks as FLUME_ERR_AVRO_CODEC, never anything untyped', () => {
    for (const name of ['deflate', 'snappy', 'zstandard'] as const) {
      const codec = getCodec(name)
      const good = codec.compress(sample)
      assert.throws(
        () => codec.decompress(good.subarray(0, good.length >> 1), 1e6),
        { code: /FLUME_ERR_AVRO_(CODEC|LIMIT)/ },
        name,
      )
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 200 }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (junk, pos, x) => {
            const mutated = Buffer.from(good)
            mutated[pos % mutated.length] = (mutated[pos % mutated.length] as number) ^ x
            for (const input of [Buffer.from(junk), mutated]) {
              try {
                const out = codec.decompress(input, 1e6)
                // A flip the codec cannot see (deflate/zstd carry no checksum here) still yields bytes.
                assert.ok(Buffer.isBuffer(out))
              } catch (e) {
                assert.ok(e instanceof AvroError, `${name}: ${String(e)}`)
              }
            }
          },
        ),
        { numRuns: 100 },
      )
    }
  })

  it('rejects bzip2, xz and unknown names, listing what is supported', () => {
    for (const name of ['bzip2', 'xz', 'lzo', 'Deflate', '']) {
      assert.equal(isSupportedCodec(name), false)
      assert.throws(() => getCodec(name), {
        code: 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED',
        message: /supported codecs: null, deflate, snappy, zstandard/,
      })
    }
  })
})
