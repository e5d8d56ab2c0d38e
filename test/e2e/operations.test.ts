// Operating an agent: `flumen top`, the systemd unit in contrib/ (checked by systemd-analyze, and its
// ExecStart/ExecReload/stop commands run for real), and the command-line contract for reload options.

import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { AgentProcess, BIN, eventually, freePort, ROOT, runCli, startAgent, tempDir } from '../helpers/cli.ts'

const UNIT = join(ROOT, 'contrib/systemd/flumen@.service')
const ENV_EXAMPLE = join(ROOT, 'contrib/systemd/flumen.env.example')

const pipeline = `
a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = org.apache.flume.source.StressSource
a1.sources.r1.maxEventsPerSecond = 1000
a1.sources.r1.batchSize = 50
a1.sources.r1.size = 10
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 5000
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`

describe('flumen top', () => {
  it('prints a frame with the live figures of a running agent (--once)', async () => {
    const mon = await freePort()
    const agent = await startAgent(pipeline, {
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
    try {
      const r = await runCli(['top', '--once', '--url', `127.0.0.1:${mon}`])
      assert.equal(r.code, 0, r.stderr)
      const lines = r.stdout.split('\n')
      assert.match(lines[0] ?? '', new RegExp(`^flumen top — a1 @ http://127\\.0\\.0\\.1:${mon} .* READY$`))
      assert.equal(lines[1], 'No backpressure.')
      assert.match(lines[2] ?? '', /^Reloads: not watching · 0 reloads, 0 refused$/)
      assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colors when not on a terminal')
      const row = (id: string) => (lines.find((l) => l.startsWith(`${id} `)) ?? '').split(/\s{2,}/)
      const src = row('SOURCE.r1')
      assert.equal(src[1], 'StressSource')
      assert.equal(src[2], 'running')
      const out = Number(src[4]?.replace(/,/g, ''))
      assert.ok(out > 500 && out < 1500, `source rate ${out}`)
      const ch = row('CHANNEL.c1')
      assert.match(ch.join('  '), /\[\.+\]\s+0\.\d%\s+∞$/)
      assert.ok(Number(row('SINK.k1')[4]?.replace(/,/g, '')) > 500)
      assert.match(r.stdout, /Recent errors\n {2}none/)
    } finally {
      await agent.stop()
    }
  })

  it('streams frames until interrupted, and reports an agent it cannot reach', async () => {
    const mon = await freePort()
    const agent = await startAgent(pipeline, {
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
    try {
      const child = spawn(process.execPath, [BIN, 'top', '--url', `http://127.0.0.1:${mon}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
      })
      await eventually(() => (out.match(/^flumen top — a1/gm)?.length ?? 0) >= 3, 10_000)
      child.kill('SIGINT')
      const code = await new Promise((r) => child.on('close', r))
      assert.equal(code, 0)
    } finally {
      await agent.stop()
    }
    const closed = await freePort()
    const r = await runCli(['top', '--once', '--url', `http://127.0.0.1:${closed}`])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cannot read http:\/\/127\.0\.0\.1:\d+\/api\/events: .*ECONNREFUSED/)
    assert.equal((await runCli(['top', '--url', 'ftp://x'])).code, 2)
  })
})

describe('agent reload options', () => {
  it('rejects a bad poll interval and documents the reload flags', async () => {
    const r = await runCli(['agent', '-n', 'a1', '-f', '/nonexistent.conf', '-i', '0'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--poll-interval must be a positive number of seconds/)
    const help = await runCli(['agent', '--help'])
    assert.match(help.stdout, /--no-reload-conf/)
    assert.match(help.stdout, /-i, --poll-interval <s>/)
    assert.match((await runCli(['help'])).stdout, /top +live view of a running agent/)
  })
})

describe('systemd unit (contrib/systemd)', () => {
  it('passes systemd-analyze verify', () => {
    const dir = tempDir()
    try {
      // The unit names the installed binary; verify checks it is executable, so point it at ours.
      const unit = readFileSync(UNIT, 'utf8').replace('/usr/local/bin/flumen', BIN)
      writeFileSync(join(dir, 'flumen@.service'), unit)
      const r = spawnSync('systemd-analyze', ['verify', join(dir, 'flumen@a1.service')], { encoding: 'utf8' })
      assert.equal(r.error, undefined, 'systemd-analyze is missing (Debian package systemd)')
      assert.equal(r.status, 0, r.stderr)
      assert.equal(r.stderr.trim(), '', 'no warnings')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('its ExecStart, ExecReload and stop signal work as written', async () => {
    const unit = readFileSync(UNIT, 'utf8')
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? ''
    assert.match(/^ExecReload=(.*)$/m.exec(unit)?.[1] ?? '', /^\/bin\/kill -HUP \$MAINPID$/)
    assert.match(unit, /^KillSignal=SIGTERM$/m)
    const opts = /^FLUMEN_OPTS=(.*)$/m.exec(readFileSync(ENV_EXAMPLE, 'utf8'))?.[1] ?? ''
    const dir = tempDir()
    const mon = await freePort()
    copyFileSync(UNIT, join(dir, 'unit'))
    writeFileSync(join(dir, 'a1.conf'), pipeline)
    // Expand it as systemd would for flumen@a1 with the example environment file (our port, our paths).
    const argv = execStart
      .replace('$FLUMEN_OPTS', opts.replace('41414', String(mon)))
      .replaceAll('%i', 'a1')
      .replace('/etc/flumen/', `${dir}/`)
      .split(/\s+/)
    assert.equal(argv[0], '/usr/local/bin/flumen')
    const child = spawn(process.execPath, [BIN, ...argv.slice(1)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const agent = new AgentProcess(child, dir)
    try {
      await agent.waitFor(/Agent ready/)
      assert.equal((await fetch(`http://127.0.0.1:${mon}/ready`)).status, 200)
      writeFileSync(join(dir, 'a1.conf'), pipeline.replace('capacity = 5000', 'capacity = 6000'))
      child.kill('SIGHUP') // ExecReload
      await agent.waitFor(/Configuration reloaded .*reconfigured=\["CHANNEL\.c1"\]/)
      const r = await agent.stop('SIGTERM')
      assert.equal(r.code, 0)
      assert.match(agent.output(), /Agent stopped/)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
