import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { datagramFrame, SyslogFrameDecoder } from './framing.ts'

type Frame = [string, boolean]

function decode(chunks: (string | Buffer)[], maxFrame = 2500, octetCounting = true, end = true): Frame[] {
  const d = new SyslogFrameDecoder({ maxFrame, octetCounting })
  const out: Frame[] = []
  const sink = { frame: (b: Buffer, inc: boolean) => out.push([b.toString('latin1'), inc]) }
  for (const c of chunks) d.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c, sink)
  if (end) d.end(sink)
  return out
}

/** Splits `s` at the given cut points. */
function cut(s: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b)
  const out: string[] = []
  let prev = 0
  for (const p of points) {
    out.push(s.slice(prev, p))
    prev = p
  }
  out.push(s.slice(prev))
  return out
}

describe('syslog TCP framing', () => {
  it('splits on \\n, keeps \\r, skips empty lines', () => {
    assert.deepEqual(decode(['<1>a\r\n\n\n<2>b\n']), [
      ['<1>a\r', false],
      ['<2>b', false],
    ])
  })

  it('cuts lines at eventSize like Flume: content of eventSize bytes is already incomplete', () => {
    // Flume's vector: eventSize=20.
    assert.deepEqual(decode(['<13>Jun  5 09:08:07 host1 app: a long message body here\n'], 20), [
      ['<13>Jun  5 09:08:07 ', true],
      ['host1 app: a long me', true],
      ['ssage body here', false],
    ])
    assert.deepEqual(decode(['0123456789\n'], 10, false), [['0123456789', true]])
    assert.deepEqual(decode(['012345678\n'], 10, false), [['012345678', false]])
  })

  it('reads RFC 6587 octet-counted frames, also mixed with newline frames', () => {
    assert.deepEqual(decode(['11 <13>1 - h m', '5 <1>xy<2>z\n3 abc']), [
      ['<13>1 - h m', false],
      ['<1>xy', false],
      ['<2>z', false],
      ['abc', false],
    ])
    // A frame may contain newlines; one trailing newline is dropped (loggen counts it into the frame).
    assert.deepEqual(decode(['6 <1>a\nb']), [['<1>a\nb', false]])
    assert.deepEqual(decode(['6 <1>ab\n7 <2>cd\n\n']), [
      ['<1>ab', false],
      ['<2>cd\n', false],
    ])
    assert.deepEqual(decode(['11 <1>abcdefg\n'], 10), [['<1>abcdefg', true]])
  })

  it('treats a digit run without a following space as a newline frame', () => {
    assert.deepEqual(decode(['2023-06-15 oops\n12345678901 x\n']), [
      ['2023-06-15 oops', false],
      ['12345678901 x', false],
    ])
    assert.deepEqual(decode(['12 apples\n'], 2500, false), [['12 apples', false]])
  })

  it('cuts long octet-counted frames into eventSize pieces, all but the last incomplete', () => {
    assert.deepEqual(decode(['24 <1>abcdefghijklmnopqrstu'], 10), [
      ['<1>abcdefg', true],
      ['hijklmnopq', true],
      ['rstu', false],
    ])
    assert.deepEqual(decode(['10 <1>abcdefg'], 10), [['<1>abcdefg', false]])
  })

  it('emits what is left at a clean end of stream', () => {
    assert.deepEqual(decode(['<1>a\n<2>partial']), [
      ['<1>a', false],
      ['<2>partial', false],
    ])
    assert.deepEqual(decode(['20 <1>only-part']), [['<1>only-part', true]])
    assert.deepEqual(decode(['<1>a\n<2>partial'], 2500, true, false), [['<1>a', false]])
  })

  it('bounds what it holds to about eventSize', () => {
    const d = new SyslogFrameDecoder({ maxFrame: 100 })
    const out: Buffer[] = []
    for (let i = 0; i < 1000; i++) d.push(Buffer.from('x'.repeat(37)), { frame: (b) => out.push(b) })
    assert.ok(d.buffered < 100)
    assert.equal(out.length, Math.floor((37 * 1000) / 100))
    const o = new SyslogFrameDecoder({ maxFrame: 100 })
    o.push(Buffer.from('999999999 '), { frame: () => {} })
    for (let i = 0; i < 100; i++) o.push(Buffer.alloc(1000, 0x41), { frame: () => {} })
    assert.ok(o.buffered < 100)
  })

  it('gives the same frames however the stream is split', () => {
    const message = fc.string({
      unit: fc.constantFrom('<', '1', '>', 'a', ' ', '\r', 'é'),
      minLength: 1,
      maxLength: 30,
    })
    fc.assert(
      fc.property(
        fc.array(fc.tuple(message, fc.boolean()), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (msgs, cuts) => {
          // Newline frames must not start with a digit (that would start an octet count) and have no \n.
          let stream = ''
          const expected: Frame[] = []
          for (const [m, octet] of msgs) {
            const bytes = Buffer.from(m, 'utf8').toString('latin1')
            if (octet) {
              stream += `${bytes.length} ${bytes}`
              expected.push([bytes, false])
            } else {
              const line = /^[1-9]/.test(bytes) ? `<${bytes}` : bytes
              stream += `${line}\n`
              expected.push([line, false])
            }
          }
          assert.deepEqual(decode(cut(stream, cuts)), expected)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('never emits a frame over eventSize and loses no byte of garbage', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 40 }),
        (bytes, cuts, max) => {
          const s = Buffer.from(bytes).toString('latin1')
          const frames = decode(cut(s, cuts), max, false)
          for (const [f] of frames) assert.ok(f.length <= max && f.length > 0)
          // Without octet counting, the frames are the stream minus newlines (cuts at eventSize lose nothing).
          assert.equal(frames.map(([f]) => f).join(''), s.replaceAll('\n', ''))
        },
      ),
      { numRuns: 1000 },
    )
  })
})

describe('syslog datagram framing', () => {
  it('skips leading newlines and stops at the next one', () => {
    assert.equal(datagramFrame(Buffer.from('\n\n<1>a\n<2>b'))?.toString(), '<1>a')
    assert.equal(datagramFrame(Buffer.from('<1>a'))?.toString(), '<1>a')
    assert.equal(datagramFrame(Buffer.from('\n\n')), undefined)
    assert.equal(datagramFrame(Buffer.alloc(0)), undefined)
  })
})
