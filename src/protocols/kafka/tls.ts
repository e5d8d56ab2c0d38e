/**
 * Kafka's `ssl.*` client properties turned into node:tls options.
 *
 * Stores are recognised by content whatever `ssl.*.type` says (Java's JKS type reads PKCS#12 files too):
 * - PEM (Kafka 2.7's `type = PEM`): a file of certificates (truststore) or a private key plus its
 *   certificate chain (keystore), or the same inline in `ssl.truststore.certificates` /
 *   `ssl.keystore.key` + `ssl.keystore.certificate.chain`; `ssl.key.password` decrypts an encrypted key;
 * - PKCS#12 keystores go to Node as `pfx` with `ssl.keystore.password` (`ssl.key.password` if that fails);
 * - PKCS#12 truststores (certificates only) are refused with the keytool command that exports them as
 *   PEM, since Node's pfx loader requires a private key;
 * - JKS/JCEKS files cannot be read by Node: refused with the keytool command that converts them.
 *
 * Without a truststore, Node's bundled CA list is used, as Java uses the JDK's cacerts. Host names are
 * verified unless `ssl.endpoint.identification.algorithm` is empty (or Flume's
 * `ssl.disableTLSHostnameVerification = true`), as Kafka 2.x clients do.
 */

import { readFile } from 'node:fs/promises'
import type { ConnectionOptions, SecureVersion } from 'node:tls'
import { tls } from '../../core/builtin-modules.ts'

export interface TlsSpec {
  readonly verifyHostname: boolean
  readonly truststoreLocation: string | undefined
  readonly truststorePassword: string | undefined
  readonly truststoreType: string | undefined
  readonly truststoreCertificates: string | undefined
  readonly keystoreLocation: string | undefined
  readonly keystorePassword: string | undefined
  readonly keystoreType: string | undefined
  readonly keystoreKey: string | undefined
  readonly keystoreCertificateChain: string | undefined
  readonly keyPassword: string | undefined
  readonly protocol: string | undefined
  readonly enabledProtocols: readonly string[] | undefined
  readonly cipherSuites: readonly string[] | undefined
}

export class KafkaTlsError extends Error {
  override readonly name = 'KafkaTlsError'
  /** The Java property the problem is about. */
  readonly key: string
  constructor(key: string, message: string) {
    super(message)
    this.key = key
  }
}

type StoreFormat = 'pkcs12' | 'pem' | 'jks' | 'jceks'

function sniff(data: Buffer): StoreFormat {
  if (data.length >= 4) {
    const magic = data.readUInt32BE(0)
    if (magic === 0xfeedfeed) return 'jks'
    if (magic === 0xcececece) return 'jceks'
  }
  return data.subarray(0, 8192).toString('latin1').includes('-----BEGIN') ? 'pem' : 'pkcs12'
}

const KNOWN_TYPES = new Set(['JKS', 'JCEKS', 'PKCS12', 'PEM'])

async function readStore(
  key: string,
  path: string,
  declaredType: string | undefined,
): Promise<{ data: Buffer; format: StoreFormat }> {
  if (declaredType !== undefined && !KNOWN_TYPES.has(declaredType.toUpperCase())) {
    throw new KafkaTlsError(
      key.replace(/location$/, 'type'),
      `store type '${declaredType}' is not supported (PKCS12 or PEM)`,
    )
  }
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (e) {
    throw new KafkaTlsError(key, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  const format = sniff(data)
  if (format === 'jks' || format === 'jceks') {
    const p12 = `${path.replace(/\.(jks|jceks|keystore|truststore)$/i, '')}.p12`
    throw new KafkaTlsError(
      key,
      `${path} is a ${format.toUpperCase()} store, which Node cannot read. Convert it once with: ` +
        `keytool -importkeystore -srckeystore ${path} -srcstoretype ${format.toUpperCase()} ` +
        `-destkeystore ${p12} -deststoretype PKCS12 — then point ${key} at the .p12 file`,
    )
  }
  return { data, format }
}

const PROTOCOLS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']

/** Java/IANA cipher suite name → OpenSSL's (TLS 1.3 suites keep their IANA names in Node). */
export function opensslCipherName(java: string): string {
  if (/^TLS_(AES|CHACHA20)_/.test(java)) return java
  const m = /^(?:TLS|SSL)_(.+)_WITH_(.+)$/.exec(java)
  if (m === null) return java // assume an OpenSSL name already
  let kx = (m[1] as string).replace(/_/g, '-')
  if (kx === 'RSA') kx = ''
  const cipher = (m[2] as string)
    .replace(/^AES_(\d+)_/, 'AES$1_')
    .replace(/^CHACHA20_POLY1305_SHA256$/, 'CHACHA20-POLY1305')
    .replace(/_CBC_/, '_')
    .replace(/_/g, '-')
  return kx === '' ? cipher : `${kx}-${cipher}`
}

/** Builds node:tls client options; throws KafkaTlsError naming the property at fault. */
export async function resolveTls(spec: TlsSpec, host?: string): Promise<ConnectionOptions> {
  const out: ConnectionOptions = {}
  // Trust
  if (spec.truststoreCertificates !== undefined) {
    out.ca = spec.truststoreCertificates
  } else if (spec.truststoreLocation !== undefined) {
    const { data, format } = await readStore(
      'ssl.truststore.location',
      spec.truststoreLocation,
      spec.truststoreType,
    )
    if (format === 'pkcs12') {
      throw new KafkaTlsError(
        'ssl.truststore.location',
        `${spec.truststoreLocation} is a PKCS12 truststore; Node reads trusted certificates as PEM. Export them once with: ` +
          `keytool -exportcert -rfc -keystore ${spec.truststoreLocation} -storetype PKCS12 -alias <alias> -file ca.pem — ` +
          'then set ssl.truststore.location = ca.pem and ssl.truststore.type = PEM',
      )
    }
    out.ca = data
  }
  // Identity (mutual TLS)
  if (spec.keystoreKey !== undefined || spec.keystoreCertificateChain !== undefined) {
    if (spec.keystoreKey === undefined || spec.keystoreCertificateChain === undefined) {
      throw new KafkaTlsError(
        'ssl.keystore.key',
        'ssl.keystore.key and ssl.keystore.certificate.chain must be set together',
      )
    }
    out.key = spec.keystoreKey
    out.cert = spec.keystoreCertificateChain
    if (spec.keyPassword !== undefined) out.passphrase = spec.keyPassword
  } else if (spec.keystoreLocation !== undefined) {
    const { data, format } = await readStore(
      'ssl.keystore.location',
      spec.keystoreLocation,
      spec.keystoreType,
    )
    if (format === 'pem') {
      out.key = data
      out.cert = data
      const pw = spec.keyPassword ?? spec.keystorePassword
      if (pw !== undefined) out.passphrase = pw
    } else {
      out.pfx = data
      const pw = spec.keystorePassword ?? spec.keyPassword
      if (pw !== undefined) out.passphrase = pw
    }
  }
  // Protocols: Node enables a contiguous range, bounded by the lowest and highest enabled protocol.
  const enabled = spec.enabledProtocols ?? (spec.protocol !== undefined ? [spec.protocol] : undefined)
  if (enabled !== undefined) {
    const idx = enabled.map((p) => PROTOCOLS.indexOf(p as SecureVersion))
    const bad = enabled.find((_, i) => (idx[i] as number) < 0)
    if (bad !== undefined) {
      throw new KafkaTlsError(
        'ssl.enabled.protocols',
        `'${bad}' is not a supported protocol (${PROTOCOLS.join(', ')})`,
      )
    }
    out.minVersion = PROTOCOLS[Math.min(...idx)] as SecureVersion
    out.maxVersion = PROTOCOLS[Math.max(...idx)] as SecureVersion
  }
  if (spec.cipherSuites !== undefined && spec.cipherSuites.length > 0) {
    out.ciphers = spec.cipherSuites.map(opensslCipherName).join(':')
  }
  if (!spec.verifyHostname) out.checkServerIdentity = () => undefined
  if (host !== undefined) out.servername = host
  // Validate now (bad key, wrong password, unknown ciphers) so the component fails at build, not per connection.
  try {
    tls().createSecureContext(out)
  } catch (e) {
    const msg = (e as Error).message
    const key = /cipher/i.test(msg)
      ? 'ssl.cipher.suites'
      : out.pfx !== undefined || out.key !== undefined
        ? 'ssl.keystore.location'
        : 'ssl.truststore.location'
    throw new KafkaTlsError(key, `TLS settings rejected: ${msg}`)
  }
  return out
}
