/**
 * Flume's TLS settings (reference §12) turned into node:tls options, for servers (avro/thrift sources)
 * and clients (avro/thrift sinks, the RPC client SDK).
 *
 * Stores are recognised by their content, whatever `keystore-type`/`truststore-type` says (Java's own
 * JKS keystore type reads PKCS#12 files too since Java 9, so `JKS` is often written for PKCS#12 files):
 * - PKCS#12: keystores go to Node as `pfx`; truststores (certificates only, which Node's `pfx` refuses)
 *   are read by ./pkcs12.ts and given as `ca`;
 * - PEM (flumen extension, `keystore-type = PEM`): certificate chain and private key in one file (the
 *   password decrypts an encrypted key); a PEM truststore is a bundle of CA certificates;
 * - JKS and JCEKS files cannot be read by Node: refused with the keytool command that converts them.
 *
 * Unset settings fall back to Flume's globals: `-Djavax.net.ssl.keyStore…`/`trustStore…` and
 * `-Dflume.ssl.{include,exclude}.{protocols,cipherSuites}`, then the FLUME_SSL_* environment variables.
 *
 * Protocols use Java's names (TLSv1 … TLSv1.3); Node enables a contiguous range, so the lowest and highest
 * enabled protocol bound it (a hole in the list is reported). SSLv3 is never enabled. Cipher suites use
 * Java/IANA names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`) mapped to OpenSSL's; OpenSSL names pass.
 *
 * Client side, as Flume's: certificates are verified against the truststore (default: Node's CA list,
 * as Java uses the JDK's cacerts) unless `trust-all-certs`; host names are NOT checked (Flume's client
 * sets no endpoint identification algorithm, and migrations rely on it).
 */

import { readFile } from 'node:fs/promises'
import type { ConnectionOptions, SecureVersion, TlsOptions } from 'node:tls'
import { tls } from '../../core/builtin-modules.ts'
import { certificatesToPem, Pkcs12Error, pkcs12Certificates } from './pkcs12.ts'

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError'
  readonly code = 'FLUME_ERR_TLS_CONFIG'
}

/** Flume's TLS keys as the user wrote them (undefined = not set). */
export interface TlsSettings {
  readonly keystore?: string | undefined
  readonly keystorePassword?: string | undefined
  readonly keystoreType?: string | undefined
  readonly truststore?: string | undefined
  readonly truststorePassword?: string | undefined
  readonly truststoreType?: string | undefined
  readonly trustAllCerts?: boolean | undefined
  readonly includeProtocols?: readonly string[] | undefined
  readonly excludeProtocols?: readonly string[] | undefined
  readonly includeCipherSuites?: readonly string[] | undefined
  readonly excludeCipherSuites?: readonly string[] | undefined
}

/** Where globals come from: `-D` system properties, then environment variables. */
export interface TlsGlobals {
  readonly sys?: ReadonlyMap<string, string>
  readonly env?: Readonly<Record<string, string | undefined>>
}

export type TlsWarn = (message: string, detail?: Record<string, unknown>) => void

function global(g: TlsGlobals, prop: string, envVar: string): string | undefined {
  const v = g.sys?.get(prop) ?? g.env?.[envVar]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function globalList(g: TlsGlobals, prop: string, envVar: string): string[] {
  const v = global(g, prop, envVar)
  return v === undefined ? [] : v.split(/[\s,]+/).filter((s) => s.length > 0)
}

/** Fills unset settings from Flume's global TLS properties (component keys win). */
export function withGlobals(s: TlsSettings, g: TlsGlobals): TlsSettings {
  const list = (own: readonly string[] | undefined, prop: string, envVar: string) =>
    own !== undefined && own.length > 0 ? own : globalList(g, prop, envVar)
  return {
    keystore: s.keystore ?? global(g, 'javax.net.ssl.keyStore', 'FLUME_SSL_KEYSTORE_PATH'),
    keystorePassword:
      s.keystorePassword ?? global(g, 'javax.net.ssl.keyStorePassword', 'FLUME_SSL_KEYSTORE_PASSWORD'),
    keystoreType: s.keystoreType ?? global(g, 'javax.net.ssl.keyStoreType', 'FLUME_SSL_KEYSTORE_TYPE'),
    truststore: s.truststore ?? global(g, 'javax.net.ssl.trustStore', 'FLUME_SSL_TRUSTSTORE_PATH'),
    truststorePassword:
      s.truststorePassword ?? global(g, 'javax.net.ssl.trustStorePassword', 'FLUME_SSL_TRUSTSTORE_PASSWORD'),
    truststoreType:
      s.truststoreType ?? global(g, 'javax.net.ssl.trustStoreType', 'FLUME_SSL_TRUSTSTORE_TYPE'),
    trustAllCerts: s.trustAllCerts,
    includeProtocols: list(s.includeProtocols, 'flume.ssl.include.protocols', 'FLUME_SSL_INCLUDE_PROTOCOLS'),
    excludeProtocols: list(s.excludeProtocols, 'flume.ssl.exclude.protocols', 'FLUME_SSL_EXCLUDE_PROTOCOLS'),
    includeCipherSuites: list(
      s.includeCipherSuites,
      'flume.ssl.include.cipherSuites',
      'FLUME_SSL_INCLUDE_CIPHERSUITES',
    ),
    excludeCipherSuites: list(
      s.excludeCipherSuites,
      'flume.ssl.exclude.cipherSuites',
      'FLUME_SSL_EXCLUDE_CIPHERSUITES',
    ),
  }
}

export type StoreFormat = 'pkcs12' | 'pem' | 'jks' | 'jceks'

/** Recognises a key/trust store by its first bytes. */
export function sniffStore(data: Buffer): StoreFormat {
  if (data.length >= 4) {
    const magic = data.readUInt32BE(0)
    if (magic === 0xfeedfeed) return 'jks'
    if (magic === 0xcececece) return 'jceks'
  }
  if (data.subarray(0, 4096).toString('latin1').includes('-----BEGIN')) return 'pem'
  return 'pkcs12'
}

const KNOWN_TYPES = new Set(['JKS', 'JCEKS', 'PKCS12', 'PEM'])

/** The keytool command that turns a Java keystore into PKCS#12, which Node reads. */
export function keytoolConversion(path: string): string {
  const p12 = `${path.replace(/\.(jks|jceks|keystore|truststore|ks|ts)$/i, '')}.p12`
  return (
    // keytool recognises the source type itself (JKS or JCEKS).
    `keytool -importkeystore -srckeystore ${path} -destkeystore ${p12} -deststoretype PKCS12`
  )
}

async function readStore(
  path: string,
  role: 'keystore' | 'truststore',
  declaredType: string | undefined,
): Promise<{ data: Buffer; format: StoreFormat }> {
  if (declaredType !== undefined && !KNOWN_TYPES.has(declaredType.toUpperCase())) {
    throw new TlsConfigError(`${role}-type '${declaredType}' is not supported (use PKCS12 or PEM)`)
  }
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (e) {
    throw new TlsConfigError(
      `cannot read ${role} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    )
  }
  const format = sniffStore(data)
  if (format === 'jks' || format === 'jceks') {
    throw new TlsConfigError(
      `${role} ${path} is a ${format.toUpperCase()} file, which Node cannot read. Convert it once with: ` +
        `${keytoolConversion(path)} — then set ${role} to the .p12 file and ${role}-type = PKCS12`,
    )
  }
  return { data, format }
}

/** Server options (certificate, key, protocols, ciphers) for `ssl = true`. Throws TlsConfigError. */
export async function serverTlsOptions(s: TlsSettings, warn: TlsWarn): Promise<TlsOptions> {
  if (s.keystore === undefined) {
    throw new TlsConfigError(
      'ssl = true needs a keystore: set keystore (or -Djavax.net.ssl.keyStore / FLUME_SSL_KEYSTORE_PATH)',
    )
  }
  const { data, format } = await readStore(s.keystore, 'keystore', s.keystoreType)
  if (format === 'pkcs12' && s.keystorePassword === undefined) {
    throw new TlsConfigError(
      `the PKCS12 keystore ${s.keystore} needs keystore-password (or -Djavax.net.ssl.keyStorePassword / FLUME_SSL_KEYSTORE_PASSWORD)`,
    )
  }
  const pass = s.keystorePassword === undefined ? {} : { passphrase: s.keystorePassword }
  const opts: TlsOptions = format === 'pem' ? { cert: data, key: data, ...pass } : { pfx: data, ...pass }
  applyProtocolsAndCiphers(opts, s, warn)
  try {
    tls().createSecureContext(opts)
  } catch (e) {
    const msg = (e as Error).message
    const hint = /mac verify|bad decrypt|wrong password|bad password/i.test(msg)
      ? ' (wrong keystore-password?)'
      : ''
    throw new TlsConfigError(`cannot use keystore ${s.keystore}: ${msg}${hint}`)
  }
  return opts
}

/** Client options (trust, protocols, ciphers) for `ssl = true`. Throws TlsConfigError. */
export async function clientTlsOptions(s: TlsSettings, warn: TlsWarn): Promise<ConnectionOptions> {
  // Flume compat: no host name verification (NettyAvroRpcClient/ThriftRpcClient set no endpoint algorithm).
  const opts: ConnectionOptions = { checkServerIdentity: () => undefined }
  if (s.trustAllCerts === true) {
    warn('No truststore configured, setting TrustManager to accept all server certificates')
    opts.rejectUnauthorized = false
  } else if (s.truststore !== undefined) {
    const { data, format } = await readStore(s.truststore, 'truststore', s.truststoreType)
    if (format === 'pem') opts.ca = data
    else {
      let certs: Buffer[]
      try {
        certs = pkcs12Certificates(data, s.truststorePassword)
      } catch (e) {
        if (e instanceof Pkcs12Error) throw new TlsConfigError(`truststore ${s.truststore}: ${e.message}`)
        throw e
      }
      if (certs.length === 0) throw new TlsConfigError(`truststore ${s.truststore} holds no certificate`)
      opts.ca = certificatesToPem(certs)
    }
    opts.rejectUnauthorized = true
  } else {
    opts.rejectUnauthorized = true // Node's CA list, like the JDK's cacerts
  }
  applyProtocolsAndCiphers(opts, s, warn)
  try {
    tls().createSecureContext(opts)
  } catch (e) {
    throw new TlsConfigError(`invalid TLS client settings: ${(e as Error).message}`)
  }
  return opts
}

const PROTOCOLS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']
const DEFAULT_PROTOCOLS: readonly SecureVersion[] = ['TLSv1.2', 'TLSv1.3']

/** Java/IANA cipher suite names → OpenSSL names (TLS 1.3 suites are named alike in both). */
const CIPHER_NAMES: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_AES_128_CCM_SHA256: 'TLS_AES_128_CCM_SHA256',
  TLS_AES_128_CCM_8_SHA256: 'TLS_AES_128_CCM_8_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 'DHE-RSA-AES128-GCM-SHA256',
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 'DHE-RSA-AES256-GCM-SHA384',
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'DHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 'ECDHE-ECDSA-AES256-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 'ECDHE-RSA-AES256-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: 'DHE-RSA-AES128-SHA256',
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: 'DHE-RSA-AES256-SHA256',
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA: 'DHE-RSA-AES128-SHA',
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA: 'DHE-RSA-AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_256_CBC_SHA256: 'AES256-SHA256',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
}

function applyProtocolsAndCiphers(opts: TlsOptions | ConnectionOptions, s: TlsSettings, warn: TlsWarn): void {
  const include = s.includeProtocols ?? []
  const exclude = new Set(['SSLv3', ...(s.excludeProtocols ?? [])])
  for (const p of [...include, ...exclude]) {
    if (!PROTOCOLS.includes(p as SecureVersion) && p !== 'SSLv3' && p !== 'SSLv2Hello') {
      warn('Unknown TLS protocol name in the configuration; ignored', { protocol: p })
    }
  }
  const base = include.length > 0 ? PROTOCOLS.filter((p) => include.includes(p)) : DEFAULT_PROTOCOLS
  const enabled = base.filter((p) => !exclude.has(p))
  if (enabled.length === 0) {
    throw new TlsConfigError('no TLS protocol is left enabled by include-protocols/exclude-protocols')
  }
  const lo = PROTOCOLS.indexOf(enabled[0] as SecureVersion)
  const hi = PROTOCOLS.indexOf(enabled[enabled.length - 1] as SecureVersion)
  if (hi - lo + 1 !== enabled.length) {
    warn(
      'TLS protocols must form a range in Node; everything between the lowest and highest enabled one is allowed',
      {
        enabled,
      },
    )
  }
  opts.minVersion = PROTOCOLS[lo] as SecureVersion
  opts.maxVersion = PROTOCOLS[hi] as SecureVersion

  const mapCipher = (name: string): string | undefined => {
    if (name === 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV') return undefined
    const m = CIPHER_NAMES[name] ?? (/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(name) ? name : undefined)
    if (m === undefined) warn('Cipher suite not known to flumen; ignored', { cipherSuite: name })
    return m
  }
  const inc = s.includeCipherSuites ?? []
  const exc = s.excludeCipherSuites ?? []
  if (inc.length === 0 && exc.length === 0) return
  const parts =
    inc.length > 0 ? inc.map(mapCipher).filter((c) => c !== undefined) : tls().DEFAULT_CIPHERS.split(':')
  if (inc.length > 0 && parts.length === 0) {
    throw new TlsConfigError('none of include-cipher-suites is a cipher suite Node supports')
  }
  const ex = new Set(exc.map(mapCipher).filter((c) => c !== undefined))
  opts.ciphers = [
    ...parts.filter((c) => !ex.has(c)),
    ...[...ex].filter((c) => !c.startsWith('TLS_')).map((c) => `!${c}`),
  ].join(':')
}
