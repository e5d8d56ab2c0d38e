import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { builtinEntries, Registry } from './registry.ts'

describe('registry', () => {
  it("every entry answers to exactly its spec's names and class names", async () => {
    for (const en of builtinEntries) {
      const spec = await en.load()
      assert.equal(spec.kind, en.kind, `${en.names[0]}`)
      assert.deepEqual(en.names, [spec.type, ...(spec.aliases ?? [])], `names of ${spec.type}`)
      assert.deepEqual(en.classNames, spec.classNames ?? [], `class names of ${spec.type}`)
    }
  })

  it('resolves aliases case-insensitively and class names exactly', async () => {
    const r = new Registry()
    assert.equal((await r.load('channel', 'MEMORY'))?.type, 'memory')
    assert.equal((await r.load('channel', 'org.apache.flume.channel.MemoryChannel'))?.type, 'memory')
    assert.equal(await r.load('channel', 'org.apache.flume.channel.memorychannel'), undefined)
    assert.equal(
      (await r.load('interceptor', 'org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder'))?.type,
      'uuid',
    )
    assert.equal(await r.load('sink', 'nope'), undefined)
  })

  it('loads nothing until asked', () => {
    const r = new Registry()
    assert.equal(r.lookup('source', 'netcat'), undefined)
  })
})

describe('generated component docs', () => {
  it('docs/components.md is up to date with the specs (run `npm run docs`)', async () => {
    const { readFileSync } = await import('node:fs')
    const { renderComponentDocs } = await import('./docs/components.ts')
    const current = readFileSync(new URL('../docs/components.md', import.meta.url), 'utf8')
    assert.equal(current, await renderComponentDocs())
  })
})
