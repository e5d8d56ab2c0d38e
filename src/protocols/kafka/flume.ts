/**
 * What Flume's three Kafka components share, on top of the client interface: the `kafka.producer.*` /
 * `kafka.consumer.*` passthrough fields (checked at configuration time, with file:line for every refused or
 * unknown key), building client settings the way Flume merges properties (its forced defaults, then the
 * user's passthrough keys, then the keys Flume always overrides), Flume event <-> record conversion, the
 * backend loader and the reduced JSON attribute sets of Flume's Kafka counters.
 */

import type { Logger } from 'pino'
import type { ChannelCounter, SinkCounter, SourceCounter } from '../../core/counters.ts'
import { ConfigError } from '../../core/errors.ts'
import { type Field, type FieldReader, Invalid } from '../../core/spec.ts'
import type { ClientLog, ConsumerSettings, KafkaBackend, ProducerSettings } from './client.ts'
import { consumerSettings, type Globals, producerSettings, type Translation } from './java-config.ts'
import { KafkaTlsError, resolveTls } from './tls.ts'

export type ClientRole = 'producer' | 'consumer'

const PLACEHOLDER = { bootstrap: '127.0.0.1:9092', group: 'flume' }

/**
 * The `kafka.producer.` / `kafka.consumer.` passthrough properties. Reading them runs the Java property
 * translation once, so refused keys and bad values drop the component with their file and line, and
 * unknown keys are warned about, before anything starts.
 */
export function clientPropsField(role: ClientRole): Field<ReadonlyMap<string, string>> {
  const prefix = `kafka.${role}.`
  return {
    key: `${prefix}*`,
    aliases: [],
    doc: `Properties passed to the Kafka ${role} (Java client names, e.g. ${role === 'producer' ? `${prefix}acks, ${prefix}compression.type` : `${prefix}auto.offset.reset, ${prefix}max.partition.fetch.bytes`}, ${prefix}security.protocol). Unknown keys are warned about; keys this client cannot honour are refused (see docs/kafka.md).`,
    typeName: 'map',
    defaultText: undefined,
    required: false,
    consumes: [prefix],
    read(r: FieldReader) {
      const m = new Map<string, string>()
      for (const [k, v] of r.prefixed(prefix)) m.set(k, v.value)
      const probe = new Map(m)
      probe.set('bootstrap.servers', PLACEHOLDER.bootstrap)
      if (role === 'consumer') {
        probe.set('group.id', PLACEHOLDER.group)
        probe.delete('enable.auto.commit') // Flume forces it to false after the user's keys
      }
      const noGlobals: Globals = { sys: new Map(), env: {} }
      const t: Translation<unknown> =
        role === 'producer'
          ? producerSettings({ props: probe, clientId: 'probe', globals: noGlobals })
          : consumerSettings({ props: probe, clientId: 'probe', globals: noGlobals })
      for (const w of t.warnings) r.warn(prefix + w.key, w.message)
      for (const e of t.errors) r.error(prefix + e.key, e.message)
      return t.errors.length > 0 ? Invalid : m
    },
  }
}

/** host:port list check for `kafka.bootstrap.servers` (also `brokerList`). */
export function parseBootstrapList(raw: string, report: (msg: string) => void): string | typeof Invalid {
  const entries = raw.split(/\s*,\s*/).filter((s) => s.length > 0)
  if (entries.length === 0) {
    report('no broker address given')
    return Invalid
  }
  for (const e of entries) {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(e.replace(/^\w+:\/\//, ''))
    if (m === null || Number(m[2]) > 65535) {
      report(`'${e}' is not a host:port address`)
      return Invalid
    }
  }
  return entries.join(',')
}

export interface BuildEnv {
  readonly agentName: string
  readonly name: string
  readonly kind: 'SOURCE' | 'SINK' | 'CHANNEL'
  readonly sys: ReadonlyMap<string, string>
  readonly logger: Logger
}

function globals(env: BuildEnv): Globals {
  return { sys: env.sys, env: process.env }
}

function report<T>(t: Translation<T>, env: BuildEnv, role: ClientRole): T {
  const component = `${env.kind}.${env.name}`
  if (t.errors.length > 0) {
    const e = t.errors[0] as { key: string; message: string }
    throw new ConfigError(`${component}: kafka.${role}.${e.key}: ${e.message}`, { component })
  }
  for (const n of t.notes) env.logger.debug({ property: `kafka.${role}.${n.key}` }, n.message)
  return t.settings
}

async function withTls<T extends { tls: unknown; bootstrap: readonly string[] }>(
  s: T,
  env: BuildEnv,
  role: ClientRole,
): Promise<Omit<T, 'tls'> & { tls: import('node:tls').ConnectionOptions | undefined }> {
  if (s.tls === undefined) return { ...s, tls: undefined }
  try {
    return { ...s, tls: await resolveTls(s.tls as never) }
  } catch (e) {
    const component = `${env.kind}.${env.name}`
    const key = e instanceof KafkaTlsError ? `kafka.${role}.${e.key}` : `kafka.${role}.ssl`
    throw new ConfigError(`${component}: ${key}: ${(e as Error).message}`, { component, cause: e })
  }
}

/**
 * Producer settings as Flume builds its producer properties: `defaults` (Flume's forced defaults, e.g.
 * acks), overridden by the user's `kafka.producer.*`, overridden by bootstrap.servers.
 */
export async function producerFor(
  bootstrap: string,
  user: ReadonlyMap<string, string>,
  defaults: Readonly<Record<string, string>>,
  env: BuildEnv,
): Promise<ProducerSettings> {
  const props = new Map(Object.entries(defaults))
  for (const [k, v] of user) props.set(k, v)
  props.set('bootstrap.servers', bootstrap)
  const t = producerSettings({
    props,
    clientId: `flumen-${env.agentName}-${env.name}`,
    globals: globals(env),
  })
  return withTls(report(t, env, 'producer'), env, 'producer')
}

/** Consumer settings: `defaults`, then `kafka.consumer.*`, then Flume's forced bootstrap, group, auto commit. */
export async function consumerFor(
  bootstrap: string,
  groupId: string,
  user: ReadonlyMap<string, string>,
  defaults: Readonly<Record<string, string>>,
  env: BuildEnv,
): Promise<ConsumerSettings> {
  const props = new Map(Object.entries(defaults))
  for (const [k, v] of user) props.set(k, v)
  props.set('bootstrap.servers', bootstrap)
  props.set('group.id', groupId)
  // Flume compat: enable.auto.commit is always false, whatever the user set.
  props.set('enable.auto.commit', 'false')
  const t = consumerSettings({
    props,
    clientId: `flumen-${env.agentName}-${env.name}`,
    globals: globals(env),
  })
  return withTls(report(t, env, 'consumer'), env, 'consumer')
}

/** Loads the client backend (only when a Kafka component is built). */
export async function loadBackend(): Promise<KafkaBackend> {
  return (await import('./platformatic.ts')).platformaticBackend
}

/** A ClientLog over pino that rate-limits repeated lines per message (a dead broker retries often). */
export function clientLog(logger: Logger, windowMs = 10_000): ClientLog {
  const last = new Map<string, { at: number; suppressed: number }>()
  const pass = (msg: string): number | undefined => {
    const now = Date.now()
    const s = last.get(msg)
    if (s !== undefined && now - s.at < windowMs) {
      s.suppressed++
      return undefined
    }
    const suppressed = s?.suppressed ?? 0
    last.set(msg, { at: now, suppressed: 0 })
    return suppressed
  }
  return {
    warn(message, detail) {
      const s = pass(message)
      if (s !== undefined) logger.warn(s > 0 ? { ...detail, suppressed: s } : detail, message)
    },
    info(message, detail) {
      logger.info(detail, message)
    },
    debug(message, detail) {
      logger.debug(detail, message)
    },
  }
}

// Flume's Kafka counters are JMX MBeans with reduced interfaces, so its JSON shows only these attributes
// (KafkaSinkCounterMBean, KafkaSourceCounterMBean, KafkaChannelCounterMBean).
const SINK_ATTRS = new Set([
  'KafkaEventSendTimer',
  'RollbackCount',
  'ConnectionCreatedCount',
  'ConnectionClosedCount',
  'ConnectionFailedCount',
  'BatchEmptyCount',
  'BatchUnderflowCount',
  'BatchCompleteCount',
  'EventDrainAttemptCount',
  'EventDrainSuccessCount',
  'StartTime',
  'StopTime',
  'Type',
])
const SOURCE_ATTRS = new Set([
  'KafkaEventGetTimer',
  'KafkaCommitTimer',
  'KafkaEmptyCount',
  'EventReceivedCount',
  'EventAcceptedCount',
  'AppendReceivedCount',
  'AppendAcceptedCount',
  'AppendBatchReceivedCount',
  'AppendBatchAcceptedCount',
  'StartTime',
  'StopTime',
  'Type',
  'OpenConnectionCount',
])

function restrict<C extends SinkCounter | SourceCounter>(counter: C, attrs: ReadonlySet<string>): C {
  const full = counter.snapshot.bind(counter)
  counter.snapshot = () => {
    const s = full()
    for (const k of Object.keys(s)) if (!attrs.has(k)) delete s[k]
    return s
  }
  return counter
}

/** A sink counter showing Flume's KafkaSinkCounter attributes. */
export function kafkaSinkCounter(c: SinkCounter): SinkCounter {
  c.extra.set('KafkaEventSendTimer', 0)
  c.extra.set('RollbackCount', 0)
  return restrict(c, SINK_ATTRS)
}

/** A source counter showing Flume's KafkaSourceCounter attributes. */
export function kafkaSourceCounter(c: SourceCounter): SourceCounter {
  c.extra.set('KafkaEventGetTimer', 0)
  c.extra.set('KafkaCommitTimer', 0)
  c.extra.set('KafkaEmptyCount', 0)
  return restrict(c, SOURCE_ATTRS)
}

/** Flume's KafkaChannelCounter: the channel attributes plus four Kafka ones (ChannelSize stays 0). */
export function kafkaChannelCounter(c: ChannelCounter): ChannelCounter {
  c.extra.set('KafkaEventGetTimer', 0)
  c.extra.set('KafkaEventSendTimer', 0)
  c.extra.set('KafkaCommitTimer', 0)
  c.extra.set('RollbackCount', 0)
  return c
}

/** Parses a decimal header value as Java's Integer.parseInt would; undefined when Java would throw. */
export function javaInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined
  const n = Number(text)
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined
}

/** Long.parseLong. */
export function javaLong(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}
