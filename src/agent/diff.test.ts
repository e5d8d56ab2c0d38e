import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileAgent } from '../config/compile.ts'
import type { PropertyValue } from '../core/spec.ts'
import { Registry } from '../registry.ts'
import { canonical, groupShapes, planIsEmpty, planReload } from './diff.ts'

const registry = new Registry()

async function compile(text: string, file = '/etc/flumen/a.conf') {
  const properties = new Map<string, PropertyValue>()
  text
    .trim()
    .split('\n')
    .forEach((l, i) => {
      const eq = l.indexOf('=')
      if (eq > 0) properties.set(l.slice(0, eq).trim(), { value: l.slice(eq + 1).trim(), file, line: i + 1 })
    })
  const c = await compileAgent({ agentName: 'a1', properties, registry })
  assert.equal(c.fatal, false, JSON.stringify(c.diagnostics))
  return c
}

const BASE = `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`

const plan = async (a: string, b: string, canReconfigure = true) =>
  planReload(await compile(a), await compile(b), { canReconfigure: () => canReconfigure })

describe('reload plan', () => {
  it('canonical() compares plain values and refuses what it cannot compare', () => {
    assert.equal(canonical({ b: 1, a: [1, 'x'] }), canonical({ a: [1, 'x'], b: 1 }))
    assert.notEqual(canonical({ a: 1 }), canonical({ a: '1' }))
    assert.equal(canonical(new Map([['k', 1]])), canonical(new Map([['k', 1]])))
    assert.equal(canonical({ f: () => 1 }), undefined)
    assert.equal(canonical(new (class X {})()), undefined)
    assert.equal(canonical(/a+/g), '/a+/g')
  })

  it('keeps everything when only comments, order, lines, defaults spelled out or class names change', async () => {
    const same = `
a1.sinks.k1.channel = c1
a1.sinks.k1.type = org.apache.flume.sink.NullSink
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
`
    assert.ok(planIsEmpty(await plan(BASE, same)))
  })

  it('reconfigures a changed memory channel in place and restarts its source, not its sink', async () => {
    const p = await plan(BASE, `${BASE}\na1.channels.c1.capacity = 500`)
    assert.equal(p.channels.get('c1'), 'reconfigure')
    assert.equal(p.sources.get('r1'), 'restart')
    assert.equal(p.sinks.get('k1'), 'keep')
    assert.equal(p.groups.get('k:k1'), 'keep')
  })

  it('replaces a channel whose type changes (or that cannot reconfigure); its sinks restart', async () => {
    const p = await plan(BASE, BASE.replace('c1.type = memory', 'c1.type = spillablememory'))
    assert.equal(p.channels.get('c1'), 'replace')
    assert.equal(p.sinks.get('k1'), 'restart')
    assert.equal(p.groups.get('k:k1'), 'restart')
    const q = await plan(BASE, `${BASE}\na1.channels.c1.capacity = 500`, false)
    assert.equal(q.channels.get('c1'), 'replace')
  })

  it('reroutes a source whose interceptors alone change', async () => {
    const ic = (v: string) =>
      `${BASE}\na1.sources.r1.interceptors = i1\na1.sources.r1.interceptors.i1.type = static\na1.sources.r1.interceptors.i1.value = ${v}`
    const p = await plan(ic('a'), ic('b'))
    assert.equal(p.sources.get('r1'), 'reroute')
    assert.equal(p.channels.get('c1'), 'keep')
    assert.equal((await plan(BASE, ic('a'))).sources.get('r1'), 'reroute')
    assert.equal(
      (await plan(ic('a'), `${ic('a')}\na1.sources.r1.batchSize = 5`)).sources.get('r1'),
      'restart',
    )
  })

  it('adds and removes components, and restarts a sink group whose members change', async () => {
    const two = `${BASE.replace('a1.sinks = k1', 'a1.sinks = k1 k2')}\na1.sinks.k2.type = null\na1.sinks.k2.channel = c1`
    const p = await plan(BASE, two)
    assert.equal(p.sinks.get('k2'), 'add')
    assert.equal(p.groups.get('k:k2'), 'add')
    assert.equal(p.sinks.get('k1'), 'keep')
    const grouped = `${two}\na1.sinkgroups = g\na1.sinkgroups.g.sinks = k1 k2\na1.sinkgroups.g.processor.type = load_balance`
    const q = await plan(two, grouped)
    assert.equal(q.sinks.get('k1'), 'keep')
    assert.equal(q.groups.get('k:k1'), 'remove')
    assert.equal(q.groups.get('g:g'), 'add')
    assert.deepEqual([...groupShapes(await compile(grouped)).keys()], ['g:g'])
    const r = await plan(grouped, grouped.replace('load_balance', 'failover'))
    assert.equal(r.groups.get('g:g'), 'restart')
    assert.equal(r.sinks.get('k1'), 'keep')
    const back = await plan(two, BASE)
    assert.equal(back.sinks.get('k2'), 'remove')
  })

  it('a definition moved to another file counts as a change (plugins resolve paths against it)', async () => {
    const a = await compile(BASE, '/etc/flumen/a.conf')
    const b = await compile(BASE, '/srv/other/a.conf')
    const p = planReload(a, b, { canReconfigure: () => true })
    assert.equal(p.sinks.get('k1'), 'restart')
  })
})
