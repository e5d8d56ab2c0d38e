/**
 * The exec source as a typical real-time agent uses it: `command = tail -F <file>`, restart = true,
 * batchSize 1000, memory channel → file_roll, while a writer appends lines at a steady rate for several
 * seconds. Every line must arrive exactly once and in order.
 */

import assert from 'node:assert/strict'
import { appendFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'

const root = tempDir('flumen-exec-tail-')
after(() => rmSync(root, { recursive: true, force: true }))

describe('exec source with tail -F under a sustained write rate (real CLI)', () => {
  it('every line exactly once, in order', { timeout: 90_000 }, async () => {
    const log = join(root, 'app.log')
    const out = join(root, 'out')
    writeFileSync(log, '')
    const agent = await startAgent(`a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -F ${log}
a1.sources.r1.restart = true
a1.sources.r1.batchSize = 1000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 10000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`)
    await new Promise((r) => setTimeout(r, 500)) // tail has opened the file
    // 8000 lines/s for 6 s, appended every 10 ms, like a busy application log.
    const expected: string[] = []
    let n = 0
    const t0 = Date.now()
    while (Date.now() - t0 < 6000) {
      const lines: string[] = []
      for (let i = 0; i < 80; i++)
        lines.push(`${String(n++).padStart(8, '0')} GET /api/v1/items?id=${n % 977} 200 한글 ok`)
      appendFileSync(log, `${lines.join('\n')}\n`)
      expected.push(...lines)
      await new Promise((r) => setTimeout(r, 10))
    }
    // The last partial batch is committed after batchTimeout (3 s).
    await eventually(() => (rolledLines(out).length >= expected.length ? true : undefined), 30_000, 100)
    await new Promise((r) => setTimeout(r, 500))
    await agent.stop()
    const got = rolledLines(out)
    assert.equal(got.length, expected.length, `${got.length} lines arrived, ${expected.length} written`)
    for (let i = 0; i < expected.length; i++)
      if (got[i] !== expected[i]) assert.equal(got[i], expected[i], `line ${i}`)
    assert.equal(agent.count(/ERROR|WARN/), 0, agent.output())
  })
})
