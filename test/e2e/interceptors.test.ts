// Every interceptor, configured as Flume users write them, and every serializer, through the real CLI.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ContainerReader } from '../../src/protocols/avro/index.ts'
import { eventually, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { rolledFiles, rolledLines } from '../helpers/files.ts'
import { lineClient } from '../helpers/net.ts'

describe('interceptors', () => {
  it('applies a chain of every interceptor in order', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const port = await freePort()
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = ${port}
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ts host st st2 uuid filt ext sr rm
a1.sources.r1.interceptors.ts.type = timestamp
a1.sources.r1.interceptors.host.type = host
a1.sources.r1.interceptors.host.hostHeader = agenthost
a1.sources.r1.interceptors.st.type = static
a1.sources.r1.interceptors.st.key = datacenter
a1.sources.r1.interceptors.st.value = NYC_01
a1.sources.r1.interceptors.st2.type = org.apache.flume.interceptor.StaticInterceptor$Builder
a1.sources.r1.interceptors.st2.key = tmp
a1.sources.r1.interceptors.st2.value = x
a1.sources.r1.interceptors.uuid.type = org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder
a1.sources.r1.interceptors.uuid.headerName = eventId
a1.sources.r1.interceptors.uuid.prefix = ev-
a1.sources.r1.interceptors.filt.type = regex_filter
a1.sources.r1.interceptors.filt.regex = ^DEBUG
a1.sources.r1.interceptors.filt.excludeEvents = true
a1.sources.r1.interceptors.ext.type = regex_extractor
a1.sources.r1.interceptors.ext.regex = (\\\\d\\\\d\\\\d\\\\d-\\\\d\\\\d-\\\\d\\\\d \\\\d\\\\d:\\\\d\\\\d) (\\\\w+)
a1.sources.r1.interceptors.ext.serializers = s1 s2
a1.sources.r1.interceptors.ext.serializers.s1.type = org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer
a1.sources.r1.interceptors.ext.serializers.s1.name = eventtime
a1.sources.r1.interceptors.ext.serializers.s1.pattern = yyyy-MM-dd HH:mm
a1.sources.r1.interceptors.ext.serializers.s2.name = level
a1.sources.r1.interceptors.sr.type = search_replace
a1.sources.r1.interceptors.sr.searchPattern = password=(\\\\S+)
a1.sources.r1.interceptors.sr.replaceString = password=***
a1.sources.r1.interceptors.rm.type = remove_header
a1.sources.r1.interceptors.rm.withName = tmp
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`,
      { dir, env: { TZ: 'UTC' } },
    )
    const before = Date.now()
    const c = await lineClient(port)
    c.send('2012-10-18 18:47 INFO login user=bob password=hunter2\nDEBUG noisy\n')
    assert.deepEqual(await c.waitReplies(2), ['OK', 'OK'])
    const line = await eventually(() => rolledLines(out)[0])
    assert.equal(rolledLines(out).length, 1, 'the DEBUG line was filtered out')
    const m = /^\{(.*)\} (.*)$/.exec(line)
    assert.ok(m !== null, line)
    const headers = Object.fromEntries(
      (m[1] as string).split(', ').map((kv) => kv.split('=') as [string, string]),
    )
    assert.equal(m[2], '2012-10-18 18:47 INFO login user=bob password=***')
    assert.ok(Number(headers.timestamp) >= before && Number(headers.timestamp) <= Date.now())
    assert.match(headers.agenthost ?? '', /^\d+\.\d+\.\d+\.\d+$/)
    assert.equal(headers.datacenter, 'NYC_01')
    assert.equal(headers.tmp, undefined, 'removed by remove_header')
    assert.match(
      headers.eventId ?? '',
      /^ev-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    assert.equal(headers.eventtime, String(Date.UTC(2012, 9, 18, 18, 47)))
    assert.equal(headers.level, 'INFO')
    c.end()
    assert.equal((await agent.stop()).code, 0)
  })
})

describe('serializers', () => {
  for (const codec of ['null', 'deflate', 'snappy']) {
    it(`avro_event (${codec}) writes an Avro container of Flume events that reads back exactly`, async () => {
      const dir = tempDir()
      const out = join(dir, 'out')
      const agent = await startAgent(
        `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 1000
a1.sources.r1.batchSize = 100
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = st
a1.sources.r1.interceptors.st.type = static
a1.sources.r1.interceptors.st.key = logType
a1.sources.r1.interceptors.st.value = app
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = avro_event
a1.sinks.k1.sink.serializer.compressionCodec = ${codec}
a1.sinks.k1.sink.serializer.syncIntervalBytes = 4096
a1.sinks.k1.sink.pathManager.extension = avro
`,
        { dir },
      )
      await eventually(async () => {
        const f = rolledFiles(out)[0]
        if (f === undefined) return undefined
        const r = await ContainerReader.open(readFileSync(join(out, f)))
        let n = 0
        for await (const b of r.blocks()) n += b.count
        return n === 1000 || undefined
      })
      assert.equal((await agent.stop()).code, 0)
      const files = rolledFiles(out)
      assert.equal(files.length, 1)
      assert.match(files[0] ?? '', /^\d+-1\.avro$/)
      const reader = await ContainerReader.open(readFileSync(join(out, files[0] as string)))
      assert.equal(reader.header.codec, codec)
      const events = []
      for await (const b of reader.blocks()) events.push(...b.events())
      assert.deepEqual(
        events.map((e) => e.body.toString()),
        Array.from({ length: 1000 }, (_, i) => String(i)),
      )
      assert.deepEqual({ ...events[0]?.headers }, { logType: 'app' })
    })
  }

  it('text with appendNewline = false and ROLLTIME naming with prefix and extension', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 10
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.pathManager = ROLLTIME
a1.sinks.k1.sink.pathManager.prefix = events-
a1.sinks.k1.sink.pathManager.extension = log
a1.sinks.k1.sink.serializer = text
a1.sinks.k1.sink.serializer.appendNewline = false
`,
      { dir },
    )
    await eventually(() => {
      const f = rolledFiles(out)[0]
      return f !== undefined && readFileSync(join(out, f), 'utf8') === '0123456789' ? true : undefined
    })
    assert.match(rolledFiles(out)[0] ?? '', /^events-\d{14}-1\.log$/)
    assert.equal((await agent.stop()).code, 0)
  })

  it('rolls a new file every rollInterval, even without events', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const agent = await startAgent(
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 5
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 1
`,
      { dir },
    )
    await eventually(() => (rolledFiles(out).length >= 3 ? true : undefined), 15_000)
    assert.equal((await agent.stop()).code, 0)
    assert.deepEqual(rolledLines(out), ['0', '1', '2', '3', '4'])
    assert.match(rolledFiles(out).join(' '), /^(\d+)-1 \1-2 \1-3/)
  })
})
