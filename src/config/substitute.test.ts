// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} in plain strings is what is under test
// Expected values come from Commons Text 1.10.0 set up as Flume's MapResolver (see
// docs/config-substitution.md); substitute.differential.test.ts checks them and the engine against the jar.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ConfigDiagnostic } from './diagnostics.ts'
import type { PropertyEntry } from './properties.ts'
import { ENV_VAR_RESOLVER_PROPERTIES, type SubstitutionResult, substituteProperties } from './substitute.ts'
import {
  caseConfig,
  caseEnv,
  caseSystemProperties,
  substitutionCases,
} from './test-support/substitution-cases.ts'

interface Setup {
  readonly config?: Record<string, string>
  readonly env?: Record<string, string>
  readonly sys?: Record<string, string>
  readonly now?: Date
}

function run(config: Record<string, string>, setup: Setup = {}): SubstitutionResult {
  const properties = new Map<string, PropertyEntry>()
  let line = 1
  for (const [key, value] of Object.entries(config)) {
    properties.set(key, { key, value, source: 'test.conf', line: line++ })
  }
  return substituteProperties(properties, {
    env: setup.env ?? {},
    systemProperties: new Map(Object.entries(setup.sys ?? {})),
    ...(setup.now === undefined ? {} : { now: setup.now }),
  })
}

/** Substitutes `value` as the value of key `a1.x`, next to `setup.config`. */
function sub(value: string, setup: Setup = {}): { value: string; diagnostics: ConfigDiagnostic[] } {
  const result = run({ ...setup.config, 'a1.x': value }, setup)
  return {
    value: result.properties.get('a1.x')!.value,
    diagnostics: result.diagnostics.filter((d) => d.key === 'a1.x'),
  }
}

function codes(diagnostics: readonly ConfigDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.severity} ${d.code}`)
}

const config = caseConfig
const env = caseEnv
const sys = caseSystemProperties

describe('Commons Text semantics (the documented cases)', () => {
  for (const [input, expected] of substitutionCases) {
    test(`${input} -> ${expected ?? 'reference loop'}`, () => {
      const result = sub(input, { config, env, sys })
      if (expected !== null) {
        assert.equal(result.value, expected)
        return
      }
      assert.equal(result.value, input)
      assert.deepEqual(codes(result.diagnostics), ['error SUBSTITUTION_CYCLE'])
    })
  }
})

describe('Flume compat: lookup fallbacks', () => {
  test('${env:NAME} falls back to the config key NAME when the variable is unset', () => {
    assert.equal(sub('${env:PORT}', { config: { PORT: '4141' } }).value, '4141')
    assert.equal(sub('${env:PORT}', { config: { PORT: '4141' }, env: { PORT: '1' } }).value, '1')
  })
  test('${sys:NAME} falls back to the config key NAME', () => {
    assert.equal(sub('${sys:PORT}', { config: { PORT: '4141' } }).value, '4141')
  })
  test('plain ${NAME} is never the environment by default', () => {
    const r = sub('${HOME}', { env })
    assert.equal(r.value, '${HOME}')
    assert.deepEqual(codes(r.diagnostics), ['warning SUBSTITUTION_UNRESOLVED'])
  })
  test('with -DpropertiesImplementation=EnvVarResolverProperties plain ${NAME} falls back to the environment', () => {
    const sysProps = { propertiesImplementation: ENV_VAR_RESOLVER_PROPERTIES }
    assert.equal(sub('${HOME}', { env, sys: sysProps }).value, '/home/flume')
    // A config key still comes first.
    assert.equal(sub('${HOME}', { env, sys: sysProps, config: { HOME: 'key' } }).value, 'key')
  })
  test('values are substituted raw, before Flume trims them', () => {
    assert.equal(sub('${NC_PORT}x', { config: { NC_PORT: '44444 ' } }).value, '44444 x')
  })
  test('keys are never substituted', () => {
    const result = run({ '${A}': '1', A: 'a' })
    assert.deepEqual([...result.properties.keys()], ['${A}', 'A'])
  })
})

describe('what is left verbatim, and reported', () => {
  test('unresolved variables stay as written, with a warning naming the key and line', () => {
    const result = run({ 'a1.y': '1', 'a1.x': 'host:${env:NOPE_HOST}:${NOPE}' })
    assert.equal(result.properties.get('a1.x')!.value, 'host:${env:NOPE_HOST}:${NOPE}')
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.severity, d.file, d.line, d.key]),
      [
        ['SUBSTITUTION_UNRESOLVED', 'warning', 'test.conf', 2, 'a1.x'],
        ['SUBSTITUTION_UNRESOLVED', 'warning', 'test.conf', 2, 'a1.x'],
      ],
    )
    assert.match(
      result.diagnostics[0]!.message,
      /^\$\{env:NOPE_HOST\} is not defined \(environment variable NOPE_HOST/,
    )
    assert.match(result.diagnostics[0]!.message, /left as is/)
    assert.match(result.diagnostics[1]!.message, /^\$\{NOPE\} is not defined \(no config key "NOPE"\)/)
  })
  test('an unresolved variable with a default is not reported', () => {
    assert.deepEqual(sub('${NOPE:-d}').diagnostics, [])
  })
  test('a variable whose name holds an unresolved variable is reported once, for the inner one', () => {
    const r = sub('${${sys:nope}_BIND}')
    assert.equal(r.value, '${${sys:nope}_BIND}')
    assert.deepEqual(codes(r.diagnostics), ['warning SUBSTITUTION_UNRESOLVED'])
    assert.match(
      r.diagnostics[0]!.message,
      /^\$\{sys:nope\} is not defined \(system property nope is not set/,
    )
  })
  test('the default of an unresolved default is reported', () => {
    const r = sub('${NOPE:-${NOPE2}}')
    assert.equal(r.value, '${NOPE2}')
    assert.match(r.diagnostics[0]?.message ?? '', /^\$\{NOPE2\} is not defined/)
  })
  test('config filter references are left for the filter step, unreported', () => {
    for (const ref of ["${f1['KEY']}", '${f1["KEY"]}', '${f1[KEY]}', "pre_${f-1['a-b_c']}_post"]) {
      const r = sub(ref)
      assert.equal(r.value, ref)
      assert.deepEqual(r.diagnostics, [], ref)
    }
  })
  test('a reference loop leaves the value unsubstituted and is an error', () => {
    const result = run({ X: '${Y}', Y: '${X}', SELF: 'a ${SELF}', 'a1.x': 'v=${X} ${A}', A: 'ok' })
    for (const key of ['X', 'Y', 'SELF', 'a1.x']) {
      const entry = result.properties.get(key)!
      assert.equal(entry.value, entry.rawValue, key)
    }
    const cycle = result.diagnostics.filter((d) => d.code === 'SUBSTITUTION_CYCLE')
    assert.deepEqual(
      cycle.map((d) => [d.key, d.severity]),
      [
        ['X', 'error'],
        ['Y', 'error'],
        ['SELF', 'error'],
        ['a1.x', 'error'],
      ],
    )
    assert.match(cycle[0]!.message, /\(\$\{Y\} -> \$\{X\} -> \$\{Y\}\)/)
    assert.match(cycle[0]!.message, /Flume refuses to start/)
  })
  test('a variable name that expands to itself is a loop too (Java overflows its stack)', () => {
    const result = run({ a: '${${a}}' })
    assert.equal(result.properties.get('a')!.value, '${${a}}')
    assert.deepEqual(codes(result.diagnostics), ['error SUBSTITUTION_CYCLE'])
    assert.match(result.diagnostics[0]!.message, /\(a variable name that expands to itself\)/)
  })
  test('${java:...} is unsupported: left as is with a warning, or its default used', () => {
    const r = sub('${java:version}')
    assert.equal(r.value, '${java:version}')
    assert.deepEqual(codes(r.diagnostics), ['warning SUBSTITUTION_UNSUPPORTED'])
    assert.match(r.diagnostics[0]!.message, /left as is/)
    // No fallback to a config key named "version": Java's lookup never returns nothing.
    assert.equal(sub('${java:version}', { config: { version: '1' } }).value, '${java:version}')
    const withDefault = sub('${java:version:-unknown}')
    assert.equal(withDefault.value, 'unknown')
    assert.match(withDefault.diagnostics[0]!.message, /its default is used/)
  })
})

describe('${date:...}', () => {
  const now = new Date(2024, 1, 29, 13, 5, 9, 7) // local time, like Java's default zone
  test('formats with a Java pattern in the process time zone', () => {
    assert.equal(sub("${date:yyyy-MM-dd'T'HH:mm:ss.SSS}", { now }).value, '2024-02-29T13:05:09.007')
    assert.equal(sub('${date:EEE, d MMM yy h:mm a}', { now }).value, 'Thu, 29 Feb 24 1:05 PM')
    assert.equal(sub('logs-${date:yyyyMMdd}.txt', { now }).value, 'logs-20240229.txt')
  })
  test('an empty pattern gives the empty string', () => {
    assert.equal(sub('${date:}', { now }).value, '')
  })
  test('a pattern Java rejects is an error, left as is', () => {
    for (const pattern of ['q', 'yyyy-qq', "'open", 'XXXX']) {
      const r = sub(`\${date:${pattern}}`, { now })
      assert.equal(r.value, `\${date:${pattern}}`)
      assert.deepEqual(codes(r.diagnostics), ['error SUBSTITUTION_INVALID_DATE_FORMAT'], pattern)
    }
  })
  test('week numbers and zone names are unsupported, left as is', () => {
    for (const pattern of ['w', 'yyyy-ww', 'z', 'YYYY']) {
      const r = sub(`\${date:${pattern}}`, { now })
      assert.equal(r.value, `\${date:${pattern}}`)
      assert.deepEqual(codes(r.diagnostics), ['warning SUBSTITUTION_UNSUPPORTED'], pattern)
    }
  })
})

describe('result shape', () => {
  test('keeps order, raw values and origins; reports referenced keys', () => {
    const result = run({ 'a1.x': '${P}:${env:Q}', P: '1', Q: '2', 'a1.y': 'plain' })
    assert.deepEqual(
      [...result.properties.values()],
      [
        { key: 'a1.x', value: '1:2', rawValue: '${P}:${env:Q}', source: 'test.conf', line: 1 },
        { key: 'P', value: '1', rawValue: '1', source: 'test.conf', line: 2 },
        { key: 'Q', value: '2', rawValue: '2', source: 'test.conf', line: 3 },
        { key: 'a1.y', value: 'plain', rawValue: 'plain', source: 'test.conf', line: 4 },
      ],
    )
    assert.deepEqual([...result.referencedKeys].sort(), ['P', 'Q'])
  })
  test('a long chain of references is not mistaken for a loop', () => {
    const chain: Record<string, string> = { k0: 'end' }
    for (let i = 1; i <= 300; i++) chain[`k${i}`] = `\${k${i - 1}}`
    const result = run(chain)
    assert.equal(result.properties.get('k300')!.value, 'end')
    assert.deepEqual(result.diagnostics, [])
  })
  test('keys reached through other keys are referenced too', () => {
    assert.deepEqual([...run({ 'a1.x': '${B}', B: '${A}', A: '1' }).referencedKeys].sort(), ['A', 'B'])
  })
})
