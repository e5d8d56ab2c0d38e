// The same input into real Apache Flume 1.11 (Java) and into flumen, with the same configuration: syslogtcp,
// syslogudp, multiport_syslogtcp and http sources → memory → file_roll with header_and_text. The two output
// files must hold the same events. Lines that trigger Flume's documented bugs are checked separately, with
// Flume's value and flumen's fixed one side by side.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { type AgentProcess, eventually, startAgent, tempDir } from '../helpers/cli.ts'
import { readRollDir, type TextEvent } from '../helpers/header-and-text.ts'
import { type FlumeAgent, freePort, startFlumeAgent } from '../peers/index.ts'

const run = promisify(execFile)

interface Ports {
  custom: number
  tcp: number
  udp: number
  m1: number
  m2: number
  http: number
}

function config(p: Ports, out: string): string {
  return `
a1.sources = tcp udp multi http custom
a1.channels = c1
a1.sinks = k1
a1.sources.tcp.type = syslogtcp
a1.sources.tcp.host = 127.0.0.1
a1.sources.tcp.port = ${p.tcp}
a1.sources.tcp.channels = c1
a1.sources.udp.type = syslogudp
a1.sources.udp.host = 127.0.0.1
a1.sources.udp.port = ${p.udp}
a1.sources.udp.keepFields = priority version timestamp hostname
a1.sources.udp.channels = c1
a1.sources.multi.type = multiport_syslogtcp
a1.sources.multi.host = 127.0.0.1
a1.sources.multi.ports = ${p.m1} ${p.m2}
a1.sources.multi.portHeader = port
a1.sources.multi.charset.port.${p.m2} = ISO-8859-1
a1.sources.multi.channels = c1
a1.sources.http.type = http
a1.sources.http.bind = 127.0.0.1
a1.sources.http.port = ${p.http}
a1.sources.http.channels = c1
a1.sources.custom.type = syslogtcp
a1.sources.custom.host = 127.0.0.1
a1.sources.custom.port = ${p.custom}
a1.sources.custom.format.regex = <(\\\\d+)>(\\\\d)?\\\\s?(\\\\d{2}/\\\\d{2}/\\\\d{4} \\\\d{2}:\\\\d{2}:\\\\d{2}) (\\\\S+) (.*)
a1.sources.custom.format.search = /
a1.sources.custom.format.replace = -
a1.sources.custom.format.dateFormat = MM-dd-yyyy HH:mm:ss
a1.sources.custom.channels = c1
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c1.transactionCapacity = 1000
a1.sinks.k1.type = file_roll
a1.sinks.k1.channel = c1
a1.sinks.k1.sink.directory = ${out}
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.sink.serializer = header_and_text
`
}

/** One TCP connection per line: Flume's syslogtcp keeps priority/version across a connection's lines. */
async function sendLine(port: number, data: Buffer | string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(data))
    s.on('error', reject)
    s.on('close', () => resolve())
  })
}

async function sendDatagram(port: number, data: string): Promise<void> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.send(data, port, '127.0.0.1', () => r()))
  s.close()
}

// Lines both must read identically (no trigger of a documented Flume bug).
const TCP_LINES = [
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
  '<165>1 2003-08-24T05:14:15Z 192.0.2.1 myproc 8710 - - no fraction, offset',
  '<13>1 2023-06-15T10:00:00+02:00 host app - - - nofrac',
  '<13>1 2023-06-15T10:00:00.123456Z host app - - - micro Z',
  '<13>1 - host app - - - nilstamp',
  '<13>1 2023-06-15T10:00:00Z - app nil host',
  '<13>Jun  5 09:08:07 host1 app[123]: hello',
  '<13>hello world',
  'hello world no pri',
  '<abc>hi',
  '<1234>hi',
  '<13>1 - host app ünïcødé ☃ 😀',
  '<13>1 - host app trailing cr\r',
  '<13>1 - host app line\u2028separator',
  '<13>1\t-\thost\u000bapp tabs and vt',
  '<191>1 2023-06-15T10:00:00Z host ',
]

describe('network sources: flumen and Java Flume 1.11 side by side', () => {
  let flume: FlumeAgent
  let flumen: AgentProcess
  const outs = { java: '', ts: '' }
  const jp: Ports = { custom: 0, tcp: 0, udp: 0, m1: 0, m2: 0, http: 0 }
  const tp: Ports = { custom: 0, tcp: 0, udp: 0, m1: 0, m2: 0, http: 0 }

  before(async () => {
    for (const p of [jp, tp]) for (const k of Object.keys(p) as (keyof Ports)[]) p[k] = await freePort()
    const dir = tempDir('flumen-interop-net-')
    outs.java = join(dir, 'java')
    outs.ts = join(dir, 'flumen')
    mkdirSync(outs.java)
    mkdirSync(outs.ts)
    const [f, t] = await Promise.all([
      startFlumeAgent({ config: config(jp, outs.java), javaOpts: ['-Duser.timezone=UTC'] }),
      startAgent(config(tp, outs.ts), { env: { TZ: 'UTC' } }),
    ])
    flume = f
    flumen = t
  })

  after(async () => {
    await Promise.all([flume?.stop(), flumen?.stop()])
  })

  /** Sends the same thing to both agents (each on its own ports). */
  async function both(send: (p: Ports) => Promise<void>): Promise<void> {
    await Promise.all([send(jp), send(tp)])
  }

  async function outputs(n: number): Promise<{ java: TextEvent[]; ts: TextEvent[] }> {
    const java = await eventually(() => {
      const e = readRollDir(outs.java)
      return e.length >= n ? e : undefined
    }, 30_000)
    const ts = await eventually(() => {
      const e = readRollDir(outs.ts)
      return e.length >= n ? e : undefined
    }, 30_000)
    return { java, ts }
  }

  const key = (e: TextEvent) => JSON.stringify([e.body, Object.entries(e.headers).sort()])
  const sorted = (es: TextEvent[]) => [...es].sort((a, b) => (key(a) < key(b) ? -1 : 1))
  const strip = (es: TextEvent[], port: number, name: string) =>
    es.map((e) => ({
      ...e,
      headers: e.headers.port === String(port) ? { ...e.headers, port: name } : e.headers,
    }))

  it('syslogtcp, syslogudp, multiport, http: the same events from the same input', async () => {
    for (const line of TCP_LINES) await both((p) => sendLine(p.tcp, `${line}\n`))
    // keepFields with every field on UDP: the body is rebuilt from the parts.
    for (const line of TCP_LINES.slice(0, 7)) await both((p) => sendDatagram(p.udp, `${line}\n`))
    // A real sender, logger, RFC 3164 (second resolution, so both agents read the same stamp).
    await both((p) =>
      run('logger', [
        '-n',
        '127.0.0.1',
        '-P',
        String(p.tcp),
        '-T',
        '--rfc3164',
        '-t',
        'lg',
        '-p',
        'daemon.warning',
        'from logger',
      ]).then(() => {}),
    )
    // multiport: UTF-8 port and an ISO-8859-1 port (body kept in that charset), a line cut at eventSize.
    await both((p) =>
      sendLine(p.m1, '<13>1 2023-06-15T10:00:00.5+02:00 h app multi frac\n<13>1 - h app multi nil\n'),
    )
    await both((p) =>
      sendLine(p.m2, Buffer.from('<13>1 2023-06-15T10:00:00Z h app caf\u00e9 latin1\n', 'latin1')),
    )
    await both((p) => sendLine(p.m1, `<13>1 2023-06-15T10:00:00Z h app ${'x'.repeat(3000)}\n`))
    // http: headers, non-ASCII bodies, numbers as values; an explicit UTF-8 charset.
    const json = JSON.stringify([
      { headers: { a: 'b', ü: 'ö' }, body: 'héllo ☃' },
      { headers: { id: '2' } },
      { body: 'no headers' },
    ]).replace('"id":"2"', '"id":2.50')
    await both((p) =>
      run('curl', [
        '-s',
        '-f',
        '-H',
        'Content-Type: application/json; charset=UTF-8',
        '--data-binary',
        json,
        `http://127.0.0.1:${p.http}/`,
      ]).then(() => {}),
    )
    // A custom layout (format.*), and a standard line on the same source.
    await both((p) => sendLine(p.custom, '<13>06/15/2023 10:00:00 device7 custom body\n'))
    await both((p) => sendLine(p.custom, '<13>1 2023-06-15T10:00:00Z host app standard on custom\n'))
    const total = TCP_LINES.length + 7 + 1 + 2 + 1 + 2 + 3 + 2
    const { java, ts } = await outputs(total)
    assert.equal(java.length, total)
    assert.equal(ts.length, total)
    // Documented difference: with keepFields, Flume writes a nil stamp or host as "null", flumen as "-".
    const nulls = java.filter((e) => /^<\d+>1 (null |\S+ null )/.test(e.body))
    assert.deepEqual(nulls.map((e) => e.body).sort(), [
      '<13>1 2023-06-15T10:00:00Z null app nil host',
      '<13>1 null host app - - - nilstamp',
    ])
    for (const e of nulls) (e as { body: string }).body = e.body.replace(/^(<\d+>1 (\S+ )?)null /, '$1- ')
    const j = sorted(strip(strip(java, jp.m1, 'm1'), jp.m2, 'm2'))
    const t = sorted(strip(strip(ts, tp.m1, 'm1'), tp.m2, 'm2'))
    // Stamps Flume reads from the clock (RFC 3164 year, `-` in multiport) may differ by the send delay.
    const loose = (e: TextEvent) => e.body.includes('multi nil') || e.body.includes('from logger')
    assert.deepEqual(
      t.map((e) => (loose(e) ? { ...e, headers: { ...e.headers, timestamp: '~' } } : e)),
      j.map((e) => (loose(e) ? { ...e, headers: { ...e.headers, timestamp: '~' } } : e)),
    )
  })

  it('documented Flume bugs: fractional stamps, RFC 3164 years in multiport, stale priority', async () => {
    // Fraction + offset on syslogtcp: Flume reads `.5` as 5 ms and ignores the offset.
    await both((p) => sendLine(p.tcp, '<13>1 2023-06-15T10:00:00.5+02:00 host app bug frac\n'))
    // A stamp months away on multiport: Flume's year becomes 1999 or 2001.
    const far = new Date(Date.now() - 150 * 86400_000)
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
    const stamp = `${months[far.getUTCMonth()]} ${String(far.getUTCDate()).padStart(2, ' ')} 10:00:00`
    await both((p) => sendLine(p.m1, `<13>${stamp} h app bug year\n`))
    // Two lines on one connection, the second without a PRI: Flume stamps it with the first one's priority.
    await both((p) => sendLine(p.tcp, '<99>1 - host app first\nbug stale no pri\n'))
    const pick = (es: TextEvent[], s: string) => es.find((e) => e.body.includes(s))?.headers
    const { java, ts } = await eventually(async () => {
      const o = { java: readRollDir(outs.java), ts: readRollDir(outs.ts) }
      return ['bug frac', 'bug year', 'bug stale'].every((s) => pick(o.java, s) && pick(o.ts, s))
        ? o
        : undefined
    }, 30_000)
    assert.equal(pick(java, 'bug frac')?.timestamp, '1686823200005')
    assert.equal(pick(ts, 'bug frac')?.timestamp, '1686816000500')
    const jy = new Date(Number(pick(java, 'bug year')?.timestamp)).getUTCFullYear()
    const ty = new Date(Number(pick(ts, 'bug year')?.timestamp)).getUTCFullYear()
    assert.ok(jy === 1999 || jy === 2001, `Flume's year ${jy}`)
    assert.equal(ty, far.getUTCFullYear())
    assert.equal(pick(java, 'bug stale')?.priority, '99')
    assert.equal(pick(ts, 'bug stale')?.priority, undefined)
    assert.equal(pick(ts, 'bug stale')?.['flume.syslog.status'], 'Invalid')
  })
})
