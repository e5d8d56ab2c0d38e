/**
 * The explicit component registry: one static table of every built-in type. Each answers to its Flume
 * alias (case-insensitive), any extra aliases, and its fully-qualified Flume class names (exact match), so
 * `memory` and `org.apache.flume.channel.MemoryChannel` resolve to the same component.
 *
 * Custom components: a `type` that is a module path (`./my-sink.js`, `/opt/x/y.js`, `file:...`) or an npm
 * package written as `npm:<name>` is imported at compile time; the module must export `spec` (or a default
 * export) of the right kind. This is flumen's plugins.d.
 */

import { isAbsolute, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AnySpec, SpecKind, SpecOf } from './core/spec.ts'

/**
 * One built-in component type: the names it answers to and how to load its module. Modules are imported
 * only when a configuration uses them, so an agent pays (in start-up time and memory) only for the
 * components it runs. `registry.test.ts` checks that every entry's names match its spec.
 */
export interface RegistryEntry {
  readonly kind: SpecKind
  /** The Flume alias first, then any other aliases (all matched case-insensitively). */
  readonly names: readonly string[]
  /** Fully qualified Flume class names (matched exactly). */
  readonly classNames: readonly string[]
  readonly load: () => Promise<AnySpec>
}

const e = (
  kind: SpecKind,
  names: readonly string[],
  classNames: readonly string[],
  load: () => Promise<{ spec: AnySpec }>,
): RegistryEntry => ({ kind, names, classNames, load: async () => (await load()).spec })

export const builtinEntries: readonly RegistryEntry[] = [
  // sources
  e('source', ['seq'], ['org.apache.flume.source.SequenceGeneratorSource'], () => import('./sources/seq.ts')),
  e(
    'source',
    ['org.apache.flume.source.StressSource', 'stress'],
    ['org.apache.flume.source.StressSource'],
    () => import('./sources/stress.ts'),
  ),
  e('source', ['netcat'], ['org.apache.flume.source.NetcatSource'], () => import('./sources/netcat.ts')),
  e(
    'source',
    ['netcatudp'],
    ['org.apache.flume.source.NetcatUdpSource'],
    () => import('./sources/netcatudp.ts'),
  ),
  e('source', ['exec'], ['org.apache.flume.source.ExecSource'], () => import('./sources/exec.ts')),
  e(
    'source',
    ['spooldir'],
    ['org.apache.flume.source.SpoolDirectorySource'],
    () => import('./sources/spooldir/index.ts'),
  ),
  e('source', ['avro'], ['org.apache.flume.source.AvroSource'], () => import('./sources/avro.ts')),
  e('source', ['thrift'], ['org.apache.flume.source.ThriftSource'], () => import('./sources/thrift.ts')),
  // Flume registers its Kafka components by class name only; `kafka` is flumen's alias.
  e('source', ['kafka'], ['org.apache.flume.source.kafka.KafkaSource'], () => import('./sources/kafka.ts')),
  e(
    'source',
    ['syslogtcp'],
    ['org.apache.flume.source.SyslogTcpSource'],
    () => import('./sources/syslog-tcp.ts'),
  ),
  e(
    'source',
    ['syslogudp'],
    ['org.apache.flume.source.SyslogUDPSource'],
    () => import('./sources/syslog-udp.ts'),
  ),
  e(
    'source',
    ['multiport_syslogtcp'],
    ['org.apache.flume.source.MultiportSyslogTCPSource'],
    () => import('./sources/multiport-syslog-tcp.ts'),
  ),
  e('source', ['http'], ['org.apache.flume.source.http.HTTPSource'], () => import('./sources/http/index.ts')),
  e(
    'source',
    ['TAILDIR'],
    ['org.apache.flume.source.taildir.TaildirSource'],
    () => import('./sources/taildir/index.ts'),
  ),
  // channels
  e('channel', ['memory'], ['org.apache.flume.channel.MemoryChannel'], () => import('./channels/memory.ts')),
  e(
    'channel',
    ['kafka'],
    ['org.apache.flume.channel.kafka.KafkaChannel'],
    () => import('./channels/kafka.ts'),
  ),
  e(
    'channel',
    ['file'],
    ['org.apache.flume.channel.file.FileChannel'],
    () => import('./channels/file/index.ts'),
  ),
  e(
    'channel',
    ['spillablememory'],
    ['org.apache.flume.channel.SpillableMemoryChannel'],
    () => import('./channels/spillable-memory.ts'),
  ),
  e(
    'channel',
    ['jdbc'],
    ['org.apache.flume.channel.jdbc.JdbcChannel'],
    () => import('./channels/jdbc/index.ts'),
  ),
  // sinks
  e('sink', ['logger'], ['org.apache.flume.sink.LoggerSink'], () => import('./sinks/logger.ts')),
  e('sink', ['null'], ['org.apache.flume.sink.NullSink'], () => import('./sinks/null.ts')),
  e('sink', ['file_roll'], ['org.apache.flume.sink.RollingFileSink'], () => import('./sinks/file-roll.ts')),
  e('sink', ['avro'], ['org.apache.flume.sink.AvroSink'], () => import('./sinks/avro.ts')),
  e('sink', ['thrift'], ['org.apache.flume.sink.ThriftSink'], () => import('./sinks/thrift.ts')),
  e('sink', ['kafka'], ['org.apache.flume.sink.kafka.KafkaSink'], () => import('./sinks/kafka.ts')),
  e('sink', ['hdfs'], ['org.apache.flume.sink.hdfs.HDFSEventSink'], () => import('./sinks/hdfs/index.ts')),
  // channel selectors
  e(
    'selector',
    ['replicating'],
    ['org.apache.flume.channel.ReplicatingChannelSelector'],
    () => import('./selectors/replicating.ts'),
  ),
  e(
    'selector',
    ['multiplexing'],
    ['org.apache.flume.channel.MultiplexingChannelSelector'],
    () => import('./selectors/multiplexing.ts'),
  ),
  e(
    'selector',
    ['load_balancing'],
    ['org.apache.flume.channel.LoadBalancingChannelSelector'],
    () => import('./selectors/load-balancing.ts'),
  ),
  // sink processors
  e(
    'sinkProcessor',
    ['default'],
    ['org.apache.flume.sink.DefaultSinkProcessor'],
    () => import('./sink-processors/default.ts'),
  ),
  e(
    'sinkProcessor',
    ['failover'],
    ['org.apache.flume.sink.FailoverSinkProcessor'],
    () => import('./sink-processors/failover.ts'),
  ),
  e(
    'sinkProcessor',
    ['load_balance'],
    ['org.apache.flume.sink.LoadBalancingSinkProcessor'],
    () => import('./sink-processors/load-balance.ts'),
  ),
  // interceptors
  e(
    'interceptor',
    ['timestamp'],
    ['org.apache.flume.interceptor.TimestampInterceptor$Builder'],
    () => import('./interceptors/timestamp.ts'),
  ),
  e(
    'interceptor',
    ['host'],
    ['org.apache.flume.interceptor.HostInterceptor$Builder'],
    () => import('./interceptors/host.ts'),
  ),
  e(
    'interceptor',
    ['static'],
    ['org.apache.flume.interceptor.StaticInterceptor$Builder'],
    () => import('./interceptors/static.ts'),
  ),
  e(
    'interceptor',
    ['uuid'],
    ['org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder'],
    () => import('./interceptors/uuid.ts'),
  ),
  e(
    'interceptor',
    ['remove_header'],
    ['org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder'],
    () => import('./interceptors/remove-header.ts'),
  ),
  e(
    'interceptor',
    ['search_replace'],
    ['org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder'],
    () => import('./interceptors/search-replace.ts'),
  ),
  e(
    'interceptor',
    ['regex_filter'],
    ['org.apache.flume.interceptor.RegexFilteringInterceptor$Builder'],
    () => import('./interceptors/regex-filter.ts'),
  ),
  e(
    'interceptor',
    ['regex_extractor'],
    ['org.apache.flume.interceptor.RegexExtractorInterceptor$Builder'],
    () => import('./interceptors/regex-extractor.ts'),
  ),
  // event serializers
  e(
    'serializer',
    ['text'],
    ['org.apache.flume.serialization.BodyTextEventSerializer$Builder'],
    () => import('./serializers/text.ts'),
  ),
  e(
    'serializer',
    ['header_and_text'],
    ['org.apache.flume.serialization.HeaderAndBodyTextEventSerializer$Builder'],
    () => import('./serializers/header-and-text.ts'),
  ),
  e(
    'serializer',
    ['avro_event'],
    ['org.apache.flume.serialization.FlumeEventAvroEventSerializer$Builder'],
    () => import('./serializers/avro-event.ts'),
  ),
]

/**
 * Flume aliases and classes that exist in Flume 1.11 but that flumen does not implement, by kind. A config
 * naming one gets a precise message instead of "unknown type". Keys are lower-case.
 */
export const knownUnsupported: ReadonlyMap<SpecKind, ReadonlyMap<string, string>> = new Map<
  SpecKind,
  ReadonlyMap<string, string>
>([
  [
    'source',
    new Map([
      ['jms', 'the JMS source'],
      ['org.apache.flume.source.jms.jmssource', 'the JMS source'],
      ['org.apache.flume.source.scribe.scribesource', 'the Scribe source'],
      ['org.apache.flume.source.twitter.twittersource', 'the Twitter source'],
      ['org.apache.flume.source.avrolegacy.avrolegacysource', 'the Flume 0.9 legacy Avro source'],
      ['org.apache.flume.source.thriftlegacy.thriftlegacysource', 'the Flume 0.9 legacy Thrift source'],
    ]),
  ],
  [
    'sink',
    new Map([
      ['hbase', 'the HBase sink'],
      ['hbase2', 'the HBase 2 sink'],
      ['asynchbase', 'the async HBase sink'],
      ['hive', 'the Hive sink'],
      ['irc', 'the IRC sink'],
      ['morphline_solr', 'the Morphline Solr sink'],
      ['elasticsearch', 'the ElasticSearch sink (removed from Flume itself in 1.10)'],
      ['org.apache.flume.sink.kudu.kudusink', 'the Kudu sink'],
    ]),
  ],
  [
    'interceptor',
    new Map([
      ['org.apache.flume.sink.solr.morphline.morphlineinterceptor$builder', 'the Morphline interceptor'],
    ]),
  ],
  [
    'channel',
    new Map([['org.apache.flume.channel.pseudotxnmemorychannel', 'the test-only PseudoTxnMemoryChannel']]),
  ],
])

export class Registry {
  readonly #entries = new Map<SpecKind, Map<string, RegistryEntry>>()
  readonly #loaded = new Map<RegistryEntry, AnySpec>()
  readonly #all: RegistryEntry[] = []

  /** `specs` are registered as already-loaded entries (tests, embedding applications). */
  constructor(entries: readonly RegistryEntry[] = builtinEntries, specs: readonly AnySpec[] = []) {
    for (const en of entries) this.#add(en)
    for (const s of specs) this.register(s)
  }

  #add(en: RegistryEntry): void {
    let m = this.#entries.get(en.kind)
    if (m === undefined) {
      m = new Map()
      this.#entries.set(en.kind, m)
    }
    for (const n of en.names) m.set(n.toLowerCase(), en)
    for (const c of en.classNames) m.set(c, en)
    this.#all.push(en)
  }

  /** Registers a spec that is already loaded (a plugin, a test double). */
  register(spec: AnySpec): void {
    const en: RegistryEntry = {
      kind: spec.kind,
      names: [spec.type, ...(spec.aliases ?? [])],
      classNames: spec.classNames ?? [],
      load: async () => spec,
    }
    this.#loaded.set(en, spec)
    this.#add(en)
  }

  /** The entry a type names: alias (any case) or exact class name. */
  find(kind: SpecKind, type: string): RegistryEntry | undefined {
    const m = this.#entries.get(kind)
    if (m === undefined) return undefined
    const t = type.trim()
    return m.get(t) ?? m.get(t.toLowerCase())
  }

  /** Loads (once) and returns the spec a type names. */
  async load<K extends SpecKind>(kind: K, type: string): Promise<SpecOf<K> | undefined> {
    const en = this.find(kind, type)
    if (en === undefined) return undefined
    let spec = this.#loaded.get(en)
    if (spec === undefined) {
      spec = await en.load()
      this.#loaded.set(en, spec)
    }
    return spec as SpecOf<K>
  }

  /** The spec a type names if it has been loaded already (see `load`). */
  lookup<K extends SpecKind>(kind: K, type: string): SpecOf<K> | undefined {
    const en = this.find(kind, type)
    return en === undefined ? undefined : (this.#loaded.get(en) as SpecOf<K> | undefined)
  }

  /** The primary names of a kind's types, for messages. */
  names(kind: SpecKind): string[] {
    return this.#all.filter((en) => en.kind === kind).map((en) => en.names[0] as string)
  }

  entries(): readonly RegistryEntry[] {
    return this.#all
  }

  /** Loads every registered spec (documentation, tests). */
  async loadAll(kind?: SpecKind): Promise<AnySpec[]> {
    const out: AnySpec[] = []
    for (const en of this.#all) {
      if (kind !== undefined && en.kind !== kind) continue
      const s = await this.load(en.kind, en.names[0] as string)
      if (s !== undefined) out.push(s)
    }
    return out
  }
}

/** Whether a `type` value names a plugin module rather than a Flume alias or class. */
export function isPluginReference(type: string): boolean {
  return (
    type.startsWith('./') ||
    type.startsWith('../') ||
    type.startsWith('/') ||
    type.startsWith('file:') ||
    type.startsWith('npm:') ||
    /\.(m?js|ts)$/.test(type)
  )
}

/** Imports a plugin module and returns its spec, checking its kind. Throws with a clear message. */
export async function loadPlugin<K extends SpecKind>(
  kind: K,
  type: string,
  baseDir: string,
): Promise<SpecOf<K>> {
  let specifier: string
  if (type.startsWith('npm:')) specifier = type.slice(4)
  else if (type.startsWith('file:')) specifier = type
  else specifier = pathToFileURL(isAbsolute(type) ? type : resolvePath(baseDir, type)).href
  let mod: Record<string, unknown>
  try {
    mod = (await import(specifier)) as Record<string, unknown>
  } catch (e) {
    throw new Error(`cannot load plugin module '${type}': ${(e as Error).message}`)
  }
  const spec = (mod.spec ?? mod.default) as AnySpec | undefined
  if (
    spec === undefined ||
    typeof spec !== 'object' ||
    typeof (spec as { kind?: unknown }).kind !== 'string'
  ) {
    throw new Error(
      `plugin module '${type}' does not export a component spec (export const spec = define...())`,
    )
  }
  if (spec.kind !== kind) {
    throw new Error(`plugin module '${type}' exports a ${spec.kind} spec, but it is used as a ${kind}`)
  }
  return spec as SpecOf<K>
}
