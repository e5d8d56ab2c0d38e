import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { Event } from '../../core/event.ts'
import { LineReader, TailFile } from './tail-file.ts'

const make = (_tf: TailFile, body: Buffer, offset: number) => new Event(body, { o: String(offset) } as never)

async function withFile(content: string | Buffer, fn: (tf: TailFile, path: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'flumen-tail-'))
  const path = join(dir, 'f.log')
  writeFileSync(path, content)
  const tf = new TailFile('1', path, 'g', [], 0, 0, 0)
  tf.fh = await open(path, 'r')
  try {
    await fn(tf, path)
  } finally {
    await tf.fh.close()
  }
}

const bodies = (evs: Event[]) => evs.map((e) => e.body.toString('latin1'))

describe('taildir line reader', () => {
  it('complete lines only; \\r before \\n dropped; a partial line waits for its newline', async () => {
    await withFile('a\nb\r\n\r\nc\rd\ne', async (tf, path) => {
      const r = new LineReader(16)
      const evs = await r.read(tf, 100, false, make)
      assert.deepEqual(bodies(evs), ['a', 'b', '', 'c\rd'])
      assert.deepEqual(
        evs.map((e) => e.headers.o),
        ['0', '2', '5', '7'],
      )
      assert.equal(tf.lineStart, 11)
      assert.deepEqual(await r.read(tf, 100, false, make), [])
      appendFileSync(path, 'f\ng')
      assert.deepEqual(bodies(await r.read(tf, 100, false, make)), ['ef'])
      // partial allowed (idle close): the unterminated line is emitted as it is
      assert.deepEqual(bodies(await r.read(tf, 100, true, make)), ['g'])
      assert.equal(tf.lineStart, 15)
    })
  })

  it('batches stop at max and continue where they stopped; detach keeps the unfinished line', async () => {
    await withFile('1\n2\n3\n4\n5', async (tf) => {
      const r = new LineReader(4)
      assert.deepEqual(bodies(await r.read(tf, 2, false, make)), ['1', '2'])
      r.detach()
      assert.deepEqual(bodies(await r.read(tf, 2, false, make)), ['3', '4'])
      assert.deepEqual(bodies(await r.read(tf, 2, false, make)), [])
      r.detach()
      assert.equal(tf.carry?.toString(), '5')
      assert.equal(tf.readPos, 9)
      tf.pos = 4
      tf.rewind()
      assert.deepEqual(bodies(await r.read(tf, 10, false, make)), ['3', '4'])
    })
  })

  it('lines longer than the buffer are gathered whole (CR stripped across pieces)', async () => {
    const long = 'x'.repeat(100)
    await withFile(`${long}\r\n${long}\ny\n${'z'.repeat(31)}\r\n`, async (tf) => {
      const r = new LineReader(8)
      const evs = await r.read(tf, 10, false, make)
      assert.deepEqual(bodies(evs), [long, long, 'y', 'z'.repeat(31)])
      assert.deepEqual(
        evs.map((e) => e.headers.o),
        ['0', '102', '203', '205'],
      )
    })
  })

  it('any content and any buffer size: lines and offsets equal a reference split (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', '\n', '\r', 'é'), { maxLength: 200 }).map((a) => a.join('')),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (text, chunk, batch) => {
          const buf = Buffer.from(text)
          await withFile(buf, async (tf) => {
            const r = new LineReader(chunk)
            const got: Event[] = []
            for (;;) {
              const evs = await r.read(tf, batch, false, make)
              if (evs.length === 0) break
              got.push(...evs)
              if (got.length % 3 === 0) r.detach()
            }
            const want: string[] = []
            const offs: string[] = []
            let start = 0
            for (let i = 0; i < buf.length; i++) {
              if (buf[i] === 10) {
                let end = i
                if (end > start && buf[end - 1] === 13) end--
                want.push(buf.subarray(start, end).toString('latin1'))
                offs.push(String(start))
                start = i + 1
              }
            }
            assert.deepEqual(bodies(got), want)
            assert.deepEqual(
              got.map((e) => e.headers.o),
              offs,
            )
            assert.equal(tf.lineStart, start)
          })
        },
      ),
      { numRuns: 300 },
    )
  })
})
