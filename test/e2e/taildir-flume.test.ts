/**
 * Migration between Apache Flume 1.11 (Java) and flumen on the same TAILDIR position file, both ways:
 *
 * 1. Java Flume tails two files (one with `=`, `'`, `<`, `&` in its name, which Gson escapes) into
 *    file_roll and stops; its position file must be byte-for-byte what flumen would write for the same
 *    entries (formatPositions ∘ parsePositions is the identity on it).
 * 2. More lines are appended; flumen starts on Java's position file and must deliver exactly the new lines.
 * 3. flumen is killed with SIGKILL (its position file is left in the padded running layout), more lines are
 *    appended, and Java Flume starts on that file: it must deliver exactly the lines flumen had not
 *    committed, i.e. Java reads flumen's file.
 */

import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { formatPositions, parsePositions } from '../../src/sources/taildir/position-file.ts'
import { eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { startFlumeAgent } from '../peers/index.ts'

const scratch: string[] = []
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

function lines(dir: string): string[] {
  const out: string[] = []
  for (const f of readdirSync(dir)) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l.length > 0) out.push(l)
  }
  return out
}

function write(path: string, tag: string, from: number, to: number): string[] {
  const ls = Array.from({ length: to - from }, (_, i) => `${tag}-${from + i}`)
  appendFileSync(path, `${ls.join('\n')}\n`)
  return ls
}

function config(logs: string, pos: string, out: string): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.channels = c1
a1.sources.r1.filegroups = g1
a1.sources.r1.filegroups.g1 = ${logs}/.*\\\\.log
a1.sources.r1.positionFile = ${pos}
a1.sources.r1.writePosInterval = 500
a1.sources.r1.batchSize = 50
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
`
}

function assertSame(got: string[], want: string[]): void {
  assert.equal(new Set(got).size, got.length, 'duplicates')
  assert.deepEqual([...got].sort(), [...want].sort())
}

describe('TAILDIR position file migration with Java Flume 1.11', () => {
  it('Java → flumen → Java on one position file: no duplicate, no loss', { timeout: 240_000 }, async () => {
    const root = tempDir('flumen-taildir-flume-')
    scratch.push(root)
    const logs = join(root, 'logs')
    const pos = join(root, 'state', 'taildir_position.json')
    const outs = [join(root, 'out-java1'), join(root, 'out-flumen'), join(root, 'out-java2')]
    mkdirSync(logs)
    for (const o of outs) mkdirSync(o)
    const a = join(logs, 'app.log')
    const b = join(logs, "we=ird's<name>&.log")
    const first = [...write(a, 'a', 0, 300), ...write(b, 'b', 0, 120)]

    // 1. Java Flume reads everything and writes its positions.
    const java1 = await startFlumeAgent({
      config: config(logs, pos, outs[0] as string),
      ready: [/Starting Source r1/],
    })
    await eventually(() => lines(outs[0] as string).length >= first.length || undefined, 60_000, 200)
    // Positions are written every 500 ms after a 5 s delay, and once more on stop.
    await eventually(
      () => {
        try {
          return parsePositions(readFileSync(pos, 'utf8')).length === 2 || undefined
        } catch {
          return undefined
        }
      },
      30_000,
      200,
    )
    await java1.stop()
    assertSame(lines(outs[0] as string), first)
    const javaText = readFileSync(pos, 'utf8')
    assert.match(javaText, /we\\u003dird\\u0027s\\u003cname\\u003e\\u0026\.log/)
    assert.equal(formatPositions(parsePositions(javaText)), javaText, 'flumen writes what Gson writes')

    // 2. flumen continues from Java's positions.
    const second = [...write(a, 'a', 300, 500), ...write(b, 'b', 120, 200)]
    const agent = await startAgent(config(logs, pos, outs[1] as string))
    await eventually(() => lines(outs[1] as string).length >= second.length || undefined, 30_000, 100)
    await new Promise((r) => setTimeout(r, 700))
    assertSame(lines(outs[1] as string), second)

    // 3. flumen dies without a clean stop; Java continues from flumen's (padded, in-place) file.
    agent.child.kill('SIGKILL')
    await agent.exited
    const padded = readFileSync(pos, 'utf8')
    assert.equal(parsePositions(padded).length, 2)
    const third = [...write(a, 'a', 500, 650), ...write(b, 'b', 200, 260)]
    const java2 = await startFlumeAgent({
      config: config(logs, pos, outs[2] as string),
      ready: [/Starting Source r1/],
    })
    await eventually(() => lines(outs[2] as string).length >= third.length || undefined, 60_000, 200)
    await new Promise((r) => setTimeout(r, 1500))
    await java2.stop()
    assertSame(lines(outs[2] as string), third)
    assert.match(java2.logs(), /Updated position, file: .*app\.log/)
  })
})
