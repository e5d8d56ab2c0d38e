import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { testKeystores } from '../../../test/peers/index.ts'
import { KafkaTlsError, opensslCipherName, resolveTls, type TlsSpec } from './tls.ts'

const base: TlsSpec = {
  verifyHostname: true,
  truststoreLocation: undefined,
  truststorePassword: undefined,
  truststoreType: undefined,
  truststoreCertificates: undefined,
  keystoreLocation: undefined,
  keystorePassword: undefined,
  keystoreType: undefined,
  keystoreKey: undefined,
  keystoreCertificateChain: undefined,
  keyPassword: undefined,
  protocol: undefined,
  enabledProtocols: undefined,
  cipherSuites: undefined,
}

function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n')
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`
}

describe('Kafka TLS settings', () => {
  it('maps Java cipher suite names to OpenSSL names', () => {
    assert.equal(opensslCipherName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256')
    assert.equal(opensslCipherName('TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'), 'ECDHE-ECDSA-AES256-SHA384')
    assert.equal(opensslCipherName('TLS_RSA_WITH_AES_128_GCM_SHA256'), 'AES128-GCM-SHA256')
    assert.equal(
      opensslCipherName('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'),
      'ECDHE-RSA-CHACHA20-POLY1305',
    )
    assert.equal(opensslCipherName('TLS_AES_128_GCM_SHA256'), 'TLS_AES_128_GCM_SHA256')
  })

  it('reads PEM truststores (file or inline), PKCS12 keystores, protocol ranges', async () => {
    const ks = await testKeystores()
    const dir = join(ks.keystore, '..')
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, pem(readFileSync(ks.certificate)))
    const a = await resolveTls({ ...base, truststoreLocation: caFile, truststoreType: 'PEM' })
    assert.ok(Buffer.isBuffer(a.ca))
    assert.equal(a.checkServerIdentity, undefined, 'host names are verified by default')
    const b = await resolveTls({
      ...base,
      verifyHostname: false,
      truststoreCertificates: readFileSync(caFile, 'utf8'),
      keystoreLocation: ks.keystore,
      keystorePassword: ks.password,
      enabledProtocols: ['TLSv1.2', 'TLSv1.3'],
    })
    assert.ok(Buffer.isBuffer(b.pfx))
    assert.equal(b.minVersion, 'TLSv1.2')
    assert.equal(b.maxVersion, 'TLSv1.3')
    assert.equal(typeof b.checkServerIdentity, 'function')
  })

  it('refuses what Node cannot read, with the command that converts it', async () => {
    const ks = await testKeystores()
    const reject = async (spec: Partial<TlsSpec>, key: string, re: RegExp) => {
      await assert.rejects(resolveTls({ ...base, ...spec }), (e: unknown) => {
        assert.ok(e instanceof KafkaTlsError)
        assert.equal(e.key, key)
        assert.match(e.message, re)
        return true
      })
    }
    await reject({ truststoreLocation: ks.truststore }, 'ssl.truststore.location', /keytool -exportcert -rfc/)
    await reject(
      { keystoreLocation: ks.keystore, keystorePassword: 'wrong' },
      'ssl.keystore.location',
      /rejected/,
    )
    await reject({ truststoreLocation: '/nonexistent.pem' }, 'ssl.truststore.location', /ENOENT/)
    await reject(
      { truststoreLocation: ks.keystore, truststoreType: 'BKS' },
      'ssl.truststore.type',
      /not supported/,
    )
    await reject({ enabledProtocols: ['SSLv3'] }, 'ssl.enabled.protocols', /SSLv3/)
    const jks = join(ks.keystore, '..', 'store.jks')
    const keytool = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'keytool') : 'keytool'
    execFileSync(keytool, [
      ...['-importcert', '-noprompt', '-alias', 'ca', '-file', ks.certificate, '-storetype', 'JKS'],
      ...['-keystore', jks, '-storepass', 'changeit'],
    ])
    await reject({ truststoreLocation: jks }, 'ssl.truststore.location', /JKS store.*keytool -importkeystore/)
  })
})
