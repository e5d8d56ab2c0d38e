// A custom sink written as a module (`type = ./my-sink.js`), as docs/plugins.md describes.

import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { eventually, ROOT, runCli, startAgent, tempDir, writeConfig } from '../helpers/cli.ts'

const plugin = () => `
import { appendFileSync } from 'node:fs'
import { defineSink, str, int } from ${JSON.stringify(join(ROOT, 'dist/index.js'))}
export const spec = defineSink({
  type: 'upper-file',
  summary: 'Writes upper-cased bodies to a file.',
  fields: {
    file: str({ key: 'file', required: true, doc: 'Output file.' }),
    batchSize: int({ key: 'batchSize', default: 10, min: 1, doc: 'Events per transaction.' }),
  },
  build(cfg, ctx) {
    return {
      async process(signal) {
        const tx = ctx.channel.begin()
        try {
          const events = await tx.take(cfg.batchSize, signal)
          if (events.length === 0) { await tx.commit(); return 'backoff' }
          appendFileSync(cfg.file, events.map((e) => e.body.toString().toUpperCase() + '\\n').join(''))
          await tx.commit()
          return 'ready'
        } catch (e) { await tx.rollback(); throw e } finally { tx.close() }
      },
    }
  },
})
`

describe('plugins', () => {
  it('runs a sink module named by a relative path, with its fields validated like a built-in', async () => {
    const dir = tempDir()
    const out = join(dir, 'out.txt')
    writeFileSync(join(dir, 'upper-sink.js'), plugin())
    const conf = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 3
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = ./upper-sink.js
a1.sinks.k1.file = ${out}
a1.sinks.k1.channel = c1
`
    const agent = await startAgent(conf, { dir })
    await eventually(() => {
      try {
        return readFileSync(out, 'utf8') === '0\n1\n2\n' ? true : undefined
      } catch {
        return undefined
      }
    })
    assert.equal((await agent.stop()).code, 0)
    const broken = writeConfig(
      dir,
      'b.conf',
      conf
        .replace(`a1.sinks.k1.file = ${out}\n`, '')
        .replace('./upper-sink.js', './upper-sink.js\na1.sinks.k1.batchSize = lots'),
    )
    const r = await runCli(['check', '-f', broken])
    assert.equal(r.code, 1)
    assert.match(r.stdout, /required property 'file' is missing/)
    assert.match(r.stdout, /b\.conf:\d+: error: 'lots' is not a valid int/)
    const missing = writeConfig(dir, 'm.conf', conf.replace('./upper-sink.js', './nope.js'))
    const m = await runCli(['check', '-f', missing])
    assert.match(m.stdout, /m\.conf:8: fatal: cannot load plugin module '\.\/nope\.js'/)
  })
})
