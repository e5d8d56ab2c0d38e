/**
 * What a reload has to do: compares the running compiled configuration with a new one and decides, per
 * component, whether it is kept, changed in place, restarted, added or removed. Pure: no instances here,
 * the agent applies the plan (agent.ts).
 *
 * "Effective configuration" of a component = its type (the spec it resolves to, so `memory` and
 * `org.apache.flume.channel.MemoryChannel` are the same) + its typed configuration (so `capacity = 100`
 * written out equals the default) + the directory of the file that defines it (plugins resolve paths
 * against it). When a typed configuration holds values that cannot be compared (compiled regexes,
 * serializer factories), the property values are compared instead (after substitution; comments, order
 * and line numbers never count).
 *
 * Rules (docs/operations.md "Reload"):
 * - channel: `reconfigure` when only its settings changed and the instance can apply them in place
 *   (memory: keeps its events), `replace` when its type changed or it cannot (durable channels are
 *   stopped and reopened on their storage);
 * - source: `restart` when its own settings or its channel list changed, or one of its channels is not
 *   kept as is (sources size their batches from their channels); `reroute` when only its selector or
 *   interceptors changed: the chain is swapped between two batches and the source keeps running;
 * - sink: `restart` when its settings changed or its channel is replaced;
 * - sink group (an explicit group, or the implicit one every ungrouped sink runs in): `restart` when its
 *   processor settings or members changed, or a member is restarted, added or removed. Unchanged members
 *   keep running; only the group's runner and processor are rebuilt.
 */

import type {
  CompiledAgent,
  CompiledComponent,
  CompiledSinkGroup,
  CompiledSource,
} from '../config/compile.ts'
import type { AnySpec } from '../core/spec.ts'

export type ChannelAction = 'keep' | 'reconfigure' | 'replace' | 'add' | 'remove'
export type SourceAction = 'keep' | 'reroute' | 'restart' | 'add' | 'remove'
export type SinkAction = 'keep' | 'restart' | 'add' | 'remove'
export type GroupAction = 'keep' | 'restart' | 'add' | 'remove'

/** A sink group as the runtime sees it: explicit groups by name, every ungrouped sink in its own. */
export interface GroupShape {
  /** `g:<group>` for a configured sink group, `k:<sink>` for the implicit group of an ungrouped sink. */
  readonly key: string
  readonly name: string
  readonly sinks: readonly string[]
  readonly compiled: CompiledSinkGroup | undefined
}

export interface ReloadPlan {
  readonly channels: ReadonlyMap<string, ChannelAction>
  readonly sources: ReadonlyMap<string, SourceAction>
  readonly sinks: ReadonlyMap<string, SinkAction>
  readonly groups: ReadonlyMap<string, GroupAction>
}

/** The runtime sink groups of a compiled agent, explicit groups first. */
export function groupShapes(c: CompiledAgent): Map<string, GroupShape> {
  const out = new Map<string, GroupShape>()
  const grouped = new Set<string>()
  for (const [name, g] of c.sinkGroups) {
    const members = g.sinks.filter((s) => c.sinks.has(s))
    for (const s of g.sinks) grouped.add(s)
    if (members.length > 0) out.set(`g:${name}`, { key: `g:${name}`, name, sinks: members, compiled: g })
  }
  for (const name of c.sinks.keys()) {
    if (!grouped.has(name))
      out.set(`k:${name}`, { key: `k:${name}`, name, sinks: [name], compiled: undefined })
  }
  return out
}

/**
 * Canonical text of a plain value (primitives, arrays, plain objects, Maps, Sets, RegExps, Buffers),
 * or undefined when the value holds something that cannot be compared that way.
 */
export function canonical(v: unknown): string | undefined {
  if (v === undefined) return 'u'
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v)
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v !== 'object') return undefined
  if (Array.isArray(v)) {
    const parts: string[] = []
    for (const x of v) {
      const c = canonical(x)
      if (c === undefined) return undefined
      parts.push(c)
    }
    return `[${parts.join(',')}]`
  }
  if (v instanceof RegExp) return `/${v.source}/${v.flags}`
  if (Buffer.isBuffer(v)) return `b:${v.toString('base64')}`
  if (v instanceof Map) {
    const parts: string[] = []
    for (const [k, x] of v) {
      const ck = canonical(k)
      const cx = canonical(x)
      if (ck === undefined || cx === undefined) return undefined
      parts.push(`${ck}=>${cx}`)
    }
    return `M{${parts.sort().join(',')}}`
  }
  if (v instanceof Set) {
    const parts: string[] = []
    for (const x of v) {
      const c = canonical(x)
      if (c === undefined) return undefined
      parts.push(c)
    }
    return `S{${parts.sort().join(',')}}`
  }
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return undefined
  const parts: string[] = []
  for (const k of Object.keys(v).sort()) {
    const c = canonical((v as Record<string, unknown>)[k])
    if (c === undefined) return undefined
    parts.push(`${JSON.stringify(k)}:${c}`)
  }
  return `{${parts.join(',')}}`
}

/** Property values by key, sorted, optionally leaving some keys out. */
function propsText(c: CompiledComponent<AnySpec>, skip: (key: string) => boolean = () => false): string {
  const entries: string[] = []
  for (const [k, v] of c.props) if (k !== 'type' && !skip(k)) entries.push(`${k}=${JSON.stringify(v.value)}`)
  return entries.sort().join('\n')
}

/** Whether two compiled components have the same effective configuration. */
export function sameComponent(
  a: CompiledComponent<AnySpec>,
  b: CompiledComponent<AnySpec>,
  skip?: (key: string) => boolean,
): boolean {
  if (a.spec !== b.spec || a.configDir !== b.configDir) return false
  const ca = canonical(a.config)
  const cb = canonical(b.config)
  if (ca !== undefined && cb !== undefined) return ca === cb
  return propsText(a, skip) === propsText(b, skip)
}

const routingKey = (k: string) =>
  k === 'channels' || k === 'interceptors' || k.startsWith('interceptors.') || k.startsWith('selector.')

function sameRouting(a: CompiledSource, b: CompiledSource): boolean {
  if (!sameComponent(a.selector, b.selector)) return false
  if (a.interceptors.length !== b.interceptors.length) return false
  for (let i = 0; i < a.interceptors.length; i++) {
    const x = a.interceptors[i] as CompiledComponent<AnySpec>
    const y = b.interceptors[i] as CompiledComponent<AnySpec>
    if (x.name !== y.name || !sameComponent(x, y)) return false
  }
  return true
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** Decides what a reload from `from` to `to` does to each component. */
export function planReload(
  from: CompiledAgent,
  to: CompiledAgent,
  opts: { canReconfigure: (channel: string) => boolean },
): ReloadPlan {
  const channels = new Map<string, ChannelAction>()
  for (const [name, old] of from.channels) {
    const next = to.channels.get(name)
    if (next === undefined) channels.set(name, 'remove')
    else if (sameComponent(old, next)) channels.set(name, 'keep')
    else if (old.spec === next.spec && opts.canReconfigure(name)) channels.set(name, 'reconfigure')
    else channels.set(name, 'replace')
  }
  for (const name of to.channels.keys()) if (!from.channels.has(name)) channels.set(name, 'add')

  const sources = new Map<string, SourceAction>()
  for (const [name, old] of from.sources) {
    const next = to.sources.get(name)
    if (next === undefined) sources.set(name, 'remove')
    else if (
      !sameComponent(old, next, routingKey) ||
      !sameList(old.channels, next.channels) ||
      next.channels.some((c) => channels.get(c) !== 'keep')
    )
      sources.set(name, 'restart')
    else if (!sameRouting(old, next)) sources.set(name, 'reroute')
    else sources.set(name, 'keep')
  }
  for (const name of to.sources.keys()) if (!from.sources.has(name)) sources.set(name, 'add')

  const sinks = new Map<string, SinkAction>()
  for (const [name, old] of from.sinks) {
    const next = to.sinks.get(name)
    if (next === undefined) sinks.set(name, 'remove')
    else if (
      !sameComponent(old, next) ||
      old.channel !== next.channel ||
      !['keep', 'reconfigure'].includes(channels.get(next.channel) as string)
    )
      sinks.set(name, 'restart')
    else sinks.set(name, 'keep')
  }
  for (const name of to.sinks.keys()) if (!from.sinks.has(name)) sinks.set(name, 'add')

  const groups = new Map<string, GroupAction>()
  const oldGroups = groupShapes(from)
  const newGroups = groupShapes(to)
  for (const [key, old] of oldGroups) {
    const next = newGroups.get(key)
    if (next === undefined) groups.set(key, 'remove')
    else if (
      !sameList(old.sinks, next.sinks) ||
      next.sinks.some((s) => sinks.get(s) !== 'keep') ||
      (old.compiled !== undefined &&
        next.compiled !== undefined &&
        !sameComponent(old.compiled.processor, next.compiled.processor))
    )
      groups.set(key, 'restart')
    else groups.set(key, 'keep')
  }
  for (const key of newGroups.keys()) if (!oldGroups.has(key)) groups.set(key, 'add')

  return { channels, sources, sinks, groups }
}

/** True when the plan keeps everything as it is. */
export function planIsEmpty(p: ReloadPlan): boolean {
  for (const m of [p.channels, p.sources, p.sinks, p.groups] as ReadonlyMap<string, string>[])
    for (const a of m.values()) if (a !== 'keep') return false
  return true
}
