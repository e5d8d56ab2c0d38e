/**
 * TLS for listening sources (syslogtcp, multiport_syslogtcp, http; Flume's SslContextAwareAbstractSource,
 * reference §12): the spec fields, and the node:tls options built from them.
 *
 * Keys: `ssl`, `keystore`, `keystore-password`, `keystore-type` (JKS default), `exclude-protocols`
 * (SSLv3 always excluded), `include-protocols`, `exclude-cipher-suites`, `include-cipher-suites` (space
 * separated). An unset keystore, password or type falls back to the JVM system properties Flume reads
 * (`-Djavax.net.ssl.keyStore`, `…keyStorePassword`, `…keyStoreType`), then to the environment variables
 * (`FLUME_SSL_KEYSTORE_PATH`, `…_PASSWORD`, `…_TYPE`); protocol and cipher lists fall back to
 * `-Dflume.ssl.{include,exclude}.{protocols,cipherSuites}` and `FLUME_SSL_{INCLUDE,EXCLUDE}_…` (comma
 * lists). Globals never turn TLS on by themselves.
 *
 * Keystores, recognised by their content whatever `keystore-type` says:
 * - PKCS12 (`.p12`/`.pfx`; what keytool writes by default since Java 9) — read with the password;
 * - PEM (flumen extension, `keystore-type = PEM`): certificate chain and private key in one file; the
 *   password decrypts an encrypted key and may be left out otherwise;
 * - JKS and JCEKS cannot be read by Node: refused with the keytool command that converts them.
 * The keystore is loaded and checked when the component is built, so a wrong path or password drops the
 * component with a clear error (Flume fails configure() the same way).
 *
 * Protocols use Java's names (TLSv1 … TLSv1.3); Node enables a contiguous range, so the lowest and highest
 * enabled protocol bound it (a hole in the list is reported). Cipher suites use Java/IANA names
 * (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`) and are mapped to OpenSSL's; OpenSSL names are also accepted.
 */

import { readFile } from 'node:fs/promises'
import { createSecureContext, DEFAULT_CIPHERS, type SecureVersion, type TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import { ConfigError, describeError } from '../../core/errors.ts'
import { bool, list, str } from '../../core/spec.ts'
import { documentedDefault } from './fields.ts'

export function tlsServerFields(opts: { httpAliases?: boolean } = {}) {
  const http = opts.httpAliases === true
  return {
    ssl: bool({
      key: 'ssl',
      default: false,
      aliases: http ? ['enableSSL'] : [],
      doc: 'Serve TLS. Needs a keystore (here or from the global -Djavax.net.ssl.* settings).',
    }),
    keystore: str({
      key: 'keystore',
      doc: 'Path of the keystore: PKCS12, or PEM (certificate chain + key).',
    }),
    keystorePassword: str({
      key: 'keystore-password',
      aliases: http ? ['keystorePassword'] : [],
      doc: 'Keystore password (PKCS12), or the passphrase of an encrypted PEM key.',
    }),
    keystoreType: documentedDefault(
      str({
        key: 'keystore-type',
        doc: 'JKS (refused with the keytool command that converts it), PKCS12 or PEM. The file content decides in the end.',
      }),
      'JKS',
    ),
    excludeProtocols: documentedDefault(
      list({
        key: 'exclude-protocols',
        aliases: http ? ['excludeProtocols'] : [],
        doc: 'Protocols to disable, space separated; SSLv3 is always disabled.',
      }),
      'SSLv3',
    ),
    includeProtocols: list({
      key: 'include-protocols',
      doc: 'Protocols to allow (default: TLSv1.2 TLSv1.3).',
    }),
    excludeCipherSuites: list({ key: 'exclude-cipher-suites', doc: 'Cipher suites to disable.' }),
    includeCipherSuites: list({
      key: 'include-cipher-suites',
      doc: 'Cipher suites to allow (default: Node’s).',
    }),
  }
}

export interface TlsServerConfig {
  readonly ssl: boolean
  readonly keystore: string | undefined
  readonly keystorePassword: string | undefined
  readonly keystoreType: string | undefined
  readonly excludeProtocols: readonly string[] | undefined
  readonly includeProtocols: readonly string[] | undefined
  readonly excludeCipherSuites: readonly string[] | undefined
  readonly includeCipherSuites: readonly string[] | undefined
}

const PROTOCOLS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']
const DEFAULT_PROTOCOLS: readonly SecureVersion[] = ['TLSv1.2', 'TLSv1.3']

/** Java/IANA cipher suite names → OpenSSL names (TLS 1.3 suites have the same name in both). */
const CIPHERS: Readonly<Record<string, string>> = {
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

export interface TlsEnv {
  /** `-Dkey=value` system properties. */
  readonly sys: ReadonlyMap<string, string>
  /** Environment variables (process.env in production). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly logger: Logger
  /** For messages: `SOURCE.r1`. */
  readonly component: string
}

function global(e: TlsEnv, prop: string, envVar: string): string | undefined {
  return e.sys.get(prop) ?? e.env[envVar]
}

function globalList(e: TlsEnv, prop: string, envVar: string): string[] {
  const v = global(e, prop, envVar)
  return v === undefined ? [] : v.split(/[\s,]+/).filter((s) => s.length > 0)
}

type KeystoreFormat = 'pkcs12' | 'pem' | 'jks' | 'jceks'

export function sniffKeystore(data: Buffer): KeystoreFormat {
  if (data.length >= 4) {
    const magic = data.readUInt32BE(0)
    if (magic === 0xfeedfeed) return 'jks'
    if (magic === 0xcececece) return 'jceks'
  }
  if (data.subarray(0, 4096).toString('latin1').includes('-----BEGIN')) return 'pem'
  return 'pkcs12'
}

function convertHint(path: string): string {
  const p12 = path.replace(/\.(jks|jceks|keystore)$/i, '') + '.p12'
  return (
    `Node cannot read Java keystores; convert it once with: keytool -importkeystore -srckeystore ${path} ` +
    `-destkeystore ${p12} -deststoretype PKCS12 (then set keystore = ${p12}, keystore-type = PKCS12)`
  )
}

/** Node's TLS server options for the config, or undefined when `ssl` is off. Throws ConfigError. */
export async function buildTlsServerOptions(
  cfg: TlsServerConfig,
  e: TlsEnv,
): Promise<TlsOptions | undefined> {
  if (!cfg.ssl) return undefined
  const where = e.component
  const path = cfg.keystore ?? global(e, 'javax.net.ssl.keyStore', 'FLUME_SSL_KEYSTORE_PATH')
  const password =
    cfg.keystorePassword ?? global(e, 'javax.net.ssl.keyStorePassword', 'FLUME_SSL_KEYSTORE_PASSWORD')
  const declared = (
    cfg.keystoreType ??
    global(e, 'javax.net.ssl.keyStoreType', 'FLUME_SSL_KEYSTORE_TYPE') ??
    'JKS'
  ).toUpperCase()
  if (path === undefined) {
    throw new ConfigError(
      `${where}: ssl = true needs a keystore: set keystore (or -Djavax.net.ssl.keyStore / FLUME_SSL_KEYSTORE_PATH)`,
      { component: where },
    )
  }
  if (!['JKS', 'JCEKS', 'PKCS12', 'PEM'].includes(declared)) {
    throw new ConfigError(`${where}: keystore-type '${declared}' is not supported (use PKCS12 or PEM)`, {
      component: where,
    })
  }
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (err) {
    throw new ConfigError(`${where}: cannot read keystore ${path}: ${describeError(err)}`, {
      cause: err,
      component: where,
    })
  }
  const format = sniffKeystore(data)
  if (format === 'jks' || format === 'jceks') {
    throw new ConfigError(
      `${where}: keystore ${path} is a ${format.toUpperCase()} file. ${convertHint(path)}`,
      {
        component: where,
      },
    )
  }
  if (format === 'pkcs12' && password === undefined) {
    throw new ConfigError(
      `${where}: ssl = true needs keystore-password for the PKCS12 keystore ${path} (or -Djavax.net.ssl.keyStorePassword / FLUME_SSL_KEYSTORE_PASSWORD)`,
      { component: where },
    )
  }
  const opts: TlsOptions =
    format === 'pem'
      ? { cert: data, key: data, ...(password === undefined ? {} : { passphrase: password }) }
      : { pfx: data, ...(password === undefined ? {} : { passphrase: password }) }

  // Protocols: (include, or the defaults) minus exclude; SSLv3 is never available.
  const include = cfg.includeProtocols?.length
    ? cfg.includeProtocols
    : globalList(e, 'flume.ssl.include.protocols', 'FLUME_SSL_INCLUDE_PROTOCOLS')
  const exclude = new Set([
    'SSLv3',
    ...(cfg.excludeProtocols ?? globalList(e, 'flume.ssl.exclude.protocols', 'FLUME_SSL_EXCLUDE_PROTOCOLS')),
  ])
  for (const p of [...include, ...exclude]) {
    if (!PROTOCOLS.includes(p as SecureVersion) && p !== 'SSLv3' && p !== 'SSLv2Hello') {
      e.logger.warn(
        { component: where, protocol: p },
        'Unknown TLS protocol name in the configuration; ignored',
      )
    }
  }
  const base = include.length > 0 ? PROTOCOLS.filter((p) => include.includes(p)) : DEFAULT_PROTOCOLS
  const enabled = base.filter((p) => !exclude.has(p))
  if (enabled.length === 0) {
    throw new ConfigError(
      `${where}: no TLS protocol is left enabled by include-protocols/exclude-protocols`,
      {
        component: where,
      },
    )
  }
  const lo = PROTOCOLS.indexOf(enabled[0] as SecureVersion)
  const hi = PROTOCOLS.indexOf(enabled[enabled.length - 1] as SecureVersion)
  if (hi - lo + 1 !== enabled.length) {
    e.logger.warn(
      { component: where, enabled },
      'TLS protocols must form a range in Node; everything between the lowest and highest enabled one is allowed',
    )
  }
  opts.minVersion = PROTOCOLS[lo] as SecureVersion
  opts.maxVersion = PROTOCOLS[hi] as SecureVersion

  // Cipher suites.
  const mapCipher = (name: string): string | undefined => {
    if (name === 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV') return undefined
    const m = CIPHERS[name] ?? (/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(name) ? name : undefined)
    if (m === undefined) {
      e.logger.warn({ component: where, cipherSuite: name }, 'Cipher suite not known to flumen; ignored')
    }
    return m
  }
  const includeC = cfg.includeCipherSuites?.length
    ? cfg.includeCipherSuites
    : globalList(e, 'flume.ssl.include.cipherSuites', 'FLUME_SSL_INCLUDE_CIPHERSUITES')
  const excludeC = cfg.excludeCipherSuites?.length
    ? cfg.excludeCipherSuites
    : globalList(e, 'flume.ssl.exclude.cipherSuites', 'FLUME_SSL_EXCLUDE_CIPHERSUITES')
  if (includeC.length > 0 || excludeC.length > 0) {
    // Node takes TLS 1.3 suites (TLS_*) and older ones in one string; a TLS 1.3 suite is removed by leaving
    // it out of the list, an older one also by `!name` (it may come back through an alias like HIGH).
    const parts =
      includeC.length > 0
        ? includeC.map(mapCipher).filter((c) => c !== undefined)
        : DEFAULT_CIPHERS.split(':')
    if (includeC.length > 0 && parts.length === 0) {
      throw new ConfigError(`${where}: none of include-cipher-suites is a cipher suite Node supports`, {
        component: where,
      })
    }
    const ex = new Set(excludeC.map(mapCipher).filter((c) => c !== undefined))
    opts.ciphers = [
      ...parts.filter((c) => !ex.has(c)),
      ...[...ex].filter((c) => !c.startsWith('TLS_')).map((c) => `!${c}`),
    ].join(':')
  }

  try {
    createSecureContext(opts)
  } catch (err) {
    const msg = describeError(err)
    const hint = /mac verify|bad decrypt|wrong password/i.test(msg) ? ' (wrong keystore-password?)' : ''
    throw new ConfigError(`${where}: cannot use keystore ${path}: ${msg}${hint}`, {
      cause: err,
      component: where,
    })
  }
  return opts
}
