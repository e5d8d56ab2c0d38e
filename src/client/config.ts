/**
 * RpcClient configuration: Flume's client properties (RpcClientConfigurationConstants, reference §11.1)
 * parsed with Flume's leniency, or the same settings as a typed object.
 *
 * | property | default | notes |
 * |---|---|---|
 * | `client.type` | `default` | `default` (Avro), `thrift`, `default_failover`, `default_loadbalance`, Flume's class names; flumen adds `thrift_failover`, `thrift_loadbalance` |
 * | `hosts` | — | space-separated aliases; `default`/`thrift` use only the first |
 * | `hosts.<alias>` | — | `host:port` |
 * | `batch-size` | 100 | < 1 or not a number → 100 (warning) |
 * | `connect-timeout`, `request-timeout` | 20000 | ms; < 1000 → 20000 (warning) |
 * | `compression-type`, `compression-level` | none, 6 | avro: `deflate` |
 * | `ssl`, `trust-all-certs`, `truststore`, `truststore-password`, `truststore-type`, `include-protocols`, `exclude-protocols`, `include-cipher-suites`, `exclude-cipher-suites` | | TLS (globals `javax.net.ssl.trustStore…` / FLUME_SSL_* apply) |
 * | `protocol` | compact | thrift: `binary` or `compact` (invalid → compact, warning) |
 * | `maxConnections` | 5 | thrift connection pool |
 * | `max-attempts` | number of hosts | failover |
 * | `host-selector`, `backoff`, `maxBackoff` | round_robin, false, 0 (→ 30000) | load balancing |
 * | `maxIoWorkers` | | ignored with Flume's warning |
 * | `kerberos` | false | not supported (error) |
 */

import type { ConnectionOptions } from 'node:tls'
import { ConfigError } from '../core/errors.ts'
import type { TlsSettings } from '../protocols/tls/options.ts'

export type ClientType = 'avro' | 'thrift' | 'failover' | 'loadbalance'
export type Transport = 'avro' | 'thrift'

export interface HostAddress {
  /** The alias from `hosts` (or host:port). */
  readonly name: string
  readonly host: string
  readonly port: number
}

/** Minimal logger the SDK writes to (pino-compatible). */
export interface ClientLogger {
  warn(obj: Record<string, unknown>, msg: string): void
  info(obj: Record<string, unknown>, msg: string): void
}

export const SILENT_LOGGER: ClientLogger = { warn() {}, info() {} }

/** The settings as a typed object (what `RpcClient.create` also accepts instead of properties). */
export interface RpcClientOptions {
  /** `avro` (Flume's `default`), `thrift`, `failover`, `loadbalance`. Default `avro`. */
  readonly type?: ClientType
  /** For failover/loadbalance: the protocol to each host. Default `avro`. */
  readonly transport?: Transport
  /** Hosts as `host:port` strings or objects; `avro`/`thrift` use the first. */
  readonly hosts: readonly (string | { host: string; port: number; name?: string })[]
  readonly batchSize?: number
  readonly connectTimeoutMs?: number
  readonly requestTimeoutMs?: number
  /** Avro: compress the connection with deflate at this level (0–9); undefined = no compression. */
  readonly compressionLevel?: number
  /** TLS; undefined or false = plain TCP. `true` = TLS with Node's CA list. */
  readonly ssl?: boolean | TlsSettings
  readonly thriftProtocol?: 'compact' | 'binary'
  readonly maxConnections?: number
  readonly maxAttempts?: number
  readonly hostSelector?: 'round_robin' | 'random'
  readonly backoff?: boolean
  readonly maxBackoffMs?: number
  readonly logger?: ClientLogger
}

/** Fully resolved settings the clients run with. */
export interface ResolvedClientConfig {
  readonly type: ClientType
  readonly transport: Transport
  readonly hosts: readonly HostAddress[]
  readonly batchSize: number
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly compressionLevel: number | undefined
  readonly tls: ConnectionOptions | undefined
  readonly thriftProtocol: 'compact' | 'binary'
  readonly maxConnections: number
  readonly maxAttempts: number
  readonly hostSelector: 'round_robin' | 'random'
  readonly backoff: boolean
  readonly maxBackoffMs: number
  readonly logger: ClientLogger
}

export const DEFAULT_BATCH_SIZE = 100
export const DEFAULT_TIMEOUT_MS = 20_000
export const DEFAULT_COMPRESSION_LEVEL = 6
export const DEFAULT_THRIFT_CONNECTIONS = 5

const TYPES: Readonly<Record<string, [ClientType, Transport]>> = {
  default: ['avro', 'avro'],
  avro: ['avro', 'avro'],
  'org.apache.flume.api.nettyavrorpcclient': ['avro', 'avro'],
  thrift: ['thrift', 'thrift'],
  'org.apache.flume.api.thriftrpcclient': ['thrift', 'thrift'],
  default_failover: ['failover', 'avro'],
  'org.apache.flume.api.failoverrpcclient': ['failover', 'avro'],
  default_loadbalance: ['loadbalance', 'avro'],
  'org.apache.flume.api.loadbalancingrpcclient': ['loadbalance', 'avro'],
  thrift_failover: ['failover', 'thrift'],
  thrift_loadbalance: ['loadbalance', 'thrift'],
}

function fail(message: string): never {
  throw new ConfigError(message)
}

function parseHost(name: string, text: string): HostAddress {
  const parts = text.trim().split(':')
  if (parts.length !== 2 || parts[0] === '') fail(`Invalid hostname: ${name} (${text}); expected host:port`)
  const port = Number(parts[1])
  if (!/^\d+$/.test((parts[1] as string).trim()) || port < 0 || port > 65535)
    fail(`Invalid Port: ${parts[1]} (host ${name})`)
  return { name, host: (parts[0] as string).trim(), port }
}

/** Java's Integer/Long.parseLong on trimmed text, or undefined. */
function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined
  return /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : Number.NaN
}

/**
 * Parses Flume RpcClient properties (a Map, a plain object, or entries) into typed options, applying
 * Flume's defaults and warnings. Throws ConfigError for what Flume rejects.
 */
export function optionsFromProperties(
  props: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  logger: ClientLogger = SILENT_LOGGER,
): RpcClientOptions {
  const m = props instanceof Map ? props : new Map(Object.entries(props))
  const get = (k: string): string | undefined => m.get(k)
  const typeText = (get('client.type') ?? 'default').trim()
  const t = TYPES[typeText.toLowerCase()]
  if (t === undefined) {
    fail(
      `client.type '${typeText}' is not supported: use default, thrift, default_failover, default_loadbalance (flumen also: thrift_failover, thrift_loadbalance)`,
    )
  }
  const [type, transport] = t
  const hostNames = (get('hosts') ?? '').trim()
  if (hostNames === '') fail(`Hosts list is invalid: ${get('hosts') ?? 'null'}`)
  const aliases = hostNames.split(/\s+/)
  if ((type === 'avro' || type === 'thrift') && aliases.length > 1) {
    logger.warn(
      { hosts: hostNames, used: aliases[0] },
      'More than one hosts are specified for the default client. Only the first host will be used and others ignored.',
    )
  }
  const used = type === 'avro' || type === 'thrift' ? aliases.slice(0, 1) : aliases
  const hosts = used.map((a) => {
    const v = get(`hosts.${a}`)
    if (v === undefined || v.trim() === '') fail(`Host not found: ${a} (set hosts.${a} = host:port)`)
    return parseHost(a, v)
  })

  let batchSize = DEFAULT_BATCH_SIZE
  const bs = num(get('batch-size'))
  if (bs !== undefined) {
    if (Number.isNaN(bs) || bs < 1)
      logger.warn({ batchSize: get('batch-size') }, 'Invalid value for batch-size; using the default 100')
    else batchSize = bs
  }
  const timeout = (key: string): number => {
    const v = num(get(key))
    if (v === undefined) return DEFAULT_TIMEOUT_MS
    if (Number.isNaN(v)) {
      logger.warn({ [key]: get(key) }, `Invalid ${key} specified; using the default 20000 ms`)
      return DEFAULT_TIMEOUT_MS
    }
    if (v < 1000) {
      logger.warn({ [key]: v }, `${key} specified less than 1s. Using default value instead.`)
      return DEFAULT_TIMEOUT_MS
    }
    return v
  }
  let compressionLevel: number | undefined
  if ((get('compression-type') ?? '').trim().toLowerCase() === 'deflate') {
    const lv = num(get('compression-level'))
    compressionLevel = lv === undefined || Number.isNaN(lv) ? DEFAULT_COMPRESSION_LEVEL : lv
    if (lv !== undefined && Number.isNaN(lv))
      logger.warn({ level: get('compression-level') }, 'Invalid compression level; using 6')
    if (compressionLevel < 0 || compressionLevel > 9)
      fail(`compression-level ${compressionLevel} is out of range (0-9)`)
  }
  if ((get('maxIoWorkers') ?? '') !== '')
    logger.warn({}, 'Specifying the number of workers is no longer supported')
  if ((get('kerberos') ?? '').trim().toLowerCase() === 'true') {
    fail('kerberos = true (SASL/GSSAPI Thrift transport) is not supported by flumen; use ssl = true')
  }
  const bool = (k: string) => (get(k) ?? '').trim().toLowerCase() === 'true'
  const split = (k: string) => {
    const v = get(k)
    return v === undefined ? undefined : v.split(' ').filter((s) => s.length > 0)
  }
  const ssl: TlsSettings | false = bool('ssl')
    ? {
        trustAllCerts: bool('trust-all-certs'),
        truststore: get('truststore'),
        truststorePassword: get('truststore-password'),
        truststoreType: get('truststore-type'),
        excludeProtocols: split('exclude-protocols'),
        includeProtocols: split('include-protocols'),
        excludeCipherSuites: split('exclude-cipher-suites'),
        includeCipherSuites: split('include-cipher-suites'),
      }
    : false

  let thriftProtocol: 'compact' | 'binary' = 'compact'
  const proto = get('protocol')
  if (proto !== undefined) {
    const lower = proto.trim().toLowerCase()
    if (lower !== 'binary' && lower !== 'compact') {
      logger.warn(
        { protocol: proto },
        "'binary' or 'compact' are the only valid Thrift protocol types to choose from. Defaulting to 'compact'.",
      )
    }
    // Flume compat: only the exact text 'binary' selects the binary protocol.
    thriftProtocol = proto === 'binary' ? 'binary' : 'compact'
  }
  let maxConnections = DEFAULT_THRIFT_CONNECTIONS
  const mc = num(get('maxConnections'))
  if (mc !== undefined) {
    if (Number.isNaN(mc) || mc < 1)
      logger.warn(
        { maxConnections: get('maxConnections') },
        'Connection Pool Size specified is less than 1. Using default value instead.',
      )
    else maxConnections = mc
  }
  const ma = num(get('max-attempts'))
  const maxAttempts = ma === undefined || Number.isNaN(ma) ? hosts.length : ma

  const sel = (get('host-selector') ?? 'round_robin').trim().toLowerCase()
  if (type === 'loadbalance' && sel !== 'round_robin' && sel !== 'random') {
    fail(
      `host-selector '${get('host-selector')}' is not supported: use round_robin or random (custom Java HostSelector classes cannot be loaded)`,
    )
  }
  const mb = num(get('maxBackoff'))
  if (mb !== undefined && Number.isNaN(mb)) fail(`maxBackoff '${get('maxBackoff')}' is not a number`)

  return {
    type,
    transport,
    hosts,
    batchSize,
    connectTimeoutMs: timeout('connect-timeout'),
    requestTimeoutMs: timeout('request-timeout'),
    ...(compressionLevel === undefined ? {} : { compressionLevel }),
    ssl,
    thriftProtocol,
    maxConnections,
    maxAttempts,
    hostSelector: sel === 'random' ? 'random' : 'round_robin',
    backoff: bool('backoff'),
    maxBackoffMs: mb ?? 0,
    logger,
  }
}

/** Validates typed options, loads TLS material (async: reads the truststore), fills defaults. */
export async function resolveOptions(
  o: RpcClientOptions,
  globals: { sys?: ReadonlyMap<string, string>; env?: Readonly<Record<string, string | undefined>> } = {
    env: process.env,
  },
): Promise<ResolvedClientConfig> {
  const type = o.type ?? 'avro'
  const transport = type === 'thrift' ? 'thrift' : type === 'avro' ? 'avro' : (o.transport ?? 'avro')
  const hosts = o.hosts.map((h, i) =>
    typeof h === 'string'
      ? parseHost(`h${i + 1}`, h)
      : { name: h.name ?? `${h.host}:${h.port}`, host: h.host, port: h.port },
  )
  if (hosts.length === 0) fail('an RpcClient needs at least one host')
  if (type === 'loadbalance' && hosts.length < 2)
    fail('At least two hosts are required to use the load balancing RPC client.')
  const logger = o.logger ?? SILENT_LOGGER
  const positive = (v: number | undefined, d: number, what: string) => {
    if (v === undefined) return d
    if (!Number.isInteger(v) || v < 1) fail(`${what} must be a positive integer, got ${v}`)
    return v
  }
  let tls: ConnectionOptions | undefined
  if (o.ssl !== undefined && o.ssl !== false) {
    // Loaded only with TLS on (it brings node:crypto for PKCS#12 truststores).
    const { clientTlsOptions, TlsConfigError, withGlobals } = await import('../protocols/tls/options.ts')
    const settings = withGlobals(o.ssl === true ? {} : o.ssl, globals)
    try {
      tls = await clientTlsOptions(settings, (message, detail) => logger.warn(detail ?? {}, message))
    } catch (e) {
      if (e instanceof TlsConfigError) fail(e.message)
      throw e
    }
  }
  if (o.compressionLevel !== undefined && (o.compressionLevel < 0 || o.compressionLevel > 9)) {
    fail(`compression level ${o.compressionLevel} is out of range (0-9)`)
  }
  return {
    type,
    transport,
    hosts,
    batchSize: positive(o.batchSize, DEFAULT_BATCH_SIZE, 'batchSize'),
    connectTimeoutMs: positive(o.connectTimeoutMs, DEFAULT_TIMEOUT_MS, 'connectTimeoutMs'),
    requestTimeoutMs: positive(o.requestTimeoutMs, DEFAULT_TIMEOUT_MS, 'requestTimeoutMs'),
    compressionLevel: o.compressionLevel,
    tls,
    thriftProtocol: o.thriftProtocol ?? 'compact',
    maxConnections: positive(o.maxConnections, DEFAULT_THRIFT_CONNECTIONS, 'maxConnections'),
    maxAttempts: positive(o.maxAttempts, hosts.length, 'maxAttempts'),
    hostSelector: o.hostSelector ?? 'round_robin',
    backoff: o.backoff ?? false,
    // Flume compat: maxBackoff 0 (or unset) keeps the OrderSelector's 30 s cap.
    maxBackoffMs: o.maxBackoffMs === undefined || o.maxBackoffMs === 0 ? 30_000 : o.maxBackoffMs,
    logger,
  }
}
