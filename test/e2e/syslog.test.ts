// The syslog sources in a real agent (the built CLI), fed by real senders nobody here wrote: util-linux
// `logger` (TCP and UDP; RFC 3164, RFC 5424, octet counting) and syslog-ng's `loggen` for a load run.
// Output goes through a memory channel to file_roll with header_and_text, which the test reads back.
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { type AgentProcess, eventually, fetchJson, freePort, startAgent, tempDir } from '../helpers/cli.ts'
import { readRollDir, type TextEvent } from '../helpers/header-and-text.ts'

const run = promisify(execFile)

function requireTool(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' })
  } catch {
    throw new Error(`'${tool}' is not installed: apt-get install -y ${pkg} (.ci/run provisions it)`)
  }
}

describe('syslog sources with real senders', () => {
  let agent: AgentProcess
  let out: string
  const ports = { tcp: 0, tcpNewline: 0, udp: 0, m1: 0, m2: 0, custom: 0, metrics: 0 }
  const host = hostname()

  before(async () => {
    requireTool('logger', 'bsdutils')
    requireTool('loggen', 'syslog-ng-core')
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort()
    const dir = tempDir('flumen-syslog-e2e-')
    out = join(dir, 'out')
    mkdirSync(out)
    agent = await startAgent(
      `
a1.sources = tcp nl udp multi custom
a1.channels = c1
a1.sinks = k1
a1.sources.custom.type = syslogtcp
a1.sources.custom.host = 127.0.0.1
a1.sources.custom.port = ${ports.custom}
a1.sources.custom.format.regex = <(\\\\d+)>(\\\\d)?\\\\s?(\\\\d{2}/\\\\d{2}/\\\\d{4} \\\\d{2}:\\\\d{2}:\\\\d{2}) (\\\\S+) (.*)
a1.sources.custom.format.search = /
a1.sources.custom.format.replace = -
a1.sources.custom.format.dateFormat = MM-dd-yyyy HH:mm:ss
a1.sources.custom.channels = c1
a1.sources.tcp.type = syslogtcp
a1.sources.tcp.host = 127.0.0.1
a1.sources.tcp.port = ${ports.tcp}
a1.sources.tcp.clientIPHeader = clientip
a1.sources.tcp.channels = c1
a1.sources.nl.type = org.apache.flume.source.SyslogTcpSource
a1.sources.nl.host = 127.0.0.1
a1.sources.nl.port = ${ports.tcpNewline}
a1.sources.nl.framing = newline
a1.sources.nl.keepFields = true
a1.sources.nl.channels = c1
a1.sources.udp.type = syslogudp
a1.sources.udp.host = 127.0.0.1
a1.sources.udp.port = ${ports.udp}
a1.sources.udp.keepFields = hostname
a1.sources.udp.channels = c1
a1.sources.multi.type = multiport_syslogtcp
a1.sources.multi.host = 127.0.0.1
a1.sources.multi.ports = ${ports.m1} ${ports.m2}
a1.sources.multi.portHeader = port
a1.sources.multi.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 100000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = 1000
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`,
      { dir, sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(ports.metrics) } },
    )
  })

  after(async () => {
    await agent?.stop()
  })

  /** Waits for events whose body contains `marker`. */
  async function events(marker: string, n = 1): Promise<TextEvent[]> {
    return eventually(() => {
      const got = readRollDir(out).filter((e) => e.body.includes(marker))
      return got.length >= n ? got : undefined
    })
  }

  const logger = (...args: string[]) => run('logger', ['-n', '127.0.0.1', ...args])

  it('logger over TCP, RFC 5424: lower-case priority/version, microsecond stamp truncated to ms', async () => {
    const before = Date.now()
    await logger(
      '-P',
      String(ports.tcp),
      '-T',
      '--rfc5424',
      '-t',
      'mytag',
      '-p',
      'local0.info',
      'hello 5424 tcp ünïcødé',
    )
    const [e] = await events('hello 5424 tcp')
    assert.deepEqual(
      { ...e?.headers, timestamp: undefined },
      {
        Facility: '16',
        Severity: '6',
        priority: '134',
        version: '1',
        host,
        clientip: '127.0.0.1',
        timestamp: undefined,
      },
    )
    const ts = Number(e?.headers.timestamp)
    assert.ok(ts >= before - 1000 && ts <= Date.now(), `timestamp ${ts}`)
    assert.match(
      e?.body ?? '',
      /^mytag - - \[timeQuality tzKnown="1" isSynced="\d"( syncAccuracy="\d+")?\] hello 5424 tcp ünïcødé$/,
    )
  })

  it('a custom layout from the config file (format.regex with doubled backslashes, as in Flume)', async () => {
    await new Promise<void>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port: ports.custom }, () =>
        c.end('<13>06/15/2023 10:00:00 device7 custom layout body\n'),
      )
      c.on('error', reject)
      c.on('close', () => resolve())
    })
    const [e] = await events('custom layout body')
    assert.equal(e?.headers.host, 'device7')
    assert.equal(e?.headers.priority, '13')
    assert.equal(e?.headers.timestamp, String(new Date(2023, 5, 15, 10, 0, 0).getTime()))
    assert.equal(e?.body, 'custom layout body')
  })

  it('logger over TCP, RFC 3164 and octet-counted RFC 5424', async () => {
    await logger('-P', String(ports.tcp), '-T', '--rfc3164', '-t', 'bsd', '-p', 'auth.err', 'hello 3164 tcp')
    const [a] = await events('hello 3164 tcp')
    assert.equal(a?.headers.priority, '35')
    assert.equal(a?.headers.Facility, '4')
    assert.equal(a?.headers.Severity, '3')
    assert.equal(a?.headers.version, undefined)
    assert.equal(a?.headers.host, host)
    assert.ok(Math.abs(Number(a?.headers.timestamp) - Date.now()) < 5000)
    assert.equal(a?.body, 'bsd: hello 3164 tcp')
    await logger(
      '-P',
      String(ports.tcp),
      '-T',
      '--octet-count',
      '--rfc5424=notq',
      '-t',
      'oc',
      'hello octet one',
    )
    await logger(
      '-P',
      String(ports.tcp),
      '-T',
      '--octet-count',
      '--rfc5424=notq',
      '-t',
      'oc',
      'hello octet two',
    )
    const [o] = await events('hello octet one')
    assert.equal(o?.headers.version, '1')
    assert.equal(o?.body, 'oc - - - hello octet one')
    assert.equal((await events('hello octet two'))[0]?.body, 'oc - - - hello octet two')
  })

  it('framing = newline behaves like Flume: an octet-counted message is one Invalid event', async () => {
    await logger(
      '-P',
      String(ports.tcpNewline),
      '-T',
      '--octet-count',
      '--rfc5424=notq',
      '-t',
      'oc',
      'octet on newline port',
    )
    await logger('-P', String(ports.tcpNewline), '-T', '--rfc5424=notq', '-t', 'nl', 'plain on newline port')
    const [bad] = await events('octet on newline port')
    assert.equal(bad?.headers['flume.syslog.status'], 'Invalid')
    assert.match(bad?.body ?? '', /^\d+ <13>1 /)
    // keepFields = true: the whole line is the body.
    const [good] = await events('plain on newline port')
    assert.match(good?.body ?? '', /^<13>1 \S+ \S+ nl - - - plain on newline port$/)
  })

  it('logger over UDP, RFC 5424 with structured data and RFC 3164; keepFields = hostname', async () => {
    await logger(
      '-P',
      String(ports.udp),
      '-d',
      '--rfc5424=notq',
      '--sd-id',
      'exampleSDID@32473',
      '--sd-param',
      'iut="3"',
      '--msgid',
      'ID47',
      '-t',
      'app',
      'hello udp 5424',
    )
    await logger('-P', String(ports.udp), '-d', '--rfc3164', '-t', 'app', 'hello udp 3164')
    const [a] = await events('hello udp 5424')
    assert.equal(a?.headers.priority, '13')
    assert.equal(a?.body, `${host} app - ID47 [exampleSDID@32473 iut="3"] hello udp 5424`)
    const [b] = await events('hello udp 3164')
    assert.equal(b?.body, `${host} app: hello udp 3164`)
  })

  it('logger into multiport_syslogtcp: capitalised Priority/Version and the port header', async () => {
    await logger('-P', String(ports.m1), '-T', '--rfc5424=notq', '-t', 'm', 'hello multi one')
    await logger('-P', String(ports.m2), '-T', '--rfc3164', '-t', 'm', 'hello multi two')
    const [a] = await events('hello multi one')
    assert.equal(a?.headers.Priority, '13')
    assert.equal(a?.headers.Version, '1')
    assert.equal(a?.headers.port, String(ports.m1))
    assert.equal(a?.body, 'm - - - hello multi one')
    const [b] = await events('hello multi two')
    assert.equal(b?.headers.port, String(ports.m2))
    assert.equal(b?.headers.Version, undefined)
    assert.ok(
      Math.abs(Number(b?.headers.timestamp) - Date.now()) < 24 * 3600_000,
      'RFC 3164 read in UTC, current year',
    )
  })

  it('loggen at full rate over TCP (newline and octet-counted) and UDP: every message arrives once', async () => {
    const n = 20_000
    const wait = <T>(pick: (all: TextEvent[]) => T[], want: number) =>
      eventually(
        () => {
          const got = pick(readRollDir(out))
          return got.length >= want ? got : undefined
        },
        60_000,
        250,
      )
    // loggen's legacy layout (`<38>2026-…T…:… localhost prg00000[1234]: seq: …`), newline framed, 2 connections.
    await run('loggen', [
      '-S',
      '-n',
      String(n / 2),
      '-r',
      '1000000',
      '-s',
      '300',
      '--active-connections',
      '2',
      '-Q',
      '127.0.0.1',
      String(ports.tcp),
    ])
    const legacy = await wait((all) => all.filter((e) => e.headers.priority === '38'), n)
    const key = (e: TextEvent) => /seq: (\d+), thread: (\d+)/.exec(e.body)?.slice(1).join(':')
    assert.equal(legacy.length, n)
    assert.equal(new Set(legacy.map(key)).size, n, 'no duplicates, none missing')
    assert.ok(legacy.every((e) => e.headers.host === 'localhost' && e.body.startsWith('prg')))
    // RFC 5424 with octet framing (loggen counts its trailing newline into the frame).
    await run('loggen', [
      '-S',
      '-P',
      '-n',
      String(n),
      '-r',
      '1000000',
      '-s',
      '300',
      '-Q',
      '127.0.0.1',
      String(ports.m1),
    ])
    const octet = await wait((all) => all.filter((e) => e.headers.Priority === '38'), n)
    assert.equal(octet.length, n)
    assert.equal(new Set(octet.map(key)).size, n)
    assert.ok(
      octet.every(
        (e) =>
          e.headers.Version === '1' && e.headers.host === 'localhost' && !e.headers['flume.syslog.status'],
      ),
    )
    // UDP: loggen sends in bursts, and the kernel drops what does not fit the socket buffer before the
    // agent sees it (counted in /proc/net/snmp RcvbufErrors, not by the agent). So: most arrive, and
    // everything the source received reached the channel.
    const metrics = async () => (await fetchJson(`http://127.0.0.1:${ports.metrics}/metrics`))['SOURCE.udp']
    const before = Number((await metrics())?.EventReceivedCount)
    await run('loggen', ['-D', '-n', '5000', '-r', '2000', '-s', '200', '-Q', '127.0.0.1', String(ports.udp)])
    const m = await eventually(async () => {
      const udp = await metrics()
      return udp !== undefined && Number(udp.EventReceivedCount) - before >= 4500 ? udp : undefined
    })
    assert.equal(m.EventDropCount, '0')
    assert.equal(m.EventAcceptedCount, m.EventReceivedCount)
    const tcp = (await fetchJson(`http://127.0.0.1:${ports.metrics}/metrics`))['SOURCE.tcp']
    assert.equal(tcp?.EventDropCount, '0')
    assert.equal(tcp?.ChannelWriteFail, '0')
  })
})
