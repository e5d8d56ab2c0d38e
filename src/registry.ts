/**
 * The explicit component registry: one static list per kind. Each spec registers under its Flume alias
 * (case-insensitive), any extra aliases, and its fully-qualified Flume class names (exact match), so
 * `memory` and `org.apache.flume.channel.MemoryChannel` resolve to the same component.
 *
 * Custom components: a `type` that is a module path (`./my-sink.js`, `/opt/x/y.js`, `file:...`) or an npm
 * package written as `npm:<name>` is imported at compile time; the module must export `spec` (or a default
 * export) of the right kind. This is flumen's plugins.d.
 */

import { isAbsolute, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import * as memoryChannel from './channels/memory.ts'
import type { AnySpec, SpecKind, SpecOf } from './core/spec.ts'
import * as hostInterceptor from './interceptors/host.ts'
import * as staticInterceptor from './interceptors/static.ts'
import * as timestampInterceptor from './interceptors/timestamp.ts'
import * as uuidInterceptor from './interceptors/uuid.ts'
import * as loadBalancingSelector from './selectors/load-balancing.ts'
import * as multiplexingSelector from './selectors/multiplexing.ts'
import * as replicatingSelector from './selectors/replicating.ts'
import * as headerAndTextSerializer from './serializers/header-and-text.ts'
import * as textSerializer from './serializers/text.ts'
import * as defaultProcessor from './sink-processors/default.ts'
import * as failoverProcessor from './sink-processors/failover.ts'
import * as loadBalanceProcessor from './sink-processors/load-balance.ts'
import * as fileRollSink from './sinks/file-roll.ts'
import * as loggerSink from './sinks/logger.ts'
import * as nullSink from './sinks/null.ts'
import * as execSource from './sources/exec.ts'
import * as httpSource from './sources/http/index.ts'
import * as multiportSyslogTcpSource from './sources/multiport-syslog-tcp.ts'
import * as netcatSource from './sources/netcat.ts'
import * as netcatUdpSource from './sources/netcatudp.ts'
import * as seqSource from './sources/seq.ts'
import * as stressSource from './sources/stress.ts'
import * as syslogTcpSource from './sources/syslog-tcp.ts'
import * as syslogUdpSource from './sources/syslog-udp.ts'

export const builtinSpecs: readonly AnySpec[] = [
  // sources
  seqSource.spec,
  stressSource.spec,
  netcatSource.spec,
  netcatUdpSource.spec,
  execSource.spec,
  syslogTcpSource.spec,
  syslogUdpSource.spec,
  multiportSyslogTcpSource.spec,
  httpSource.spec,
  // channels
  memoryChannel.spec,
  // sinks
  loggerSink.spec,
  nullSink.spec,
  fileRollSink.spec,
  // selectors
  replicatingSelector.spec,
  multiplexingSelector.spec,
  loadBalancingSelector.spec,
  // sink processors
  defaultProcessor.spec,
  failoverProcessor.spec,
  loadBalanceProcessor.spec,
  // interceptors
  timestampInterceptor.spec,
  hostInterceptor.spec,
  staticInterceptor.spec,
  uuidInterceptor.spec,
  // serializers
  textSerializer.spec,
  headerAndTextSerializer.spec,
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
  readonly #byKind = new Map<SpecKind, Map<string, AnySpec>>()
  readonly #all: AnySpec[] = []

  constructor(specs: readonly AnySpec[] = builtinSpecs) {
    for (const s of specs) this.register(s)
  }

  register(spec: AnySpec): void {
    let m = this.#byKind.get(spec.kind)
    if (m === undefined) {
      m = new Map()
      this.#byKind.set(spec.kind, m)
    }
    for (const alias of [spec.type, ...(spec.aliases ?? [])]) m.set(alias.toLowerCase(), spec)
    for (const cls of spec.classNames ?? []) m.set(cls, spec)
    this.#all.push(spec)
  }

  /** Looks up a built-in or registered type: alias (any case) or exact class name. */
  lookup<K extends SpecKind>(kind: K, type: string): SpecOf<K> | undefined {
    const m = this.#byKind.get(kind)
    if (m === undefined) return undefined
    const t = type.trim()
    return (m.get(t) ?? m.get(t.toLowerCase())) as SpecOf<K> | undefined
  }

  specs(kind?: SpecKind): AnySpec[] {
    return kind === undefined ? [...this.#all] : this.#all.filter((s) => s.kind === kind)
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
