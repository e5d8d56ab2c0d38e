import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inflateSync } from 'node:zlib'
import { SequenceFileWriter, SYNC_INTERVAL, vlong } from './sequence-file.ts'

describe('SequenceFile writer', () => {
  it('encodes Hadoop vints (WritableUtils.writeVLong)', () => {
    assert.deepEqual([...vlong(0)], [0])
    assert.deepEqual([...vlong(127)], [127])
    assert.deepEqual([...vlong(-112)], [0x90])
    assert.deepEqual([...vlong(128)], [0x8f, 0x80])
    assert.deepEqual([...vlong(300)], [0x8e, 0x01, 0x2c])
    assert.deepEqual([...vlong(-113)], [0x87, 0x70])
  })

  it('writes the version 6 header and uncompressed records with sync marks', () => {
    const sync = Buffer.alloc(16, 7)
    const w = new SequenceFileWriter('Writable', undefined, sync)
    const h = w.header()
    assert.equal(h.subarray(0, 4).toString('latin1'), 'SEQ\x06')
    assert.ok(h.includes(Buffer.from('org.apache.hadoop.io.LongWritable')))
    assert.ok(h.includes(Buffer.from('org.apache.hadoop.io.BytesWritable')))
    assert.deepEqual(h.subarray(-16), sync)
    const body = Buffer.alloc(100, 0x61)
    const recs = Array.from({ length: 50 }, (_, i) => ({ key: 1000 + i, value: body }))
    const data = w.encode(recs)
    // record: int len (8 + 4 + 100), int keyLen 8, long key, int bytes len, bytes
    assert.equal(data.readInt32BE(0), 112)
    assert.equal(data.readInt32BE(4), 8)
    assert.equal(data.readBigInt64BE(8), 1000n)
    assert.equal(data.readInt32BE(16), 100)
    const marks = data.length - 50 * 120
    assert.equal(marks % 20, 0)
    assert.equal(marks / 20, Math.floor((h.length + 50 * 120) / (SYNC_INTERVAL + 120)))
  })

  it('writes one compressed block per batch (DefaultCodec = zlib streams)', () => {
    const sync = Buffer.alloc(16, 1)
    const w = new SequenceFileWriter('Text', 'DefaultCodec', sync)
    const h = w.header()
    assert.ok(h.includes(Buffer.from('org.apache.hadoop.io.compress.DefaultCodec')))
    const b = w.encode([
      { key: 1, value: Buffer.from('x') },
      { key: 2, value: Buffer.from('yz') },
    ])
    assert.equal(b.readInt32BE(0), -1)
    assert.deepEqual(b.subarray(4, 20), sync)
    assert.equal(b[20], 2) // records
    const keyLensLen = b[21] as number
    assert.deepEqual([...inflateSync(b.subarray(22, 22 + keyLensLen))], [8, 8])
  })
})
