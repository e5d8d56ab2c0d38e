import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { DecodeFailure, LineDeserializer, type LineOptions } from './line-deserializer.ts'
import { repairUtf8 } from './utf8.ts'

const dir = mkdtempSync(join(tmpdir(), 'flumen-linedes-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

const base: LineOptions = {
  maxLineLength: 2048,
  inputCharset: 'utf-8',
  outputCharset: 'utf-8',
  decodeErrorPolicy: 'FAIL',
}

/** Reads a whole file through the deserializer in batches of `batch`; returns bodies and final offset. */
async function readAll(
  content: Buffer | string,
  opts: Partial<LineOptions> = {},
  batch = 7,
  start = 0,
): Promise<{ bodies: Buffer[]; end: number }> {
  const f = join(dir, `f${n++}`)
  writeFileSync(f, content)
  const fh = await open(f, 'r')
  try {
    const d = new LineDeserializer(fh, start, { ...base, ...opts })
    const bodies: Buffer[] = []
    for (;;) {
      const evs = await d.readEvents(batch)
      if (evs.length === 0) break
      for (const e of evs) bodies.push(Buffer.from(e.body))
    }
    return { bodies, end: d.markPosition }
  } finally {
    await fh.close()
  }
}

const texts = (b: Buffer[]) => b.map((x) => x.toString('utf8'))

/** Flume's LineDeserializer.readLine() on decoded text (surrogate pairs kept whole, as flumen does). */
function model(text: string, max: number): string[] {
  const out: string[] = []
  let cur = ''
  let units = 0
  for (const c of text) {
    if (c === '\n') {
      out.push(cur)
      cur = ''
      units = 0
      continue
    }
    cur += c
    units += c.length
    if (units >= max) {
      out.push(cur)
      cur = ''
      units = 0
    }
  }
  if (cur.length > 0) out.push(cur)
  return out
}

describe('spooldir LINE deserializer', () => {
  it('splits at \\n only, keeps \\r, returns an unterminated last line', async () => {
    const r = await readAll('a\r\nb\n\nc')
    assert.deepEqual(texts(r.bodies), ['a\r', 'b', '', 'c'])
    assert.equal(r.end, 7)
  })

  it('cuts lines at maxLineLength chars; the rest follows, an exact multiple gives an empty event', async () => {
    const r = await readAll('abcdefg\nabc\nab\n', { maxLineLength: 3 })
    assert.deepEqual(texts(r.bodies), ['abc', 'def', 'g', 'abc', '', 'ab'])
  })

  it('counts chars, not bytes: a Korean line longer than maxLineLength bytes stays whole', async () => {
    const line = '가나다라마바사'.repeat(3) // 21 chars, 63 bytes
    const r = await readAll(`${line}\n${line}x\n`, { maxLineLength: 22 })
    assert.deepEqual(texts(r.bodies), [line, `${line}x`, ''])
  })

  it('streams a 20 MB line with a 64 KiB chunk: fixed-size pieces, nothing lost', async () => {
    const big = Buffer.alloc(20 << 20, 0x61)
    const r = await readAll(Buffer.concat([big, Buffer.from('\nz\n')]), { chunkSize: 64 << 10 }, 1000)
    const expected = Math.ceil(big.length / 2048)
    assert.equal(r.bodies.length, expected + 1 + (big.length % 2048 === 0 ? 1 : 0))
    assert.equal(
      r.bodies.slice(0, expected).reduce((s, b) => s + b.length, 0),
      big.length,
    )
    assert.equal(r.bodies.at(-1)?.toString(), 'z')
  })

  it('resumes at a byte offset', async () => {
    const r = await readAll('one\ntwo\nthree\n', {}, 10, 4)
    assert.deepEqual(texts(r.bodies), ['two', 'three'])
  })

  it('decodeErrorPolicy REPLACE writes U+FFFD per malformed sequence, IGNORE drops it', async () => {
    const bad = Buffer.from([0x61, 0xff, 0x62, 0xe2, 0x82, 0x0a, 0xed, 0xa0, 0x80, 0x63, 0x0a])
    assert.deepEqual(texts((await readAll(bad, { decodeErrorPolicy: 'REPLACE' })).bodies), [
      'a\uFFFDb\uFFFD',
      '\uFFFDc',
    ])
    assert.deepEqual(texts((await readAll(bad, { decodeErrorPolicy: 'IGNORE' })).bodies), ['ab', 'c'])
  })

  it('decodeErrorPolicy FAIL throws naming the byte offset', async () => {
    await assert.rejects(
      readAll(Buffer.concat([Buffer.from('ok\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')])),
      (e: unknown) => e instanceof DecodeFailure && e.offset === 7,
    )
  })

  it('decodes other input charsets', async () => {
    const r = await readAll(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), { inputCharset: 'iso-8859-1' })
    assert.deepEqual(texts(r.bodies), ['café'])
  })

  it('matches the model of Flume readLine on any text, chunk size and batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', '\n', '\r', 'é', '한', '😀'), { maxLength: 300 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 16, max: 64 }),
        fc.integer({ min: 1, max: 9 }),
        async (chars, max, chunkSize, batch) => {
          const text = chars.join('')
          const r = await readAll(text, { maxLineLength: max, chunkSize }, batch)
          assert.deepEqual(texts(r.bodies), model(text, max))
          assert.equal(r.end, Buffer.byteLength(text))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('repairUtf8 agrees with Node decoding for REPLACE on random bytes without 0xED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes.filter((x) => x !== 0xed))
        assert.equal(repairUtf8(b, 0, b.length, 'REPLACE').toString('utf8'), b.toString('utf8'))
      }),
      { numRuns: 500 },
    )
  })

  it('repairUtf8 counts an encoded surrogate as Java does', () => {
    const r = (bytes: number[]) => repairUtf8(Buffer.from(bytes), 0, bytes.length, 'REPLACE').toString()
    assert.equal(r([0xed, 0xa0, 0x80, 0x63]), '\uFFFDc')
    assert.equal(r([0xed, 0xbf, 0x41]), '\uFFFDA')
    assert.equal(r([0xed, 0x9f, 0xbf]), '\uD7FF')
  })
})
