import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { AGENT_COUNTERS } from '../monitoring/prometheus.ts'
import { BEGIN, END, renderMetricsReference, withMetricsReference } from './metrics.ts'

const SRC = join(import.meta.dirname, '..')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sources(join(dir, d.name))
      : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts')
        ? [join(dir, d.name)]
        : [],
  )
}

describe('metrics reference', () => {
  it('docs/operations.md carries the current reference (run `npm run docs`)', () => {
    const doc = readFileSync(join(SRC, '../docs/operations.md'), 'utf8')
    assert.equal(doc, withMetricsReference(doc))
  })

  it('maps every Flume attribute to its Prometheus name', () => {
    const r = renderMetricsReference()
    assert.ok(r.startsWith(BEGIN) && r.endsWith(END))
    assert.match(r, /\| `EventDrainSuccessCount` +\| `flumen_sink_events_delivered_total` +\| counter +\|/)
    assert.match(r, /\| `ChannelSize` +\| `flumen_channel_size_events` +\| gauge +\|/)
    assert.match(r, /`flumen_channel_checkpoint_write_error_total` +\| counter/)
    assert.match(r, /\| `ReloadFailures` +\| `flumen_agent_reload_failures_total` +\| counter +\|/)
  })

  it('documents every agent counter the code increments', () => {
    const used = new Set<string>()
    for (const f of sources(SRC))
      for (const m of readFileSync(f, 'utf8').matchAll(/addAgent\('([A-Za-z]+)'/g)) used.add(m[1] as string)
    assert.ok(used.size >= 5)
    for (const name of used) assert.ok(name in AGENT_COUNTERS, `${name} is missing from AGENT_COUNTERS`)
  })
})
