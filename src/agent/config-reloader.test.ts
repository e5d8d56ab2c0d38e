import assert from 'node:assert/strict'
import { renameSync, utimesSync, writeFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { startHarness, until } from './test-support/reload-harness.ts'

const cfg = (batch: number, extra = '') => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = test-counter
a1.sources.r1.channels = c1
a1.sources.r1.intervalMs = 20
a1.channels.c1.type = memory
a1.sinks.k1.type = test-collect
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = ${batch}
${extra}
`

describe('config reloader', () => {
  it('reloads when a watched file changes, and ignores a file that went missing', async () => {
    const h = await startHarness(cfg(10), { pollIntervalMs: 40 })
    try {
      writeFileSync(h.file, cfg(20))
      await until(() => h.reloader.last !== undefined, 5000, 'a reload')
      assert.equal(h.reloader.last?.trigger, 'watch')
      assert.equal(h.reloader.last?.result, 'applied')
      assert.deepEqual(h.reloader.last?.report?.restarted, ['SINK.k1'])
      // Same content, new mtime: a reload that changes nothing.
      const t = new Date(Date.now() + 5000)
      utimesSync(h.file, t, t)
      await until(() => h.reloader.history.length === 2, 5000, 'a second reload')
      assert.equal(h.reloader.last?.result, 'unchanged')
      // Gone: nothing happens (the running configuration stays); back with an older mtime: seen.
      renameSync(h.file, `${h.file}.away`)
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(h.reloader.history.length, 2)
      writeFileSync(`${h.file}.away`, cfg(30))
      const old = new Date(Date.now() - 3_600_000)
      utimesSync(`${h.file}.away`, old, old)
      renameSync(`${h.file}.away`, h.file)
      await until(() => h.reloader.history.length === 3, 5000, 'a third reload')
      assert.equal(h.reloader.last?.result, 'applied')
    } finally {
      await h.close()
    }
  })

  it('refuses unreadable files, syntax errors and unknown types, counting and locating each problem', async () => {
    const h = await startHarness(cfg(10))
    try {
      const builds = new Map(h.ledger.builds)
      let o = await h.reload(`${cfg(10)}\na1.sinks.k1.bad = \\uZZZZ\n`)
      assert.equal(o.result, 'rejected')
      assert.match(o.message, /agent\.conf:\d+/)
      o = await h.reload(cfg(10, 'a1.sinks.k1.type = no-such-sink'))
      assert.equal(o.result, 'rejected')
      assert.ok(h.problems.some((p) => p.code === 'UNKNOWN_COMPONENT_TYPE' && typeof p.line === 'number'))
      o = await h.reload(cfg(10, 'a1.channels.c1.transactionCapacity = 1000'))
      assert.equal(o.result, 'rejected', 'transactionCapacity above capacity drops the channel: an error')
      renameSync(h.file, `${h.file}.gone`)
      o = await h.reloader.reload('signal')
      assert.equal(o.result, 'rejected')
      assert.ok(h.problems.some((p) => p.code === 'CONFIG_FILE_ERROR'))
      assert.equal(h.metrics.agent.get('ReloadFailures'), 4)
      assert.equal(h.metrics.agent.get('Reloads'), 4)
      assert.deepEqual(h.ledger.builds, builds)
      assert.equal(h.agent.ready, true)
      // Warnings alone do not block a reload.
      renameSync(`${h.file}.gone`, h.file)
      o = await h.reload(cfg(10, 'a1.sinks.k1.unknownKey = 1'))
      assert.equal(o.result, 'unchanged')
      assert.equal(o.warnings, 1)
    } finally {
      await h.close()
    }
  })

  it('merges requests that arrive while a reload runs into one more reload', async () => {
    const h = await startHarness(cfg(10))
    try {
      writeFileSync(h.file, cfg(20))
      const all = await Promise.all([
        h.reloader.reload('signal'),
        h.reloader.reload('signal'),
        h.reloader.reload('signal'),
        h.reloader.reload('signal'),
      ])
      assert.equal(h.metrics.agent.get('Reloads'), 2)
      assert.equal(all[0]?.result, 'applied')
      assert.equal(all[1], all[3], 'the waiting requests share the follow-up reload')
      assert.equal(all[1]?.result, 'unchanged')
    } finally {
      await h.close()
    }
  })
})
