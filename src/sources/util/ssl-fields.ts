/**
 * The TLS keys of Flume's listening RPC sources (avro, thrift; SslContextAwareAbstractSource, reference
 * §12.1) as spec fields, and their conversion to the settings protocols/tls reads (which also applies the
 * global `-Djavax.net.ssl.*` / FLUME_SSL_* fallbacks and explains JKS files).
 */

import { bool, list, str } from '../../core/spec.ts'
import type { TlsSettings } from '../../protocols/tls/options.ts'

export function sslServerFields() {
  return {
    ssl: bool({
      key: 'ssl',
      default: false,
      doc: 'Serve TLS. Needs a keystore (here, or the global -Djavax.net.ssl.keyStore / FLUME_SSL_KEYSTORE_PATH).',
    }),
    keystore: str({
      key: 'keystore',
      doc: 'Keystore path: PKCS12 (.p12), or PEM with the certificate chain and the private key. JKS files are refused with the keytool command that converts them.',
    }),
    keystorePassword: str({
      key: 'keystore-password',
      doc: 'Keystore password (PKCS12), or the passphrase of an encrypted PEM key.',
    }),
    keystoreType: str({
      key: 'keystore-type',
      doc: 'JKS (Flume default), PKCS12 or PEM; the file content decides (a JKS type naming a PKCS12 file works, as in Java 9+).',
    }),
    excludeProtocols: list({
      key: 'exclude-protocols',
      doc: 'Protocols to disable, space separated; SSLv3 is always disabled.',
    }),
    includeProtocols: list({
      key: 'include-protocols',
      doc: 'Protocols to allow (default TLSv1.2 TLSv1.3).',
    }),
    excludeCipherSuites: list({
      key: 'exclude-cipher-suites',
      doc: 'Cipher suites to disable (Java or OpenSSL names).',
    }),
    includeCipherSuites: list({
      key: 'include-cipher-suites',
      doc: "Cipher suites to allow (default: Node's).",
    }),
  }
}

export interface SslServerConfig {
  readonly ssl: boolean
  readonly keystore: string | undefined
  readonly keystorePassword: string | undefined
  readonly keystoreType: string | undefined
  readonly excludeProtocols: readonly string[] | undefined
  readonly includeProtocols: readonly string[] | undefined
  readonly excludeCipherSuites: readonly string[] | undefined
  readonly includeCipherSuites: readonly string[] | undefined
}

export function serverTlsSettings(c: SslServerConfig): TlsSettings {
  return {
    keystore: c.keystore,
    keystorePassword: c.keystorePassword,
    keystoreType: c.keystoreType,
    excludeProtocols: c.excludeProtocols,
    includeProtocols: c.includeProtocols,
    excludeCipherSuites: c.excludeCipherSuites,
    includeCipherSuites: c.includeCipherSuites,
  }
}
