// The foundation's sources through the real CLI: exec (restart, shell, stderr, the child dies with the
// agent even on SIGKILL), netcatudp, and the stress source by class name; plus signal handling.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { eventually, fetchJson, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'
import { sendUdp } from '../helpers/net.ts'

const fileRoll = (out: string, extra = '') => `
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
${extra}`

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function pidsOf(pattern: string): number[] {
  try {
    // Anchored on the command itself: the exec wrapper shell's command line contains it too.
    return execFileSync('pgrep', ['-f', `^${pattern}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

describe('exec source', () => {
  it('tails a file with tail -F, commits batches on size and on batchTimeout, and splits \\r\\n lines', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const log = join(dir, 'app.log')
    writeFileSync(log, '')
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -F ${log}
a1.sources.r1.restart = true
a1.sources.r1.batchSize = 1000
a1.sources.r1.batchTimeout = 200
a1.sources.r1.channels = c1
${fileRoll(out)}`,
      { dir },
    )
    appendFileSync(log, 'one\r\ntwo\nthree\r')
    await eventually(() => (rolledLines(out).length === 3 ? true : undefined))
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`)
    appendFileSync(log, `${lines.join('\n')}\n`)
    await eventually(() => (rolledLines(out).length === 5003 ? true : undefined))
    assert.deepEqual(rolledLines(out), ['one', 'two', 'three', ...lines])
    const tails = pidsOf(`tail -F ${log}`)
    assert.equal(tails.length, 1)
    assert.equal((await agent.stop()).code, 0)
    await eventually(() => (pidsOf(`tail -F ${log}`).length === 0 ? true : undefined), 5000)
  })

  it('kills its command when the agent is killed with SIGKILL (no orphaned tail -F)', async () => {
    const dir = tempDir()
    const log = join(dir, 'orphan.log')
    writeFileSync(log, '')
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = exec
a1.sources.r1.command = tail -F ${log}
a1.sources.r1.channels = c1
${fileRoll(join(dir, 'out'))}`,
      { dir },
    )
    const [tail] = await eventually(() => {
      const p = pidsOf(`tail -F ${log}`)
      return p.length === 1 ? p : undefined
    })
    await agent.stop('SIGKILL')
    await eventually(() => (processAlive(tail as number) ? undefined : true), 5000)
  })

  it('restarts the command after restartThrottle, runs it through a shell, and logs stderr when asked', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const counter = join(dir, 'runs')
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = exec
a1.sources.r1.shell = /bin/sh -c
a1.sources.r1.command = echo run >> ${counter}; echo "hello | world"; echo oops >&2
a1.sources.r1.restart = true
a1.sources.r1.restartThrottle = 300
a1.sources.r1.logStdErr = true
a1.sources.r1.channels = c1
${fileRoll(out)}`,
      { dir },
    )
    await eventually(() => (rolledLines(out).length >= 3 ? true : undefined))
    assert.ok(rolledLines(out).every((l) => l === 'hello | world'))
    await agent.waitFor(/Command wrote to standard error stderr=oops/)
    assert.equal((await agent.stop()).code, 0)
    assert.ok(existsSync(counter))
  })

  it('does not lose output when the channel is full: it pauses the command and retries', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const mon = await freePort()
    // A tiny channel and a slow sink (batch 1) make the channel full for most of the run.
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = exec
a1.sources.r1.command = seq 1 3000
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 200
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.keep-alive = 0
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1
`,
      { dir, sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) } },
    )
    await eventually(() => (rolledLines(out).length === 3000 ? true : undefined), 60_000)
    assert.deepEqual(
      rolledLines(out),
      Array.from({ length: 3000 }, (_, i) => String(i + 1)),
    )
    const m = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
    assert.ok(Number(m['SOURCE.r1']?.ChannelWriteFail) > 0, 'the channel did refuse batches')
    assert.equal((await agent.stop()).code, 0)
  })
})

describe('netcatudp and stress sources', () => {
  it('turns each datagram (up to its first newline) into an event with the sender header', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const port = await freePort()
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = netcatudp
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.remoteAddress = sender
a1.sources.r1.channels = c1
${fileRoll(out, 'a1.sinks.k1.sink.serializer = header_and_text')}`,
      { dir },
    )
    await sendUdp(port, ['first\nignored rest', 'second', Buffer.alloc(0)])
    await eventually(() => (rolledLines(out).length === 3 ? true : undefined))
    const lines = rolledLines(out)
    assert.match(lines[0] ?? '', /^\{sender=\/127\.0\.0\.1:\d+\} first$/)
    assert.match(lines[1] ?? '', /^\{sender=\/127\.0\.0\.1:\d+\} second$/)
    assert.match(lines[2] ?? '', /^\{sender=\/127\.0\.0\.1:\d+\} $/)
    assert.equal((await agent.stop()).code, 0)
  })

  it('runs the StressSource by class name with maxTotalEvents and size', async () => {
    const dir = tempDir()
    const mon = await freePort()
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = org.apache.flume.source.StressSource
a1.sources.r1.size = 64
a1.sources.r1.maxTotalEvents = 10000
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`,
      { dir, sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) } },
    )
    await eventually(async () => {
      const m = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
      return m['SINK.k1']?.EventDrainSuccessCount === '10000' ? true : undefined
    })
    assert.equal((await agent.stop()).code, 0)
  })
})

describe('signals', () => {
  it('a second signal during a slow shutdown exits at once', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    // A big backlog and a sink that writes one event per batch makes the drain long.
    const agent = await startAgent(
      `a1.sources = r1
a1.sources.r1.type = seq
a1.sources.r1.batchSize = 1000
a1.sources.r1.totalEvents = 300000
a1.sources.r1.channels = c1
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 300000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1
`,
      { dir, sys: { 'flumen.shutdown.timeout': '60000' } },
    )
    await new Promise((r) => setTimeout(r, 500))
    agent.child.kill('SIGTERM')
    await agent.waitFor(/Stopping agent/)
    const t0 = Date.now()
    agent.child.kill('SIGINT')
    const r = await agent.exited
    assert.equal(r.code, 130)
    assert.ok(Date.now() - t0 < 3000)
  })
})
