// syslogtcp / multiport_syslogtcp / syslogudp in the test process, on real sockets and a real memory
// channel: push back on a full channel, drops counted on UDP, hostile connections, TLS keystores.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import { buildSource, drain } from '../../test/helpers/build-source.ts'
import { eventually, freePort, tempDir } from '../../test/helpers/cli.ts'
import { memoryChannel } from '../../test/helpers/fakes.ts'
import type { Event } from '../core/event.ts'
import { spec as multiportSpec } from './multiport-syslog-tcp.ts'
import { spec as tcpSpec } from './syslog-tcp.ts'
import { spec as udpSpec } from './syslog-udp.ts'

function send(port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(data))
    s.on('error', reject)
    s.on('close', () => resolve())
  })
}

const bodies = (events: Event[]) => events.map((e) => e.body.toString('utf8'))

describe('syslogtcp source', () => {
  it('pushes back on a full channel and loses nothing', async () => {
    const ch = await memoryChannel('c1', 1000, 100, 1)
    const port = await freePort()
    const b = await buildSource(tcpSpec, { host: '127.0.0.1', port: String(port) }, [ch])
    await b.source.start?.()
    try {
      const n = 200_000
      const lines: string[] = []
      for (let i = 0; i < n; i++) lines.push(`<13>1 - host app - - - event ${i}\n`)
      const client: Socket = connect({ host: '127.0.0.1', port })
      await new Promise<void>((r) => client.once('connect', () => r()))
      client.write(lines.join(''))
      // Nobody drains: the channel fills, the source holds the batch and stops reading, TCP fills up, and
      // the sender's data stays queued on its side.
      await eventually(() => (b.counter.channelWriteFail > 0 ? true : undefined), 20_000)
      await new Promise((r) => setTimeout(r, 300))
      assert.ok(client.writableLength > 0, 'the sender is held back')
      assert.equal(ch.size(), 1000)
      const got: Event[] = []
      await eventually(
        async () => {
          got.push(...(await drain(ch)))
          return got.length >= n ? true : undefined
        },
        60_000,
        5,
      )
      client.end()
      assert.equal(got.length, n)
      for (let i = 0; i < n; i += 9973) assert.equal(got[i]?.body.toString(), `app - - - event ${i}`)
      assert.equal(b.counter.snapshot().EventDropCount, 0)
      assert.equal(b.counter.eventAcceptedCount, n)
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
  })

  it('keeps serving while garbage, oversized and half-open connections come and go', async () => {
    const ch = await memoryChannel('c1', 100_000, 1000)
    const port = await freePort()
    const b = await buildSource(tcpSpec, { host: '127.0.0.1', port: String(port), eventSize: '100' }, [ch])
    await b.source.start?.()
    try {
      // Half-open: a partial line, then silence, never closed.
      const idle = connect({ host: '127.0.0.1', port })
      idle.write('<13>1 - host app half')
      // Reset in the middle of a line.
      const reset = connect({ host: '127.0.0.1', port })
      reset.write('<13>1 - host app abandoned')
      await new Promise((r) => setTimeout(r, 50))
      reset.resetAndDestroy()
      // Oversized: 1 MB without a newline, and binary garbage.
      await send(port, Buffer.alloc(1 << 20, 0x41))
      await send(port, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)))
      await send(port, '<13>1 - host app good one\n<13>1 - host app good two\n')
      const got: Event[] = []
      await eventually(async () => {
        got.push(...(await drain(ch)))
        return bodies(got).includes('app good two') ? true : undefined
      })
      assert.ok(bodies(got).includes('app good one'))
      // The 1 MB line became 100-byte events flagged Invalid (cut pieces without a PRI).
      const big = got.filter((e) => e.body.length === 100 && e.body[0] === 0x41)
      assert.ok(big.length >= 10000)
      assert.equal(big[0]?.headers['flume.syslog.status'], 'Invalid')
      assert.ok(
        !bodies(got).some((s) => s.includes('abandoned')),
        'a reset connection leaves no partial event',
      )
      assert.equal(b.counter.openConnectionCount, 1)
      idle.destroy()
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
  })

  it('parses a custom layout (format.*) before RFC 5424/3164, and reports bad patterns', async () => {
    const ch = await memoryChannel('c1')
    const port = await freePort()
    const b = await buildSource(
      tcpSpec,
      {
        host: '127.0.0.1',
        port: String(port),
        'format.regex': '<(\\d+)>(\\d)?\\s?(\\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}:\\d{2}) (\\S+) (.*)',
        'format.search': '/',
        'format.replace': '-',
        'format.dateFormat': 'MM-dd-yyyy HH:mm:ss',
      },
      [ch],
    )
    await b.source.start?.()
    try {
      await send(port, '<13>06/15/2023 10:00:00 device7 custom body\n<13>1 - host app standard\n')
      const got: Event[] = []
      await eventually(async () => {
        got.push(...(await drain(ch)))
        return got.length >= 2 ? true : undefined
      })
      assert.deepEqual(
        { ...got[0]?.headers },
        {
          Facility: '1',
          Severity: '5',
          priority: '13',
          timestamp: String(new Date(2023, 5, 15, 10, 0, 0).getTime()),
          host: 'device7',
        },
      )
      assert.equal(got[0]?.body.toString(), 'custom body')
      assert.equal(got[1]?.body.toString(), 'app standard')
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
    await assert.rejects(
      buildSource(tcpSpec, { port: '1', 'format.regex': '<(\\d+' }, [ch]),
      /format\.regex: .*Unclosed group/,
    )
    await assert.rejects(
      buildSource(tcpSpec, { port: '1', 'format.regex': 'x', 'format.search': 'a' }, [ch]),
      /format.search needs format.replace/,
    )
    await assert.rejects(
      buildSource(tcpSpec, { port: '1', 'format.regex': 'x', 'format.dateFormat': 'yyyy-qq' }, [ch]),
      /format\.dateFormat/,
    )
  })

  it('adds client IP and host name headers', async () => {
    const ch = await memoryChannel('c1')
    const port = await freePort()
    const b = await buildSource(
      tcpSpec,
      { host: '127.0.0.1', port: String(port), clientIPHeader: 'ip', clientHostnameHeader: 'name' },
      [ch],
    )
    await b.source.start?.()
    try {
      await send(port, '<13>1 - host app hi\n')
      const [e] = await eventually(async () => {
        const d = await drain(ch)
        return d.length > 0 ? d : undefined
      })
      assert.equal(e?.headers.ip, '127.0.0.1')
      assert.equal(e?.headers.name, 'localhost')
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
  })
})

describe('syslog TLS keystores', () => {
  let dir: string
  before(() => {
    dir = tempDir('flumen-tls-')
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: 'pipe' })
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
    ])
    writeFileSync(
      join(dir, 'both.pem'),
      Buffer.concat([execFileSync('cat', [join(dir, 'cert.pem'), join(dir, 'key.pem')])]),
    )
    run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      'cert.pem',
      '-inkey',
      'key.pem',
      '-out',
      'ks.p12',
      '-passout',
      'pass:secret1',
    ])
    run('keytool', [
      '-genkeypair',
      '-alias',
      'k',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-dname',
      'CN=localhost',
      '-keystore',
      'ks.jks',
      '-storetype',
      'JKS',
      '-storepass',
      'secret1',
      '-keypass',
      'secret1',
      '-validity',
      '2',
    ])
  })
  after(() => {})

  async function roundTrip(props: Record<string, string>) {
    const ch = await memoryChannel('c1')
    const port = await freePort()
    const b = await buildSource(tcpSpec, { host: '127.0.0.1', port: String(port), ssl: 'true', ...props }, [
      ch,
    ])
    await b.source.start?.()
    try {
      await new Promise<void>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          s.end('<13>1 - host app over tls\n')
        })
        s.on('error', reject)
        s.on('close', () => resolve())
      })
      const got = await eventually(async () => {
        const d = await drain(ch)
        return d.length > 0 ? d : undefined
      })
      assert.deepEqual(bodies(got), ['app over tls'])
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
  }

  it('serves TLS from a PKCS12 keystore', async () => {
    await roundTrip({
      keystore: join(dir, 'ks.p12'),
      'keystore-password': 'secret1',
      'keystore-type': 'PKCS12',
    })
  })

  it('serves TLS from a PEM keystore, also through the global -Djavax.net.ssl settings', async () => {
    await roundTrip({ keystore: join(dir, 'both.pem'), 'keystore-type': 'PEM' })
    const ch = await memoryChannel('c1')
    const port = await freePort()
    const sys = new Map([
      ['javax.net.ssl.keyStore', join(dir, 'ks.p12')],
      ['javax.net.ssl.keyStorePassword', 'secret1'],
    ])
    const b = await buildSource(tcpSpec, { host: '127.0.0.1', port: String(port), ssl: 'true' }, [ch], {
      sys,
    })
    await b.source.start?.()
    await b.source.stop?.()
  })

  it('serves TLS on every multiport_syslogtcp port', async () => {
    const ch = await memoryChannel('c1')
    const [p1, p2] = [await freePort(), await freePort()]
    const b = await buildSource(
      multiportSpec,
      {
        host: '127.0.0.1',
        ports: `${p1} ${p2}`,
        ssl: 'true',
        keystore: join(dir, 'both.pem'),
        'keystore-type': 'PEM',
      },
      [ch],
    )
    await b.source.start?.()
    try {
      for (const port of [p1, p2]) {
        await new Promise<void>((resolve, reject) => {
          const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () =>
            s.end(`<13>1 - host app tls on ${port}\n`),
          )
          s.on('error', reject)
          s.on('close', () => resolve())
        })
      }
      const got: Event[] = []
      await eventually(async () => {
        got.push(...(await drain(ch)))
        return got.length >= 2 ? true : undefined
      })
      assert.deepEqual(bodies(got).sort(), [`app tls on ${p1}`, `app tls on ${p2}`].sort())
      // A plain-text client on a TLS port fails its handshake; the source keeps serving.
      await send(p1, '<13>1 - host app plain text\n').catch(() => {})
      assert.equal(b.counter.eventReceivedCount, 2)
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
  })

  it('refuses JKS with the keytool command that converts it, and a wrong password clearly', async () => {
    const ch = await memoryChannel('c1')
    await assert.rejects(
      buildSource(
        tcpSpec,
        { port: '1', ssl: 'true', keystore: join(dir, 'ks.jks'), 'keystore-password': 'secret1' },
        [ch],
      ),
      /is a JKS file.*keytool -importkeystore -srckeystore .*ks\.jks -destkeystore .*ks\.p12 -deststoretype PKCS12/,
    )
    await assert.rejects(
      buildSource(
        tcpSpec,
        { port: '1', ssl: 'true', keystore: join(dir, 'ks.p12'), 'keystore-password': 'nope' },
        [ch],
      ),
      /cannot use keystore .*ks\.p12.*wrong keystore-password/,
    )
    await assert.rejects(buildSource(tcpSpec, { port: '1', ssl: 'true' }, [ch]), /needs a keystore/)
  })
})

describe('multiport_syslogtcp source', () => {
  it('listens on every port with per-port charsets and the port header', async () => {
    const ch = await memoryChannel('c1')
    const [p1, p2] = [await freePort(), await freePort()]
    const b = await buildSource(
      multiportSpec,
      {
        host: '127.0.0.1',
        ports: `${p1} ${p2}`,
        portHeader: 'port',
        [`charset.port.${p2}`]: 'ISO-8859-1',
        batchSize: '10',
      },
      [ch],
    )
    await b.source.start?.()
    try {
      await send(p1, Buffer.from('<13>1 - h caf\u00e9 utf8\n', 'utf8'))
      await send(p2, Buffer.from('<13>1 - h caf\u00e9 latin1\n', 'latin1'))
      await send(p1, Buffer.from('<13>1 - h caf\u00e9 latin1 on a utf8 port\n', 'latin1'))
      const got = await eventually(async () => {
        const d = await drain(ch)
        return d.length > 0 ? d : undefined
      })
      while (got.length < 3) got.push(...(await drain(ch)))
      const byBody = new Map(got.map((e) => [e.body.toString('latin1'), e.headers]))
      assert.equal(byBody.get(Buffer.from('café utf8').toString('latin1'))?.port, String(p1))
      assert.equal(byBody.get('café latin1')?.port, String(p2))
      assert.equal(byBody.get('café latin1')?.Priority, '13')
      const bad = byBody.get('<13>1 - h café latin1 on a utf8 port')
      assert.equal(bad?.['flume.syslog.status'], 'Invalid')
      assert.equal(b.counter.eventReadFail, 1)
    } finally {
      await b.source.stop?.()
      await ch.stop()
    }
  })

  it('refuses charsets it cannot parse syslog in', async () => {
    const ch = await memoryChannel('c1')
    await assert.rejects(
      buildSource(multiportSpec, { ports: '1', 'charset.default': 'UTF-16' }, [ch]),
      /is not supported: use UTF-8/,
    )
  })
})

describe('syslogudp source', () => {
  it('counts every dropped datagram when the channel is full', async () => {
    const ch = await memoryChannel('c1', 10, 10, 0)
    const port = await freePort()
    const b = await buildSource(udpSpec, { host: '127.0.0.1', port: String(port), clientIPHeader: 'ip' }, [
      ch,
    ])
    await b.source.start?.()
    const s = createSocket('udp4')
    try {
      for (let i = 0; i < 100; i++)
        s.send(`<13>1 - host app dgram ${i}\n trailing ignored`, port, '127.0.0.1')
      s.send('\n\n', port, '127.0.0.1')
      await eventually(() =>
        b.counter.eventAcceptedCount + Number(b.counter.snapshot().EventDropCount) === 100 ? true : undefined,
      )
      const got = await drain(ch)
      assert.equal(got.length, b.counter.eventAcceptedCount)
      assert.ok(Number(b.counter.snapshot().EventDropCount) >= 90)
      assert.ok(b.counter.channelWriteFail > 0)
      assert.equal(b.counter.eventReadFail, 1)
      assert.equal(got[0]?.headers.ip, '127.0.0.1')
      assert.match(got[0]?.body.toString() ?? '', /^app dgram \d+$/)
    } finally {
      s.close()
      await b.source.stop?.()
      await ch.stop()
    }
  })
})
