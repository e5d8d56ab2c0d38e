// End-to-end flows through the real CLI: exact counts, routing, sink groups, metrics and shutdown.

import assert from 'node:assert/strict'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { eventually, fetchJson, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledFiles, rolledLines } from '../helpers/files.ts'
import { lineClient } from '../helpers/net.ts'

const range = (n: number) => Array.from({ length: n }, (_, i) => String(i))

describe('pipelines', () => {
  it('seq → memory → file_roll delivers exactly totalEvents, in order, and /metrics agrees', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const mon = await freePort()
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 25000
a1.sources.r1.batchSize = 500
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 1000
`,
      { dir, sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) } },
    )
    const m = await eventually(async () => {
      const j = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
      return j['SINK.k1']?.EventDrainSuccessCount === '25000' ? j : undefined
    })
    assert.deepEqual(rolledLines(out), range(25000))
    const src = m['SOURCE.r1'] as Record<string, string>
    const ch = m['CHANNEL.c1'] as Record<string, string>
    const sink = m['SINK.k1'] as Record<string, string>
    assert.equal(src.EventAcceptedCount, '25000')
    assert.equal(src.AppendBatchAcceptedCount, '50')
    assert.equal(ch.EventPutSuccessCount, '25000')
    assert.equal(ch.EventTakeSuccessCount, '25000')
    assert.equal(ch.ChannelSize, '0')
    assert.equal(ch.ChannelCapacity, '10000')
    assert.equal(ch.ChannelFillPercentage, '0.0')
    assert.equal(sink.EventDrainAttemptCount, '25000')
    assert.equal(sink.ConnectionCreatedCount, '1')
    for (const g of [src, ch, sink]) {
      for (const v of Object.values(g)) assert.equal(typeof v, 'string')
      assert.equal(g.StopTime, '0')
      assert.ok(Number(g.StartTime) > 1e12)
    }
    const prom = await (await fetch(`http://127.0.0.1:${mon}/prometheus`)).text()
    assert.match(prom, /flumen_sink_events_delivered_total\{component_kind="sink",component_id="k1"\} 25000/)
    assert.match(prom, /# TYPE flumen_channel_size_events gauge/)
    assert.equal((await fetch(`http://127.0.0.1:${mon}/METRICS`)).status, 200, 'path is case-insensitive')
    assert.equal((await fetch(`http://127.0.0.1:${mon}/metrics`, { method: 'OPTIONS' })).status, 403)
    assert.equal((await fetch(`http://127.0.0.1:${mon}/nope`)).status, 404)
    assert.equal((await agent.stop()).code, 0)
  })

  it('multiplexes by header with default and optional channels (one required channel down does not block others)', async () => {
    const dir = tempDir()
    const port = await freePort()
    const [us, eu, other, audit] = ['us', 'eu', 'other', 'audit'].map((d) => join(dir, d)) as [
      string,
      string,
      string,
      string,
    ]
    const sinks = { us, eu, other, audit }
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = cus ceu cother caudit
a1.sinks = kus keu kother kaudit
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = cus ceu cother caudit
a1.sources.r1.interceptors = rx
a1.sources.r1.interceptors.rx.type = regex_extractor
a1.sources.r1.interceptors.rx.regex = ^(\\\\w+):
a1.sources.r1.interceptors.rx.serializers = s1
a1.sources.r1.interceptors.rx.serializers.s1.name = region
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = region
a1.sources.r1.selector.mapping.us = cus
a1.sources.r1.selector.mapping.eu = ceu
a1.sources.r1.selector.optional.eu = caudit
a1.sources.r1.selector.default = cother
${Object.keys(sinks)
  .map(
    (k) => `a1.channels.c${k}.type = memory
a1.sinks.k${k}.type = file_roll
a1.sinks.k${k}.channel = c${k}
a1.sinks.k${k}.sink.rollInterval = 0
a1.sinks.k${k}.sink.directory = ${sinks[k as keyof typeof sinks]}`,
  )
  .join('\n')}
`,
      { dir },
    )
    const c = await lineClient(port)
    c.send('us:1\neu:2\nxx:3\nno header\nUS:5\n')
    assert.equal((await c.waitReplies(5)).filter((r) => r === 'OK').length, 5)
    await eventually(() => rolledLines(other).length === 3 || undefined)
    await eventually(() => rolledLines(audit).length === 1 || undefined)
    assert.deepEqual(rolledLines(us), ['us:1'])
    assert.deepEqual(rolledLines(eu), ['eu:2'])
    assert.deepEqual(rolledLines(other), ['xx:3', 'no header', 'US:5'])
    assert.deepEqual(rolledLines(audit), ['eu:2'])
    c.end()
    assert.equal((await agent.stop()).code, 0)
  })

  it('fails over from a failing sink and returns to it after the penalty', async () => {
    const dir = tempDir()
    const port = await freePort()
    const primary = join(dir, 'primary')
    const backup = join(dir, 'backup')
    // The primary's directory path is a plain file: opening files there fails until we fix it.
    writeFileSync(primary, 'not a directory')
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2
a1.sinkgroups = g1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${primary}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c1
a1.sinks.k2.sink.directory = ${backup}
a1.sinks.k2.sink.rollInterval = 0
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g1.processor.maxpenalty = 2000
# A take waits keep-alive for data; keep it short so the backup is not mid-take when 'c' arrives.
a1.channels.c1.keep-alive = 1
`,
      { dir },
    )
    const c = await lineClient(port)
    c.send('a\nb\n')
    await c.waitReplies(2)
    await eventually(() => rolledLines(backup).length === 2 || undefined)
    await agent.waitFor(/failing over to the next sink/)
    // Repair the primary; once its penalty (2 s) is over, every call probes it first, so the next event
    // goes to it and it takes over again.
    rmSync(primary)
    mkdirSync(primary)
    await new Promise((r) => setTimeout(r, 3500))
    c.send('c\n')
    await c.waitReplies(3)
    await eventually(() => rolledLines(primary).length === 1 || undefined, 20_000)
    c.send('d\ne\n')
    await c.waitReplies(5)
    await eventually(() => rolledLines(primary).length === 3 || undefined)
    assert.deepEqual(rolledLines(backup), ['a', 'b'])
    assert.deepEqual(rolledLines(primary), ['c', 'd', 'e'])
    c.end()
    assert.equal((await agent.stop()).code, 0)
  })

  it('load-balances batches over a group and loses nothing', async () => {
    const dir = tempDir()
    const outs = [join(dir, 'k1'), join(dir, 'k2'), join(dir, 'k3')]
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3
a1.sinkgroups = g1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 3000
a1.sources.r1.batchSize = 10
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
${outs
  .map(
    (o, i) => `a1.sinks.k${i + 1}.type = file_roll
a1.sinks.k${i + 1}.channel = c1
a1.sinks.k${i + 1}.sink.directory = ${o}
a1.sinks.k${i + 1}.sink.rollInterval = 0
a1.sinks.k${i + 1}.sink.batchSize = 10`,
  )
  .join('\n')}
a1.sinkgroups.g1.sinks = k1 k2 k3
a1.sinkgroups.g1.processor.type = load_balance
a1.sinkgroups.g1.processor.selector = round_robin
`,
      { dir },
    )
    await eventually(() => outs.reduce((n, o) => n + rolledLines(o).length, 0) === 3000 || undefined)
    const per = outs.map((o) => rolledLines(o).length)
    for (const n of per) assert.ok(n > 0, `every sink of the group delivered something: ${per}`)
    const all = outs
      .flatMap((o) => rolledLines(o))
      .map(Number)
      .sort((a, b) => a - b)
    assert.deepEqual(all, range(3000).map(Number))
    assert.equal((await agent.stop()).code, 0)
  })

  it('drains a memory channel through a healthy sink on SIGTERM: every accepted event is written', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const mon = await freePort()
    const n = 200_000
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = exec
a1.sources.r1.command = seq 1 ${n}
a1.sources.r1.batchSize = 1000
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = ${n}
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.batchSize = 2
`,
      {
        dir,
        // A drain bound well above what a loaded CI machine needs: the test is about not losing events.
        sys: {
          'flume.monitoring.type': 'http',
          'flume.monitoring.port': String(mon),
          'flumen.shutdown.timeout': '120000',
        },
      },
    )
    await eventually(async () => {
      const m = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
      return m['SOURCE.r1']?.EventAcceptedCount === String(n) ? true : undefined
    })
    const m = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
    assert.ok(Number(m['CHANNEL.c1']?.ChannelSize) > 0, 'the sink is still draining when we stop the agent')
    const r = await agent.stop('SIGTERM', 150_000)
    assert.equal(r.code, 0)
    assert.match(agent.output(), /Agent stopped .*leftInChannels=0/)
    const lines = rolledLines(out)
    assert.equal(lines.length, n)
    assert.equal(lines[n - 1], String(n))
    assert.equal(rolledFiles(out).length, 1)
  })
})
