/**
 * Spooling directory source end to end: the real CLI, real files, file_roll output read back byte for byte.
 * The crash test (SIGKILL through a file channel) is in spooldir-crash.test.ts.
 */

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Event } from '../../src/core/event.ts'
import { AvroReader } from '../../src/protocols/avro/binary.ts'
import { decodeContainer } from '../../src/protocols/avro/container.ts'
import { decodeFlumeEvent, readFlumeEvent } from '../../src/protocols/avro/flume-event.ts'
import { flumeSchemaHash } from '../../src/protocols/avro/schema.ts'
import { FLUME_EVENT_SCHEMA } from '../../src/protocols/avro/schemas.ts'
import { spec as avroEventSpec } from '../../src/serializers/avro-event.ts'
import { eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledFiles } from '../helpers/files.ts'

const scratch: string[] = []
function dir(): string {
  const d = tempDir('flumen-spool-')
  scratch.push(d)
  return d
}
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

interface Setup {
  readonly root: string
  readonly spool: string
  readonly out: string
}

function setup(): Setup {
  const root = dir()
  const s = { root, spool: join(root, 'spool'), out: join(root, 'out') }
  mkdirSync(s.spool)
  return s
}

/** A spooldir → memory → file_roll agent; `extra` lines are appended (and may override). */
function config(s: Setup, extra = '', sinkExtra = ''): string {
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = spooldir
a1.sources.r1.spoolDir = ${s.spool}
a1.sources.r1.pollDelay = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 10000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${s.out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
${sinkExtra}
${extra.replaceAll(/^\s*(\S)/gm, 'a1.sources.r1.$1')}
`
}

/** Everything the file_roll sink wrote, concatenated in file order. */
function output(out: string): Buffer {
  if (!existsSync(out)) return Buffer.alloc(0)
  return Buffer.concat(rolledFiles(out).map((f) => readFileSync(join(out, f))))
}

const outText = (s: Setup) => output(s.out).toString('utf8')

async function waitFor(fn: () => boolean, timeoutMs = 30_000): Promise<void> {
  await eventually(() => (fn() ? true : undefined), timeoutMs, 50)
}

describe('spooldir source (real CLI)', () => {
  it('the typical batch-log agent: immediate delete, batch 1000, Korean CSV, byte-exact', async () => {
    const s = setup()
    const files: Buffer[] = []
    for (let f = 0; f < 4; f++) {
      const lines: string[] = []
      for (let i = 0; i < 25_000; i++)
        lines.push(
          `${f},${i},서울특별시 강남구 테헤란로 ${i}번길,주문완료,${(i * 37) % 1000}.50,"메모 ${f}-${i}"`,
        )
      const b = Buffer.from(`${lines.join('\n')}\n`, 'utf8')
      files.push(b)
      const p = join(s.spool, `orders-${f}.csv`)
      writeFileSync(p, b)
      utimesSync(p, 1_700_000_000 + f, 1_700_000_000 + f) // oldest first: file order = output order
    }
    const agent = await startAgent(
      config(
        s,
        `deletePolicy = immediate
        batchSize = 1000`,
      ),
    )
    const expected = Buffer.concat(files)
    await waitFor(() => output(s.out).length >= expected.length, 60_000)
    await waitFor(() => readdirSync(s.spool).filter((f) => !f.startsWith('.')).length === 0)
    await agent.stop()
    assert.ok(output(s.out).equals(expected), 'output differs from the input files')
    assert.equal(agent.count(/ERROR/), 0, agent.output())
  })

  it('2000 small files with the same mtime: all read, in name order (the oldest tie-break)', async () => {
    const s = setup()
    const names = Array.from({ length: 2000 }, (_, i) => `f${String(i).padStart(4, '0')}.log`)
    for (const n of names) {
      writeFileSync(join(s.spool, n), `${n}\n`)
      utimesSync(join(s.spool, n), 1_600_000_000, 1_600_000_000)
    }
    const agent = await startAgent(config(s, 'deletePolicy = immediate'))
    await waitFor(() => readdirSync(s.spool).filter((f) => !f.startsWith('.')).length === 0, 120_000)
    await waitFor(() => outText(s).split('\n').length > 2000)
    await agent.stop()
    assert.deepEqual(outText(s).trimEnd().split('\n'), names)
  })

  it('renames with fileSuffix, file/basename headers and an interceptor, empty file = one empty event', async () => {
    const s = setup()
    writeFileSync(join(s.spool, 'a.log'), 'x1\nx2') // no trailing newline
    writeFileSync(join(s.spool, 'empty.log'), '')
    utimesSync(join(s.spool, 'empty.log'), 1_600_000_000, 1_600_000_000)
    const agent = await startAgent(
      config(
        s,
        `fileSuffix = .DONE
        fileHeader = true
        basenameHeader = true
        basenameHeaderKey = bn
        interceptors = i1
        interceptors.i1.type = static
        interceptors.i1.key = dc
        interceptors.i1.value = seoul`,
        'a1.sinks.k1.sink.serializer = header_and_text',
      ),
    )
    await waitFor(
      () => existsSync(join(s.spool, 'a.log.DONE')) && existsSync(join(s.spool, 'empty.log.DONE')),
    )
    await waitFor(() => outText(s).split('\n').length >= 4)
    await agent.stop()
    const lines = outText(s).trimEnd().split('\n')
    const a = join(s.spool, 'a.log')
    const e = join(s.spool, 'empty.log')
    assert.equal(lines.length, 3)
    // header_and_text renders Java HashMap order; compare as sets of headers.
    const parse = (l: string) => {
      const m = /^\{(.*)\} (.*)$/.exec(l)
      assert.ok(m, l)
      return { headers: new Set((m[1] as string).split(', ')), body: m[2] }
    }
    const h = (file: string, bn: string) => new Set([`file=${file}`, `bn=${bn}`, 'dc=seoul'])
    assert.deepEqual(parse(lines[0] as string), { headers: h(e, 'empty.log'), body: '' })
    assert.deepEqual(parse(lines[1] as string), { headers: h(a, 'a.log'), body: 'x1' })
    assert.deepEqual(parse(lines[2] as string), { headers: h(a, 'a.log'), body: 'x2' })
  })

  it('decodeErrorPolicy FAIL: the bad file is reported and left, the other files continue', async () => {
    const s = setup()
    writeFileSync(
      join(s.spool, 'bad.txt'),
      Buffer.concat([Buffer.from('good\nbad '), Buffer.from([0xff]), Buffer.from('\n')]),
    )
    writeFileSync(join(s.spool, 'ok.txt'), 'fine\n')
    utimesSync(join(s.spool, 'bad.txt'), 1_600_000_000, 1_600_000_000)
    const agent = await startAgent(config(s, 'batchSize = 1'))
    await waitFor(() => existsSync(join(s.spool, 'ok.txt.COMPLETED')))
    await agent.waitFor(/ERROR.*Invalid input at byte offset 9.*bad\.txt/)
    await agent.stop()
    assert.ok(existsSync(join(s.spool, 'bad.txt')), 'the bad file stays in place')
    assert.deepEqual(outText(s).split('\n').sort(), ['', 'fine', 'good'])
  })

  for (const [policy, expected] of [
    ['REPLACE', 'a\uFFFDb\n\uFFFDc\n'],
    ['IGNORE', 'ab\nc\n'],
  ] as const) {
    it(`decodeErrorPolicy ${policy}`, async () => {
      const s = setup()
      writeFileSync(join(s.spool, 'x.txt'), Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xed, 0xa0, 0x63, 0x0a]))
      const agent = await startAgent(config(s, `decodeErrorPolicy = ${policy}`))
      await waitFor(() => existsSync(join(s.spool, 'x.txt.COMPLETED')))
      await waitFor(() => outText(s).length >= expected.length - 2)
      await agent.stop()
      assert.equal(outText(s), expected)
    })
  }

  it('a 100 MB line is cut at maxLineLength (2048) without holding it in memory', async () => {
    const s = setup()
    const len = 100 * 1024 * 1024
    writeFileSync(join(s.spool, 'huge.txt'), Buffer.concat([Buffer.alloc(len, 0x71), Buffer.from('\nend\n')]))
    const agent = await startAgent(config(s, 'batchSize = 1000'))
    await waitFor(() => existsSync(join(s.spool, 'huge.txt.COMPLETED')), 120_000)
    await waitFor(() => outText(s).endsWith('end\n'), 60_000)
    const rssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${agent.child.pid}/status`, 'utf8'))?.[1])
    await agent.stop()
    const lines = outText(s).split('\n')
    assert.equal(lines.pop(), '')
    assert.equal(lines.pop(), 'end')
    const pieces = Math.ceil(len / 2048)
    assert.equal(lines.length, pieces + (len % 2048 === 0 ? 1 : 0))
    assert.ok(lines.slice(0, pieces).every((l) => l.length === 2048 && /^q+$/.test(l)))
    assert.ok(rssKb < 400 * 1024, `peak RSS ${rssKb} kB: the line was buffered`)
  })

  it('includePattern / ignorePattern (Java regex), recursive search, hidden files', async () => {
    const s = setup()
    mkdirSync(join(s.spool, 'sub/deeper'), { recursive: true })
    mkdirSync(join(s.spool, 'skipdir'))
    mkdirSync(join(s.spool, '.hidden'))
    writeFileSync(join(s.spool, 'a.log'), 'a\n')
    writeFileSync(join(s.spool, 'a.tmp'), 'tmp\n')
    writeFileSync(join(s.spool, 'b.log.partial'), 'partial\n')
    writeFileSync(join(s.spool, '.dot.log'), 'dot\n')
    writeFileSync(join(s.spool, 'sub/c.log'), 'c\n')
    writeFileSync(join(s.spool, 'sub/deeper/d.log'), 'd\n')
    writeFileSync(join(s.spool, 'skipdir/e.log'), 'e\n')
    writeFileSync(join(s.spool, '.hidden/f.log'), 'f\n')
    const agent = await startAgent(
      config(
        s,
        `includePattern = ^.*\\\\.log(\\\\.partial)?$
        ignorePattern = ^(.*\\\\.partial|skip\\\\p{Alpha}+)$
        recursiveDirectorySearch = true`,
      ),
    )
    await waitFor(() => existsSync(join(s.spool, 'sub/deeper/d.log.COMPLETED')))
    await waitFor(() => outText(s).split('\n').length >= 4)
    await new Promise((r) => setTimeout(r, 500))
    await agent.stop()
    assert.deepEqual(outText(s).trimEnd().split('\n').sort(), ['a', 'c', 'd'])
    assert.ok(existsSync(join(s.spool, 'a.tmp')) && existsSync(join(s.spool, 'skipdir/e.log')))
  })

  it('trackingPolicy tracker_dir leaves files and writes markers; consumeOrder youngest', async () => {
    const s = setup()
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(s.spool, `f${i}.txt`), `line ${i}\n`)
      utimesSync(join(s.spool, `f${i}.txt`), 1_600_000_000 + i, 1_600_000_000 + i)
    }
    const agent = await startAgent(
      config(
        s,
        `trackingPolicy = tracker_dir
        trackerDir = ../track
        consumeOrder = youngest
        batchSize = 1`,
      ),
    )
    await waitFor(() => outText(s).split('\n').length >= 4)
    await new Promise((r) => setTimeout(r, 500))
    await agent.stop()
    assert.equal(outText(s), 'line 2\nline 1\nline 0\n')
    assert.deepEqual(readdirSync(join(s.root, 'track')).sort(), [
      'f0.txt.COMPLETED',
      'f1.txt.COMPLETED',
      'f2.txt.COMPLETED',
    ])
    assert.equal(statSync(join(s.root, 'track/f0.txt.COMPLETED')).size, 0)
    assert.ok(existsSync(join(s.spool, 'f0.txt')), 'files stay in place')
  })

  it('a reused file name is reported and left in place; other files continue', async () => {
    const s = setup()
    writeFileSync(join(s.spool, 'x.log'), 'first\n')
    const agent = await startAgent(config(s))
    await waitFor(() => existsSync(join(s.spool, 'x.log.COMPLETED')))
    writeFileSync(join(s.spool, 'x.log'), 'second\n')
    await agent.waitFor(/ERROR.*File name has been re-used.*x\.log\.COMPLETED/)
    writeFileSync(join(s.spool, 'y.log'), 'third\n')
    await waitFor(() => existsSync(join(s.spool, 'y.log.COMPLETED')))
    await waitFor(() => outText(s).includes('third'))
    await agent.stop()
    assert.equal(readFileSync(join(s.spool, 'x.log'), 'utf8'), 'second\n')
    assert.equal(readFileSync(join(s.spool, 'x.log.COMPLETED'), 'utf8'), 'first\n')
  })

  it('a file that grows after pickup is reported, kept, and resumed after a restart', async () => {
    const s = setup()
    const big = Array.from({ length: 500_000 }, (_, i) => `row ${i}`).join('\n')
    writeFileSync(join(s.spool, 'grow.log'), `${big}\n`)
    let agent = await startAgent(config(s, 'batchSize = 100'))
    await agent.waitFor(/Reading file.*grow\.log/)
    writeFileSync(join(s.spool, 'grow.log'), 'late line\n', { flag: 'a' })
    await agent.waitFor(/ERROR.*File has changed size since being read.*grow\.log/, 60_000)
    writeFileSync(join(s.spool, 'other.log'), 'other\n')
    await waitFor(() => existsSync(join(s.spool, 'other.log.COMPLETED')))
    await agent.stop()
    assert.ok(existsSync(join(s.spool, 'grow.log')))
    agent = await startAgent(config(s))
    await waitFor(() => existsSync(join(s.spool, 'grow.log.COMPLETED')))
    await waitFor(() => outText(s).includes('late line'))
    await agent.stop()
    const lines = outText(s).trimEnd().split('\n')
    assert.equal(lines.filter((l) => l === 'late line').length, 1)
    assert.equal(new Set(lines).size, 500_002, 'every row, the late line and the other file')
    assert.ok(lines.length - 500_002 <= 100, `${lines.length - 500_002} duplicates (at most one batch)`)
  })

  it('channel full: backs off, retries the same batch, loses nothing', async () => {
    const s = setup()
    const blocker = join(s.root, 'blocked')
    writeFileSync(blocker, 'the sink directory is a regular file for now')
    const lines = Array.from({ length: 5000 }, (_, i) => `n${i}`)
    writeFileSync(join(s.spool, 'x.log'), `${lines.join('\n')}\n`)
    const agent = await startAgent(
      config(s, 'batchSize = 500\nmaxBackoff = 500')
        .replace('capacity = 100000', 'capacity = 1000')
        .replace('transactionCapacity = 10000', 'transactionCapacity = 500')
        .replace(`sink.directory = ${s.out}`, `sink.directory = ${blocker}`)
        .replace('sink.batchSize = 1000', 'sink.batchSize = 100'),
    )
    await agent.waitFor(/The channel refused a batch/)
    rmSync(blocker)
    mkdirSync(blocker)
    await waitFor(() => existsSync(join(s.spool, 'x.log.COMPLETED')), 60_000)
    await waitFor(() => output(blocker).toString().split('\n').length > 5000, 30_000)
    await agent.stop()
    assert.equal(output(blocker).toString(), `${lines.join('\n')}\n`)
  })

  it('AVRO deserializer reads a container written by the avro_event serializer', async () => {
    const s = setup()
    const ser = avroEventSpec.build({ syncIntervalBytes: 200, compressionCodec: 'deflate' } as never)()
    const events = Array.from({ length: 300 }, (_, i) => Event.fromString(`body ${i}`, { k: `v${i}` }))
    const parts = [
      ser.header(),
      ser.write(events.slice(0, 150)),
      ser.flush(),
      ser.write(events.slice(150)),
      ser.footer(),
    ]
    writeFileSync(join(s.spool, 'events.avro'), Buffer.concat(parts.filter((p) => p !== undefined)))
    const agent = await startAgent(
      config(s, 'deserializer = AVRO\nbatchSize = 64', 'a1.sinks.k1.sink.serializer = avro_event'),
    )
    await waitFor(() => existsSync(join(s.spool, 'events.avro.COMPLETED')))
    const read = () => {
      const got: { headers: Record<string, string>; body: Buffer }[] = []
      for (const f of rolledFiles(s.out)) {
        const buf = readFileSync(join(s.out, f))
        if (buf.length === 0) continue
        for (const b of decodeContainer(buf).blocks) {
          const r = new AvroReader(b.data)
          for (let i = 0; i < b.count; i++) {
            const e = readFlumeEvent(r)
            got.push({ headers: { ...e.headers }, body: Buffer.from(e.body) })
          }
        }
      }
      return got
    }
    await waitFor(() => read().length >= 300)
    await agent.stop()
    const got = read()
    assert.equal(got.length, 300)
    const hash = flumeSchemaHash(FLUME_EVENT_SCHEMA)
    got.forEach((g, i) => {
      assert.deepEqual(g.headers, { 'flume.avro.schema.hash': hash })
      const inner = decodeFlumeEvent(g.body)
      assert.equal(Buffer.from(inner.body).toString(), `body ${i}`)
      assert.deepEqual({ ...inner.headers }, { k: `v${i}` })
    })
  })

  it('BlobDeserializer: one event per file, cut at maxBlobLength', async () => {
    const s = setup()
    writeFileSync(join(s.spool, 'a.bin'), 'line1\nline2\n')
    writeFileSync(join(s.spool, 'b.bin'), 'abcdefghij')
    utimesSync(join(s.spool, 'a.bin'), 1_600_000_000, 1_600_000_000)
    const agent = await startAgent(
      config(
        s,
        `deserializer = org.apache.flume.sink.solr.morphline.BlobDeserializer$Builder
        deserializer.maxBlobLength = 8`,
      ),
    )
    await waitFor(() => existsSync(join(s.spool, 'b.bin.COMPLETED')))
    await waitFor(() => outText(s).length >= 12 + 10 + 4)
    await agent.stop()
    assert.equal(outText(s), 'line1\nli\nne2\n\nabcdefgh\nij\n')
  })

  it('a spool directory it cannot read: a clear error, retried until it can', async () => {
    // Root reads any directory through CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH: as root (CI), the agent runs
    // without those two capabilities, so the directory's mode bits deny it as they deny any user.
    const wrap =
      process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : []
    const s = setup()
    writeFileSync(join(s.spool, 'x.log'), 'x\n')
    execFileSync('chmod', ['000', s.spool])
    const agent = await startAgent(config(s), { wrap })
    await agent.waitFor(/Unable to read and modify files in the spooling directory/)
    execFileSync('chmod', ['755', s.spool])
    await waitFor(() => existsSync(join(s.spool, 'x.log.COMPLETED')), 20_000)
    await agent.stop()
    assert.equal(outText(s), 'x\n')
  })
})

describe('spooldir source start-up (real CLI)', () => {
  it('a missing spool directory: a clear error naming it, retried until it exists', async () => {
    const s = setup()
    rmSync(s.spool, { recursive: true })
    const agent = await startAgent(config(s))
    await agent.waitFor(/Spooling directory .*spool is not usable/)
    mkdirSync(s.spool)
    writeFileSync(join(s.spool, 'x.log'), 'x\n')
    await waitFor(() => existsSync(join(s.spool, 'x.log.COMPLETED')), 20_000)
    await agent.stop()
    assert.equal(outText(s), 'x\n')
  })
})
