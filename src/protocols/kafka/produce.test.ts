import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { crc32c, Reader, readRecordsBatch } from '@platformatic/kafka'
import fc from 'fast-check'
import type { OutgoingRecord } from './client.ts'
import { encodeBatch } from './produce.ts'

const rec = (o: Partial<OutgoingRecord> & { value: Buffer }): OutgoingRecord => ({
  topic: 't',
  partition: undefined,
  key: undefined,
  timestamp: undefined,
  headers: undefined,
  ...o,
})

describe('record batch encoding', () => {
  it('writes a v2 batch the library decodes back, with a valid CRC-32C', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
            value: fc.uint8Array({ maxLength: 300 }),
            ts: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
            headers: fc.option(
              fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.uint8Array({ maxLength: 20 })), {
                maxLength: 3,
              }),
              {
                nil: undefined,
              },
            ),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.constantFrom('none', 'gzip', 'snappy', 'lz4', 'zstd'),
        (items, compression) => {
          const now = 1_700_000_000_000
          const records = items.map((x) =>
            rec({
              key: x.key === undefined ? undefined : Buffer.from(x.key),
              value: Buffer.from(x.value),
              timestamp: x.ts,
              headers: x.headers?.map(([k, v]) => [k, Buffer.from(v)] as const),
            }),
          )
          const buf = encodeBatch(
            records,
            records.map((_, i) => i),
            compression as never,
            now,
          )
          assert.equal(buf.readUInt32BE(17), crc32c(buf.subarray(21)))
          assert.equal(buf.readInt32BE(8), buf.length - 12)
          const batch = readRecordsBatch(Reader.from(buf))
          assert.equal(batch.magic, 2)
          assert.equal(batch.lastOffsetDelta, records.length - 1)
          assert.equal(batch.records.length, records.length)
          batch.records.forEach((r, i) => {
            const src = records[i] as OutgoingRecord
            assert.equal(r.offsetDelta, i)
            assert.equal(Number(batch.firstTimestamp + r.timestampDelta), src.timestamp ?? now)
            assert.deepEqual(r.key === null ? undefined : Buffer.from(r.key), src.key)
            assert.deepEqual(Buffer.from(r.value ?? []), src.value)
            assert.deepEqual(
              r.headers.map(([k, v]) => [k?.toString('utf8'), Buffer.from(v ?? [])]),
              (src.headers ?? []).map(([k, v]) => [k, v]),
            )
          })
          const max = Math.max(...records.map((r) => r.timestamp ?? now))
          assert.equal(Number(batch.maxTimestamp), max)
        },
      ),
      { numRuns: 150 },
    )
  })
})
