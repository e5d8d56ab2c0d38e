/**
 * Differential test against Java Flume 1.11 (test/peers): the same spool directory content consumed by the
 * real Java spooldir source and by flumen's, both into file_roll (text serializer); the outputs must be
 * byte-identical. The content exercises what is easy to get subtly wrong: CRLF (the `\r` is kept), a
 * missing last newline, lines longer than maxLineLength in ASCII and in Korean (cut by chars, the rest
 * continues), a line of exactly maxLineLength chars (followed by an empty event), an empty file (one empty
 * event), invalid UTF-8 under REPLACE, and the oldest-first order.
 */

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledFiles } from '../helpers/files.ts'
import { type FlumeAgent, startFlumeAgent } from '../peers/index.ts'

const root = tempDir('flumen-spool-java-')
const stops: (() => Promise<unknown>)[] = []
after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {})
  rmSync(root, { recursive: true, force: true })
})

function fill(dir: string): number {
  mkdirSync(dir, { recursive: true })
  const files: [string, Buffer][] = [
    ['a-orders.csv', Buffer.from('id,이름,금액\r\n1,김철수,1000\r\n2,이영희,2500\r\n3,박민수,300', 'utf8')],
    [
      'b-long.txt',
      Buffer.from(
        `${'a'.repeat(5000)}\n${'b'.repeat(2048)}\n${'c'.repeat(2047)}\n${'가'.repeat(3000)}\n${'x'.repeat(4096)}`,
        'utf8',
      ),
    ],
    ['c-empty.txt', Buffer.alloc(0)],
    [
      'd-bad.txt',
      Buffer.from([0x6f, 0x6b, 0x0a, 0x61, 0xff, 0x62, 0x0a, 0xe2, 0x82, 0x0a, 0xed, 0xa0, 0x80, 0x63, 0x0a]),
    ],
  ]
  files.forEach(([name, content], i) => {
    writeFileSync(join(dir, name), content)
    utimesSync(join(dir, name), 1_600_000_000 + i * 10, 1_600_000_000 + i * 10)
  })
  return files.length
}

const config = (spool: string, out: string) => `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = ${spool}
a1.sources.r1.decodeErrorPolicy = REPLACE
a1.sources.r1.batchSize = 3
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
`

const output = (out: string) =>
  existsSync(out) ? Buffer.concat(rolledFiles(out).map((f) => readFileSync(join(out, f)))) : Buffer.alloc(0)

async function drained(spool: string, files: number, out: string): Promise<Buffer> {
  await eventually(
    () => (readdirSync(spool).filter((f) => f.endsWith('.COMPLETED')).length === files ? true : undefined),
    60_000,
    100,
  )
  // Stable output for 6 s (longer than a sink runner's 5 s back-off): the sink has written everything.
  let last = -1
  let same = 0
  await eventually(
    () => {
      const n = output(out).length
      same = n === last && n > 0 ? same + 1 : 0
      last = n
      return same >= 6 ? true : undefined
    },
    60_000,
    1000,
  )
  return output(out)
}

describe('spooldir: flumen and Java Flume 1.11 give the same events', () => {
  it('byte-identical file_roll output for the same spool content', { timeout: 180_000 }, async () => {
    const javaSpool = join(root, 'java-spool')
    const javaOut = join(root, 'java-out')
    const files = fill(javaSpool)
    mkdirSync(javaOut)
    const java: FlumeAgent = await startFlumeAgent({
      config: config(javaSpool, javaOut),
      javaOpts: ['-Dfile.encoding=UTF-8'],
    })
    stops.push(() => java.stop())
    const javaBytes = await drained(javaSpool, files, javaOut)
    await java.stop()

    const ourSpool = join(root, 'flumen-spool')
    const ourOut = join(root, 'flumen-out')
    fill(ourSpool)
    const agent = await startAgent(config(ourSpool, ourOut))
    stops.push(() => agent.stop())
    const ourBytes = await drained(ourSpool, files, ourOut)
    await agent.stop()

    const show = (b: Buffer) =>
      b
        .toString('utf8')
        .split('\n')
        .map((l) => (l.length > 40 ? `${l.slice(0, 20)}…(${l.length})` : l))
    assert.deepEqual(show(ourBytes), show(javaBytes))
    assert.ok(ourBytes.equals(javaBytes), 'outputs differ in bytes')
  })
})
