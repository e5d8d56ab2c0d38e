/**
 * Java Kafka client properties (what Flume passes through from `kafka.producer.*` / `kafka.consumer.*`)
 * translated into flumen's backend-neutral settings (./client.ts). Every property the Java 2.7 client
 * (Flume 1.11's) knows is in one of three groups, listed in PRODUCER_KEYS / CONSUMER_KEYS / COMMON_KEYS:
 *
 * - mapped: it changes what the client does (acks, compression.type, fetch.*, session.timeout.ms, TLS,
 *   SASL...);
 * - accepted: it has nothing to tune here, and saying so is enough (linger.ms: Flume flushes every batch
 *   anyway, so records never wait; send.buffer.bytes...). Reported at debug level;
 * - refused: it would change behaviour in a way this client cannot reproduce (interceptor.classes,
 *   custom serializers or partitioners, transactional.id, GSSAPI). A configuration error, so a config
 *   that depends on it never runs silently differently.
 *
 * A key the Java client does not know is a warning, as Java's "supplied but isn't a known config".
 * Values are parsed as Java's ConfigDef does (ints, longs, booleans `true`/`false` in any case), and a bad
 * value is an error naming the key.
 *
 * TLS follows KafkaSSLUtil: with security.protocol SSL or SASL_SSL, unset ssl.keystore.* / ssl.truststore.*
 * are filled from Flume's globals (`-Djavax.net.ssl.keyStore`... then FLUME_SSL_* environment variables),
 * and Flume's `ssl.disableTLSHostnameVerification = true` turns off host name verification.
 */

import type {
  Acks,
  AssignmentStrategy,
  Compression,
  ConsumerSettings,
  OffsetReset,
  ProducerSettings,
  SaslMechanism,
  UnkeyedPartitioning,
} from './client.ts'
import { parseJaas, parseJaasFile } from './jaas.ts'
import type { TlsSpec } from './tls.ts'

export interface PropIssue {
  /** The Java property name (without Flume's `kafka.producer.` prefix). */
  readonly key: string
  readonly message: string
}

export interface Translation<T> {
  readonly settings: T
  /** Refused or invalid: the component must not start. */
  readonly errors: PropIssue[]
  /** Unknown keys, or values adjusted with a visible effect. */
  readonly warnings: PropIssue[]
  /** Accepted keys that have nothing to tune in this client (debug level). */
  readonly notes: PropIssue[]
}

/** Where Flume's global TLS settings come from (reference §12.2). */
export interface Globals {
  readonly sys: ReadonlyMap<string, string>
  readonly env: Readonly<Record<string, string | undefined>>
}

/** The unresolved result: TLS still names files (read by ./tls.ts when the component is built). */
export type Unresolved<T> = Omit<T, 'tls'> & { readonly tls: TlsSpec | undefined }

type Handler = 'mapped' | { readonly accept: string } | { readonly refuse: string }

const accept = (why: string): Handler => ({ accept: why })
const refuse = (why: string): Handler => ({ refuse: why })

const NO_TUNING = 'nothing to tune in this client'
const KERBEROS = 'used only by SASL GSSAPI (Kerberos), which this client does not support'
const FLUSHED = 'Flume flushes every batch, so records never wait for a fuller batch'

/** Properties of both roles (CommonClientConfigs, SslConfigs, SaslConfigs of kafka-clients 2.7). */
export const COMMON_KEYS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['bootstrap.servers', 'mapped'],
  ['client.id', 'mapped'],
  ['client.rack', 'mapped'],
  ['request.timeout.ms', 'mapped'],
  ['socket.connection.setup.timeout.ms', 'mapped'],
  ['socket.connection.setup.timeout.max.ms', accept(NO_TUNING)],
  ['metadata.max.age.ms', 'mapped'],
  ['retry.backoff.ms', 'mapped'],
  ['reconnect.backoff.ms', accept('reconnection follows retry.backoff.ms')],
  ['reconnect.backoff.max.ms', accept('reconnection follows retry.backoff.ms')],
  ['connections.max.idle.ms', accept(NO_TUNING)],
  ['send.buffer.bytes', accept('the operating system sizes socket buffers')],
  ['receive.buffer.bytes', accept('the operating system sizes socket buffers')],
  ['client.dns.lookup', accept('host names are resolved by Node (all addresses are tried)')],
  ['metric.reporters', accept('metrics are exposed by flumen monitoring')],
  ['metrics.num.samples', accept('metrics are exposed by flumen monitoring')],
  ['metrics.sample.window.ms', accept('metrics are exposed by flumen monitoring')],
  ['metrics.recording.level', accept('metrics are exposed by flumen monitoring')],
  ['security.protocol', 'mapped'],
  ['security.providers', refuse('Java security providers cannot be loaded')],
  // TLS
  ['ssl.protocol', 'mapped'],
  ['ssl.enabled.protocols', 'mapped'],
  ['ssl.cipher.suites', 'mapped'],
  ['ssl.endpoint.identification.algorithm', 'mapped'],
  ['ssl.disableTLSHostnameVerification', 'mapped'],
  ['ssl.truststore.location', 'mapped'],
  ['ssl.truststore.password', 'mapped'],
  ['ssl.truststore.type', 'mapped'],
  ['ssl.truststore.certificates', 'mapped'],
  ['ssl.keystore.location', 'mapped'],
  ['ssl.keystore.password', 'mapped'],
  ['ssl.keystore.type', 'mapped'],
  ['ssl.keystore.key', 'mapped'],
  ['ssl.keystore.certificate.chain', 'mapped'],
  ['ssl.key.password', 'mapped'],
  ['ssl.keymanager.algorithm', accept('OpenSSL handles keys')],
  ['ssl.trustmanager.algorithm', accept('OpenSSL verifies certificates')],
  ['ssl.secure.random.implementation', accept('OpenSSL provides randomness')],
  ['ssl.provider', accept('OpenSSL is the TLS provider')],
  ['ssl.engine.factory.class', refuse('a Java SSL engine factory cannot be loaded')],
  // SASL
  ['sasl.mechanism', 'mapped'],
  ['sasl.jaas.config', 'mapped'],
  ['sasl.kerberos.service.name', accept(KERBEROS)],
  ['sasl.kerberos.kinit.cmd', accept(KERBEROS)],
  ['sasl.kerberos.ticket.renew.window.factor', accept(KERBEROS)],
  ['sasl.kerberos.ticket.renew.jitter', accept(KERBEROS)],
  ['sasl.kerberos.min.time.before.relogin', accept(KERBEROS)],
  ['sasl.client.callback.handler.class', refuse('a Java callback handler cannot be loaded')],
  ['sasl.login.class', refuse('a Java login class cannot be loaded')],
  ['sasl.login.callback.handler.class', refuse('a Java callback handler cannot be loaded')],
  ['sasl.login.refresh.window.factor', accept('only OAUTHBEARER refreshes logins')],
  ['sasl.login.refresh.window.jitter', accept('only OAUTHBEARER refreshes logins')],
  ['sasl.login.refresh.min.period.seconds', accept('only OAUTHBEARER refreshes logins')],
  ['sasl.login.refresh.buffer.seconds', accept('only OAUTHBEARER refreshes logins')],
])

export const PRODUCER_KEYS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['acks', 'mapped'],
  ['compression.type', 'mapped'],
  ['enable.idempotence', 'mapped'],
  ['retries', 'mapped'],
  ['delivery.timeout.ms', 'mapped'],
  ['max.request.size', 'mapped'],
  ['partitioner.class', 'mapped'],
  ['key.serializer', 'mapped'],
  ['value.serializer', 'mapped'],
  ['linger.ms', accept(FLUSHED)],
  ['batch.size', accept(`${FLUSHED}; requests are bounded by max.request.size`)],
  ['buffer.memory', accept('a batch is never larger than the Flume batch being sent')],
  ['max.block.ms', accept('waiting for metadata counts against delivery.timeout.ms')],
  ['max.in.flight.requests.per.connection', accept('one request per partition leader is in flight')],
  ['transaction.timeout.ms', accept('Flume does not use Kafka transactions')],
  ['interceptor.classes', refuse('Java producer interceptors cannot be loaded')],
  ['transactional.id', refuse('Flume never initialises Kafka transactions, so no send could succeed')],
])

export const CONSUMER_KEYS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['group.id', 'mapped'],
  ['group.instance.id', 'mapped'],
  ['auto.offset.reset', 'mapped'],
  ['enable.auto.commit', 'mapped'],
  ['session.timeout.ms', 'mapped'],
  ['heartbeat.interval.ms', 'mapped'],
  ['max.poll.interval.ms', 'mapped'],
  ['max.poll.records', accept('records per poll are bounded by the Flume batch size')],
  ['allow.auto.create.topics', 'mapped'],
  ['fetch.min.bytes', 'mapped'],
  ['fetch.max.bytes', 'mapped'],
  ['max.partition.fetch.bytes', 'mapped'],
  ['fetch.max.wait.ms', 'mapped'],
  ['isolation.level', 'mapped'],
  ['partition.assignment.strategy', 'mapped'],
  ['key.deserializer', 'mapped'],
  ['value.deserializer', 'mapped'],
  ['auto.commit.interval.ms', accept('offsets are committed by Flume after each channel commit')],
  ['check.crcs', accept('record batches are always parsed whole')],
  ['exclude.internal.topics', accept('internal topics never match a subscription')],
  ['default.api.timeout.ms', accept('consumer calls use request.timeout.ms')],
  ['interceptor.classes', refuse('Java consumer interceptors cannot be loaded')],
])

// Java 2.7 defaults for what we map (ProducerConfig / ConsumerConfig / CommonClientConfigs).
const DEFAULTS = {
  requestTimeoutProducer: 30_000,
  requestTimeoutConsumer: 30_000,
  connectTimeout: 10_000,
  metadataMaxAge: 300_000,
  retryBackoff: 100,
  deliveryTimeout: 120_000,
  maxRequestSize: 1_048_576,
  sessionTimeout: 10_000,
  heartbeatInterval: 3_000,
  maxPollInterval: 300_000,
  fetchMinBytes: 1,
  fetchMaxBytes: 52_428_800,
  maxPartitionFetchBytes: 1_048_576,
  fetchMaxWait: 500,
} as const

const STRING_SERIALIZER = 'org.apache.kafka.common.serialization.StringSerializer'
const BYTES_SERIALIZER = 'org.apache.kafka.common.serialization.ByteArraySerializer'
const STRING_DESERIALIZER = 'org.apache.kafka.common.serialization.StringDeserializer'
const BYTES_DESERIALIZER = 'org.apache.kafka.common.serialization.ByteArrayDeserializer'

const PARTITIONERS: ReadonlyMap<string, UnkeyedPartitioning> = new Map([
  ['org.apache.kafka.clients.producer.internals.DefaultPartitioner', 'sticky'],
  ['org.apache.kafka.clients.producer.UniformStickyPartitioner', 'sticky'],
  ['org.apache.kafka.clients.producer.RoundRobinPartitioner', 'round-robin'],
])

const ASSIGNORS: ReadonlyMap<string, AssignmentStrategy> = new Map([
  ['org.apache.kafka.clients.consumer.RangeAssignor', 'range'],
  ['range', 'range'],
  ['org.apache.kafka.clients.consumer.RoundRobinAssignor', 'roundrobin'],
  ['roundrobin', 'roundrobin'],
])

class Reader {
  readonly errors: PropIssue[] = []
  readonly warnings: PropIssue[] = []
  readonly notes: PropIssue[] = []
  readonly #props: ReadonlyMap<string, string>

  constructor(props: ReadonlyMap<string, string>, known: ReadonlyMap<string, Handler>) {
    this.#props = props
    for (const [key] of props) {
      const h = known.get(key) ?? COMMON_KEYS.get(key)
      if (h === undefined) {
        this.warnings.push({
          key,
          message: `'${key}' is not a Kafka client property this client knows (Java would log "supplied but isn't a known config"); it is ignored`,
        })
      } else if (typeof h === 'object' && 'accept' in h) {
        this.notes.push({ key, message: `'${key}' is accepted and has no effect: ${h.accept}` })
      } else if (typeof h === 'object' && 'refuse' in h) {
        this.errors.push({ key, message: `'${key}' is not supported: ${h.refuse}` })
      }
    }
  }

  str(key: string): string | undefined {
    const v = this.#props.get(key)
    if (v === undefined) return undefined
    const t = v.trim()
    return t === '' ? undefined : t
  }

  int(key: string, dflt: number, min = 0, bits: 32 | 64 = 32): number {
    const v = this.str(key)
    if (v === undefined) return dflt
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN
    const limit = bits === 32 ? 2 ** 31 : 2 ** 63
    if (!Number.isFinite(n) || n >= limit || n < -limit) {
      this.errors.push({ key, message: `'${v}' is not a valid ${bits === 32 ? 'int' : 'long'}` })
      return dflt
    }
    if (n < min) {
      this.errors.push({ key, message: `${n} is below the minimum of ${min}` })
      return dflt
    }
    return n
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.str(key)
    if (v === undefined) return dflt
    const t = v.toLowerCase()
    if (t !== 'true' && t !== 'false') {
      this.errors.push({ key, message: `'${v}' is not a boolean (true or false)` })
      return dflt
    }
    return t === 'true'
  }

  oneOf<T extends string>(key: string, values: readonly T[], dflt: T): T {
    const v = this.str(key)
    if (v === undefined) return dflt
    const hit = values.find((x) => x === v)
    if (hit === undefined) {
      this.errors.push({ key, message: `'${v}' is not one of ${values.join(', ')}` })
      return dflt
    }
    return hit
  }

  list(key: string): string[] | undefined {
    const v = this.str(key)
    return v === undefined ? undefined : v.split(/\s*,\s*/).filter((s) => s.length > 0)
  }

  error(key: string, message: string): void {
    this.errors.push({ key, message })
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, message })
  }
}

function parseBootstrap(text: string, r: Reader, key: string): string[] {
  const out: string[] = []
  for (const entry of text.split(/\s*,\s*/)) {
    if (entry === '') continue
    // host:port, [v6]:port; Java requires the port.
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(entry.replace(/^\w+:\/\//, ''))
    if (m === null || Number(m[2]) > 65535) {
      r.error(key, `'${entry}' is not a host:port address`)
      continue
    }
    out.push(`${m[1]}:${m[2]}`)
  }
  if (out.length === 0 && r.errors.length === 0) r.error(key, 'no broker address given')
  return out
}

function common(
  r: Reader,
  bootstrap: string,
  clientId: string,
  requestTimeoutDefault: number,
  globals: Globals,
  props: ReadonlyMap<string, string>,
) {
  const protocol = r.oneOf(
    'security.protocol',
    ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const,
    'PLAINTEXT',
  )
  const useTls = protocol === 'SSL' || protocol === 'SASL_SSL'
  const useSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
  const tls = useTls ? tlsSpec(r, props, globals) : undefined
  if (!useTls) {
    for (const k of props.keys()) {
      if (k.startsWith('ssl.') && k !== 'ssl.disableTLSHostnameVerification') {
        r.notes.push({ key: k, message: `'${k}' has no effect: security.protocol is ${protocol}` })
      }
    }
  }
  const sasl = useSasl ? saslSettings(r, globals) : undefined
  return {
    bootstrap: parseBootstrap(bootstrap, r, 'bootstrap.servers'),
    clientId: r.str('client.id') ?? clientId,
    clientRack: r.str('client.rack'),
    tls,
    sasl,
    requestTimeoutMs: r.int('request.timeout.ms', requestTimeoutDefault),
    connectTimeoutMs: r.int('socket.connection.setup.timeout.ms', DEFAULTS.connectTimeout),
    metadataMaxAgeMs: r.int('metadata.max.age.ms', DEFAULTS.metadataMaxAge, 0, 64),
    retryBackoffMs: r.int('retry.backoff.ms', DEFAULTS.retryBackoff, 0, 64),
  }
}

function tlsSpec(r: Reader, props: ReadonlyMap<string, string>, g: Globals): TlsSpec {
  const global = (prop: string, envVar: string): string | undefined => {
    const v = g.sys.get(prop) ?? g.env[envVar]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  // Flume compat: KafkaSSLUtil.addGlobalSSLParameters fills only keys that are not set at all.
  const orGlobal = (key: string, prop: string, envVar: string): string | undefined =>
    props.has(key) ? r.str(key) : global(prop, envVar)
  const endpointId = props.has('ssl.endpoint.identification.algorithm')
    ? (props.get('ssl.endpoint.identification.algorithm') ?? '').trim()
    : 'https'
  // Flume compat: `ssl.disableTLSHostnameVerification = true` empties the algorithm (KafkaSSLUtil).
  const disable = (r.str('ssl.disableTLSHostnameVerification') ?? '').toLowerCase() === 'true'
  if (endpointId !== '' && endpointId.toLowerCase() !== 'https') {
    r.error('ssl.endpoint.identification.algorithm', `'${endpointId}' is not supported (https or empty)`)
  }
  return {
    verifyHostname: !disable && endpointId !== '',
    truststoreLocation: orGlobal(
      'ssl.truststore.location',
      'javax.net.ssl.trustStore',
      'FLUME_SSL_TRUSTSTORE_PATH',
    ),
    truststorePassword: orGlobal(
      'ssl.truststore.password',
      'javax.net.ssl.trustStorePassword',
      'FLUME_SSL_TRUSTSTORE_PASSWORD',
    ),
    truststoreType: orGlobal(
      'ssl.truststore.type',
      'javax.net.ssl.trustStoreType',
      'FLUME_SSL_TRUSTSTORE_TYPE',
    ),
    truststoreCertificates: r.str('ssl.truststore.certificates'),
    keystoreLocation: orGlobal('ssl.keystore.location', 'javax.net.ssl.keyStore', 'FLUME_SSL_KEYSTORE_PATH'),
    keystorePassword: orGlobal(
      'ssl.keystore.password',
      'javax.net.ssl.keyStorePassword',
      'FLUME_SSL_KEYSTORE_PASSWORD',
    ),
    keystoreType: orGlobal('ssl.keystore.type', 'javax.net.ssl.keyStoreType', 'FLUME_SSL_KEYSTORE_TYPE'),
    keystoreKey: r.str('ssl.keystore.key'),
    keystoreCertificateChain: r.str('ssl.keystore.certificate.chain'),
    keyPassword: r.str('ssl.key.password'),
    protocol: r.str('ssl.protocol'),
    enabledProtocols: r.list('ssl.enabled.protocols'),
    cipherSuites: r.list('ssl.cipher.suites'),
  }
}

const SASL_MECHANISMS: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

function saslSettings(
  r: Reader,
  g: Globals,
): { mechanism: SaslMechanism; username: string; password: string } | undefined {
  // Java's default mechanism is GSSAPI (Kerberos).
  const mechanism = r.str('sasl.mechanism') ?? 'GSSAPI'
  if (!SASL_MECHANISMS.includes(mechanism)) {
    r.error(
      r.str('sasl.mechanism') === undefined ? 'security.protocol' : 'sasl.mechanism',
      mechanism === 'GSSAPI'
        ? "SASL mechanism GSSAPI (Kerberos, Java's default when sasl.mechanism is not set) is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
        : `SASL mechanism '${mechanism}' is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
    )
    return undefined
  }
  // Credentials: sasl.jaas.config, else the KafkaClient section of the JAAS file named by
  // -Djava.security.auth.login.config (how Flume's user guide configures Kafka SASL).
  const jaasText = r.str('sasl.jaas.config')
  const jaasFile = g.sys.get('java.security.auth.login.config')
  if (jaasText === undefined && jaasFile === undefined) {
    r.error(
      'sasl.jaas.config',
      `SASL ${mechanism} needs credentials: set sasl.jaas.config (or -Djava.security.auth.login.config)`,
    )
    return undefined
  }
  const where = jaasText !== undefined ? 'sasl.jaas.config' : `the KafkaClient section of ${jaasFile}`
  const parsed = jaasText !== undefined ? parseJaas(jaasText) : parseJaasFile(jaasFile ?? '')
  if ('error' in parsed) {
    r.error('sasl.jaas.config', `${where}: ${parsed.error}`)
    return undefined
  }
  const expected = mechanism === 'PLAIN' ? 'PlainLoginModule' : 'ScramLoginModule'
  if (!parsed.loginModule.endsWith(`.${expected}`) && parsed.loginModule !== expected) {
    r.error('sasl.jaas.config', `${where}: SASL ${mechanism} needs ${expected}, not ${parsed.loginModule}`)
    return undefined
  }
  const username = parsed.options.get('username')
  const password = parsed.options.get('password')
  if (username === undefined || password === undefined) {
    r.error('sasl.jaas.config', `${where}: the login module needs username and password options`)
    return undefined
  }
  return { mechanism: mechanism as SaslMechanism, username, password }
}

function checkSerde(r: Reader, key: string, expected: string): void {
  const v = r.str(key)
  // Flume forces these before applying user properties, so only its own choice is meaningful here.
  if (v !== undefined && v !== expected) {
    r.error(key, `'${v}' is not supported: Flume's Kafka components use ${expected}`)
  }
}

function parseAcks(r: Reader): Acks {
  const v = r.str('acks') ?? '1'
  switch (v.toLowerCase()) {
    case 'all':
    case '-1':
      return -1
    case '0':
      return 0
    case '1':
      return 1
    default:
      r.error('acks', `'${v}' is not one of all, -1, 0, 1`)
      return 1
  }
}

export interface ProducerInput {
  /** Java producer properties after Flume's merge: its defaults, then the user's, then forced keys. */
  readonly props: ReadonlyMap<string, string>
  readonly clientId: string
  readonly globals: Globals
}

export function producerSettings(input: ProducerInput): Translation<Unresolved<ProducerSettings>> {
  const r = new Reader(input.props, PRODUCER_KEYS)
  const c = common(
    r,
    input.props.get('bootstrap.servers') ?? '',
    input.clientId,
    DEFAULTS.requestTimeoutProducer,
    input.globals,
    input.props,
  )
  const acks = parseAcks(r)
  const compression = r.oneOf(
    'compression.type',
    ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as readonly Compression[],
    'none',
  )
  const idempotent = r.bool('enable.idempotence', false)
  if (idempotent && acks !== -1) {
    r.error('enable.idempotence', 'idempotence requires acks = all (Java refuses this combination too)')
  }
  const retries = r.int('retries', 2_147_483_647)
  const deliveryTimeout = r.int('delivery.timeout.ms', DEFAULTS.deliveryTimeout)
  checkSerde(r, 'key.serializer', STRING_SERIALIZER)
  checkSerde(r, 'value.serializer', BYTES_SERIALIZER)
  const partitioner = r.str('partitioner.class')
  let unkeyed: UnkeyedPartitioning = 'sticky'
  if (partitioner !== undefined) {
    const p = PARTITIONERS.get(partitioner)
    if (p === undefined) {
      r.error(
        'partitioner.class',
        `'${partitioner}' cannot be loaded; supported: ${[...PARTITIONERS.keys()].join(', ')} (or use partitionIdHeader / defaultPartitionId)`,
      )
    } else unkeyed = p
  }
  // Java retries until delivery.timeout.ms has passed; with a fixed pause between attempts that is a
  // number of attempts. A stopping agent closes the producer, which ends the retries at once.
  const budget = Math.ceil(deliveryTimeout / Math.max(c.retryBackoffMs, 50))
  return {
    settings: {
      ...c,
      acks,
      compression,
      idempotent,
      retries: Math.max(0, Math.min(retries, budget)),
      maxRequestBytes: r.int('max.request.size', DEFAULTS.maxRequestSize, 1024),
      deliveryTimeoutMs: deliveryTimeout,
      unkeyed,
    },
    errors: r.errors,
    warnings: r.warnings,
    notes: r.notes,
  }
}

export interface ConsumerInput {
  readonly props: ReadonlyMap<string, string>
  readonly clientId: string
  readonly globals: Globals
}

export function consumerSettings(input: ConsumerInput): Translation<Unresolved<ConsumerSettings>> {
  const r = new Reader(input.props, CONSUMER_KEYS)
  const c = common(
    r,
    input.props.get('bootstrap.servers') ?? '',
    input.clientId,
    DEFAULTS.requestTimeoutConsumer,
    input.globals,
    input.props,
  )
  const groupId = r.str('group.id')
  if (groupId === undefined) r.error('group.id', 'a consumer group id is required')
  const autoOffsetReset = r.oneOf(
    'auto.offset.reset',
    ['earliest', 'latest', 'none'] as readonly OffsetReset[],
    'latest',
  )
  if (r.bool('enable.auto.commit', false)) {
    // Flume forces false after user properties, so this cannot happen through Flume's keys.
    r.error('enable.auto.commit', 'auto commit would commit events before the channel has them')
  }
  checkSerde(r, 'key.deserializer', STRING_DESERIALIZER)
  checkSerde(r, 'value.deserializer', BYTES_DESERIALIZER)
  const sessionTimeoutMs = r.int('session.timeout.ms', DEFAULTS.sessionTimeout, 1)
  const heartbeatIntervalMs = r.int('heartbeat.interval.ms', DEFAULTS.heartbeatInterval, 1)
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    r.error('heartbeat.interval.ms', 'heartbeat.interval.ms must be lower than session.timeout.ms')
  }
  let rebalanceTimeoutMs = r.int('max.poll.interval.ms', DEFAULTS.maxPollInterval, 1)
  if (rebalanceTimeoutMs < sessionTimeoutMs) {
    r.warn(
      'max.poll.interval.ms',
      `raised to session.timeout.ms (${sessionTimeoutMs}): the group rebalance timeout cannot be shorter`,
    )
    rebalanceTimeoutMs = sessionTimeoutMs
  }
  const isolation = r.oneOf(
    'isolation.level',
    ['read_uncommitted', 'read_committed'] as const,
    'read_uncommitted',
  )
  const strategies: AssignmentStrategy[] = []
  for (const s of r.list('partition.assignment.strategy') ?? [
    'org.apache.kafka.clients.consumer.RangeAssignor',
  ]) {
    const a = ASSIGNORS.get(s)
    if (a === undefined) {
      r.error(
        'partition.assignment.strategy',
        `'${s}' is not supported; use RangeAssignor (Java's default) or RoundRobinAssignor`,
      )
    } else if (!strategies.includes(a)) strategies.push(a)
  }
  return {
    settings: {
      ...c,
      retries: 3,
      groupId: groupId ?? '',
      groupInstanceId: r.str('group.instance.id'),
      autoOffsetReset,
      sessionTimeoutMs,
      heartbeatIntervalMs,
      rebalanceTimeoutMs,
      fetchMinBytes: r.int('fetch.min.bytes', DEFAULTS.fetchMinBytes),
      fetchMaxBytes: r.int('fetch.max.bytes', DEFAULTS.fetchMaxBytes, 1),
      maxPartitionFetchBytes: r.int('max.partition.fetch.bytes', DEFAULTS.maxPartitionFetchBytes, 1),
      fetchMaxWaitMs: r.int('fetch.max.wait.ms', DEFAULTS.fetchMaxWait),
      readCommitted: isolation === 'read_committed',
      autoCreateTopics: r.bool('allow.auto.create.topics', true),
      assignmentStrategies: strategies.length > 0 ? strategies : ['range'],
    },
    errors: r.errors,
    warnings: r.warnings,
    notes: r.notes,
  }
}
