import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FieldReader, PropertyValue } from './spec.ts'
import {
  bool,
  Invalid,
  int,
  list,
  long,
  oneOf,
  parseFields,
  parseJavaInteger,
  prefixed,
  str,
} from './spec.ts'

function reader(props: Record<string, string>) {
  const m = new Map<string, PropertyValue>(
    Object.entries(props).map(([k, v]) => [k, { value: v, file: 'f.conf', line: 1 }]),
  )
  const errors: string[] = []
  const warnings: string[] = []
  const r: FieldReader = {
    path: 'a1.sources.r1',
    get: (k) => m.get(k),
    prefixed(p) {
      const out = new Map<string, PropertyValue>()
      for (const [k, v] of m) if (k.startsWith(p)) out.set(k.slice(p.length), v)
      return out
    },
    error: (k, msg) => errors.push(`${k}: ${msg}`),
    warn: (k, msg) => warnings.push(`${k}: ${msg}`),
    nested: () => undefined,
  }
  return { r, errors, warnings }
}

describe('spec fields parse like Flume Context getters', () => {
  it('parses integers like Integer.parseInt(trim): signs allowed, decimals and hex refused', () => {
    assert.equal(parseJavaInteger(' 42 ', 32), 42)
    assert.equal(parseJavaInteger('+7', 32), 7)
    assert.equal(parseJavaInteger('-7', 32), -7)
    assert.equal(parseJavaInteger('1.5', 32), undefined)
    assert.equal(parseJavaInteger('0x10', 32), undefined)
    assert.equal(parseJavaInteger('2147483648', 32), undefined)
    assert.equal(parseJavaInteger('2147483648', 64), 2147483648)
    assert.equal(parseJavaInteger('', 32), undefined)
  })

  it('drops the component on a bad number, or falls back with a warning when the component does', () => {
    const strict = { n: int({ key: 'n', default: 5, doc: '' }) }
    const lenient = { n: int({ key: 'n', default: 5, invalid: 'default', doc: '' }) }
    const a = reader({ n: 'abc' })
    assert.equal(parseFields(strict, a.r), Invalid)
    assert.match(a.errors[0] ?? '', /n: 'abc' is not a valid int/)
    const b = reader({ n: 'abc' })
    assert.deepEqual(parseFields(lenient, b.r), { n: 5 })
    assert.equal(b.warnings.length, 1)
  })

  it('reads booleans as Boolean.valueOf: only true is true, with a warning for anything else', () => {
    const f = { b: bool({ key: 'b', default: true, doc: '' }) }
    assert.deepEqual(parseFields(f, reader({ b: 'TRUE' }).r), { b: true })
    const y = reader({ b: 'yes' })
    assert.deepEqual(parseFields(f, y.r), { b: false })
    assert.equal(y.warnings.length, 1)
    assert.deepEqual(parseFields(f, reader({}).r), { b: true })
  })

  it('reports a missing required key and reads deprecated aliases with a warning', () => {
    const f = { s: str({ key: 'new', aliases: ['old'], required: true, doc: '' }) }
    const miss = reader({})
    assert.equal(parseFields(f, miss.r), Invalid)
    assert.match(miss.errors[0] ?? '', /required property 'new' is missing/)
    const dep = reader({ old: 'v' })
    assert.deepEqual(parseFields(f, dep.r), { s: 'v' })
    assert.match(dep.warnings[0] ?? '', /deprecated; use 'new'/)
  })

  it('parses enums case-insensitively by default, lists on whitespace, and prefixed maps', () => {
    const f = {
      e: oneOf({ key: 'e', values: ['round_robin', 'random'], default: 'round_robin', doc: '' }),
      l: list({ key: 'l', default: [], doc: '' }),
      p: prefixed({ prefix: 'mapping.', doc: '' }),
      t: long({ key: 't', default: 1, doc: '' }),
    }
    const r = reader({ e: 'RANDOM', l: ' a  b\tc ', 'mapping.x': 'c1', 'mapping.y.z': 'c2' })
    const cfg = parseFields(f, r.r)
    assert.notEqual(cfg, Invalid)
    if (cfg === Invalid) return
    assert.equal(cfg.e, 'random')
    assert.deepEqual(cfg.l, ['a', 'b', 'c'])
    assert.deepEqual(
      [...cfg.p],
      [
        ['x', 'c1'],
        ['y.z', 'c2'],
      ],
    )
    assert.ok(Object.isFrozen(cfg))
  })

  it('enforces min and max', () => {
    const f = { p: int({ key: 'p', required: true, min: 0, max: 65535, doc: '' }) }
    const r = reader({ p: '70000' })
    assert.equal(parseFields(f, r.r), Invalid)
    assert.match(r.errors[0] ?? '', /out of range/)
  })
})
