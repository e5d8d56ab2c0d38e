// The http source in the test process with a real memory channel, driven by curl (a client nobody here
// wrote): batches, charsets, malformed requests, a full channel (503, nothing accepted is lost),
// concurrent clients, the blob handlers, a handler module, the size limit and HTTPS.
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { buildSource, drain } from '../../../test/helpers/build-source.ts'
import { freePort, tempDir } from '../../../test/helpers/cli.ts'
import { memoryChannel } from '../../../test/helpers/fakes.ts'
import type { Channel } from '../../core/channel.ts'
import type { Event } from '../../core/event.ts'
import { spec } from './index.ts'

interface CurlResult {
  readonly status: number
  readonly body: string
}

function curl(args: string[], input?: Buffer | string): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'curl',
      ['-s', '-S', '-o', '-', '-w', '\n%{http_code}', ...args],
      { encoding: 'buffer', maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        if (err !== null && stdout.length === 0) {
          reject(new Error(`curl failed: ${err.message} ${stderr.toString()}`))
          return
        }
        const text = stdout.toString('utf8')
        const nl = text.lastIndexOf('\n')
        resolve({ status: Number(text.slice(nl + 1)), body: text.slice(0, nl) })
      },
    )
    if (input !== undefined) child.stdin?.end(input)
  })
}

const json = (port: number, body: string | Buffer, charset = 'UTF-8', url = `http://127.0.0.1:${port}/`) =>
  curl(['-k', '-H', `Content-Type: application/json; charset=${charset}`, '--data-binary', '@-', url], body)

async function withSource(
  props: Record<string, string>,
  ch: Channel,
  fn: (port: number, b: Awaited<ReturnType<typeof buildSource>>) => Promise<void>,
  opts: { configDir?: string } = {},
) {
  const port = await freePort()
  const b = await buildSource(spec, { bind: '127.0.0.1', port: String(port), ...props }, [ch], opts)
  await b.source.start?.()
  try {
    await fn(port, b)
  } finally {
    await b.source.stop?.()
    await ch.stop()
  }
}

const ids = (events: Event[]) => events.map((e) => e.headers.id).sort()

describe('http source with curl', () => {
  it('accepts a batch with headers and non-ASCII bodies in one transaction', async () => {
    const ch = await memoryChannel('c1')
    await withSource({}, ch, async (port, b) => {
      const r = await json(
        port,
        JSON.stringify([
          { headers: { id: '1', 'x-ünïcode': 'värde', n: 1 }, body: 'héllo wörld ☃ 😀' },
          { headers: { id: '2' } },
          { body: 'no headers' },
        ]).replace('"n":1', '"n":1.50,"t":true,"z":null'),
      )
      assert.deepEqual(r, { status: 200, body: '' })
      const got = await drain(ch)
      assert.equal(got.length, 3)
      assert.deepEqual({ ...got[0]?.headers }, { id: '1', 'x-ünïcode': 'värde', n: '1.50', t: 'true' })
      assert.equal(got[0]?.body.toString('utf8'), 'héllo wörld ☃ 😀')
      assert.equal(got[1]?.body.length, 0)
      assert.deepEqual({ ...got[2]?.headers }, {})
      assert.equal(b.counter.appendBatchAcceptedCount, 1)
      assert.equal(b.counter.eventAcceptedCount, 3)
    })
  })

  it('honours the request charset: UTF-16 and UTF-32 requests give bodies in that charset', async () => {
    const ch = await memoryChannel('c1')
    await withSource({}, ch, async (port) => {
      const text = '[{"headers":{"k":"☃"},"body":"sn☃w"}]'
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
      assert.equal((await json(port, le, 'UTF-16')).status, 200)
      const be = Buffer.from(text, 'utf16le').swap16()
      assert.equal((await json(port, be, 'utf-16')).status, 200)
      const u32 = Buffer.alloc(text.length * 4)
      for (let i = 0; i < text.length; i++) u32.writeUInt32BE(text.charCodeAt(i), i * 4)
      assert.equal((await json(port, u32, 'UTF-32')).status, 200)
      const got = await drain(ch)
      assert.equal(got.length, 3)
      const utf16be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('sn☃w', 'utf16le').swap16()])
      assert.deepEqual(got[0]?.body, utf16be)
      assert.deepEqual(got[1]?.body, utf16be)
      assert.equal(got[0]?.headers.k, '☃')
      assert.deepEqual(
        got[2]?.body,
        Buffer.from([0, 0, 0, 0x73, 0, 0, 0, 0x6e, 0, 0, 0x26, 0x03, 0, 0, 0, 0x77]),
      )
      const latin = await json(port, '[]', 'ISO-8859-1')
      assert.equal(latin.status, 415)
      assert.match(latin.body, /UTF-8, UTF-16 and UTF-32/)
    })
  })

  it('answers 400 to malformed JSON and wrong shapes, and stores nothing', async () => {
    const ch = await memoryChannel('c1')
    await withSource({}, ch, async (port, b) => {
      for (const bad of [
        '[{"body":"x"}',
        '{"body":"x"}',
        '[{headers:{a:"b"},body:"x"}]',
        '[1]',
        '[{"headers":[1]}]',
        '[{"headers":{"a":{"b":1}}}]',
        '[{"body":["x"]}]',
        '',
        'null',
      ]) {
        const r = await json(port, bad)
        assert.equal(r.status, 400, bad)
        assert.match(r.body, /^Bad request from client\./)
      }
      assert.equal((await drain(ch)).length, 0)
      assert.equal(b.counter.eventReadFail, 9)
      assert.equal((await json(port, '[]')).status, 200)
    })
  })

  it('answers 503 when the channel is full and loses nothing it accepted', async () => {
    const ch = await memoryChannel('c1', 50, 10, 0)
    await withSource({}, ch, async (port, b) => {
      // 20 clients × 3 requests × 5 events; the channel holds 50 events and nobody drains it.
      const batch = (c: number, r: number) =>
        JSON.stringify(
          Array.from({ length: 5 }, (_, i) => ({ headers: { id: `${c}-${r}-${i}` }, body: `e${i}` })),
        )
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, c) => {
          const out: { c: number; r: number; status: number }[] = []
          for (let r = 0; r < 3; r++) out.push({ c, r, status: (await json(port, batch(c, r))).status })
          return out
        }),
      )
      const flat = results.flat()
      const ok = flat.filter((x) => x.status === 200)
      const refused = flat.filter((x) => x.status === 503)
      assert.equal(ok.length + refused.length, 60)
      assert.equal(ok.length, 10)
      const stored = await drain(ch)
      // Exactly the events of the requests answered 200: none lost, none of a refused request.
      assert.deepEqual(
        ids(stored),
        ok.flatMap(({ c, r }) => Array.from({ length: 5 }, (_, i) => `${c}-${r}-${i}`)).sort(),
      )
      assert.equal(b.counter.channelWriteFail, 50)
      // The refused requests go through once there is room again.
      for (const { c, r } of refused) {
        assert.equal((await json(port, batch(c, r))).status, 200)
        if (ch.size() >= 45) await drain(ch)
      }
      assert.equal(b.counter.eventAcceptedCount, 300)
    })
  })

  it('serves concurrent clients', async () => {
    const ch = await memoryChannel('c1', 100_000, 1000)
    await withSource({}, ch, async (port) => {
      const rs = await Promise.all(
        Array.from({ length: 16 }, (_, c) =>
          json(
            port,
            JSON.stringify(
              Array.from({ length: 100 }, (_, i) => ({ headers: { id: `${c}:${i}` }, body: 'x' })),
            ),
          ),
        ),
      )
      assert.ok(rs.every((r) => r.status === 200))
      const got = await drain(ch)
      assert.equal(new Set(ids(got)).size, 1600)
    })
  })

  it('refuses bodies over maxRequestBytes (413) and batches over transactionCapacity (413)', async () => {
    const ch = await memoryChannel('c1', 1000, 10)
    await withSource({ maxRequestBytes: '1000' }, ch, async (port) => {
      const big = JSON.stringify([{ body: 'x'.repeat(2000) }])
      const r = await json(port, big)
      assert.equal(r.status, 413)
      assert.match(r.body, /maxRequestBytes/)
      const many = await json(port, JSON.stringify(Array.from({ length: 11 }, () => ({ body: 'x' }))))
      assert.equal(many.status, 413)
      assert.match(many.body, /transactionCapacity/)
      assert.equal((await json(port, JSON.stringify([{ body: 'fits' }]))).status, 200)
      assert.equal((await drain(ch)).length, 1)
    })
  })

  it('answers garbage and oversized request heads with 400 on that connection only', async () => {
    const ch = await memoryChannel('c1')
    await withSource({ 'HttpConfiguration.requestHeaderSize': '1024' }, ch, async (port) => {
      const raw = (data: string) =>
        new Promise<string>((resolve, reject) => {
          let got = ''
          const s = connect({ host: '127.0.0.1', port }, () => s.write(data))
          s.on('data', (d) => {
            got += d.toString()
          })
          s.on('error', reject)
          s.on('close', () => resolve(got))
        })
      assert.match(await raw('\x00\x01garbage\r\n\r\n'), /^HTTP\/1\.1 400/)
      assert.match(
        await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`),
        /^HTTP\/1\.1 (400|431)/,
      )
      // A client that goes away in the middle of its body.
      await new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port }, () => {
          s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[{"body":"cut')
          setTimeout(() => s.destroy(), 50)
        })
        s.on('close', () => resolve())
      })
      assert.equal((await json(port, '[{"body":"still serving"}]')).status, 200)
      assert.equal((await drain(ch))[0]?.body.toString(), 'still serving')
    })
  })

  it('forbids TRACE and OPTIONS and refuses other methods; GET runs the handler', async () => {
    const ch = await memoryChannel('c1')
    await withSource({}, ch, async (port) => {
      const u = `http://127.0.0.1:${port}/any/path`
      assert.equal((await curl(['-X', 'OPTIONS', u])).status, 403)
      assert.equal((await curl(['-X', 'TRACE', u])).status, 403)
      assert.equal((await curl(['-X', 'DELETE', u])).status, 405)
      assert.equal((await curl(['-X', 'GET', '--data-binary', '[{"body":"via get"}]', u])).status, 200)
      assert.equal((await drain(ch))[0]?.body.toString(), 'via get')
    })
  })

  it('BlobHandler: the body as sent, Content-Type and parameters as headers, cut at maxBlobLength', async () => {
    const ch = await memoryChannel('c1')
    await withSource(
      { handler: 'org.apache.flume.sink.solr.morphline.BlobHandler', 'handler.maxBlobLength': '10' },
      ch,
      async (port) => {
        const raw = Buffer.from([0, 1, 2, 0xff, 0xfe, 5, 6, 7, 8, 9, 10, 11, 12])
        const r = await curl(
          [
            '-H',
            'Content-Type: application/octet-stream',
            '--data-binary',
            '@-',
            `http://127.0.0.1:${port}/?a=1&b=two&a=3`,
          ],
          raw,
        )
        assert.equal(r.status, 200)
        const form = await curl(['--data', 'x=1&y=%C3%A9', `http://127.0.0.1:${port}/`])
        assert.equal(form.status, 200)
        const [e, f] = await drain(ch)
        assert.deepEqual(e?.body, raw.subarray(0, 10))
        assert.deepEqual({ ...e?.headers }, { 'Content-Type': 'application/octet-stream', a: '1', b: 'two' })
        assert.deepEqual(
          { ...f?.headers },
          { 'Content-Type': 'application/x-www-form-urlencoded', x: '1', y: 'é' },
        )
        assert.equal(f?.body.length, 0)
      },
    )
  })

  it('BLOBHandler: mandatory parameters', async () => {
    const ch = await memoryChannel('c1')
    await withSource(
      { handler: 'org.apache.flume.source.http.BLOBHandler', 'handler.mandatoryParameters': 'tenant,kind' },
      ch,
      async (port) => {
        const missing = await curl(['--data-binary', 'blob', `http://127.0.0.1:${port}/?tenant=t1`])
        assert.equal(missing.status, 400)
        assert.match(missing.body, /Please specify kind parameter/)
        const octets = ['-H', 'Content-Type: application/octet-stream', '--data-binary', 'blob']
        assert.equal((await curl([...octets, `http://127.0.0.1:${port}/?tenant=t1&kind=k`])).status, 200)
        // curl's default Content-Type is a form: the body is read as parameters (Jetty does the same).
        assert.equal(
          (await curl(['--data-binary', 'kind=k2', `http://127.0.0.1:${port}/?tenant=t2`])).status,
          200,
        )
        const [e, f] = await drain(ch)
        assert.deepEqual({ ...e?.headers }, { tenant: 't1', kind: 'k' })
        assert.equal(e?.body.toString(), 'blob')
        assert.deepEqual({ ...f?.headers }, { tenant: 't2', kind: 'k2' })
        assert.equal(f?.body.length, 0)
      },
    )
  })

  it('loads a handler module with its handler.* properties', async () => {
    const dir = tempDir('flumen-handler-')
    writeFileSync(
      join(dir, 'csv-handler.mjs'),
      `export function createHandler({ properties }) {
        const sep = properties.get('separator') ?? ','
        return {
          async getEvents(req) {
            const text = req.body.toString('utf8')
            if (!text.includes(sep)) throw Object.assign(new Error('no separator'), { code: 'FLUMEN_HTTP_BAD_REQUEST' })
            if (text === 'boom;') throw new Error('handler bug')
            return text.split('\\n').filter(Boolean).map((l) => {
              const [k, v] = l.split(sep)
              return { headers: { key: k, path: req.path }, body: v }
            })
          },
        }
      }`,
    )
    const ch = await memoryChannel('c1')
    await withSource(
      { handler: './csv-handler.mjs', 'handler.separator': ';' },
      ch,
      async (port) => {
        assert.equal(
          (await curl(['--data-binary', 'a;1\nb;2\n', `http://127.0.0.1:${port}/csv`])).status,
          200,
        )
        assert.equal((await curl(['--data-binary', 'nothing', `http://127.0.0.1:${port}/`])).status, 400)
        assert.equal((await curl(['--data-binary', 'boom;', `http://127.0.0.1:${port}/`])).status, 500)
        const got = await drain(ch)
        assert.deepEqual(
          got.map((e) => [e.headers.key, e.headers.path, e.body.toString()]),
          [
            ['a', '/csv', '1'],
            ['b', '/csv', '2'],
          ],
        )
      },
      { configDir: dir },
    )
  })

  describe('HTTPS', () => {
    let dir: string
    before(() => {
      dir = tempDir('flumen-https-')
      const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
      run([
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
      run([
        'pkcs12',
        '-export',
        '-in',
        'cert.pem',
        '-inkey',
        'key.pem',
        '-out',
        'ks.p12',
        '-passout',
        'pass:pw',
      ])
    })

    it('serves HTTPS with the deprecated enableSSL/keystorePassword keys, honouring protocol exclusions', async () => {
      const ch = await memoryChannel('c1')
      const port = await freePort()
      const b = await buildSource(
        spec,
        {
          bind: '127.0.0.1',
          port: String(port),
          enableSSL: 'true',
          keystore: join(dir, 'ks.p12'),
          keystorePassword: 'pw',
          'keystore-type': 'PKCS12',
          excludeProtocols: 'TLSv1.3',
        },
        [ch],
      )
      assert.ok(b.warnings.some((w) => /enableSSL.*deprecated/.test(w)))
      await b.source.start?.()
      try {
        const r = await json(port, '[{"body":"secure"}]', 'UTF-8', `https://127.0.0.1:${port}/`)
        assert.equal(r.status, 200, r.body)
        const tls13 = await curl(['-k', '--tlsv1.3', '--data-binary', '[]', `https://127.0.0.1:${port}/`])
        assert.equal(tls13.status, 0)
        assert.equal((await drain(ch))[0]?.body.toString(), 'secure')
      } finally {
        await b.source.stop?.()
        await ch.stop()
      }
    })
  })
})
