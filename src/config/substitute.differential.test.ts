// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} in plain strings is what is under test
// Differential tests: substitute.ts and date-format.ts against the real Apache Commons Text 1.10.0 /
// Commons Lang 3.12.0 (the versions Flume 1.11 ships), set up as Flume's MapResolver does
// (test-support/SubstituteOracle.java). One JVM for the whole file; Java and the two jars are required.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { formatJavaDate } from './date-format.ts'
import type { PropertyEntry } from './properties.ts'
import { substituteProperties } from './substitute.ts'
import { commonsTextClasspath, JavaOracle } from './test-support/java-oracle.ts'
import {
  caseConfig,
  caseEnv,
  caseSystemProperties,
  substitutionCases,
} from './test-support/substitution-cases.ts'

// The JVM gets exactly this environment (plus what it needs to run), and so does our side.
const testEnv: Record<string, string> = {
  ...caseEnv,
  FT_A: 'envA',
  FT_EMPTY: '',
  FT_REF: '${A}',
  FT_ESC: '$${A}',
}
const jvmEnv: NodeJS.ProcessEnv = { ...testEnv, PATH: process.env.PATH ?? '/usr/bin:/bin' }
if (process.env.JAVA_HOME !== undefined) jvmEnv.JAVA_HOME = process.env.JAVA_HOME

let java: JavaOracle

before(async () => {
  java = await JavaOracle.start(
    fileURLToPath(new URL('./test-support/SubstituteOracle.java', import.meta.url)),
    {
      classpath: commonsTextClasspath(),
      env: jvmEnv,
      jvmOptions: ['-Duser.language=en', '-Duser.country=US', '-Xss512k'],
    },
  )
})
after(async () => {
  await java?.close()
})

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')

type JavaAnswer =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: string }

function parseAnswer(line: string): JavaAnswer {
  const [status, payload = ''] = line.split(' ')
  return status === 'ok' ? { ok: true, text: unb64(payload) } : { ok: false, error: payload }
}

async function javaSubstitute(
  config: Record<string, string>,
  sys: Record<string, string>,
  text: string,
): Promise<JavaAnswer> {
  const parts = ['sub', String(Object.keys(config).length)]
  for (const [k, v] of Object.entries(config)) parts.push(b64(k), b64(v))
  parts.push(String(Object.keys(sys).length))
  for (const [k, v] of Object.entries(sys)) parts.push(b64(k), b64(v))
  parts.push(b64(text))
  return parseAnswer(await java.ask(parts.join(' ')))
}

/** Our result for every key, in the oracle's terms: the value, or the error Java would throw. */
function ourSubstitute(config: Record<string, string>, sys: Record<string, string>): Map<string, JavaAnswer> {
  const properties = new Map<string, PropertyEntry>()
  for (const [key, value] of Object.entries(config)) properties.set(key, { key, value, source: 't', line: 1 })
  const result = substituteProperties(properties, {
    env: testEnv,
    systemProperties: new Map(Object.entries(sys)),
  })
  const cyclic = new Set(result.diagnostics.filter((d) => d.code === 'SUBSTITUTION_CYCLE').map((d) => d.key))
  const out = new Map<string, JavaAnswer>()
  for (const [key, entry] of result.properties) {
    out.set(key, cyclic.has(key) ? { ok: false, error: 'cycle' } : { ok: true, text: entry.value })
  }
  return out
}

/** Java's two ways of failing on a reference loop both count as our SUBSTITUTION_CYCLE. */
function normalizeJava(answer: JavaAnswer): JavaAnswer {
  if (answer.ok) return answer
  assert.ok(
    answer.error === 'java.lang.IllegalStateException' || answer.error === 'java.lang.StackOverflowError',
    `unexpected Java error ${answer.error}`,
  )
  return { ok: false, error: 'cycle' }
}

async function compare(config: Record<string, string>, sys: Record<string, string>): Promise<number> {
  const ours = ourSubstitute(config, sys)
  let cycles = 0
  for (const [key, value] of Object.entries(config)) {
    const expected = normalizeJava(await javaSubstitute(config, sys, value))
    if (!expected.ok) cycles++
    assert.deepEqual(ours.get(key), expected, `${key} = ${JSON.stringify(value)}`)
  }
  return cycles
}

test('documented cases: Commons Text gives the documented results, and so do we', async (t) => {
  t.diagnostic(`oracle: Java ${java.javaVersion}, commons-text 1.10.0`)
  for (const [input, expected] of substitutionCases) {
    const answer = await javaSubstitute(caseConfig, caseSystemProperties, input)
    if (expected === null) assert.equal(normalizeJava(answer).ok, false, `${input} should be a loop in Java`)
    else assert.deepEqual(answer, { ok: true, text: expected }, input)
  }
  const config: Record<string, string> = { ...caseConfig }
  for (const [i, [input]] of substitutionCases.entries()) config[`t${i}`] = input
  const loops = await compare(config, caseSystemProperties)
  assert.ok(loops >= 6, 'the loops in the cases must be detected by both')
})

// Random configurations: a few keys whose values mix variable syntax, names that exist or not, escapes,
// defaults, prefixes and nesting.
const keys = ['A', 'B', 'C', 'a.b', 'x_y', 'prod_BIND']
const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('x', ' ', '-', '.', 'v1', ':') },
  { weight: 6, arbitrary: fc.constantFrom('$', '$$', '{', '}', '${', ':-', '}}') },
  { weight: 4, arbitrary: fc.constantFrom(...keys, 'NOPE', 'FT_A', 'FT_REF', 'sp', 'env') },
  { weight: 2, arbitrary: fc.constantFrom('env:', 'sys:', 'ENV:', 'foo:', ':') },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '${A}',
      '${B}',
      '${a.b}',
      '${env:FT_A}',
      '${env:FT_REF}',
      '${env:FT_ESC}',
      '${env:A}',
      '${sys:sp}',
      '${sys:A}',
      '${NOPE:-d}',
      '${NOPE:-${A}}',
      '$${A}',
      "${f1['K']}",
      '${${sys:env}_BIND}',
      '${C:-}',
    ),
  },
)
const value = fc.array(fragment, { maxLength: 10 }).map((parts) => parts.join(''))
const configuration = fc.record({
  config: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length }),
  sys: fc.subarray([
    ['sp', 'spv'],
    ['env', 'prod'],
    ['A', 'sysA'],
  ] as const),
})

test('random configurations substitute exactly as Commons Text does', async (t) => {
  const numRuns = Number(process.env.FLUMEN_FC_RUNS ?? 400)
  let values = 0
  let cycles = 0
  await fc.assert(
    fc.asyncProperty(configuration, async ({ config, sys }) => {
      const sysProps = Object.fromEntries(sys)
      cycles += await compare(config, sysProps)
      values += Object.keys(config).length
    }),
    { numRuns },
  )
  t.diagnostic(`${numRuns} configurations, ${values} values compared, ${cycles} loops found by both`)
  assert.ok(cycles > 0, 'the generator should produce some reference loops')
})

// ${date:...}: FastDateFormat in the default zone (the JVM's, the process TZ here).
const zones = ['UTC', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']
const letterRun = fc
  .tuple(fc.constantFrom(...'GyMdhHmsSEuDFakKXZ'), fc.integer({ min: 1, max: 5 }))
  .filter(([l, n]) => !(l === 'X' && n > 3))
  .map(([l, n]) => l.repeat(n))
const literal = fc.constantFrom('-', ':', ' ', '.', "'T'", "''", "'o''clock'", ',', '/', '[', "'at'")
const validPattern = fc
  .array(fc.oneof(letterRun, literal), { maxLength: 8 })
  .map((p) => p.join(''))
  .filter((p) => !p.includes('XXXX')) // adjacent runs merge
const anyPattern = fc
  .array(
    fc.oneof(letterRun, literal, fc.constantFrom('q', 'b', 'X'.repeat(4), "'", 'L', 'e', 'YY', 'w', 'z')),
    {
      maxLength: 6,
    },
  )
  .map((p) => p.join(''))
const instant = fc.date({
  min: new Date('1901-01-01T00:00:00Z'),
  max: new Date('2199-12-31T23:59:59Z'),
  noInvalidDate: true,
})

async function compareDate(
  zone: string,
  date: Date,
  pattern: string,
): Promise<'ok' | 'invalid' | 'unsupported'> {
  const line = ['date', b64(zone), String(date.getTime()), b64(pattern)].join(' ')
  const expected = parseAnswer(await java.ask(line))
  process.env.TZ = zone
  const ours = formatJavaDate(pattern, date)
  const context = `${zone} ${date.toISOString()} ${JSON.stringify(pattern)}`
  if (ours.ok) {
    assert.deepEqual({ ok: true, text: ours.text }, expected, context)
    return 'ok'
  }
  if (ours.kind === 'invalid') {
    assert.deepEqual(expected, { ok: false, error: 'java.lang.IllegalArgumentException' }, context)
    return 'invalid'
  }
  // Unsupported by us, so it must be a pattern Java accepts.
  assert.equal(expected.ok, true, context)
  return 'unsupported'
}

test('date patterns format exactly as FastDateFormat does', async (t) => {
  const savedTz = process.env.TZ
  try {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...zones), instant, validPattern, async (zone, date, pattern) => {
        assert.equal(await compareDate(zone, date, pattern), 'ok')
      }),
      { numRuns: Number(process.env.FLUMEN_FC_RUNS ?? 400) },
    )
    const seen = { ok: 0, invalid: 0, unsupported: 0 }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...zones), instant, anyPattern, async (zone, date, pattern) => {
        seen[await compareDate(zone, date, pattern)]++
      }),
      { numRuns: Number(process.env.FLUMEN_FC_RUNS ?? 400) },
    )
    t.diagnostic(`mixed patterns: ${JSON.stringify(seen)}`)
    assert.ok(seen.invalid > 0 && seen.ok > 0, 'both accepted and rejected patterns should be generated')
  } finally {
    if (savedTz === undefined) delete process.env.TZ
    else process.env.TZ = savedTz
  }
})
