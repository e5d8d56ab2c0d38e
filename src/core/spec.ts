/**
 * Component specs: one declaration per component type that names it (Flume alias and class names),
 * documents every property, parses Flume's string properties into a frozen typed config with Flume's
 * defaults and quirks, and reports every problem with file, line and property path.
 *
 * ```ts
 * export const spec = defineSource({
 *   type: 'netcat', className: 'org.apache.flume.source.NetcatSource', summary: 'Line-oriented TCP listener.',
 *   fields: { bind: str({ key: 'bind', required: true, doc: 'Address to bind.' }), port: port() },
 *   build: (cfg, ctx) => new NetcatSource(cfg, ctx),
 * })
 * ```
 *
 * Parsing follows Flume's Context getters (code): integers are `Integer.parseInt(value.trim())` and a bad
 * number fails the component (unless the component itself falls back to its default, which a field can
 * declare with `invalid: 'default'`); booleans are `Boolean.valueOf(value.trim())`, so anything but `true`
 * (any case) is false — we warn when the text is neither `true` nor `false`, because `yes` silently
 * meaning false is a classic misconfiguration.
 */

import type { Logger } from 'pino'
import type { Channel } from './channel.ts'
import type { MetricsRegistry } from './counters.ts'
import type { Event } from './event.ts'

// ---------------------------------------------------------------------------------------------------------
// Raw properties and diagnostics

/** One property as written in a config file, after Flume's trim and substitution. */
export interface PropertyValue {
  readonly value: string
  readonly file: string
  readonly line: number
}

/** Properties of one component, keyed relative to it (`port`, `selector.type`, `sink.serializer`). */
export type RawProps = ReadonlyMap<string, PropertyValue>

export type Severity = 'fatal' | 'error' | 'warning'

/** Configuration problem kinds (Flume's FlumeConfigurationErrorType, plus flumen's own). */
export type DiagnosticCode =
  | 'AGENT_NAME_MISSING'
  | 'PROPERTY_VALUE_NULL'
  | 'INVALID_PROPERTY'
  | 'UNKNOWN_PROPERTY'
  | 'DEPRECATED_PROPERTY'
  | 'AGENT_CONFIGURATION_INVALID'
  | 'CONFIG_ERROR'
  | 'ATTRS_MISSING'
  | 'CONFIGURATION_KEY_ERROR'
  | 'COMPONENT_TYPE_MISSING'
  | 'UNKNOWN_COMPONENT_TYPE'
  | 'UNSUPPORTED_COMPONENT'
  | 'INVALID_VALUE'
  | 'MISSING_REQUIRED'
  | 'CHANNEL_NOT_FOUND'
  | 'SINK_NOT_FOUND'
  | 'INCOMPATIBLE_BATCH_SIZE'
  | 'COMPONENT_DROPPED'
  | 'UNRESOLVED_VARIABLE'
  | 'PLUGIN_LOAD_ERROR'
  | 'CONFIG_FILE_ERROR'
  // From reading and substituting the files (src/config/diagnostics.ts):
  | 'PROPERTY_NAME_NULL'
  | 'DUPLICATE_KEY'
  | 'SUBSTITUTION_UNRESOLVED'
  | 'SUBSTITUTION_CYCLE'
  | 'SUBSTITUTION_UNSUPPORTED'
  | 'SUBSTITUTION_INVALID_DATE_FORMAT'

export interface Diagnostic {
  readonly code: DiagnosticCode
  readonly severity: Severity
  readonly message: string
  /** Full property path, e.g. `a1.sinks.k1.batchSize`, when the problem belongs to one property. */
  readonly path?: string
  readonly file?: string
  readonly line?: number
  /** The component the problem belongs to, e.g. `SINK.k1`. */
  readonly component?: string
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file !== undefined ? `${d.file}${d.line !== undefined ? `:${d.line}` : ''}: ` : ''
  return `${where}${d.severity}: ${d.message}${d.path !== undefined ? ` [${d.path}]` : ''} (${d.code})`
}

// ---------------------------------------------------------------------------------------------------------
// Fields

/** What a field parser sees: the component's raw properties and a way to report problems. */
export interface FieldReader {
  /** The component's property path prefix, e.g. `a1.sources.r1`. */
  readonly path: string
  get(key: string): PropertyValue | undefined
  /** All properties whose key starts with `prefix`, with the prefix removed. Marks them consumed. */
  prefixed(prefix: string): Map<string, PropertyValue>
  error(key: string | undefined, message: string, code?: DiagnosticCode): void
  warn(key: string | undefined, message: string, code?: DiagnosticCode): void
  /** Resolves a nested component (serializer, interceptor serializer...) from the registry. */
  nested<K extends SpecKind>(kind: K, key: string, type: string, props: RawProps): SpecOf<K> | undefined
}

export interface Field<T> {
  readonly key: string
  readonly aliases: readonly string[]
  readonly doc: string
  readonly typeName: string
  /** Default as documented (`undefined` = none). */
  readonly defaultText: string | undefined
  readonly required: boolean
  /** Parses this field; returns `Invalid` when the component must be dropped (an error was reported). */
  read(r: FieldReader): T | typeof Invalid
  /** Keys (relative) this field consumes, for unknown-key detection. Prefix keys end with `.`. */
  readonly consumes: readonly string[]
  /** For nested components: what the compiler must load before parsing (see `nested`). */
  readonly nested?: { readonly kind: SpecKind; readonly key: string; readonly default: string }
}

export const Invalid: unique symbol = Symbol('invalid')

interface FieldOptions<T> {
  readonly key: string
  readonly doc: string
  readonly aliases?: readonly string[]
  readonly default?: T
  readonly required?: boolean
}

/** Looks a key up, falling back to deprecated aliases (with a warning naming the new key). */
function lookup(
  r: FieldReader,
  key: string,
  aliases: readonly string[],
): [PropertyValue, string] | undefined {
  const v = r.get(key)
  if (v !== undefined) return [v, key]
  for (const a of aliases) {
    const av = r.get(a)
    if (av !== undefined) {
      r.warn(a, `'${a}' is deprecated; use '${key}'`, 'DEPRECATED_PROPERTY')
      return [av, a]
    }
  }
  return undefined
}

function makeField<T>(
  opts: FieldOptions<T>,
  typeName: string,
  parse: (raw: string, r: FieldReader, usedKey: string) => T | typeof Invalid,
  defaultText?: string,
): Field<T> {
  const aliases = opts.aliases ?? []
  return {
    key: opts.key,
    aliases,
    doc: opts.doc,
    typeName,
    defaultText: defaultText ?? (opts.default === undefined ? undefined : String(opts.default)),
    required: opts.required ?? false,
    consumes: [opts.key, ...aliases],
    read(r) {
      const found = lookup(r, opts.key, aliases)
      if (found === undefined) {
        if (opts.required === true) {
          r.error(undefined, `required property '${opts.key}' is missing`, 'MISSING_REQUIRED')
          return Invalid
        }
        return opts.default as T
      }
      return parse(found[0].value, r, found[1])
    },
  }
}

type Opt<T, O> = O extends { default: unknown } ? T : O extends { required: true } ? T : T | undefined

export function str<const O extends FieldOptions<string>>(opts: O): Field<Opt<string, O>> {
  return makeField(opts, 'string', (raw) => raw) as Field<Opt<string, O>>
}

const INT_RE = /^[+-]?\d+$/

/** Java's Integer.parseInt / Long.parseLong on the trimmed text. Returns undefined when Java would throw. */
export function parseJavaInteger(text: string, bits: 32 | 64): number | undefined {
  const t = text.trim()
  if (!INT_RE.test(t)) return undefined
  const n = Number(t)
  const limit = bits === 32 ? 2 ** 31 : 2 ** 63
  if (n < -limit || n >= limit) return undefined
  return n
}

interface NumberOptions<T> extends FieldOptions<T> {
  readonly min?: number
  readonly max?: number
  /**
   * What a non-numeric or out-of-range value does: `error` drops the component (Flume's NumberFormatException
   * out of configure()), `default` warns and uses the default (components that catch it, like memory).
   */
  readonly invalid?: 'error' | 'default'
}

function numberField<T extends number, O extends NumberOptions<T>>(
  opts: O,
  bits: 32 | 64,
  typeName: string,
): Field<Opt<number, O>> {
  return makeField<number>(opts as FieldOptions<number>, typeName, (raw, r, key) => {
    const n = parseJavaInteger(raw, bits)
    const outOfRange =
      n !== undefined &&
      ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
    if (n === undefined || outOfRange) {
      const why =
        n === undefined
          ? `'${raw}' is not a valid ${typeName}`
          : `${n} is out of range${opts.min !== undefined ? ` (min ${opts.min}` : ' ('}${opts.max !== undefined ? `${opts.min !== undefined ? ', ' : ''}max ${opts.max})` : ')'}`
      if (opts.invalid === 'default' && opts.default !== undefined) {
        r.warn(key, `${why}; using the default ${opts.default}`, 'INVALID_VALUE')
        return opts.default
      }
      r.error(key, why, 'INVALID_VALUE')
      return Invalid
    }
    return n
  }) as Field<Opt<number, O>>
}

export function int<const O extends NumberOptions<number>>(opts: O): Field<Opt<number, O>> {
  return numberField(opts, 32, 'int')
}

export function long<const O extends NumberOptions<number>>(opts: O): Field<Opt<number, O>> {
  return numberField(opts, 64, 'long')
}

/** A floating-point value (Java's Double.parseDouble on the trimmed text). */
export function float<const O extends NumberOptions<number>>(opts: O): Field<Opt<number, O>> {
  return makeField<number>(opts as FieldOptions<number>, 'double', (raw, r, key) => {
    const t = raw.trim()
    const n = t === '' ? Number.NaN : Number(t)
    if (!Number.isFinite(n)) {
      r.error(key, `'${raw}' is not a number`, 'INVALID_VALUE')
      return Invalid
    }
    return n
  }) as Field<Opt<number, O>>
}

export function bool<const O extends FieldOptions<boolean>>(opts: O): Field<Opt<boolean, O>> {
  return makeField(opts, 'boolean', (raw, r, key) => {
    const t = raw.trim().toLowerCase()
    // Flume compat: Boolean.valueOf — only "true" (any case) is true; everything else is false.
    if (t !== 'true' && t !== 'false') {
      r.warn(key, `'${raw}' is read as false (only 'true' or 'false' are recognised)`, 'INVALID_VALUE')
    }
    return t === 'true'
  }) as Field<Opt<boolean, O>>
}

interface EnumOptions<V extends string> extends FieldOptions<V> {
  readonly values: readonly V[]
  /** Flume matches most enum-like keys case-insensitively (valueOf(toUpperCase())); some are exact. */
  readonly caseSensitive?: boolean
}

export function oneOf<const V extends string, const O extends EnumOptions<V>>(opts: O): Field<Opt<V, O>> {
  return makeField<V>(opts as FieldOptions<V>, opts.values.join(' | '), (raw, r, key) => {
    const t = raw.trim()
    const hit = opts.values.find((v) =>
      opts.caseSensitive === true ? v === t : v.toLowerCase() === t.toLowerCase(),
    )
    if (hit === undefined) {
      r.error(key, `'${raw}' is not one of ${opts.values.join(', ')}`, 'INVALID_VALUE')
      return Invalid
    }
    return hit
  }) as Field<Opt<V, O>>
}

/** A whitespace-separated list (Flume splits most lists on `\s+`). */
export function list<const O extends FieldOptions<readonly string[]> & { separator?: RegExp }>(
  opts: O,
): Field<Opt<readonly string[], O>> {
  const sep = opts.separator ?? /\s+/
  return makeField<readonly string[]>(
    opts as FieldOptions<readonly string[]>,
    'list',
    (raw) => raw.split(sep).filter((s) => s.length > 0),
    opts.default === undefined ? undefined : (opts.default as readonly string[]).join(' '),
  ) as Field<Opt<readonly string[], O>>
}

/**
 * Every property under a prefix (`kafka.producer.`, `selector.mapping.`, `headers.`), as a map of the
 * remaining key to its value. Never fails.
 */
export function prefixed(opts: { prefix: string; doc: string }): Field<ReadonlyMap<string, string>> {
  return {
    key: `${opts.prefix}*`,
    aliases: [],
    doc: opts.doc,
    typeName: 'map',
    defaultText: undefined,
    required: false,
    consumes: [opts.prefix],
    read(r) {
      const m = new Map<string, string>()
      for (const [k, v] of r.prefixed(opts.prefix)) m.set(k, v.value)
      return m
    },
  }
}

/** A field with a custom parser over the raw text, for one-off formats. */
export function custom<T, const O extends FieldOptions<T>>(
  opts: O & {
    typeName: string
    parse: (raw: string, report: (msg: string) => void) => T | typeof Invalid
    /** How the default is documented, when `String(default)` would not say it (objects). */
    defaultText?: string
  },
): Field<Opt<T, O>> {
  return makeField<T>(
    opts as FieldOptions<T>,
    opts.typeName,
    (raw, r, key) => opts.parse(raw, (msg) => r.error(key, msg, 'INVALID_VALUE')),
    opts.defaultText,
  ) as Field<Opt<T, O>>
}

/** A nested component chosen by a type key (e.g. `serializer` + `serializer.*`), parsed with its own spec. */
export interface NestedComponent<S> {
  readonly spec: S
  readonly config: unknown
  readonly props: RawProps
}

export function nested<K extends SpecKind>(opts: {
  kind: K
  /** Key holding the type, e.g. `sink.serializer`; its sub-properties are `<key>.*`. */
  key: string
  default: string
  doc: string
}): Field<NestedComponent<SpecOf<K>>> {
  return {
    key: opts.key,
    aliases: [],
    doc: opts.doc,
    typeName: `${opts.kind} type`,
    defaultText: opts.default,
    required: false,
    consumes: [opts.key, `${opts.key}.`],
    nested: { kind: opts.kind, key: opts.key, default: opts.default },
    read(r) {
      const typeValue = r.get(opts.key)?.value.trim() || opts.default
      const subProps = r.prefixed(`${opts.key}.`)
      const s = r.nested(opts.kind, opts.key, typeValue, subProps)
      if (s === undefined) return Invalid
      const nestedReader = subReader(r, `${opts.key}.`, subProps)
      const config = parseFields(s.fields, nestedReader)
      if (config === Invalid) return Invalid
      const errors = s.validate?.(config as never) ?? []
      for (const e of errors)
        r.error(
          typeof e === 'string' ? opts.key : `${opts.key}.${e.key}`,
          typeof e === 'string' ? e : e.message,
        )
      if (errors.length > 0) return Invalid
      return { spec: s as SpecOf<K>, config, props: subProps }
    },
  }
}

/** A reader over a nested component's properties that reports against the full property path. */
export function subReader(
  parent: FieldReader,
  prefix: string,
  props: ReadonlyMap<string, PropertyValue>,
): FieldReader {
  const consumed = new Set<string>()
  return {
    path: `${parent.path}.${prefix.replace(/\.$/, '')}`,
    get(key) {
      consumed.add(key)
      return props.get(key)
    },
    prefixed(p) {
      const m = new Map<string, PropertyValue>()
      for (const [k, v] of props) if (k.startsWith(p)) m.set(k.slice(p.length), v)
      return m
    },
    error: (key, message, code) =>
      parent.error(key === undefined ? prefix.slice(0, -1) : prefix + key, message, code),
    warn: (key, message, code) =>
      parent.warn(key === undefined ? prefix.slice(0, -1) : prefix + key, message, code),
    nested: (kind, key, type, p) => parent.nested(kind, prefix + key, type, p),
  }
}

export type Fields = Record<string, Field<unknown>>
export type ConfigOf<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never }

/** Parses all fields; returns Invalid if any field reported an error that drops the component. */
export function parseFields<F extends Fields>(fields: F, r: FieldReader): ConfigOf<F> | typeof Invalid {
  const out: Record<string, unknown> = {}
  let ok = true
  for (const name of Object.keys(fields)) {
    const v = (fields[name] as Field<unknown>).read(r)
    if (v === Invalid) ok = false
    else out[name] = v
  }
  return ok ? (Object.freeze(out) as ConfigOf<F>) : Invalid
}

// ---------------------------------------------------------------------------------------------------------
// Runtime contracts the specs build

export type Status = 'ready' | 'backoff'

export interface Lifecycle {
  start(): Promise<void>
  stop(): Promise<void>
}

export interface Source extends Partial<Lifecycle> {
  /** Present on pollable sources (seq, taildir, kafka...): called in a loop by the source runner. */
  process?(): Promise<Status>
}

export interface Sink extends Partial<Lifecycle> {
  /**
   * Delivers one batch. `signal` is aborted when the agent stops: a sink should then not wait for events
   * (pass it to `tx.take`), but must still finish delivering what it took.
   */
  process(signal?: AbortSignal): Promise<Status>
}

export interface Interceptor {
  /** Returns the events to keep, in order; may modify events in place and return the same array. */
  intercept(events: Event[]): Event[]
  close?(): void
}

export interface ChannelSelector {
  /** Set when every event goes to the same channels, so the processor can skip per-event routing. */
  readonly fixed?: { readonly required: readonly Channel[]; readonly optional: readonly Channel[] }
  required(event: Event): readonly Channel[]
  optional(event: Event): readonly Channel[]
}

export interface SinkProcessor extends Partial<Lifecycle> {
  process(signal?: AbortSignal): Promise<Status>
}

/** Turns events into bytes for a file-like output (file_roll, hdfs DataStream). */
export interface EventSerializer {
  /** Bytes to write when a new file is opened (container headers). */
  header(): Buffer | undefined
  /** Encodes events; may hold bytes back until `flush()` (block formats). */
  write(events: readonly Event[]): Buffer | undefined
  /** Emits every byte held back; called after each batch, before the channel commit. */
  flush(): Buffer | undefined
  /** Bytes to write before the file is closed. */
  footer(): Buffer | undefined
  /** Whether a file written by this serializer can be appended to after a restart (Flume's supportsReopen). */
  readonly supportsReopen: boolean
}

export type SerializerFactory = () => EventSerializer

// ---------------------------------------------------------------------------------------------------------
// Build contexts

export interface BuildContext {
  readonly agentName: string
  /** The component's name in the config (`r1`). */
  readonly name: string
  readonly logger: Logger
  readonly metrics: MetricsRegistry
  /** `-Dkey=value` system properties from the command line. */
  readonly sys: ReadonlyMap<string, string>
  /** Directory of the config file that defined the component (for relative paths in plugins). */
  readonly configDir: string
}

export interface SourceBuildContext extends BuildContext {
  readonly processor: import('./channel-processor.ts').ChannelProcessor
}
export interface SinkBuildContext extends BuildContext {
  readonly channel: Channel
}
export interface SelectorBuildContext extends BuildContext {
  /** The source's channels, in the order the source lists them. */
  readonly channels: readonly Channel[]
}
export interface SinkProcessorBuildContext extends BuildContext {
  /** The group's sinks by name, in the order the group lists them. */
  readonly sinks: ReadonlyMap<string, Sink>
}

// ---------------------------------------------------------------------------------------------------------
// Specs

interface SpecBase<F extends Fields> {
  /** Flume alias (`netcat`), or the name flumen registers when Flume has none. */
  readonly type: string
  /** Extra aliases (case-insensitive). */
  readonly aliases?: readonly string[]
  /** Fully qualified Java class names that map to this component (exact match). */
  readonly classNames?: readonly string[]
  readonly summary: string
  readonly fields: F
  /** Cross-field rules; each entry is one error that drops the component (optionally naming its key). */
  validate?(cfg: ConfigOf<F>): readonly Problem[]
}

/** A cross-field validation error: a message, or a message attached to the property it is about. */
export type Problem = string | { readonly key: string; readonly message: string }

export interface SourceSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'source'
  /** The batch size compared with the channel's transactionCapacity (Flume's BatchSizeSupported). */
  batchSize?(cfg: ConfigOf<F>): number
  /** Backoff for pollable sources (Flume's backoffSleepIncrement / maxBackoffSleep). */
  backoff?(cfg: ConfigOf<F>): { increment: number; max: number }
  build(cfg: ConfigOf<F>, ctx: SourceBuildContext): Source | Promise<Source>
}

export interface ChannelSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'channel'
  /** Flume's TransactionCapacitySupported: the capacity sources/sinks batch sizes are checked against. */
  transactionCapacity?(cfg: ConfigOf<F>): number
  build(cfg: ConfigOf<F>, ctx: BuildContext): Channel | Promise<Channel>
}

export interface SinkSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'sink'
  batchSize?(cfg: ConfigOf<F>): number
  build(cfg: ConfigOf<F>, ctx: SinkBuildContext): Sink | Promise<Sink>
}

export interface SelectorSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'selector'
  build(cfg: ConfigOf<F>, ctx: SelectorBuildContext): ChannelSelector
  /** Channel names the selector references, checked against the source's channels at compile time. */
  referencedChannels?(cfg: ConfigOf<F>): readonly string[]
}

export interface InterceptorSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'interceptor'
  build(cfg: ConfigOf<F>, ctx: BuildContext): Interceptor | Promise<Interceptor>
}

export interface SinkProcessorSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'sinkProcessor'
  validateSinks?(cfg: ConfigOf<F>, sinks: readonly string[]): readonly string[]
  build(cfg: ConfigOf<F>, ctx: SinkProcessorBuildContext): SinkProcessor
}

export interface SerializerSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'serializer'
  build(cfg: ConfigOf<F>): SerializerFactory
}

/** regex_extractor serializers: turn a captured group into a header value. */
export interface ExtractorSerializerSpec<F extends Fields = Fields> extends SpecBase<F> {
  readonly kind: 'extractorSerializer'
  build(cfg: ConfigOf<F>): (value: string) => string
}

export type AnySpec =
  | SourceSpec
  | ChannelSpec
  | SinkSpec
  | SelectorSpec
  | InterceptorSpec
  | SinkProcessorSpec
  | SerializerSpec
  | ExtractorSerializerSpec

export type SpecKind = AnySpec['kind']
export type SpecOf<K extends SpecKind> = Extract<AnySpec, { kind: K }>

// The define* helpers exist for inference: `cfg` in build/validate is typed from `fields`.
type Define<S extends AnySpec, F extends Fields> = Omit<S, 'kind' | 'fields' | 'validate'> & {
  fields: F
  validate?(cfg: ConfigOf<F>): readonly Problem[]
}

function widen<S>(spec: unknown): S {
  return Object.freeze(spec) as S
}

export function defineSource<F extends Fields>(
  s: Omit<Define<SourceSpec, F>, 'build' | 'batchSize' | 'backoff'> & {
    build(cfg: ConfigOf<F>, ctx: SourceBuildContext): Source | Promise<Source>
    batchSize?(cfg: ConfigOf<F>): number
    backoff?(cfg: ConfigOf<F>): { increment: number; max: number }
  },
): SourceSpec {
  return widen({ ...s, kind: 'source' })
}

export function defineChannel<F extends Fields>(
  s: Omit<Define<ChannelSpec, F>, 'build' | 'transactionCapacity'> & {
    build(cfg: ConfigOf<F>, ctx: BuildContext): Channel | Promise<Channel>
    transactionCapacity?(cfg: ConfigOf<F>): number
  },
): ChannelSpec {
  return widen({ ...s, kind: 'channel' })
}

export function defineSink<F extends Fields>(
  s: Omit<Define<SinkSpec, F>, 'build' | 'batchSize'> & {
    build(cfg: ConfigOf<F>, ctx: SinkBuildContext): Sink | Promise<Sink>
    batchSize?(cfg: ConfigOf<F>): number
  },
): SinkSpec {
  return widen({ ...s, kind: 'sink' })
}

export function defineSelector<F extends Fields>(
  s: Omit<Define<SelectorSpec, F>, 'build' | 'referencedChannels'> & {
    build(cfg: ConfigOf<F>, ctx: SelectorBuildContext): ChannelSelector
    referencedChannels?(cfg: ConfigOf<F>): readonly string[]
  },
): SelectorSpec {
  return widen({ ...s, kind: 'selector' })
}

export function defineInterceptor<F extends Fields>(
  s: Omit<Define<InterceptorSpec, F>, 'build'> & {
    build(cfg: ConfigOf<F>, ctx: BuildContext): Interceptor | Promise<Interceptor>
  },
): InterceptorSpec {
  return widen({ ...s, kind: 'interceptor' })
}

export function defineSinkProcessor<F extends Fields>(
  s: Omit<Define<SinkProcessorSpec, F>, 'build' | 'validateSinks'> & {
    build(cfg: ConfigOf<F>, ctx: SinkProcessorBuildContext): SinkProcessor
    validateSinks?(cfg: ConfigOf<F>, sinks: readonly string[]): readonly string[]
  },
): SinkProcessorSpec {
  return widen({ ...s, kind: 'sinkProcessor' })
}

export function defineSerializer<F extends Fields>(
  s: Omit<Define<SerializerSpec, F>, 'build'> & { build(cfg: ConfigOf<F>): SerializerFactory },
): SerializerSpec {
  return widen({ ...s, kind: 'serializer' })
}

export function defineExtractorSerializer<F extends Fields>(
  s: Omit<Define<ExtractorSerializerSpec, F>, 'build'> & {
    build(cfg: ConfigOf<F>): (value: string) => string
  },
): ExtractorSerializerSpec {
  return widen({ ...s, kind: 'extractorSerializer' })
}

// Common fields shared by many components.

export function batchSizeField(key: string, dflt: number, doc = 'Events per channel transaction.') {
  return int({ key, default: dflt, min: 1, doc })
}
