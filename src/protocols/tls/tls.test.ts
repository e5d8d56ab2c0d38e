import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { connect, createServer } from 'node:tls'
import { promisify } from 'node:util'
import { javaBin, tempDir } from '../../../test/peers/java.ts'
import { testKeystores } from '../../../test/peers/tls.ts'
import { clientTlsOptions, serverTlsOptions, sniffStore, TlsConfigError, withGlobals } from './options.ts'
import { certificatesToPem, Pkcs12Error, pkcs12Certificates } from './pkcs12.ts'

const FIX = join(import.meta.dirname, 'fixtures')
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const warnings: string[] = []
const warn = (m: string) => {
  warnings.push(m)
}

async function keytool(args: string[]): Promise<void> {
  await promisify(execFile)('keytool', args)
}

describe('PKCS#12 truststores', () => {
  it('reads keytool truststores (PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC)', async () => {
    const ks = await testKeystores()
    const certs = pkcs12Certificates(readFileSync(ks.truststore), ks.password)
    assert.equal(certs.length, 1)
    assert.equal(sha256(certs[0] as Buffer), sha256(readFileSync(ks.certificate)))
    assert.match(new X509Certificate(certs[0] as Buffer).subject, /CN=127\.0\.0\.1/)
    assert.throws(
      () => pkcs12Certificates(readFileSync(ks.truststore), 'wrong'),
      (e: Pkcs12Error) => e.code === 'FLUME_ERR_PKCS12_PASSWORD',
    )
    assert.throws(() => pkcs12Certificates(readFileSync(ks.truststore), undefined), /password is needed/)
  })

  it('reads OpenSSL files with legacy 3DES and without encryption', () => {
    const want = sha256(readFileSync(join(FIX, 'cert.der')))
    const des = pkcs12Certificates(readFileSync(join(FIX, 'truststore-3des.p12')), 'secret')
    assert.deepEqual(des.map(sha256), [want])
    const plain = pkcs12Certificates(readFileSync(join(FIX, 'truststore-plain.p12')), undefined)
    assert.deepEqual(plain.map(sha256), [want])
  })

  it('refuses garbage with a format error, never a crash', () => {
    for (const junk of [
      Buffer.alloc(0),
      Buffer.from('30820000', 'hex'),
      Buffer.from('3003020103', 'hex'),
      Buffer.alloc(64, 0x30),
    ]) {
      assert.throws(() => pkcs12Certificates(junk, 'x'), Pkcs12Error)
    }
  })

  it('renders PEM that node:crypto reads back', () => {
    const der = readFileSync(join(FIX, 'cert.der'))
    const pem = certificatesToPem([der, der])
    assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 2)
    assert.equal(sha256(Buffer.from(new X509Certificate(pem).raw)), sha256(der))
  })
})

describe('TLS options from Flume settings', () => {
  it('recognises stores by content', async () => {
    const ks = await testKeystores()
    assert.equal(sniffStore(readFileSync(ks.keystore)), 'pkcs12')
    assert.equal(sniffStore(Buffer.from('feedfeed00000002', 'hex')), 'jks')
    assert.equal(sniffStore(Buffer.from('cececece', 'hex')), 'jceks')
    assert.equal(sniffStore(Buffer.from('junk\n-----BEGIN CERTIFICATE-----\n')), 'pem')
  })

  it('refuses a JKS keystore with the keytool command that converts it', async () => {
    const dir = tempDir('tls-jks')
    const jks = join(dir, 'server.jks')
    await keytool([
      ...['-genkeypair', '-alias', 'x', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=x'],
      ...['-storetype', 'JKS', '-keystore', jks, '-storepass', 'password', '-keypass', 'password'],
    ])
    await assert.rejects(
      serverTlsOptions({ keystore: jks, keystorePassword: 'password', keystoreType: 'JKS' }, warn),
      (e: TlsConfigError) =>
        e instanceof TlsConfigError &&
        e.message.includes('is a JKS file') &&
        e.message.includes(
          `keytool -importkeystore -srckeystore ${jks} -destkeystore ${join(dir, 'server.p12')} -deststoretype PKCS12`,
        ),
    )
    await assert.rejects(
      clientTlsOptions({ truststore: jks, truststorePassword: 'password' }, warn),
      /truststore .* is a JKS file/,
    )
  })

  it('explains a missing keystore, a missing password and a wrong one', async () => {
    const ks = await testKeystores()
    await assert.rejects(serverTlsOptions({}, warn), /needs a keystore/)
    await assert.rejects(serverTlsOptions({ keystore: ks.keystore }, warn), /needs keystore-password/)
    await assert.rejects(
      serverTlsOptions({ keystore: ks.keystore, keystorePassword: 'nope' }, warn),
      /wrong keystore-password/,
    )
    await assert.rejects(
      serverTlsOptions({ keystore: '/nonexistent/x.p12', keystorePassword: 'p' }, warn),
      /cannot read keystore .*ENOENT/,
    )
    await assert.rejects(
      serverTlsOptions({ keystore: ks.keystore, keystorePassword: 'p', keystoreType: 'BKS' }, warn),
      /'BKS' is not supported/,
    )
  })

  it('takes the keystore from the global Flume settings', () => {
    const s = withGlobals(
      {},
      {
        sys: new Map([['javax.net.ssl.keyStore', '/a.p12']]),
        env: { FLUME_SSL_KEYSTORE_PASSWORD: 'pw', FLUME_SSL_EXCLUDE_PROTOCOLS: 'TLSv1,TLSv1.1' },
      },
    )
    assert.equal(s.keystore, '/a.p12')
    assert.equal(s.keystorePassword, 'pw')
    assert.deepEqual(s.excludeProtocols, ['TLSv1', 'TLSv1.1'])
    // Component keys win.
    assert.equal(
      withGlobals({ keystore: '/b.p12' }, { sys: new Map([['javax.net.ssl.keyStore', '/a.p12']]) }).keystore,
      '/b.p12',
    )
  })

  it('maps protocols and Java cipher names', async () => {
    const ks = await testKeystores()
    const o = await serverTlsOptions(
      {
        keystore: ks.keystore,
        keystorePassword: ks.password,
        includeProtocols: ['TLSv1.2'],
        includeCipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_NOT_A_SUITE'],
      },
      warn,
    )
    assert.equal(o.minVersion, 'TLSv1.2')
    assert.equal(o.maxVersion, 'TLSv1.2')
    assert.equal(o.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256')
    assert.ok(warnings.some((w) => w.includes('Cipher suite not known')))
    await assert.rejects(
      serverTlsOptions(
        { keystore: ks.keystore, keystorePassword: ks.password, includeProtocols: ['SSLv3'] },
        warn,
      ),
      /no TLS protocol is left/,
    )
  })

  it('serves PKCS12 and PEM keystores; the client trusts a PKCS12 or PEM truststore and skips host names', async () => {
    const ks = await testKeystores()
    const dir = tempDir('tls-pem')
    // A PEM keystore: key + certificate in one file. The key is exported from the PKCS12 keystore by a
    // few lines of Java (the JDK has no CLI for it), so the test needs nothing beyond the JDK.
    const pem = join(dir, 'server.pem')
    const certPem = certificatesToPem([readFileSync(ks.certificate)])
    const exporter = join(dir, 'ExportKey.java')
    writeFileSync(
      exporter,
      `import java.nio.file.*; import java.security.*; import java.util.*;
public class ExportKey { public static void main(String[] a) throws Exception {
  KeyStore ks = KeyStore.getInstance("PKCS12"); ks.load(Files.newInputStream(Path.of(a[0])), a[1].toCharArray());
  Key k = ks.getKey(ks.aliases().nextElement(), a[1].toCharArray());
  System.out.print("-----BEGIN PRIVATE KEY-----\\n" + Base64.getMimeEncoder(64, "\\n".getBytes()).encodeToString(k.getEncoded()) + "\\n-----END PRIVATE KEY-----\\n");
} }
`,
    )
    const { stdout: keyPem } = await promisify(execFile)(javaBin, [exporter, ks.keystore, ks.password])
    writeFileSync(pem, keyPem + certPem)
    const trustPem = join(dir, 'ca.pem')
    writeFileSync(trustPem, certPem)
    const stores = [
      { keystore: ks.keystore, keystorePassword: ks.password },
      { keystore: pem, keystoreType: 'PEM' },
    ]
    for (const server of stores) {
      for (const trust of [
        { truststore: ks.truststore, truststorePassword: ks.password, truststoreType: 'PKCS12' },
        { truststore: trustPem },
      ]) {
        const so = await serverTlsOptions(server, warn)
        const srv = createServer(so, (s) => s.end('hello'))
        await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
        const port = (srv.address() as { port: number }).port
        const co = await clientTlsOptions(trust, warn)
        // 'localhost' is not in the certificate (SAN ip:127.0.0.1): Flume's client does not check names.
        const got = await new Promise<string>((resolve, reject) => {
          const c = connect({ ...co, host: 'localhost', port }, () =>
            c.once('data', (d) => resolve(String(d))),
          )
          c.once('error', reject)
        })
        assert.equal(got, 'hello')
        srv.close()
      }
    }
    // Untrusted: the default CA list does not know our self-signed certificate.
    const so = await serverTlsOptions({ keystore: ks.keystore, keystorePassword: ks.password }, warn)
    const srv = createServer(so, (s) => s.end('x'))
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
    const port = (srv.address() as { port: number }).port
    const co = await clientTlsOptions({}, warn)
    await assert.rejects(
      new Promise((resolve, reject) => {
        const c = connect({ ...co, host: '127.0.0.1', port }, () => resolve(undefined))
        c.once('error', reject)
      }),
      /self-signed certificate/,
    )
    const all = await clientTlsOptions({ trustAllCerts: true }, warn)
    await new Promise<void>((resolve, reject) => {
      const c = connect({ ...all, host: '127.0.0.1', port }, () => {
        c.destroy()
        resolve()
      })
      c.once('error', reject)
    })
    srv.close()
  })
})
