/**
 * TAILDIR end to end, with the real CLI and real files: TAILDIR → memory → file_roll.
 *
 * Rotation suite (rename with the new name matching or not, copytruncate, delete + recreate, rotation while
 * the agent is down), many files growing at once, skipToEnd, static headers, fileHeader, byteOffsetHeader,
 * idleTimeout closing descriptors (counted in /proc/<pid>/fd) and the partial last line it emits, and the
 * position file left in Flume's format. Every test checks that each written line arrives exactly once.
 */

import assert from 'node:assert/strict'
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { type AgentProcess, eventually, runCli, startAgent, tempDir, writeConfig } from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'

const scratch: string[] = []
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

interface Setup {
  readonly root: string
  readonly logs: string
  readonly out: string
  readonly pos: string
}

function setup(): Setup {
  const root = tempDir('flumen-taildir-')
  scratch.push(root)
  const s = {
    root,
    logs: join(root, 'logs'),
    out: join(root, 'out'),
    pos: join(root, 'pos', 'taildir_position.json'),
  }
  mkdirSync(s.logs)
  mkdirSync(s.out)
  return s
}

function config(
  s: Setup,
  groups: Record<string, string>,
  extra = '',
  serializer = 'text',
  channel = 'a1.channels.c1.capacity = 100000\na1.channels.c1.transactionCapacity = 1000',
  sinkBatch = 100,
): string {
  const names = Object.keys(groups)
  return `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = TAILDIR
a1.sources.r1.channels = c1
a1.sources.r1.filegroups = ${names.join(' ')}
${names.map((g) => `a1.sources.r1.filegroups.${g} = ${s.logs}/${escapeProps(groups[g] as string)}`).join('\n')}
a1.sources.r1.positionFile = ${s.pos}
a1.sources.r1.backoffSleepIncrement = 50
a1.sources.r1.maxBackoffSleep = 200
a1.sources.r1.batchSize = 100
${extra}
a1.channels.c1.type = memory
${channel}
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${s.out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = ${sinkBatch}
a1.sinks.k1.sink.serializer = ${serializer}
`
}

/** A .properties value keeps a backslash only when it is written twice. */
const escapeProps = (v: string) => v.replaceAll('\\', '\\\\')

/** Appends lines `${tag}-${i}` for i in [from, to). */
function writeLines(path: string, tag: string, from: number, to: number): void {
  let s = ''
  for (let i = from; i < to; i++) s += `${tag}-${i}\n`
  appendFileSync(path, s)
}

function expected(tag: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${tag}-${from + i}`)
}

/** Waits until the output holds at least `n` lines; returns them. */
async function waitLines(s: Setup, n: number, ms = 20_000): Promise<string[]> {
  return eventually(() => {
    const l = rolledLines(s.out)
    return l.length >= n ? l : undefined
  }, ms)
}

/** Asserts the output is exactly `want` as a multiset (each line once), after a short settle. */
async function assertExactlyOnce(s: Setup, want: readonly string[]): Promise<void> {
  await waitLines(s, want.length)
  await new Promise((r) => setTimeout(r, 600)) // anything extra (a duplicate) would show up by now
  const got = rolledLines(s.out)
  const counts = new Map<string, number>()
  for (const l of got) counts.set(l, (counts.get(l) ?? 0) + 1)
  const dups = [...counts].filter(([, c]) => c > 1)
  const missing = want.filter((l) => !counts.has(l))
  assert.deepEqual({ dups: dups.slice(0, 5), missing: missing.slice(0, 5) }, { dups: [], missing: [] })
  assert.equal(got.length, want.length)
}

/** Open descriptors of `pid` that point into `dir` (deleted files included). */
function fdsInto(pid: number, dir: string): string[] {
  const out: string[] = []
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const t = readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (t.startsWith(dir)) out.push(t)
    } catch {
      // closed meanwhile
    }
  }
  return out
}

function positions(s: Setup): { inode: number; pos: number; file: string }[] {
  const t = readFileSync(s.pos, 'utf8')
  return t.trim() === '' ? [] : JSON.parse(t)
}

async function stop(agent: AgentProcess): Promise<void> {
  const r = await agent.stop('SIGTERM')
  assert.equal(r.code, 0, agent.output().slice(-2000))
}

describe('TAILDIR source (real CLI, real files)', { concurrency: 2 }, () => {
  it('lines, CRLF, headers.<g>.<k>, fileHeader, byteOffsetHeader; a partial line waits', async () => {
    const s = setup()
    const a = join(s.logs, 'a.log')
    const b = join(s.logs, 'b.txt')
    writeFileSync(a, 'one\r\ntwo\nthr')
    writeFileSync(b, 'bee\n')
    const agent = await startAgent(
      config(
        s,
        { ga: 'a\\.log', gb: '.*\\.txt' },
        `a1.sources.r1.headers.ga.kind = alpha
a1.sources.r1.headers.ga.dotted.key = v
a1.sources.r1.headers.gb.kind = beta
a1.sources.r1.fileHeader = true
a1.sources.r1.fileHeaderKey = path
a1.sources.r1.byteOffsetHeader = true`,
        'header_and_text',
      ),
    )
    let lines = await waitLines(s, 3)
    assert.deepEqual(lines.sort(), [
      `{byteoffset=0, kind=alpha, dotted.key=v, path=${a}} one`,
      `{byteoffset=0, kind=beta, path=${b}} bee`,
      `{byteoffset=5, kind=alpha, dotted.key=v, path=${a}} two`,
    ])
    appendFileSync(a, 'ee\n')
    lines = await waitLines(s, 4)
    assert.ok(lines.includes(`{byteoffset=9, kind=alpha, dotted.key=v, path=${a}} three`), lines.join('\n'))
    await stop(agent)
    // Left in Flume's compact Gson form, committed offsets only.
    const text = readFileSync(s.pos, 'utf8')
    assert.match(
      text,
      /^\[\{"inode":\d+,"pos":\d+,"file":"[^"]+"\}(,\{"inode":\d+,"pos":\d+,"file":"[^"]+"\})*\]$/,
    )
    const byFile = new Map(positions(s).map((p) => [p.file, p]))
    assert.equal(byFile.get(a)?.pos, 15)
    assert.equal(byFile.get(a)?.inode, statSync(a).ino)
    assert.equal(byFile.get(b)?.pos, 4)
  })

  it('rename rotation, new name still matching: no duplicate, no loss, position follows the inode', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'r', 0, 500)
    const agent = await startAgent(config(s, { g: 'app\\.log.*' }))
    await waitLines(s, 500)
    let n = 500
    for (let round = 1; round <= 3; round++) {
      writeLines(log, 'r', n, n + 300) // written before the rename, maybe not read yet
      n += 300
      for (let k = round - 1; k >= 1; k--) renameSync(`${log}.${k}`, `${log}.${k + 1}`)
      renameSync(log, `${log}.1`)
      writeLines(`${log}.1`, 'r', n, n + 50) // the writer still holds the old file
      n += 50
      writeLines(log, 'r', n, n + 200)
      n += 200
      await waitLines(s, n)
    }
    await assertExactlyOnce(s, expected('r', 0, n))
    await stop(agent)
    const files = positions(s)
      .map((p) => p.file.slice(s.logs.length + 1))
      .sort()
    assert.deepEqual(files, ['app.log', 'app.log.1', 'app.log.2', 'app.log.3'])
  })

  it('rename rotation to a non-matching name: the rest is read through the open descriptor', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'n', 0, 200)
    const agent = await startAgent(config(s, { g: 'app\\.log' }, 'a1.sources.r1.idleTimeout = 1000'))
    await waitLines(s, 200)
    writeLines(log, 'n', 200, 1200)
    renameSync(log, join(s.logs, 'old-app.log'))
    writeLines(join(s.logs, 'old-app.log'), 'n', 1200, 1300)
    writeLines(log, 'n', 1300, 1500)
    await assertExactlyOnce(s, expected('n', 0, 1500))
    // Both descriptors (the rotated file and the new one) are closed once idle: none leaks.
    await eventually(() => fdsInto(agent.child.pid as number, s.logs).length === 0, 15_000, 200)
    await stop(agent)
  })

  it('a full channel: the batch is read again after the back-off, nothing lost or doubled', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'f', 0, 1200)
    // keep-alive 0: a put that does not fit fails at once (and the sink, finding the channel empty, backs
    // off for a second or more, so the channel fills up again and again).
    const agent = await startAgent(
      config(
        s,
        { g: 'app\\.log' },
        '',
        'text',
        'a1.channels.c1.capacity = 250\na1.channels.c1.transactionCapacity = 100\na1.channels.c1.keep-alive = 0',
        20,
      ),
    )
    await assertExactlyOnce(s, expected('f', 0, 1200))
    await stop(agent)
    assert.match(agent.output(), /channel is full or refused the batch/)
  })

  it('a 24 MB line is delivered whole, between ordinary lines', async () => {
    const s = setup()
    const log = join(s.logs, 'big.log')
    const big = 'L'.repeat(24 * 1024 * 1024)
    writeLines(log, 'b', 0, 3)
    appendFileSync(log, `${big}\r\n`)
    writeLines(log, 'b', 3, 6)
    const agent = await startAgent(config(s, { g: 'big\\.log' }))
    const lines = await waitLines(s, 7, 30_000)
    assert.deepEqual(
      lines.map((l) => (l.length > 100 ? `${l.length}` : l)),
      ['b-0', 'b-1', 'b-2', String(big.length), 'b-3', 'b-4', 'b-5'],
    )
    await stop(agent)
  })

  it('copytruncate: a file that shrank restarts from 0', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'c', 0, 300)
    const agent = await startAgent(config(s, { g: 'app\\.log' }))
    await waitLines(s, 300)
    copyFileSync(log, join(s.logs, 'app.log.1')) // not matched: the copy is not read again
    truncateSync(log, 0)
    await new Promise((r) => setTimeout(r, 500))
    writeLines(log, 'c', 300, 400)
    await assertExactlyOnce(s, expected('c', 0, 400))
    await stop(agent)
    assert.equal(positions(s)[0]?.pos, statSync(log).size)
  })

  it('a file deleted and recreated: the deleted one is drained and closed, the new one read from 0', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'd', 0, 100)
    const agent = await startAgent(config(s, { g: 'app\\.log' }))
    await waitLines(s, 100)
    writeLines(log, 'd', 100, 2000)
    appendFileSync(log, 'd-2000') // no newline: emitted when the deleted file is drained
    unlinkSync(log)
    writeLines(log, 'd', 2001, 2200)
    await assertExactlyOnce(s, [...expected('d', 0, 2001), ...expected('d', 2001, 2200)])
    await eventually(() => fdsInto(agent.child.pid as number, s.logs).every((f) => !f.endsWith('(deleted)')))
    await stop(agent)
  })

  it('rotation while the agent is down: the renamed file continues from its position, the new one from 0', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'w', 0, 400)
    writeLines(join(s.logs, 'web.log'), 'v', 0, 100)
    const conf = config(s, { g: 'app\\.log.*', v: 'web\\.log' })
    let agent = await startAgent(conf)
    await waitLines(s, 500)
    await stop(agent)
    // Down: both files get more lines and are rotated; web.log.1 no longer matches its group.
    writeLines(log, 'w', 400, 700)
    renameSync(log, `${log}.1`)
    writeLines(log, 'w', 700, 900)
    writeLines(join(s.logs, 'web.log'), 'v', 100, 150)
    renameSync(join(s.logs, 'web.log'), join(s.logs, 'web.log.1'))
    writeLines(join(s.logs, 'web.log'), 'v', 150, 170)
    agent = await startAgent(conf, { dir: agent.dir })
    await assertExactlyOnce(s, [...expected('w', 0, 900), ...expected('v', 0, 170)])
    await stop(agent)
  })

  it('a position file from Flume (by path and inode) carries over; unknown entries are dropped', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'p', 0, 100)
    const at = Buffer.byteLength(expected('p', 0, 60).join('\n')) + 1
    mkdirSync(join(s.root, 'pos'))
    writeFileSync(
      s.pos,
      `[{"inode":${statSync(log).ino},"pos":${at},"file":"${log}"},{"inode":999999999,"pos":5,"file":"/nonexistent/x.log"}]`,
    )
    const agent = await startAgent(config(s, { g: 'app\\.log' }))
    await assertExactlyOnce(s, expected('p', 60, 100))
    await stop(agent)
    assert.deepEqual(positions(s), [{ inode: statSync(log).ino, pos: statSync(log).size, file: log }])
  })

  it('many files growing at once', async () => {
    const s = setup()
    const files = Array.from({ length: 20 }, (_, i) => join(s.logs, `f${i}.log`))
    for (const f of files) writeFileSync(f, '')
    const agent = await startAgent(config(s, { g: 'f\\d+\\.log' }))
    const want: string[] = []
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < files.length; i++) {
        writeLines(files[i] as string, `m${i}`, round * 150, (round + 1) * 150)
        want.push(...expected(`m${i}`, round * 150, (round + 1) * 150))
      }
      await new Promise((r) => setTimeout(r, 30))
    }
    await assertExactlyOnce(s, want)
    // Per file, lines arrive in order.
    const got = rolledLines(s.out)
    for (let i = 0; i < files.length; i++) {
      const mine = got.filter((l) => l.startsWith(`m${i}-`))
      assert.deepEqual(mine, expected(`m${i}`, 0, 1500))
    }
    await stop(agent)
  })

  it('skipToEnd: files unknown to the position file start at their end; later files at 0', async () => {
    const s = setup()
    writeLines(join(s.logs, 'old.log'), 'o', 0, 100)
    const agent = await startAgent(config(s, { g: '.*\\.log' }, 'a1.sources.r1.skipToEnd = true'))
    await new Promise((r) => setTimeout(r, 500))
    writeLines(join(s.logs, 'old.log'), 'o', 100, 120)
    writeLines(join(s.logs, 'new.log'), 'q', 0, 30)
    await assertExactlyOnce(s, [...expected('o', 100, 120), ...expected('q', 0, 30)])
    await stop(agent)
  })

  it('idleTimeout closes descriptors (and emits the partial last line); files reopen when they grow', async () => {
    const s = setup()
    const files = Array.from({ length: 5 }, (_, i) => join(s.logs, `i${i}.log`))
    for (const f of files) writeLines(f, 'i', 0, 10)
    appendFileSync(files[0] as string, 'tail-without-newline')
    const agent = await startAgent(config(s, { g: 'i\\d\\.log' }, 'a1.sources.r1.idleTimeout = 1000'))
    const pid = agent.child.pid as number
    await waitLines(s, 50)
    // Idle after 1 s, checked every 5 s: all closed within ~7 s; the partial line was emitted (Flume compat).
    await eventually(() => fdsInto(pid, s.logs).length === 0, 15_000, 200)
    assert.ok(rolledLines(s.out).includes('tail-without-newline'))
    writeLines(files[1] as string, 'again', 0, 3)
    await waitLines(s, 54)
    assert.equal(agent.count(/Opened file file=\S+i1\.log/), 2) // reopened when it grew
    await eventually(() => fdsInto(pid, s.logs).length === 0, 15_000, 200)
    await stop(agent)
  })

  it('a reload that changes the source restarts it on its positions: nothing read twice', async () => {
    const s = setup()
    const log = join(s.logs, 'app.log')
    writeLines(log, 'h', 0, 300)
    const agent = await startAgent(config(s, { g: 'app\\.log' }))
    await waitLines(s, 300)
    writeLines(log, 'h', 300, 400)
    writeFileSync(join(agent.dir, 'agent.conf'), config(s, { g: 'app\\.log' }, 'a1.sources.r1.batchSize = 7'))
    agent.child.kill('SIGHUP')
    await eventually(
      () => agent.count(/Taildir source stopped/) === 1 && agent.count(/Taildir source started/) === 2,
    )
    writeLines(log, 'h', 400, 500)
    await assertExactlyOnce(s, expected('h', 0, 500))
    await stop(agent)
  })

  it('flumen check reports every TAILDIR problem with its file and line', async () => {
    const s = setup()
    const f = writeConfig(
      s.root,
      'bad.conf',
      `a1.sources = r1 r2 r3 r4
a1.channels = c1
a1.channels.c1.type = memory
a1.sources.r1.type = taildir
a1.sources.r1.channels = c1
a1.sources.r2.type = org.apache.flume.source.taildir.TaildirSource
a1.sources.r2.channels = c1
a1.sources.r2.filegroups = g1 g2
a1.sources.r2.filegroups.g1 = /var/log/app(
a1.sources.r2.headers.g1 = nodot
a1.sources.r3.type = TailDir
a1.sources.r3.channels = c1
a1.sources.r3.filegroups = g9
a1.sources.r4.type = TAILDIR
a1.sources.r4.channels = c1
a1.sources.r4.filegroups = g
a1.sources.r4.filegroups.g = /var/log/.*
a1.sources.r4.idleTimeout = soon
`,
    )
    const r = await runCli(['check', '-f', f, '-n', 'a1'])
    assert.equal(r.code, 1, r.stdout)
    assert.match(r.stdout, /required property 'filegroups' is missing/)
    assert.match(r.stdout, /invalid file-name regex.*\[a1\.sources\.r2\.filegroups\.g1\]/)
    assert.match(r.stdout, /expected headers\.<group>\.<headerName>.*\[a1\.sources\.r2\.headers\.g1\]/)
    assert.match(r.stdout, /bad\.conf:18: error: 'soon' is not a valid int \[a1\.sources\.r4\.idleTimeout\]/)
    assert.match(r.stdout, /Mapping for tailing files is empty or invalid.*\[a1\.sources\.r3\.filegroups\]/)
  })

  it('an invalid regex drops the source with a clear error; a missing directory is reported and watched', async () => {
    const s = setup()
    const bad = await startAgent(config(s, { g: 'app(' }))
    await bad.waitFor(/filegroups\.g.*invalid file-name regex|invalid file-name regex.*filegroups\.g/)
    await stop(bad)
    const s2 = setup()
    const later = join(s2.logs, 'later')
    const agent = await startAgent(config(s2, { g: 'later/app\\.log' }))
    await agent.waitFor(/Cannot list the file group directory/)
    mkdirSync(later)
    writeLines(join(later, 'app.log'), 'l', 0, 10)
    await assertExactlyOnce(s2, expected('l', 0, 10))
    await stop(agent)
  })
})
