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

import type { TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import { ConfigError } from '../../core/errors.ts'
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

export interface TlsEnv {
  /** `-Dkey=value` system properties. */
  readonly sys: ReadonlyMap<string, string>
  /** Environment variables (process.env in production). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly logger: Logger
  /** For messages: `SOURCE.r1`. */
  readonly component: string
}

/**
 * Node's TLS server options for the config, or undefined when `ssl` is off. Throws ConfigError. The
 * keystore handling, global fallbacks and protocol/cipher mapping live in protocols/tls/options.ts, shared
 * with the RPC sources, sinks and clients; node:tls is loaded only when TLS is on.
 */
export async function buildTlsServerOptions(
  cfg: TlsServerConfig,
  e: TlsEnv,
): Promise<TlsOptions | undefined> {
  if (!cfg.ssl) return undefined
  // Loaded only with TLS on (node:crypto, keystore parsing): sources without it do not pay for it.
  const { serverTlsOptions, TlsConfigError, withGlobals } = await import('../../protocols/tls/options.ts')
  try {
    return await serverTlsOptions(
      withGlobals(
        {
          keystore: cfg.keystore,
          keystorePassword: cfg.keystorePassword,
          keystoreType: cfg.keystoreType,
          excludeProtocols: cfg.excludeProtocols,
          includeProtocols: cfg.includeProtocols,
          excludeCipherSuites: cfg.excludeCipherSuites,
          includeCipherSuites: cfg.includeCipherSuites,
        },
        { sys: e.sys, env: e.env },
      ),
      (message, detail) => e.logger.warn({ component: e.component, ...detail }, message),
    )
  } catch (err) {
    if (err instanceof TlsConfigError) {
      throw new ConfigError(`${e.component}: ${err.message}`, { cause: err, component: e.component })
    }
    throw err
  }
}
