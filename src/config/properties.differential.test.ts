// Differential tests: our parser against the real java.util.Properties.load(InputStream) (Java 17+), on a
// hand-written torture file and on random files from fast-check. One JVM serves the whole file (see
// test-support/java-oracle.ts); Java is required, a missing JVM fails these tests.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { PropertiesSyntaxError, parseProperties } from './properties.ts'
import { JavaOracle } from './test-support/java-oracle.ts'

type Outcome = readonly ['ok', readonly (readonly [string, string])[]] | readonly ['error']

let java: JavaOracle

before(async () => {
  java = await JavaOracle.start(fileURLToPath(new URL('./test-support/DumpProperties.java', import.meta.url)))
})
after(async () => {
  await java?.close()
})

async function javaOutcome(bytes: Uint8Array): Promise<Outcome> {
  const answer = JSON.parse(await java.ask(Buffer.from(bytes).toString('base64'))) as
    | ['ok', [string, string][]]
    | ['error', string]
  if (answer[0] === 'ok') return answer
  // The only way Properties.load fails on an in-memory stream.
  assert.equal(answer[1], 'java.lang.IllegalArgumentException: Malformed \\uxxxx encoding.')
  return ['error']
}

function ourOutcome(bytes: Uint8Array): Outcome {
  try {
    const result = parseProperties(bytes, 'generated.properties')
    const pairs = [...result.properties.values()].map((e) => [e.key, e.value] as const)
    // Default sort compares UTF-16 code units, like Java's String.compareTo in the oracle's TreeMap.
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return ['ok', pairs]
  } catch (error) {
    if (error instanceof PropertiesSyntaxError) return ['error']
    throw error
  }
}

/** Latin-1 text to bytes, so the tests below can be written as strings. */
function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1')
}

/** Escapes a generated file so a failure report shows every byte. */
function show(file: string): string {
  return JSON.stringify(file)
}

test('torture.properties parses exactly as java.util.Properties does', async (t) => {
  t.diagnostic(`oracle: Java ${java.javaVersion}`)
  const data = readFileSync(new URL('./test-support/torture.properties', import.meta.url))
  const ours = ourOutcome(data)
  assert.deepEqual(ours, await javaOutcome(data))
  // Guard against a fixture that silently lost its content.
  assert.equal(ours[0], 'ok')
  assert.ok(ours[0] === 'ok' && ours[1].length >= 50, 'torture.properties should define 50+ keys')
})

test('a malformed \\u escape fails both parsers', async () => {
  for (const text of ['k = \\u12', 'k = \\u12G4\n', '\\uZZ = v\n', 'k = \\u00\\\n\n41\n', 'k=\\u']) {
    assert.deepEqual(ourOutcome(bytes(text)), ['error'], show(text))
    assert.deepEqual(await javaOutcome(bytes(text)), ['error'], show(text))
  }
})

// Random files are concatenations of syntax fragments, weighted so that most files have several logical
// lines with separators, escapes, continuations and comments in random places.
const identifier = fc.string({
  unit: fc.constantFrom('a', 'b', 'k', '1', '.', '_', '-'),
  minLength: 1,
  maxLength: 5,
})
const hex4 = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 4, maxLength: 4 })
const cleanFragment = fc.oneof(
  { weight: 12, arbitrary: identifier },
  { weight: 5, arbitrary: fc.constantFrom('=', ':', ' ', '\t', '\f', ' = ', '==', ' : ', '  ', ' \f\t') },
  { weight: 6, arbitrary: fc.constantFrom('\n', '\r', '\r\n', '\n\n', '\r\r\n') },
  { weight: 3, arbitrary: fc.constantFrom('\\\n', '\\\r', '\\\r\n', '\\\\\n', '\\\\\\\r\n', '\\', '\\\\') },
  { weight: 2, arbitrary: fc.constantFrom('#', '!', ' #', '\t!', '\\#', '\\!') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('\\t', '\\n', '\\r', '\\f', '\\b', '\\\\', '\\=', '\\:', '\\ ', '\\x', '\\\t'),
  },
  { weight: 2, arbitrary: hex4.map((h) => `\\u${h}`) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\0', '\v', '\x1f', '\x7f', '\u00a0', '\u00ef\u00bb\u00bf') },
)
// Fragments that can make a \u escape malformed (or, joined over a continuation, well formed again).
const riskyFragment = fc.constantFrom('\\u', '\\u12', '\\u12G4', '\\uZZZZ', '\\u00', '41', 'u')
const cleanFile = fc.array(cleanFragment, { maxLength: 80, size: 'large' })
const riskyFile = fc.array(fc.oneof({ weight: 20, arbitrary: cleanFragment }, riskyFragment), {
  maxLength: 80,
  size: 'large',
})
const propertiesFile = fc
  .oneof({ weight: 4, arbitrary: cleanFile }, { weight: 1, arbitrary: riskyFile })
  .map((parts) => parts.join(''))

test('random property files parse exactly as java.util.Properties does', async (t) => {
  const numRuns = Number(process.env.FLUMEN_FC_RUNS ?? 1500)
  const seen = { ok: 0, entries: 0, error: 0 }
  await fc.assert(
    fc.asyncProperty(propertiesFile, async (file) => {
      const data = bytes(file)
      const ours = ourOutcome(data)
      assert.deepEqual(ours, await javaOutcome(data), show(file))
      if (ours[0] === 'ok') {
        seen.ok++
        seen.entries += ours[1].length
      } else seen.error++
    }),
    { numRuns },
  )
  t.diagnostic(`${numRuns} files: ${seen.ok} loaded (${seen.entries} keys), ${seen.error} rejected by both`)
  // The generator must keep exercising both outcomes, or the comparison proves little.
  assert.ok(seen.error > numRuns / 50, 'too few files with malformed escapes')
  assert.ok(seen.entries > numRuns * 2, 'too few keys per file')
})

test('arbitrary bytes parse exactly as java.util.Properties does', async () => {
  // Raw fuzz: any byte, and dense mixes of the bytes the syntax cares about.
  const syntaxBytes = [...Buffer.from('=: \t\f\r\n\\#!u0aF', 'latin1'), 0x00, 0xff]
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.array(fc.constantFrom(...syntaxBytes), { maxLength: 300 }).map((a) => Uint8Array.from(a)),
  )
  await fc.assert(
    fc.asyncProperty(anyBytes, async (data) => {
      assert.deepEqual(ourOutcome(data), await javaOutcome(data), Buffer.from(data).toString('hex'))
    }),
    { numRuns: Number(process.env.FLUMEN_FC_RUNS ?? 1000) },
  )
})

// Java's LineReader reads the stream in 8192-byte chunks; its state must survive a chunk boundary at any
// point, e.g. between the `\r` and `\n` of a continuation.
test('large files, with line ends and continuations straddling the 8 KiB read buffer', async () => {
  const bigFiles: string[] = []
  for (const tail of ['\\\r\n   b', '\r\nb=1', '\\\n', '# c \\\r\nb=2', '\\\r', '\\\\\r\n x']) {
    for (let shift = 0; shift < 3; shift++) {
      const head = 'k = v\n'
      const filler = `${'x'.repeat(8192 - head.length - 1 - shift)}=`
      bigFiles.push(head + filler + tail)
    }
  }
  // Plus long random files, most of them many chunks long.
  const seed = Number(process.env.FLUMEN_FC_SEED ?? Date.now())
  for (const parts of fc.sample(fc.array(propertiesFile, { minLength: 100, maxLength: 400 }), {
    seed,
    numRuns: 20,
  })) {
    bigFiles.push(parts.filter((f) => !/\\u(?![0-9a-fA-F]{4})/.test(f)).join('\n'))
  }
  let loaded = 0
  for (const file of bigFiles) {
    const data = bytes(file)
    const expected = await javaOutcome(data)
    assert.deepEqual(ourOutcome(data), expected, `seed ${seed}, ${data.length} bytes`)
    if (expected[0] === 'ok') loaded++
  }
  assert.ok(loaded > bigFiles.length / 2, 'most large files should load')
})
