// Live reload through the real CLI, under load, with exact accounting: a client streams numbered lines
// to a netcat source (each line answered OK only once committed) while the config file is changed and
// SIGHUP sent — interceptor changed, sink added, a sink's batch size changed, the file broken, then fixed.
// Every acknowledged line must come out of the sinks exactly once, and the client's connection must
// survive it all (the source is never restarted).

import assert from 'node:assert/strict'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { type AgentProcess, eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { LineClient, numberedLine, outputLines } from '../helpers/line-client.ts'

interface Conf {
  readonly port: number
  readonly dir: string
  readonly v: string
  readonly sinks: string
  readonly k1Batch: number
  readonly broken?: boolean
}

const conf = (c: Conf) => `
a1.sources = r1
a1.channels = c1
a1.sinks = ${c.sinks}
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${c.port}
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = i1
a1.sources.r1.interceptors.i1.type = static
a1.sources.r1.interceptors.i1.key = v
a1.sources.r1.interceptors.i1.value = ${c.v}
a1.channels.c1.type = memory
a1.channels.c1.capacity = 20000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${c.dir}/out1
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
a1.sinks.k1.sink.batchSize = ${c.k1Batch}
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c1
a1.sinks.k2.sink.directory = ${c.dir}/out2
a1.sinks.k2.sink.rollInterval = 0
a1.sinks.k2.sink.serializer = header_and_text
${c.broken === true ? 'a1.sinks.k2.sink.batchSize = a hundred\n' : ''}`

/** Sends numbered lines at a steady pace, keeping at most `window` unanswered. */
function feed(client: LineClient, stop: { done: boolean }): Promise<void> {
  let i = 0
  return (async () => {
    while (!stop.done && !client.isClosed) {
      await client.send(Array.from({ length: 20 }, () => numberedLine(i++)))
      await client.waitReplies(client.sent.length - 400)
      await new Promise((r) => setTimeout(r, 4))
    }
  })()
}

async function reload(agent: AgentProcess, file: string, text: string, expect: RegExp): Promise<string> {
  const before = agent.count(expect)
  writeFileSync(file, text)
  agent.child.kill('SIGHUP')
  await eventually(() => agent.count(expect) > before, 15_000)
  return agent.lines.filter((l) => expect.test(l)).at(-1) ?? ''
}

/** `{v=2} ev-0000123` → ['2', 'ev-0000123']. */
function parse(line: string): [string, string] {
  const m = /^\{v=([^}]*)\} (.*)$/.exec(line)
  assert.ok(m !== null, `unexpected output line: ${line}`)
  return [m[1] as string, m[2] as string]
}

describe('live reload (CLI)', () => {
  it('under load: interceptor, new sink, batch size, broken file, fix — every acknowledged line delivered once', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'out1'))
    mkdirSync(join(dir, 'out2'))
    const port = await freePort()
    const mon = await freePort()
    let c: Conf = { port, dir, v: '1', sinks: 'k1', k1Batch: 100 }
    const agent = await startAgent(conf(c), {
      dir,
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
    const file = join(dir, 'agent.conf')
    const client = await LineClient.open(port)
    const stop = { done: false }
    const feeding = feed(client, stop)
    const acked = () => client.acked.length
    const ackedAt: number[] = []
    try {
      await eventually(() => acked() > 2000)

      // 1. Interceptor: swapped in place.
      c = { ...c, v: '2' }
      let line = await reload(agent, file, conf(c), /Configuration reloaded/)
      assert.match(line, /reconfigured=\["SOURCE\.r1"\]/)
      assert.match(line, /restarted=\[\]/)
      ackedAt.push(acked())
      await eventually(() => acked() > (ackedAt[0] as number) + 2000)

      // 2. A second sink on the same channel.
      c = { ...c, sinks: 'k1 k2' }
      line = await reload(agent, file, conf(c), /Configuration reloaded/)
      assert.match(line, /added=\["SINK\.k2"\]/)
      assert.match(line, /restarted=\[\]/)
      // (k2 shares the channel with k1: it gets events only when k1 leaves some, so wait for it to run.)
      await eventually(async () => {
        const j = (await (await fetch(`http://127.0.0.1:${mon}/metrics`)).json()) as Record<
          string,
          Record<string, string>
        >
        return Number(j['SINK.k2']?.StartTime ?? 0) > 0
      })

      // 3. k1's batch size.
      c = { ...c, k1Batch: 10 }
      line = await reload(agent, file, conf(c), /Configuration reloaded/)
      assert.match(line, /restarted=\["SINK\.k1"\]/)
      const beforeBroken = acked()
      await eventually(() => acked() > beforeBroken + 2000)

      // 4. Broken: refused with file:line; the agent goes on as it was.
      line = await reload(agent, file, conf({ ...c, v: '3', broken: true }), /Reload refused/)
      assert.match(line, /1 configuration error|2 configuration errors/)
      assert.ok(
        agent.lines.some((l) => l.includes(`${file}:`) && l.includes("'a hundred' is not a valid int")),
        'the bad line is reported with its file and line',
      )
      const prom = await (await fetch(`http://127.0.0.1:${mon}/prometheus`)).text()
      assert.match(prom, /flumen_agent_reload_failures_total 1\b/)
      assert.match(prom, /flumen_agent_reloads_total 4\b/)
      const afterBroken = acked()
      await eventually(() => acked() > afterBroken + 2000)

      // 5. Fixed.
      c = { ...c, v: '3' }
      line = await reload(agent, file, conf(c), /Configuration reloaded/)
      assert.match(line, /reconfigured=\["SOURCE\.r1"\]/)
      ackedAt.push(acked())
      await eventually(() => acked() > (ackedAt[1] as number) + 2000)
      assert.equal(client.isClosed, false, 'the client connection survived every reload')
      assert.equal(client.failed.length, 0, `refused lines: ${JSON.stringify(client.failed.slice(0, 3))}`)
    } finally {
      stop.done = true
      await feeding
    }
    await client.waitReplies(client.sent.length)
    client.end()
    const expected = new Set(client.acked)
    const delivered = () => [...outputLines(join(dir, 'out1')), ...outputLines(join(dir, 'out2'))]
    await eventually(() => delivered().length >= expected.size, 20_000)
    assert.equal((await agent.stop()).code, 0)

    const seen = new Map<string, string>()
    const dups: string[] = []
    for (const l of delivered()) {
      const [v, body] = parse(l)
      if (seen.has(body)) dups.push(body)
      seen.set(body, v)
    }
    assert.deepEqual(dups.slice(0, 5), [], `${dups.length} lines delivered twice`)
    const missing = client.acked.filter((b) => !seen.has(b))
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged lines lost`)
    const unexpected = [...seen.keys()].filter((b) => !expected.has(b))
    assert.deepEqual(unexpected.slice(0, 5), [])
    assert.ok(client.acked.length > 8000, `acked ${client.acked.length}`)
    // Lines acknowledged after the first swap (allowing the window in flight) carry v=2 or later, and the
    // very last ones v=3.
    const order = client.acked
    assert.equal(seen.get(order[0] as string), '1')
    assert.equal(seen.get(order.at(-1) as string), '3')
    const firstV3 = order.findIndex((b) => seen.get(b) === '3')
    assert.ok(
      order.slice(firstV3).every((b) => seen.get(b) === '3'),
      'no old value after the new one',
    )
    rmSync(dir, { recursive: true, force: true })
  })

  it('watches the file (-i) and keeps a memory channel’s backlog while its broken sink is fixed', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const blocker = join(dir, 'not-a-dir')
    writeFileSync(blocker, '')
    const text = (target: string) => `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 3000
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 5000
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${target}
a1.sinks.k1.sink.rollInterval = 0
`
    const mon = await freePort()
    const agent = await startAgent(text(join(blocker, 'sub')), {
      dir,
      pollSeconds: 0.2,
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
    const ready = async () => (await fetch(`http://127.0.0.1:${mon}/ready`)).status
    await eventually(async () => {
      const j = (await (await fetch(`http://127.0.0.1:${mon}/metrics`)).json()) as Record<
        string,
        Record<string, string>
      >
      return j['CHANNEL.c1']?.ChannelSize === '3000'
    })
    assert.equal(await ready(), 503)
    const body = (await (await fetch(`http://127.0.0.1:${mon}/ready`)).json()) as {
      notReady: { id: string; state: string; error?: string }[]
    }
    assert.equal(body.notReady[0]?.id, 'SINK.k1')
    assert.equal(body.notReady[0]?.state, 'retrying')
    assert.match(body.notReady[0]?.error ?? '', /ENOTDIR/)
    assert.equal((await fetch(`http://127.0.0.1:${mon}/health`)).status, 200)

    writeFileSync(join(dir, 'agent.conf'), text(out))
    await agent.waitFor(/Configuration file changed; reloading/)
    await agent.waitFor(/Configuration reloaded .*restarted=\["SINK\.k1"\]/)
    await eventually(() => outputLines(out).length === 3000)
    assert.deepEqual(
      outputLines(out),
      Array.from({ length: 3000 }, (_, i) => String(i)),
    )
    await eventually(async () => (await ready()) === 200)
    assert.equal((await agent.stop()).code, 0)
    rmSync(dir, { recursive: true, force: true })
  })
})
