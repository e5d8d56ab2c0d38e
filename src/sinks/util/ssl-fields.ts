/**
 * The TLS keys of Flume's RPC sinks and clients (reference §12.1) as spec fields, converted to the
 * settings protocols/tls reads (which applies the global `-Djavax.net.ssl.trustStore…` / FLUME_SSL_*
 * fallbacks and explains JKS files).
 */

import type { ConnectionOptions } from 'node:tls'
import type { Logger } from 'pino'
import { ConfigError } from '../../core/errors.ts'
import { bool, list, str } from '../../core/spec.ts'
import type { TlsSettings } from '../../protocols/tls/options.ts'

export function sslClientFields(opts: { trustAllCerts: boolean }) {
  return {
    ssl: bool({ key: 'ssl', default: false, doc: 'Connect with TLS.' }),
    ...(opts.trustAllCerts
      ? {
          trustAllCerts: bool({
            key: 'trust-all-certs',
            default: false,
            doc: 'Accept any server certificate (no verification).',
          }),
        }
      : {}),
    truststore: str({
      key: 'truststore',
      doc: "Truststore path: PKCS12, or PEM CA certificates (default: Node's CA list, as Java uses the JDK's). JKS files are refused with the keytool command that converts them.",
    }),
    truststorePassword: str({
      key: 'truststore-password',
      doc: 'Truststore password (needed when its certificates are encrypted).',
    }),
    truststoreType: str({
      key: 'truststore-type',
      doc: 'JKS (Flume default), PKCS12 or PEM; the file content decides.',
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

export interface SslClientConfig {
  readonly ssl: boolean
  readonly trustAllCerts?: boolean
  readonly truststore: string | undefined
  readonly truststorePassword: string | undefined
  readonly truststoreType: string | undefined
  readonly excludeProtocols: readonly string[] | undefined
  readonly includeProtocols: readonly string[] | undefined
  readonly excludeCipherSuites: readonly string[] | undefined
  readonly includeCipherSuites: readonly string[] | undefined
}

export function clientTlsSettings(c: SslClientConfig): TlsSettings {
  return {
    trustAllCerts: c.trustAllCerts ?? false,
    truststore: c.truststore,
    truststorePassword: c.truststorePassword,
    truststoreType: c.truststoreType,
    excludeProtocols: c.excludeProtocols,
    includeProtocols: c.includeProtocols,
    excludeCipherSuites: c.excludeCipherSuites,
    includeCipherSuites: c.includeCipherSuites,
  }
}

/** Loads a sink's TLS client options (undefined when ssl is off); TLS problems become ConfigErrors. */
export async function sinkTls(
  cfg: Parameters<typeof clientTlsSettings>[0],
  ctx: { sys: ReadonlyMap<string, string>; name: string; logger: Logger },
  kind: string,
): Promise<ConnectionOptions | undefined> {
  if (!cfg.ssl) return undefined
  // Loaded only with TLS on (it brings node:crypto for PKCS#12 truststores).
  const { clientTlsOptions, TlsConfigError, withGlobals } = await import('../../protocols/tls/options.ts')
  try {
    return await clientTlsOptions(
      withGlobals(clientTlsSettings(cfg), { sys: ctx.sys, env: process.env }),
      (m, d) => ctx.logger.warn(d ?? {}, m),
    )
  } catch (e) {
    if (e instanceof TlsConfigError) {
      throw new ConfigError(`${kind} sink ${ctx.name}: ${e.message}`, {
        cause: e,
        component: `SINK.${ctx.name}`,
      })
    }
    throw e
  }
}
