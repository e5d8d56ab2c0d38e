/**
 * The JDBC and spillable memory channels through the real CLI (dist/): acknowledged events survive a
 * SIGKILL (JDBC on SQLite and PostgreSQL) or a graceful stop (spillable memory, which writes its memory
 * queue to the overflow), and a second agent on the same SQLite database refuses to start its channel.
 */

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { feedThenKill, LineClient, numberedLine, outputLines } from '../helpers/line-client.ts'

/** Temp directories of this file, removed when its tests are done (agents are stopped by then). */
const scratchDirs: string[] = []
function scratch(prefix?: string): string {
  const d = tempDir(prefix)
  scratchDirs.push(d)
  return d
}
after(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true })
})

function pipeline(port: number, channel: string, channelProps: string, sinkDir: string): string {
  return `
a1.sources = r1
a1.channels = ${channel}
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = ${channel}
${channelProps
  .trim()
  .split('\n')
  .map((l) => `a1.channels.${channel}.${l.trim()}`)
  .join('\n')}
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = ${channel}
a1.sinks.k1.sink.directory = ${sinkDir}
a1.sinks.k1.sink.rollInterval = 0
`
}

/** Fills the channel behind a sink that cannot deliver, SIGKILLs, restarts with a working sink. */
async function killAndRecover(channel: string, props: string, t: { diagnostic(s: string): void }) {
  const root = scratch('flumen-durable-')
  const port = await freePort()
  writeFileSync(join(root, 'blocker'), 'not a directory')
  const first = await startAgent(pipeline(port, channel, props, join(root, 'blocker', 'out')), { dir: root })
  const { client } = await feedThenKill(first, port, 0, 3000)
  const acked = new Set(client.acked)
  mkdirSync(join(root, 'out'))
  const second = await startAgent(pipeline(port, channel, props, join(root, 'out')), { dir: root })
  try {
    await eventually(() => {
      const got = new Set(outputLines(join(root, 'out')))
      for (const l of acked) if (!got.has(l)) return undefined
      return true
    }, 60_000)
  } finally {
    await second.stop('SIGTERM')
  }
  const lines = outputLines(join(root, 'out'))
  t.diagnostic(`acked ${acked.size}, delivered ${lines.length} (${new Set(lines).size} distinct)`)
}

describe('durable channels through the CLI', () => {
  it('jdbc on embedded SQLite: every acknowledged event survives SIGKILL', {
    timeout: 120_000,
  }, async (t) => {
    const db = join(scratch('flumen-sqlite-'), 'db')
    await killAndRecover('c1', `type = jdbc\ndriver.url = jdbc:derby:${db};create=true`, t)
  })

  it('jdbc on PostgreSQL: every acknowledged event survives SIGKILL', { timeout: 120_000 }, async (t) => {
    const name = `e2e_${randomBytes(4).toString('hex')}`
    try {
      await killAndRecover(
        name,
        `type = jdbc\ndriver.url = jdbc:postgresql://127.0.0.1:5432/test\ndb.username = postgres`,
        t,
      )
    } finally {
      const c = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' })
      await c.connect()
      await c.query('DELETE FROM flumen_channel_events WHERE channel = $1', [name])
      await c.end()
    }
  })

  it('a second agent on the same SQLite database refuses to start its channel', async () => {
    const root = scratch('flumen-sqlite-lock-')
    const props = `type = jdbc\ndriver.url = jdbc:sqlite:${join(root, 'channel.sqlite')}`
    mkdirSync(join(root, 'out'))
    const a = await startAgent(pipeline(await freePort(), 'c1', props, join(root, 'out')), { dir: scratch() })
    const b = await startAgent(pipeline(await freePort(), 'c1', props, join(root, 'out')), { dir: scratch() })
    try {
      await b.waitFor(
        /JDBC channel c1 failed to start: the SQLite database .*channel\.sqlite is in use by another process/,
      )
    } finally {
      await b.stop('SIGTERM')
      await a.stop('SIGTERM')
    }
  })

  it('spillablememory: a graceful stop keeps the memory queue too', { timeout: 120_000 }, async () => {
    const root = scratch('flumen-spill-')
    const port = await freePort()
    const props = `type = spillablememory
memoryCapacity = 500
overflowTimeout = 0
transactionCapacity = 1000
checkpointDir = ${join(root, 'cp')}
dataDirs = ${join(root, 'data')}
minimumRequiredSpace = 1048576`
    writeFileSync(join(root, 'blocker'), 'not a directory')
    const first = await startAgent(pipeline(port, 'c1', props, join(root, 'blocker', 'out')), { dir: root })
    const client = await LineClient.open(port)
    const lines = Array.from({ length: 3000 }, (_, i) => numberedLine(i))
    for (let i = 0; i < lines.length; i += 100) await client.send(lines.slice(i, i + 100))
    await client.waitReplies(lines.length)
    assert.equal(client.acked.length, lines.length)
    client.destroy()
    await first.stop('SIGTERM')
    assert.match(first.output(), /wrote its memory queue to the overflow at stop/)
    mkdirSync(join(root, 'out'))
    const second = await startAgent(pipeline(port, 'c1', props, join(root, 'out')), { dir: root })
    try {
      await eventually(
        () => (new Set(outputLines(join(root, 'out'))).size === lines.length ? true : undefined),
        60_000,
      )
    } finally {
      await second.stop('SIGTERM')
    }
  })
})
