// Configuration handling through the real CLI: a config with every kind of error, `flumen check`,
// `--strict`, Flume's lenient rule in agent mode, multiple -f files, substitution and the CLI surface.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { eventually, fetchJson, freePort, runCli, startAgent, tempDir, writeConfig } from '../helpers/cli.ts'
import { rolledLines } from '../helpers/files.ts'

// One file with at least one instance of every problem class; line numbers are asserted below.
const BROKEN = (out: string) => `# line 1
a1.sources = good bad_channels no_type r_bs sel
a1.channels = c1 c_bad c_missing
a1.sinks = k1 k_nochan k_wrongkey k_bs
a1.sinkgroups = g1
a1.unknown = x
a1.sources.good.type = seq
a1.sources.good.totalEvents = 3
a1.sources.good.channels = c1 nope
a1.sources.bad_channels.type = seq
a1.sources.bad_channels.channel = c1
a1.sources.no_type.channels = c1
a1.sources.r_bs.type = seq
a1.sources.r_bs.batchSize = 500
a1.sources.r_bs.channels = c1
a1.sources.sel.type = seq
a1.sources.sel.channels = c1
a1.sources.sel.selector.type = multiplexing
a1.sources.sel.selector.mapping.x = c1  c1
a1.channels.c1.type = memory
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.capcity = 10
a1.channels.c_bad.type = memory
a1.channels.c_bad.capacity = 10
a1.channels.c_bad.transactionCapacity = 20
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k_nochan.type = null
a1.sinks.k_wrongkey.type = null
a1.sinks.k_wrongkey.channels = c1
a1.sinks.k_bs.type = null
a1.sinks.k_bs.channel = c1
a1.sinks.k_bs.batchSize = 1000
a1.sinkgroups.g1.sinks = k_bs k_nochan
a1.sinkgroups.g1.processor.type = failover
a1.sources.good.empty =
`

describe('configuration errors', () => {
  it('flumen check lists every problem with file:line and exits 1', async () => {
    const dir = tempDir()
    const f = writeConfig(dir, 'broken.conf', BROKEN(join(dir, 'out')))
    const r = await runCli(['check', '-f', f, '-n', 'a1'])
    assert.equal(r.code, 1, r.stdout)
    const expect: [number, RegExp][] = [
      [6, /warning: 'a1.unknown' is not a valid agent property/],
      [9, /warning: source 'good' names channel 'nope'.* \(CHANNEL_NOT_FOUND\)/],
      [10, /error: source 'bad_channels' has no channels \(it sets 'channel'; sources use 'channels'\)/],
      [3, /error: channel 'c_missing' is listed but has no properties; dropped/],
      [12, /error: source 'no_type' has no type; dropped/],
      [30, /error: sink 'k_nochan' has no channel; dropped/],
      [31, /error: sink 'k_wrongkey' has no channel \(it sets 'channels'; sinks use 'channel'\)/],
      [
        13,
        /error: Incompatible source and channel settings: source 'r_bs' batch size 500 is greater than channel 'c1' transactionCapacity 100/,
      ],
      [18, /error: .*empty name \(two spaces in a row/],
      [25, /error: transactionCapacity \(20\) cannot be higher than capacity \(10\)/],
      [22, /warning: unknown property 'capcity' for channel type 'memory'/],
      [33, /error: Incompatible sink and channel settings: sink 'k_bs' batch size 1000/],
      [36, /error: sink group 'g1' lists 'k_nochan', which is not a valid sink/],
      [38, /PROPERTY_VALUE_NULL/],
    ]
    for (const [line, re] of expect) {
      const hit = r.stdout.split('\n').find((l) => l.startsWith(`${f}:${line}: `) && re.test(l))
      assert.ok(hit !== undefined, `expected ${f}:${line}: ${re}\n--- got:\n${r.stdout}`)
    }
    assert.match(r.stdout, /\d+ error\(s\), \d+ warning\(s\)/)
  })

  it("agent mode drops the broken components, logs each at ERROR and runs the rest (Flume's lenient rule)", async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const mon = await freePort()
    const agent = await startAgent(BROKEN(out), {
      dir,
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
    await eventually(() => (rolledLines(out).length === 3 ? true : undefined))
    assert.deepEqual(rolledLines(out), ['0', '1', '2'])
    assert.match(agent.output(), /ERROR .*agent\.conf:12: error: source 'no_type' has no type; dropped/)
    const metrics = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
    assert.deepEqual(Object.keys(metrics).sort(), ['CHANNEL.c1', 'SINK.k1', 'SOURCE.good'])
    const prom = await (await fetch(`http://127.0.0.1:${mon}/prometheus`)).text()
    assert.match(prom, /flumen_agent_config_errors_total [1-9]\d*/)
    assert.equal((await agent.stop()).code, 0)
  })

  it('agent --strict refuses to start on any configuration error', async () => {
    const dir = tempDir()
    const f = writeConfig(dir, 'broken.conf', BROKEN(join(dir, 'out')))
    const r = await runCli(['agent', '-n', 'a1', '-f', f, '--strict'])
    assert.equal(r.code, 1)
    assert.match(r.stdout, /Configuration has errors and --strict is set; not starting/)
  })

  it('an unknown component type or class stops the agent at startup, as in Flume, with file:line', async () => {
    const dir = tempDir()
    const f = writeConfig(
      dir,
      'x.conf',
      'a1.sources = r1\na1.channels = c1\na1.sinks = k1\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\na1.sinks.k1.type = com.example.CustomSink\na1.sinks.k1.channel = c1\n',
    )
    const r = await runCli(['agent', '-n', 'a1', '-f', f])
    assert.equal(r.code, 1)
    assert.match(r.stdout, new RegExp(`${f}:7: fatal: Unknown sink type 'com\\.example\\.CustomSink'`))
    const c = await runCli(['check', '-f', f])
    assert.equal(c.code, 1)
    const h = writeConfig(
      dir,
      'h.conf',
      'a1.sources = r1\na1.channels = c1\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\na1.sinks = k1\na1.sinks.k1.type = hbase\na1.sinks.k1.channel = c1\n',
    )
    assert.match(
      (await runCli(['check', '-f', h])).stdout,
      /sink type 'hbase' is the HBase sink, which flumen does not implement/,
    )
  })

  it('a missing file, a malformed \\u escape and an unknown agent name are fatal with a clear message', async () => {
    const dir = tempDir()
    const missing = await runCli(['agent', '-n', 'a1', '-f', join(dir, 'nope.conf')])
    assert.equal(missing.code, 1)
    assert.match(missing.stdout, /cannot read config file .*nope\.conf: ENOENT/)
    const bad = writeConfig(dir, 'bad.conf', 'a1.channels = c1\na1.x = \\u12G4\n')
    const b = await runCli(['check', '-f', bad])
    assert.equal(b.code, 1)
    assert.match(b.stdout, new RegExp(`${bad}:2: fatal: .*\\\\u`))
    const ok = writeConfig(
      dir,
      'ok.conf',
      'a1.sources = r1\na1.channels = c1\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\n',
    )
    const wrong = await runCli(['agent', '-n', 'agent1', '-f', ok])
    assert.equal(wrong.code, 1)
    assert.match(wrong.stdout, /No configuration found for agent 'agent1'; the files configure: a1/)
  })
})

describe('configuration features', () => {
  it('merges several -f files (later wins), builds only the -n agent, and substitutes variables', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    writeConfig(
      dir,
      'base.conf',
      `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.totalEvents = 1
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = \${sys:out.dir}
a1.sinks.k1.sink.rollInterval = 0
a1.sources.r1.interceptors = st
a1.sources.r1.interceptors.st.type = static
a1.sources.r1.interceptors.st.key = env
a1.sources.r1.interceptors.st.value = \${env:FLUMEN_TEST_ENV:-unset}-\${COUNT}
a1.sinks.k1.sink.serializer = header_and_text
# Another agent in the same file is validated but never built.
a2.sources = x
a2.channels = y
a2.sources.x.type = netcat
`,
    )
    writeConfig(dir, 'override.conf', 'a1.sources.r1.totalEvents = 4\nCOUNT = four\n')
    const agent = await startAgent('', {
      dir,
      args: ['-f', join(dir, 'base.conf'), '-f', join(dir, 'override.conf')],
      sys: { 'out.dir': out },
      env: { FLUMEN_TEST_ENV: 'prod' },
    })
    await eventually(() => (rolledLines(out).length === 4 ? true : undefined))
    assert.equal(rolledLines(out)[0], '{env=prod-four} 0')
    assert.equal((await agent.stop()).code, 0)
  })

  it("flume-ng is the same program, with Flume's flags; JVM options are accepted and ignored", async () => {
    const dir = tempDir()
    const f = writeConfig(
      dir,
      'a.conf',
      'a1.sources = r1\na1.channels = c1\na1.sources.r1.type = seq\na1.sources.r1.channels = c1\na1.channels.c1.type = memory\n',
    )
    const r = await runCli([
      'agent',
      '--conf',
      dir,
      '--conf-file',
      f,
      '--name',
      'a1',
      '-Xmx20m',
      '-Dflume.root.logger=DEBUG,console',
      '--dryrun',
    ])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /"sources": \[\s*\{\s*"name": "r1",\s*"type": "seq"/)
    const v = await runCli(['version'])
    assert.match(v.stdout, /^flumen \d+\.\d+\.\d+/)
    const h = await runCli(['agent', '--help'])
    assert.match(h.stdout, /-n, --name <agent>/)
    const bad = await runCli(['agent', '--bogus'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /unknown option --bogus/)
  })
})
