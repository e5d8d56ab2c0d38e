/**
 * Compiles the properties of one agent into a validated, typed description of its topology, applying
 * Flume's validation and dropping rules (reference §1.2–1.5) and reporting every problem with its file,
 * line and property path.
 *
 * Phase B (structural, FlumeConfiguration.isValid): channels list required; each listed component needs
 * properties and a `type`; sources need `channels` (intersected with the valid channels), sinks a valid
 * `channel`; sink-group members must be valid sinks not claimed by another group; no sources and no sinks
 * → the agent is invalid.
 * Phase C (typed, AbstractConfigurationProvider): each component's spec parses its properties; an error
 * removes only that component, then what depends on it (a source whose channels all went, a sink whose
 * channel went); batchSize > transactionCapacity removes the source or sink; a channel left with nothing
 * connected is removed.
 *
 * Severities: `fatal` stops the agent from starting at all (Flume: unknown component class, no valid
 * channels, no sources and no sinks); `error` drops a component (Flume's lenient rule keeps the rest
 * running; `flumen check` and `agent --strict` refuse to start); `warning` changes nothing but deserves a
 * look (unknown keys, deprecated spellings, values Flume silently reinterprets).
 *
 * Deliberate differences, each reported as a diagnostic: a sink group member that failed configuration is
 * removed from the group (Flume aborts the whole agent); an agent name with no properties at all is fatal
 * (Flume starts an empty agent); an unknown property key is a warning (Flume ignores it silently).
 */

import { dirname } from 'node:path'
import type {
  AnySpec,
  ChannelSpec,
  Diagnostic,
  DiagnosticCode,
  FieldReader,
  InterceptorSpec,
  PropertyValue,
  RawProps,
  SelectorSpec,
  Severity,
  SinkProcessorSpec,
  SinkSpec,
  SourceSpec,
  SpecKind,
  SpecOf,
} from '../core/spec.ts'
import { Invalid, parseFields } from '../core/spec.ts'
import { isPluginReference, knownUnsupported, loadPlugin, type Registry } from '../registry.ts'
import { applyConfigFilters } from './config-filters.ts'

export interface CompiledComponent<S extends AnySpec> {
  readonly name: string
  readonly spec: S
  readonly config: unknown
  readonly props: RawProps
  /** Directory of the file that defines the component's type (plugins resolve paths against it). */
  readonly configDir: string
}

export interface CompiledSource extends CompiledComponent<SourceSpec> {
  readonly channels: readonly string[]
  readonly selector: CompiledComponent<SelectorSpec>
  readonly interceptors: readonly CompiledComponent<InterceptorSpec>[]
}

export interface CompiledSink extends CompiledComponent<SinkSpec> {
  readonly channel: string
}

export interface CompiledSinkGroup {
  readonly name: string
  readonly sinks: readonly string[]
  readonly processor: CompiledComponent<SinkProcessorSpec>
}

export interface CompiledAgent {
  readonly name: string
  readonly channels: ReadonlyMap<string, CompiledComponent<ChannelSpec>>
  readonly sources: ReadonlyMap<string, CompiledSource>
  readonly sinks: ReadonlyMap<string, CompiledSink>
  readonly sinkGroups: ReadonlyMap<string, CompiledSinkGroup>
  readonly diagnostics: readonly Diagnostic[]
  /** True when a fatal problem prevents the agent from starting at all. */
  readonly fatal: boolean
}

export interface CompileOptions {
  readonly agentName: string
  /** Every property of every file, full keys, already trimmed and substituted. */
  readonly properties: ReadonlyMap<string, PropertyValue>
  readonly registry: Registry
  readonly env?: NodeJS.ProcessEnv
  readonly sys?: ReadonlyMap<string, string>
}

type SectionKey = 'sources' | 'channels' | 'sinks' | 'sinkgroups' | 'configfilters'
const SECTIONS: readonly SectionKey[] = ['sources', 'channels', 'sinks', 'sinkgroups', 'configfilters']
const KIND_LABEL: Record<SectionKey, string> = {
  sources: 'SOURCE',
  channels: 'CHANNEL',
  sinks: 'SINK',
  sinkgroups: 'SINKGROUP',
  configfilters: 'CONFIGFILTER',
}

class Reporter {
  readonly list: Diagnostic[] = []
  fatal = false

  add(
    severity: Severity,
    code: DiagnosticCode,
    message: string,
    where: { path?: string | undefined; at?: PropertyValue | undefined; component?: string } = {},
  ): void {
    if (severity === 'fatal') this.fatal = true
    const d: {
      -readonly [K in keyof Diagnostic]: Diagnostic[K]
    } = { severity, code, message }
    if (where.path !== undefined) d.path = where.path
    if (where.at !== undefined) {
      d.file = where.at.file
      d.line = where.at.line
    }
    if (where.component !== undefined) d.component = where.component
    this.list.push(d)
  }
}

/** Lists the agent names found in the properties (the text before the first dot of each key). */
export function agentNames(properties: ReadonlyMap<string, PropertyValue>): string[] {
  const names = new Set<string>()
  for (const k of properties.keys()) {
    const i = k.indexOf('.')
    if (i > 0) names.add(k.slice(0, i))
  }
  return [...names]
}

export async function compileAgent(opts: CompileOptions): Promise<CompiledAgent> {
  const agent = opts.agentName
  const rep = new Reporter()
  const registry = opts.registry
  const prefix = `${agent}.`

  // --- Namespace -------------------------------------------------------------------------------------
  const lists = new Map<SectionKey, PropertyValue>()
  const contexts = new Map<SectionKey, Map<string, Map<string, PropertyValue>>>()
  for (const s of SECTIONS) contexts.set(s, new Map())
  let any = false
  for (const [key, pv] of opts.properties) {
    if (!key.startsWith(prefix)) continue
    any = true
    const rest = key.slice(prefix.length)
    const section = SECTIONS.find((s) => rest === s || rest.startsWith(`${s}.`))
    if (section === undefined) {
      rep.add('warning', 'INVALID_PROPERTY', `'${key}' is not a valid agent property; ignored`, {
        path: key,
        at: pv,
      })
      continue
    }
    if (rest === section) {
      lists.set(section, pv)
      continue
    }
    const after = rest.slice(section.length + 1)
    const dot = after.indexOf('.')
    if (dot <= 0 || dot === after.length - 1) {
      rep.add(
        'warning',
        'INVALID_PROPERTY',
        `'${key}' must name a component and a setting (${agent}.${section}.<name>.<setting>); ignored`,
        { path: key, at: pv },
      )
      continue
    }
    const name = after.slice(0, dot)
    const sub = after.slice(dot + 1)
    const ctxMap = contexts.get(section) as Map<string, Map<string, PropertyValue>>
    let ctx = ctxMap.get(name)
    if (ctx === undefined) {
      ctx = new Map()
      ctxMap.set(name, ctx)
    }
    ctx.set(sub, pv)
  }

  const emptyResult = (): CompiledAgent => ({
    name: agent,
    channels: new Map(),
    sources: new Map(),
    sinks: new Map(),
    sinkGroups: new Map(),
    diagnostics: rep.list,
    fatal: true,
  })

  if (!any) {
    const found = agentNames(opts.properties)
    rep.add(
      'fatal',
      'AGENT_CONFIGURATION_INVALID',
      `No configuration found for agent '${agent}'${found.length > 0 ? `; the files configure: ${found.join(', ')}` : ''}`,
    )
    return emptyResult()
  }

  const listOf = (s: SectionKey): string[] => {
    const v = lists.get(s)?.value
    return v === undefined ? [] : [...new Set(v.split(/\s+/).filter((x) => x.length > 0))]
  }
  const ctxOf = (s: SectionKey) => contexts.get(s) as Map<string, Map<string, PropertyValue>>
  const listAt = (s: SectionKey) => lists.get(s)

  // Components configured but never listed are ignored (Flume does so silently).
  for (const s of SECTIONS) {
    const listed = new Set(listOf(s))
    for (const [name, props] of ctxOf(s)) {
      if (!listed.has(name)) {
        const first = props.values().next().value
        rep.add(
          'warning',
          'CONFIG_ERROR',
          `${KIND_LABEL[s].toLowerCase()} '${name}' is configured but not listed in ${agent}.${s}; ignored`,
          { path: `${agent}.${s}.${name}`, at: first, component: `${KIND_LABEL[s]}.${name}` },
        )
      }
    }
  }

  // --- Config filters (Flume 1.10+) --------------------------------------------------------------------
  const filterNames = listOf('configfilters')
  if (filterNames.length > 0) {
    await applyConfigFilters({
      agent,
      filters: filterNames,
      filterContexts: ctxOf('configfilters'),
      targets: [ctxOf('sources'), ctxOf('channels'), ctxOf('sinks'), ctxOf('sinkgroups')],
      report: (severity, code, message, at, path) => rep.add(severity, code, message, { at, path }),
      env: opts.env ?? process.env,
    })
  }

  // --- Phase B -----------------------------------------------------------------------------------------
  const channelList = listOf('channels')
  if (channelList.length === 0) {
    rep.add('fatal', 'PROPERTY_VALUE_NULL', `Agent '${agent}' lists no channels (${agent}.channels)`, {
      path: `${agent}.channels`,
      at: listAt('channels'),
    })
    return emptyResult()
  }

  const compPath = (s: SectionKey, name: string, key?: string) =>
    `${agent}.${s}.${name}${key === undefined ? '' : `.${key}`}`
  const typeAt = (props: Map<string, PropertyValue>) => props.get('type') ?? props.values().next().value

  const structurallyValid = (s: SectionKey, name: string): Map<string, PropertyValue> | undefined => {
    const props = ctxOf(s).get(name)
    const label = KIND_LABEL[s]
    if (props === undefined || props.size === 0) {
      rep.add(
        'error',
        'CONFIG_ERROR',
        `${label.toLowerCase()} '${name}' is listed but has no properties; dropped`,
        {
          path: compPath(s, name),
          at: listAt(s),
          component: `${label}.${name}`,
        },
      )
      return undefined
    }
    if (s !== 'sinkgroups' && props.get('type') === undefined) {
      rep.add('error', 'COMPONENT_TYPE_MISSING', `${label.toLowerCase()} '${name}' has no type; dropped`, {
        path: compPath(s, name, 'type'),
        at: props.values().next().value,
        component: `${label}.${name}`,
      })
      return undefined
    }
    return props
  }

  const validChannels = new Map<string, Map<string, PropertyValue>>()
  for (const name of channelList) {
    const p = structurallyValid('channels', name)
    if (p !== undefined) validChannels.set(name, p)
  }
  if (validChannels.size === 0) {
    rep.add('fatal', 'PROPERTY_VALUE_NULL', `Agent '${agent}' has no valid channels`, {
      path: `${agent}.channels`,
      at: listAt('channels'),
    })
    return emptyResult()
  }

  const validSources = new Map<string, { props: Map<string, PropertyValue>; channels: string[] }>()
  for (const name of listOf('sources')) {
    const p = structurallyValid('sources', name)
    if (p === undefined) continue
    const chv = p.get('channels')
    if (chv === undefined) {
      const wrong = p.get('channel') !== undefined ? " (it sets 'channel'; sources use 'channels')" : ''
      rep.add('error', 'ATTRS_MISSING', `source '${name}' has no channels${wrong}; dropped`, {
        path: compPath('sources', name, 'channels'),
        at: typeAt(p),
        component: `SOURCE.${name}`,
      })
      continue
    }
    const names = [...new Set(chv.value.split(/\s+/).filter((x) => x.length > 0))]
    const kept = names.filter((c) => validChannels.has(c))
    for (const c of names) {
      if (!validChannels.has(c)) {
        rep.add(
          'warning',
          'CHANNEL_NOT_FOUND',
          `source '${name}' names channel '${c}', which is not a valid channel; ignored`,
          {
            path: compPath('sources', name, 'channels'),
            at: chv,
            component: `SOURCE.${name}`,
          },
        )
      }
    }
    if (kept.length === 0) {
      rep.add('error', 'CHANNEL_NOT_FOUND', `No channels configured for source '${name}'; dropped`, {
        path: compPath('sources', name, 'channels'),
        at: chv,
        component: `SOURCE.${name}`,
      })
      continue
    }
    validSources.set(name, { props: p, channels: kept })
  }

  const validSinks = new Map<string, { props: Map<string, PropertyValue>; channel: string }>()
  for (const name of listOf('sinks')) {
    const p = structurallyValid('sinks', name)
    if (p === undefined) continue
    const chv = p.get('channel')
    if (chv === undefined) {
      const wrong = p.get('channels') !== undefined ? " (it sets 'channels'; sinks use 'channel')" : ''
      rep.add('error', 'ATTRS_MISSING', `sink '${name}' has no channel${wrong}; dropped`, {
        path: compPath('sinks', name, 'channel'),
        at: typeAt(p),
        component: `SINK.${name}`,
      })
      continue
    }
    if (!validChannels.has(chv.value)) {
      rep.add(
        'error',
        'CHANNEL_NOT_FOUND',
        `sink '${name}' reads channel '${chv.value}', which is not a valid channel; dropped`,
        {
          path: compPath('sinks', name, 'channel'),
          at: chv,
          component: `SINK.${name}`,
        },
      )
      continue
    }
    validSinks.set(name, { props: p, channel: chv.value })
  }

  const validGroups = new Map<string, { props: Map<string, PropertyValue>; sinks: string[] }>()
  const claimed = new Map<string, string>()
  for (const name of listOf('sinkgroups')) {
    const p = structurallyValid('sinkgroups', name)
    if (p === undefined) continue
    const sv = p.get('sinks')
    if (sv === undefined) {
      const hint =
        p.get('processor.sinks') !== undefined ? " ('processor.sinks' is not read; use 'sinks')" : ''
      rep.add('error', 'ATTRS_MISSING', `sink group '${name}' lists no sinks${hint}; dropped`, {
        path: `${agent}.sinkgroups.${name}.sinks`,
        at: p.values().next().value,
        component: `SINKGROUP.${name}`,
      })
      continue
    }
    const members: string[] = []
    for (const s of [...new Set(sv.value.split(/\s+/).filter((x) => x.length > 0))]) {
      if (!validSinks.has(s)) {
        rep.add(
          'error',
          'SINK_NOT_FOUND',
          `sink group '${name}' lists '${s}', which is not a valid sink; removed from the group`,
          {
            path: `${agent}.sinkgroups.${name}.sinks`,
            at: sv,
            component: `SINKGROUP.${name}`,
          },
        )
      } else if (claimed.has(s)) {
        rep.add(
          'error',
          'CONFIG_ERROR',
          `sink '${s}' already belongs to sink group '${claimed.get(s)}'; removed from '${name}'`,
          {
            path: `${agent}.sinkgroups.${name}.sinks`,
            at: sv,
            component: `SINKGROUP.${name}`,
          },
        )
      } else {
        claimed.set(s, name)
        members.push(s)
      }
    }
    if (members.length === 0) {
      rep.add('error', 'CONFIG_ERROR', `sink group '${name}' has no valid sinks; dropped`, {
        path: `${agent}.sinkgroups.${name}.sinks`,
        at: sv,
        component: `SINKGROUP.${name}`,
      })
      continue
    }
    validGroups.set(name, { props: p, sinks: members })
  }

  if (validSources.size === 0 && validSinks.size === 0) {
    rep.add('fatal', 'PROPERTY_VALUE_NULL', `Agent '${agent}' has no valid sources and no valid sinks`, {
      path: `${agent}.sources`,
      at: listAt('sources') ?? listAt('sinks'),
    })
    return emptyResult()
  }

  // --- Phase C: typed parsing ----------------------------------------------------------------------------
  const resolveType = async <K extends SpecKind>(
    kind: K,
    typeValue: PropertyValue,
    path: string,
    component: string,
  ): Promise<SpecOf<K> | undefined> => {
    const t = typeValue.value
    if (isPluginReference(t)) {
      try {
        return await loadPlugin(kind, t, dirname(typeValue.file))
      } catch (e) {
        rep.add('fatal', 'PLUGIN_LOAD_ERROR', (e as Error).message, { path, at: typeValue, component })
        return undefined
      }
    }
    const spec = await registry.load(kind, t)
    if (spec !== undefined) return spec
    const unsupported = knownUnsupported.get(kind)?.get(t.toLowerCase())
    const label = kind === 'sinkProcessor' ? 'sink processor' : kind
    if (unsupported !== undefined) {
      rep.add(
        'fatal',
        'UNSUPPORTED_COMPONENT',
        `${label} type '${t}' is ${unsupported}, which flumen does not implement`,
        {
          path,
          at: typeValue,
          component,
        },
      )
    } else {
      const known = registry.names(kind).join(', ')
      rep.add(
        'fatal',
        'UNKNOWN_COMPONENT_TYPE',
        `Unknown ${label} type '${t}'. Known types: ${known}. A custom component is a module: type = ./my-${kind.toLowerCase()}.js`,
        { path, at: typeValue, component },
      )
    }
    return undefined
  }

  const reader = (
    path: string,
    props: ReadonlyMap<string, PropertyValue>,
    component: string,
    consumed: Set<string>,
  ) => {
    let failed = false
    const r: FieldReader = {
      path,
      get(key) {
        consumed.add(key)
        return props.get(key)
      },
      prefixed(p) {
        const m = new Map<string, PropertyValue>()
        for (const [k, v] of props) {
          if (k.startsWith(p)) {
            consumed.add(k)
            m.set(k.slice(p.length), v)
          }
        }
        return m
      },
      error(key, message, code) {
        failed = true
        rep.add('error', code ?? 'INVALID_VALUE', message, {
          path: key === undefined ? path : `${path}.${key}`,
          at: key === undefined ? props.get('type') : (props.get(key) ?? props.get('type')),
          component,
        })
      },
      warn(key, message, code) {
        rep.add('warning', code ?? 'INVALID_VALUE', message, {
          path: key === undefined ? path : `${path}.${key}`,
          at: key === undefined ? props.get('type') : (props.get(key) ?? props.get('type')),
          component,
        })
      },
      nested(kind, key, type, _p) {
        const spec = registry.lookup(kind, type)
        if (spec === undefined) {
          failed = true
          const known = registry.names(kind).join(', ')
          rep.add('error', 'UNKNOWN_COMPONENT_TYPE', `Unknown ${kind} type '${type}'. Known: ${known}`, {
            path: `${path}.${key}`,
            at: props.get(key),
            component,
          })
        }
        return spec
      },
    }
    return { r, failed: () => failed }
  }

  /** Parses a spec's fields over the given props; returns undefined (error reported) when invalid. */
  const parseWith = async (
    spec: AnySpec,
    path: string,
    props: ReadonlyMap<string, PropertyValue>,
    component: string,
    structural: readonly string[],
    structuralPrefixes: readonly string[] = [],
  ): Promise<{ config: unknown } | undefined> => {
    // Nested components (serializers) are loaded before the synchronous field parsing needs them.
    for (const f of Object.values(spec.fields)) {
      if (f.nested !== undefined)
        await registry.load(f.nested.kind, props.get(f.nested.key)?.value.trim() || f.nested.default)
    }
    const consumed = new Set<string>(structural)
    const { r, failed } = reader(path, props, component, consumed)
    const config = parseFields(spec.fields, r)
    if (config === Invalid || failed()) return undefined
    const problems = spec.validate?.(config as never) ?? []
    for (const p of problems) {
      if (typeof p === 'string') r.error(undefined, p)
      else r.error(p.key, p.message)
    }
    if (problems.length > 0) return undefined
    for (const [k, v] of props) {
      if (consumed.has(k) || structuralPrefixes.some((p) => k.startsWith(p))) continue
      if ([...consumed].some((c) => c.endsWith('.') && k.startsWith(c))) continue
      rep.add(
        'warning',
        'UNKNOWN_PROPERTY',
        `unknown property '${k}' for ${spec.kind} type '${spec.type}'; ignored`,
        {
          path: `${path}.${k}`,
          at: v,
          component,
        },
      )
    }
    return { config }
  }

  const dropped = (component: string, what: string, at: PropertyValue | undefined, path: string) =>
    rep.add('error', 'COMPONENT_DROPPED', `${what} has been removed due to an error during configuration`, {
      path,
      at,
      component,
    })

  // Channels
  const channels = new Map<string, CompiledComponent<ChannelSpec>>()
  for (const [name, props] of validChannels) {
    const path = compPath('channels', name)
    const tv = props.get('type') as PropertyValue
    const spec = await resolveType('channel', tv, `${path}.type`, `CHANNEL.${name}`)
    if (spec === undefined) continue
    const parsed = await parseWith(spec, path, props, `CHANNEL.${name}`, ['type'])
    if (parsed === undefined) {
      dropped(`CHANNEL.${name}`, `Channel ${name}`, tv, path)
      continue
    }
    channels.set(name, { name, spec, config: parsed.config, props, configDir: dirname(tv.file) })
  }

  const txnCapacity = (ch: string): number | undefined => {
    const c = channels.get(ch)
    return c === undefined ? undefined : c.spec.transactionCapacity?.(c.config as never)
  }

  // Sources
  const sources = new Map<string, CompiledSource>()
  for (const [name, { props, channels: listed }] of validSources) {
    const path = compPath('sources', name)
    const component = `SOURCE.${name}`
    const tv = props.get('type') as PropertyValue
    const spec = await resolveType('source', tv, `${path}.type`, component)
    if (spec === undefined) continue
    const chans = listed.filter((c) => channels.has(c))
    if (chans.length === 0) {
      rep.add(
        'error',
        'CHANNEL_NOT_FOUND',
        `source '${name}' has no channels left (its channels were removed); dropped`,
        {
          path: `${path}.channels`,
          at: props.get('channels'),
          component,
        },
      )
      continue
    }
    const parsed = await parseWith(
      spec,
      path,
      props,
      component,
      ['type', 'channels', 'interceptors'],
      ['selector.', 'interceptors.'],
    )
    let ok = parsed !== undefined

    // Selector
    const selectorProps = new Map<string, PropertyValue>()
    for (const [k, v] of props)
      if (k.startsWith('selector.')) selectorProps.set(k.slice('selector.'.length), v)
    const selType = selectorProps.get('type')
    const selTypeValue: PropertyValue = selType ?? { value: 'replicating', file: tv.file, line: tv.line }
    const selSpec = await resolveType('selector', selTypeValue, `${path}.selector.type`, component)
    let selector: CompiledComponent<SelectorSpec> | undefined
    if (selSpec === undefined) ok = false
    else {
      const sp = await parseWith(selSpec, `${path}.selector`, selectorProps, component, ['type'])
      if (sp === undefined) ok = false
      else {
        const refs = selSpec.referencedChannels?.(sp.config as never) ?? []
        for (const c of refs) {
          if (!chans.includes(c)) {
            const isOptionalReplicating = selSpec.type === 'replicating'
            rep.add(
              isOptionalReplicating ? 'warning' : 'error',
              'CHANNEL_NOT_FOUND',
              c === ''
                ? `selector channel list contains an empty name (two spaces in a row: Flume splits these lists on single spaces)`
                : `Selector channel not found: '${c}' is not a channel of source '${name}'${isOptionalReplicating ? '; ignored' : ''}`,
              { path: `${path}.selector`, at: selType ?? tv, component },
            )
            if (!isOptionalReplicating) ok = false
          }
        }
        selector = {
          name,
          spec: selSpec,
          config: sp.config,
          props: selectorProps,
          configDir: dirname(tv.file),
        }
      }
    }

    // Interceptors
    const interceptors: CompiledComponent<InterceptorSpec>[] = []
    const icList = props.get('interceptors')
    if (icList !== undefined) {
      for (const ic of icList.value.split(/\s+/).filter((x) => x.length > 0)) {
        const icProps = new Map<string, PropertyValue>()
        const pfx = `interceptors.${ic}.`
        for (const [k, v] of props) if (k.startsWith(pfx)) icProps.set(k.slice(pfx.length), v)
        const icType = icProps.get('type')
        if (icType === undefined) {
          rep.add('error', 'COMPONENT_TYPE_MISSING', `interceptor '${ic}' of source '${name}' has no type`, {
            path: `${path}.interceptors.${ic}.type`,
            at: icList,
            component,
          })
          ok = false
          continue
        }
        const icSpec = await resolveType('interceptor', icType, `${path}.interceptors.${ic}.type`, component)
        if (icSpec === undefined) {
          ok = false
          continue
        }
        const ip = await parseWith(icSpec, `${path}.interceptors.${ic}`, icProps, component, ['type'])
        if (ip === undefined) {
          ok = false
          continue
        }
        interceptors.push({
          name: ic,
          spec: icSpec,
          config: ip.config,
          props: icProps,
          configDir: dirname(icType.file),
        })
      }
    }
    for (const k of props.keys()) {
      if (k.startsWith('interceptors.')) {
        const ic = k.slice('interceptors.'.length).split('.')[0] as string
        const listed = icList?.value.split(/\s+/).includes(ic) ?? false
        if (!listed) {
          rep.add(
            'warning',
            'UNKNOWN_PROPERTY',
            `interceptor '${ic}' is configured but not listed in interceptors; ignored`,
            {
              path: `${path}.${k}`,
              at: props.get(k),
              component,
            },
          )
          break
        }
      }
    }

    // Batch size vs transaction capacity (Flume's BatchSizeSupported / TransactionCapacitySupported).
    if (ok && parsed !== undefined && spec.batchSize !== undefined) {
      const bs = spec.batchSize(parsed.config as never)
      for (const c of chans) {
        const cap = txnCapacity(c)
        if (cap !== undefined && bs > cap) {
          rep.add(
            'error',
            'INCOMPATIBLE_BATCH_SIZE',
            `Incompatible source and channel settings: source '${name}' batch size ${bs} is greater than channel '${c}' transactionCapacity ${cap}`,
            { path, at: tv, component },
          )
          ok = false
        }
      }
    }

    if (!ok || parsed === undefined || selector === undefined) {
      dropped(component, `Source ${name}`, tv, path)
      continue
    }
    sources.set(name, {
      name,
      spec,
      config: parsed.config,
      props,
      configDir: dirname(tv.file),
      channels: chans,
      selector,
      interceptors,
    })
  }

  // Sinks
  const sinks = new Map<string, CompiledSink>()
  for (const [name, { props, channel }] of validSinks) {
    const path = compPath('sinks', name)
    const component = `SINK.${name}`
    const tv = props.get('type') as PropertyValue
    const spec = await resolveType('sink', tv, `${path}.type`, component)
    if (spec === undefined) continue
    if (!channels.has(channel)) {
      rep.add(
        'error',
        'CHANNEL_NOT_FOUND',
        `sink '${name}' reads channel '${channel}', which was removed; dropped`,
        {
          path: `${path}.channel`,
          at: props.get('channel'),
          component,
        },
      )
      continue
    }
    const parsed = await parseWith(spec, path, props, component, ['type', 'channel'])
    let ok = parsed !== undefined
    if (parsed !== undefined && spec.batchSize !== undefined) {
      const bs = spec.batchSize(parsed.config as never)
      const cap = txnCapacity(channel)
      if (cap !== undefined && bs > cap) {
        rep.add(
          'error',
          'INCOMPATIBLE_BATCH_SIZE',
          `Incompatible sink and channel settings: sink '${name}' batch size ${bs} is greater than channel '${channel}' transactionCapacity ${cap}`,
          { path, at: tv, component },
        )
        ok = false
      }
    }
    if (!ok || parsed === undefined) {
      dropped(component, `Sink ${name}`, tv, path)
      continue
    }
    sinks.set(name, { name, spec, config: parsed.config, props, configDir: dirname(tv.file), channel })
  }

  // Sink groups
  const sinkGroups = new Map<string, CompiledSinkGroup>()
  for (const [name, { props, sinks: members }] of validGroups) {
    const path = `${agent}.sinkgroups.${name}`
    const component = `SINKGROUP.${name}`
    const kept = members.filter((s) => {
      if (sinks.has(s)) return true
      rep.add(
        'error',
        'SINK_NOT_FOUND',
        `sink '${s}' of sink group '${name}' was removed; it is left out of the group`,
        {
          path: `${path}.sinks`,
          at: props.get('sinks'),
          component,
        },
      )
      return false
    })
    const pt = props.get('processor.type')
    if (pt === undefined) {
      rep.add(
        'error',
        'COMPONENT_TYPE_MISSING',
        `sink group '${name}' has no processor.type; the group and its sinks (${members.join(', ')}) will not run (Flume compat)`,
        { path: `${path}.processor.type`, at: props.get('sinks'), component },
      )
      for (const s of members) sinks.delete(s)
      continue
    }
    const pspec = await resolveType('sinkProcessor', pt, `${path}.processor.type`, component)
    if (pspec === undefined) continue
    const procProps = new Map<string, PropertyValue>()
    for (const [k, v] of props) if (k.startsWith('processor.')) procProps.set(k.slice('processor.'.length), v)
    for (const [k, v] of props) {
      if (k !== 'sinks' && !k.startsWith('processor.')) {
        rep.add('warning', 'UNKNOWN_PROPERTY', `unknown property '${k}' for a sink group; ignored`, {
          path: `${path}.${k}`,
          at: v,
          component,
        })
      }
    }
    const pp = await parseWith(pspec, `${path}.processor`, procProps, component, ['type'])
    const memberProblems = pp === undefined ? [] : (pspec.validateSinks?.(pp.config as never, kept) ?? [])
    for (const m of memberProblems) rep.add('error', 'CONFIG_ERROR', m, { path, at: pt, component })
    if (pp === undefined || memberProblems.length > 0 || kept.length === 0) {
      rep.add(
        'error',
        'COMPONENT_DROPPED',
        `Sink group ${name} has been removed due to an error during configuration; its sinks (${members.join(', ')}) will not run`,
        { path, at: pt, component },
      )
      for (const s of members) sinks.delete(s)
      continue
    }
    sinkGroups.set(name, {
      name,
      sinks: kept,
      processor: { name, spec: pspec, config: pp.config, props: procProps, configDir: dirname(pt.file) },
    })
  }

  // Channels with nothing connected are removed (Flume: "Channel %s has no components connected").
  for (const name of [...channels.keys()]) {
    const used =
      [...sources.values()].some((s) => s.channels.includes(name)) ||
      [...sinks.values()].some((k) => k.channel === name)
    if (!used) {
      const c = channels.get(name) as CompiledComponent<ChannelSpec>
      rep.add('warning', 'CONFIG_ERROR', `Channel ${name} has no components connected and has been removed`, {
        path: compPath('channels', name),
        at: c.props.get('type'),
        component: `CHANNEL.${name}`,
      })
      channels.delete(name)
    }
  }

  if (sources.size === 0 && sinks.size === 0 && !rep.fatal) {
    rep.add('fatal', 'AGENT_CONFIGURATION_INVALID', `Agent '${agent}' has no components left to run`, {
      path: `${agent}.sources`,
      at: listAt('sources') ?? listAt('sinks'),
    })
  }

  return { name: agent, channels, sources, sinks, sinkGroups, diagnostics: rep.list, fatal: rep.fatal }
}
