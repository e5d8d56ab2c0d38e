import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { commandArgv, LineSplitter } from './exec.ts'

const split = (chunks: string[], max = 1 << 20) => {
  const s = new LineSplitter(max)
  const out: Buffer[] = []
  for (const c of chunks) s.push(Buffer.from(c, 'latin1'), out)
  s.end(out)
  return out.map((b) => b.toString('latin1'))
}

/** Java BufferedReader.readLine over the whole text. */
function javaLines(text: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n' || c === '\r') {
      out.push(cur)
      cur = ''
      if (c === '\r' && text[i + 1] === '\n') i++
    } else cur += c
  }
  if (cur.length > 0) out.push(cur)
  return out
}

describe('exec source line splitting (Java readLine)', () => {
  it('ends lines at \\n, \\r and \\r\\n, across chunk boundaries', () => {
    assert.deepEqual(split(['a\r', '\nb\rc\n', 'd']), ['a', 'b', 'c', 'd'])
    assert.deepEqual(split(['\n\n']), ['', ''])
  })

  it('matches readLine for any text split anywhere', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', ' ') }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (text, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y)
          const chunks: string[] = []
          let prev = 0
          for (const p of points) {
            chunks.push(text.slice(prev, p))
            prev = p
          }
          chunks.push(text.slice(prev))
          assert.deepEqual(split(chunks), javaLines(text))
        },
      ),
    )
  })

  it('splits lines longer than the safety limit', () => {
    assert.deepEqual(split(['abcdefg\n'], 3), ['abc', 'def', 'g'])
  })

  it('splits the command on whitespace unless a shell is given', () => {
    assert.deepEqual(commandArgv({ command: 'tail  -F /x', shell: undefined }), ['tail', '-F', '/x'])
    assert.deepEqual(commandArgv({ command: 'tail -F /x | grep y', shell: '/bin/sh -c' }), [
      '/bin/sh',
      '-c',
      'tail -F /x | grep y',
    ])
  })
})
