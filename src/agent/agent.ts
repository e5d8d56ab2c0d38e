/**
 * A running agent: builds the components of a compiled configuration, drives their lifecycle, and applies
 * a new configuration to the running topology (reload).
 *
 * Start order (Flume's): channels → sinks and their runners → sources. Stop order: sources stop accepting →
 * their in-flight batches finish → sink runners drain the channels for a bounded time → sinks stop →
 * channels stop. One `stop()` drives it all; a second stop request while stopping is ignored here (the
 * CLI turns a second signal into an immediate exit).
 *
 * A component whose `start()` fails (a port in use, a directory missing) is retried every 3 s until it
 * starts or the agent stops, as Flume's LifecycleSupervisor does; the rest of the agent runs meanwhile.
 * A component whose build fails is dropped with everything that depends on it, like a configuration error.
 *
 * Reload (`reload(next)`, planned by ./diff.ts): only what changed is touched, in an order that never lets
 * a source write into a channel that is changing and never loses a committed event:
 *   1. sources to restart or remove stop (their in-flight batches reach the channels first);
 *      sources whose selector/interceptors alone changed get the new chain in place and keep running;
 *   2. sink groups to restart or remove stop their runners: the current batch finishes (delivered and
 *      committed, or rolled back into the channel); a group reading a channel that is being removed first
 *      drains it (bounded by the shutdown drain timeout); then the sinks to restart or remove stop;
 *   3. channels: removed ones stop; changed ones are reconfigured in place when they can be (memory: the
 *      queued events stay), reopened on their storage when durable and of the same type, and otherwise
 *      replaced by a new instance into which the old one's events are moved (after step 4, so the new
 *      sinks already drain it); new ones start;
 *   4. new and restarted sinks and sink groups start;
 *   5. new and restarted sources start.
 * Unchanged components keep running throughout. Reloads and stop are serialized.
 */

import type { Logger } from 'pino'
import type {
  CompiledAgent,
  CompiledComponent,
  CompiledSink,
  CompiledSinkGroup,
  CompiledSource,
} from '../config/compile.ts'
import type { Channel } from '../core/channel.ts'
import { withTransaction } from '../core/channel.ts'
import { ChannelProcessor } from '../core/channel-processor.ts'
import { type CounterGroup, MetricsRegistry } from '../core/counters.ts'
import { describeError } from '../core/errors.ts'
import type { Event } from '../core/event.ts'
import { PollableSourceRunner, SinkRunner, sleep } from '../core/runners.ts'
import type {
  AnySpec,
  BuildContext,
  ChannelSelector,
  ChannelSpec,
  Interceptor,
  Lifecycle,
  Sink,
  SinkProcessor,
  Source,
  Status,
} from '../core/spec.ts'
import { DefaultSinkProcessor } from '../sink-processors/default.ts'
import { type GroupShape, groupShapes, planIsEmpty, planReload, type ReloadPlan } from './diff.ts'

export const RESTART_INTERVAL_MS = 3000

export interface AgentOptions {
  readonly logger: Logger
  readonly metrics?: MetricsRegistry
  readonly sys?: ReadonlyMap<string, string>
  /** Bound on draining channels through sinks at shutdown, and on moving events during a reload (ms). */
  readonly drainTimeoutMs?: number
}

export type ComponentState = 'new' | 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped' | 'failed'

export interface ComponentStatus {
  /** `SOURCE.r1`, `CHANNEL.c1`, `SINK.k1`. */
  readonly id: string
  readonly state: ComponentState
  readonly error?: string
}

/** What a reload did, for the log line and the dashboard. */
export interface ReloadReport {
  /** Component ids by what happened to them. */
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly restarted: readonly string[]
  /** Channels changed in place (their events stayed) and sources whose interceptors/selector were swapped. */
  readonly reconfigured: readonly string[]
  readonly unchanged: number
  /** Events moved from replaced channels into their replacements. */
  readonly movedEvents: number
  /** Events that could not be kept (a replaced or removed non-durable channel whose sinks could not empty it). */
  readonly lostEvents: number
  readonly ms: number
}

interface MutableReport {
  added: string[]
  removed: string[]
  restarted: string[]
  reconfigured: string[]
  unchanged: number
  movedEvents: number
  lostEvents: number
  ms: number
}

/** Keeps trying to start a component every RESTART_INTERVAL_MS until it starts or is stopped. */
class Supervised {
  readonly id: string
  state: ComponentState = 'new'
  lastError: string | undefined
  readonly #start: () => Promise<void>
  readonly #stop: () => Promise<void>
  readonly #logger: Logger
  #abort = new AbortController()
  #loop: Promise<void> | undefined

  constructor(id: string, start: () => Promise<void>, stop: () => Promise<void>, logger: Logger) {
    this.id = id
    this.#start = start
    this.#stop = stop
    this.#logger = logger
  }

  /** Resolves after the first attempt, successful or not; retries continue in the background. */
  start(): Promise<void> {
    this.#abort = new AbortController()
    const signal = this.#abort.signal
    let first: () => void = () => {}
    const firstAttempt = new Promise<void>((r) => {
      first = r
    })
    this.#loop = (async () => {
      let attempt = 0
      while (!signal.aborted) {
        attempt++
        this.state = 'starting'
        try {
          await this.#start()
          this.state = 'running'
          this.lastError = undefined
          if (attempt > 1)
            this.#logger.info({ component: this.id, attempts: attempt }, 'Component started after retrying')
          first()
          return
        } catch (e) {
          this.state = 'retrying'
          this.lastError = describeError(e)
          this.#logger.error(
            { component: this.id, error: this.lastError, retryInMs: RESTART_INTERVAL_MS, attempt },
            'Component failed to start; retrying',
          )
          first()
          await sleep(RESTART_INTERVAL_MS, signal)
        }
      }
    })()
    return firstAttempt
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    await this.#loop
    if (this.state === 'running') {
      this.state = 'stopping'
      try {
        await this.#stop()
      } catch (e) {
        this.#logger.error(
          { component: this.id, error: describeError(e) },
          'Component failed to stop cleanly',
        )
      }
    }
    this.state = 'stopped'
  }
}

interface ChannelUnit {
  readonly name: string
  readonly compiled: CompiledComponent<ChannelSpec>
  readonly channel: Channel
  readonly supervisor: Supervised
  readonly counters: readonly CounterGroup[]
}

interface SourceUnit {
  readonly name: string
  readonly compiled: CompiledSource
  readonly source: Source
  readonly processor: ChannelProcessor
  interceptors: readonly Interceptor[]
  readonly runner: PollableSourceRunner | undefined
  readonly supervisor: Supervised
  readonly counters: readonly CounterGroup[]
}

interface SinkUnit {
  readonly name: string
  readonly compiled: CompiledSink
  readonly sink: Sink
  readonly supervisor: Supervised
  readonly counters: readonly CounterGroup[]
}

interface GroupUnit {
  readonly shape: GroupShape
  readonly processor: SinkProcessor
  readonly runner: SinkRunner
}

export class Agent {
  readonly name: string
  readonly metrics: MetricsRegistry
  readonly #logger: Logger
  readonly #sys: ReadonlyMap<string, string>
  readonly #drainTimeoutMs: number
  #compiled: CompiledAgent
  readonly #channels = new Map<string, ChannelUnit>()
  readonly #sources = new Map<string, SourceUnit>()
  readonly #sinks = new Map<string, SinkUnit>()
  readonly #groups = new Map<string, GroupUnit>()
  #state: 'new' | 'built' | 'running' | 'reloading' | 'stopping' | 'stopped' = 'new'
  /** Serializes reloads and stop. */
  #busy: Promise<unknown> = Promise.resolve()

  constructor(compiled: CompiledAgent, opts: AgentOptions) {
    this.name = compiled.name
    this.#compiled = compiled
    this.#logger = opts.logger
    this.metrics = opts.metrics ?? new MetricsRegistry()
    this.#sys = opts.sys ?? new Map()
    this.#drainTimeoutMs = opts.drainTimeoutMs ?? 10_000
  }

  /** The configuration the agent runs (the last one applied). */
  get compiled(): CompiledAgent {
    return this.#compiled
  }

  get state(): string {
    return this.#state
  }

  /** The running channel instances by name. */
  get channels(): ReadonlyMap<string, Channel> {
    return new Map([...this.#channels].map(([k, u]) => [k, u.channel]))
  }

  // --- building ----------------------------------------------------------------------------------------

  #ctx(c: CompiledComponent<AnySpec>, kind: string): BuildContext {
    return {
      agentName: this.name,
      name: c.name,
      logger: this.#logger.child({ component: `${kind}.${c.name}`, type: c.spec.type }),
      metrics: this.metrics,
      sys: this.#sys,
      configDir: c.configDir,
    }
  }

  #buildFailed(id: string, e: unknown): void {
    this.metrics.addAgent('ComponentBuildFailures')
    this.#logger.error(
      { component: id, error: describeError(e) },
      'Component could not be built and has been removed',
    )
  }

  /** Runs a build and returns the counter groups it registered (to unregister them when it goes away). */
  async #tracked<T>(build: () => Promise<T>): Promise<[T, CounterGroup[]]> {
    const before = new Set(this.metrics.groups())
    const value = await build()
    return [value, [...this.metrics.groups()].filter((g) => !before.has(g))]
  }

  #untrack(counters: readonly CounterGroup[]): void {
    for (const g of counters) {
      g.stop()
      this.metrics.unregister(g)
    }
  }

  async #buildChannel(cc: CompiledComponent<ChannelSpec>): Promise<ChannelUnit | undefined> {
    const id = `CHANNEL.${cc.name}`
    try {
      const [channel, counters] = await this.#tracked(async () =>
        cc.spec.build(cc.config as never, this.#ctx(cc, 'CHANNEL')),
      )
      const supervisor = new Supervised(
        id,
        () => channel.start(),
        () => channel.stop(),
        this.#logger,
      )
      return { name: cc.name, compiled: cc, channel, supervisor, counters }
    } catch (e) {
      this.#buildFailed(id, e)
      return undefined
    }
  }

  async #buildRouting(
    cs: CompiledSource,
    chans: readonly Channel[],
  ): Promise<{ selector: ChannelSelector; interceptors: Interceptor[] }> {
    const base = this.#ctx(cs, 'SOURCE')
    const selector = cs.selector.spec.build(cs.selector.config as never, { ...base, channels: chans })
    const interceptors: Interceptor[] = []
    for (const ic of cs.interceptors)
      interceptors.push(await ic.spec.build(ic.config as never, this.#ctx(ic, 'INTERCEPTOR')))
    return { selector, interceptors }
  }

  #sourceChannels(cs: CompiledSource): Channel[] {
    return cs.channels.map((n) => this.#channels.get(n)?.channel).filter((x): x is Channel => x !== undefined)
  }

  async #buildSource(cs: CompiledSource): Promise<SourceUnit | undefined> {
    const id = `SOURCE.${cs.name}`
    const chans = this.#sourceChannels(cs)
    if (chans.length === 0) {
      this.#logger.error({ component: id }, 'Source removed: none of its channels could be built')
      return undefined
    }
    try {
      const base = this.#ctx(cs, 'SOURCE')
      const [built, counters] = await this.#tracked(async () => {
        const { selector, interceptors } = await this.#buildRouting(cs, chans)
        const processor = new ChannelProcessor(selector, interceptors, base.logger, chans)
        const source = await cs.spec.build(cs.config as never, { ...base, processor })
        return { processor, interceptors, source }
      })
      const { processor, interceptors, source } = built
      let runner: PollableSourceRunner | undefined
      if (typeof source.process === 'function') {
        const backoff = cs.spec.backoff?.(cs.config as never) ?? { increment: 1000, max: 5000 }
        runner = new PollableSourceRunner(
          cs.name,
          source as Source & { process(): Promise<Status> },
          base.logger,
          backoff,
        )
      }
      const supervisor = new Supervised(
        id,
        async () => {
          await source.start?.()
          runner?.start()
        },
        async () => {
          await runner?.stop()
          await source.stop?.()
        },
        this.#logger,
      )
      return { name: cs.name, compiled: cs, source, processor, interceptors, runner, supervisor, counters }
    } catch (e) {
      this.#buildFailed(id, e)
      return undefined
    }
  }

  async #buildSink(ck: CompiledSink): Promise<SinkUnit | undefined> {
    const id = `SINK.${ck.name}`
    const ch = this.#channels.get(ck.channel)?.channel
    if (ch === undefined) {
      this.#logger.error({ component: id }, 'Sink removed: its channel could not be built')
      return undefined
    }
    try {
      const [sink, counters] = await this.#tracked(async () =>
        ck.spec.build(ck.config as never, { ...this.#ctx(ck, 'SINK'), channel: ch }),
      )
      const supervisor = new Supervised(
        id,
        async () => {
          await sink.start?.()
        },
        async () => {
          await sink.stop?.()
        },
        this.#logger,
      )
      return { name: ck.name, compiled: ck, sink, supervisor, counters }
    } catch (e) {
      this.#buildFailed(id, e)
      return undefined
    }
  }

  #buildGroup(shape: GroupShape): GroupUnit | undefined {
    const members = new Map<string, Sink>()
    for (const s of shape.sinks) {
      const u = this.#sinks.get(s)
      if (u !== undefined) members.set(s, u.sink)
    }
    if (members.size === 0) return undefined
    let processor: SinkProcessor
    let logger: Logger
    if (shape.compiled === undefined) {
      processor = new DefaultSinkProcessor(members.values().next().value as Sink)
      logger = this.#logger.child({ component: `SINK.${shape.name}` })
    } else {
      try {
        const g: CompiledSinkGroup = shape.compiled
        const ctx = { ...this.#ctx(g.processor, 'SINKGROUP'), sinks: members }
        processor = g.processor.spec.build(g.processor.config as never, ctx)
        logger = ctx.logger
      } catch (e) {
        this.#buildFailed(`SINKGROUP.${shape.name}`, e)
        return undefined
      }
    }
    const channels = [...members.keys()]
      .map((s) => this.#sinks.get(s)?.compiled.channel)
      .map((n) => (n === undefined ? undefined : this.#channels.get(n)?.channel))
      .filter((x): x is Channel => x !== undefined)
    const pending = () => {
      let n = 0
      for (const ch of channels) n += ch.size()
      return n
    }
    const runner = new SinkRunner(shape.name, processor, logger, pending)
    return { shape: { ...shape, sinks: [...members.keys()] }, processor, runner }
  }

  /** Instantiates every component. Components that fail to build are dropped with their dependants. */
  async build(): Promise<void> {
    const c = this.#compiled
    for (const cc of c.channels.values()) {
      const u = await this.#buildChannel(cc)
      if (u !== undefined) this.#channels.set(cc.name, u)
    }
    for (const cs of c.sources.values()) {
      const u = await this.#buildSource(cs)
      if (u !== undefined) this.#sources.set(cs.name, u)
    }
    for (const ck of c.sinks.values()) {
      const u = await this.#buildSink(ck)
      if (u !== undefined) this.#sinks.set(ck.name, u)
    }
    for (const [key, shape] of groupShapes(c)) {
      const g = this.#buildGroup(shape)
      if (g !== undefined) this.#groups.set(key, g)
    }
    this.#state = 'built'
  }

  // --- lifecycle ---------------------------------------------------------------------------------------

  async #startGroup(g: GroupUnit): Promise<void> {
    try {
      await g.processor.start?.()
    } catch (e) {
      this.#logger.error(
        { component: `SINKGROUP.${g.shape.name}`, error: describeError(e) },
        'Sink processor failed to start',
      )
    }
    g.runner.start()
  }

  async #stopGroup(g: GroupUnit, drainMs: number): Promise<void> {
    await g.runner.stop(drainMs)
    try {
      await g.processor.stop?.()
    } catch (e) {
      this.#logger.error(
        { component: `SINKGROUP.${g.shape.name}`, error: describeError(e) },
        'Sink processor failed to stop cleanly',
      )
    }
  }

  async #stopSource(u: SourceUnit): Promise<void> {
    await u.supervisor.stop()
    for (const ic of u.interceptors) ic.close?.()
  }

  async start(): Promise<void> {
    if (this.#state === 'new') await this.build()
    this.#state = 'running'
    await Promise.all([...this.#channels.values()].map((u) => u.supervisor.start()))
    await Promise.all([...this.#sinks.values()].map((u) => u.supervisor.start()))
    for (const g of this.#groups.values()) await this.#startGroup(g)
    await Promise.all([...this.#sources.values()].map((u) => u.supervisor.start()))
    this.#logger.info(
      {
        agent: this.name,
        sources: [...this.#sources.keys()],
        channels: [...this.#channels.keys()],
        sinks: [...this.#sinks.keys()],
      },
      'Agent started',
    )
  }

  #supervisors(): Supervised[] {
    return [
      ...[...this.#channels.values()].map((u) => u.supervisor),
      ...[...this.#sources.values()].map((u) => u.supervisor),
      ...[...this.#sinks.values()].map((u) => u.supervisor),
    ]
  }

  /** True when every component has started (none is still retrying) and no reload is being applied. */
  get ready(): boolean {
    if (this.#state !== 'running') return false
    return this.#supervisors().every((s) => s.state === 'running')
  }

  /** Component states for health endpoints and dashboards. */
  componentStates(): ComponentStatus[] {
    return this.#supervisors().map((s) =>
      s.lastError === undefined
        ? { id: s.id, state: s.state }
        : { id: s.id, state: s.state, error: s.lastError },
    )
  }

  stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return this.#busy.then(() => {})
    const run = this.#busy.then(() => this.#stopNow())
    this.#busy = run.catch(() => {})
    return run
  }

  async #stopNow(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return
    this.#state = 'stopping'
    const t0 = Date.now()
    // 1. Sources stop accepting; their stop() waits for in-flight batches to reach the channels.
    await Promise.all([...this.#sources.values()].map((u) => this.#stopSource(u)))
    // 2. Sinks drain what is left, bounded by the drain timeout, then stop.
    const pending = () => {
      let n = 0
      for (const u of this.#channels.values()) n += u.channel.size()
      return n
    }
    const before = pending()
    await Promise.all([...this.#groups.values()].map((g) => this.#stopGroup(g, this.#drainTimeoutMs)))
    await Promise.all([...this.#sinks.values()].map((u) => u.supervisor.stop()))
    const left = pending()
    // 3. Channels stop last (durable channels checkpoint here).
    await Promise.all([...this.#channels.values()].map((u) => u.supervisor.stop()))
    this.#state = 'stopped'
    this.#logger.info(
      { agent: this.name, drained: before - left, leftInChannels: left, ms: Date.now() - t0 },
      left > 0 ? 'Agent stopped; some events stayed in channels' : 'Agent stopped',
    )
  }

  // --- reload ------------------------------------------------------------------------------------------

  /**
   * The configuration that actually runs: each running component with the compiled configuration it was
   * built (or last reconfigured) with. Components that failed to build are absent, so the next reload
   * builds them again even if their configuration did not change.
   */
  #running(): CompiledAgent {
    const c = this.#compiled
    return {
      ...c,
      channels: new Map([...this.#channels].map(([k, u]) => [k, u.compiled])),
      sources: new Map([...this.#sources].map(([k, u]) => [k, u.compiled])),
      sinks: new Map([...this.#sinks].map(([k, u]) => [k, u.compiled])),
      sinkGroups: new Map([...c.sinkGroups].filter(([k]) => this.#groups.has(`g:${k}`))),
    }
  }

  /** What a reload to `next` would do (for tests and `--dryrun`-style reporting). */
  plan(next: CompiledAgent): ReloadPlan {
    return planReload(this.#running(), next, {
      canReconfigure: (name) => typeof this.#channels.get(name)?.channel.reconfigure === 'function',
    })
  }

  /**
   * Applies a new configuration to the running agent, touching only what changed (see the module
   * header). The caller has already refused configurations with errors. Resolves when the new topology
   * runs; components that fail to start keep retrying in the background as at startup.
   */
  reload(next: CompiledAgent): Promise<ReloadReport> {
    const run = this.#busy.then(() => this.#reloadNow(next))
    this.#busy = run.catch(() => {})
    return run
  }

  async #reloadNow(next: CompiledAgent): Promise<ReloadReport> {
    if (this.#state !== 'running') throw new Error(`cannot reload an agent that is ${this.#state}`)
    const t0 = Date.now()
    const plan = this.plan(next)
    const report: MutableReport = {
      added: [],
      removed: [],
      restarted: [],
      reconfigured: [],
      unchanged: 0,
      movedEvents: 0,
      lostEvents: 0,
      ms: 0,
    }
    for (const m of [plan.channels, plan.sources, plan.sinks] as ReadonlyMap<string, string>[])
      for (const a of m.values()) if (a === 'keep') report.unchanged++
    if (planIsEmpty(plan)) {
      this.#compiled = next
      report.ms = Date.now() - t0
      return report
    }
    this.#state = 'reloading'
    try {
      await this.#apply(plan, next, report)
    } finally {
      this.#compiled = next
      this.#state = 'running'
    }
    report.ms = Date.now() - t0
    return report
  }

  async #apply(plan: ReloadPlan, next: CompiledAgent, report: MutableReport): Promise<void> {
    const note = (action: string, id: string) => {
      if (action === 'add') report.added.push(id)
      else if (action === 'remove') report.removed.push(id)
      else if (action === 'restart' || action === 'replace') report.restarted.push(id)
      else if (action === 'reconfigure' || action === 'reroute') report.reconfigured.push(id)
    }

    // 1. Sources that go away or restart stop first; routing-only changes are swapped in place.
    const stoppingSources = [...plan.sources].filter(([, a]) => a === 'remove' || a === 'restart')
    await Promise.all(
      stoppingSources.map(async ([name]) => {
        const u = this.#sources.get(name)
        if (u === undefined) return
        await this.#stopSource(u)
        this.#untrack(u.counters)
        this.#sources.delete(name)
      }),
    )
    for (const [name, action] of plan.sources) {
      note(action, `SOURCE.${name}`)
      if (action !== 'reroute') continue
      const u = this.#sources.get(name)
      const cs = next.sources.get(name)
      if (u === undefined || cs === undefined) continue
      try {
        const { selector, interceptors } = await this.#buildRouting(cs, this.#sourceChannels(cs))
        const old = u.interceptors
        u.processor.reroute(selector, interceptors)
        u.interceptors = interceptors
        for (const ic of old) ic.close?.()
        this.#sources.set(name, { ...u, compiled: cs })
      } catch (e) {
        // The old chain keeps running: better than a source without its filters.
        this.#buildFailed(`SOURCE.${name} (interceptors/selector)`, e)
      }
    }

    // 2. Sink groups that change stop (draining channels that are going away), then sinks that change.
    const removedChannels = new Set([...plan.channels].filter(([, a]) => a === 'remove').map(([n]) => n))
    await Promise.all(
      [...plan.groups]
        .filter(([, a]) => a === 'remove' || a === 'restart')
        .map(async ([key]) => {
          const g = this.#groups.get(key)
          if (g === undefined) return
          const drains = g.shape.sinks.some((s) => {
            const ch = this.#sinks.get(s)?.compiled.channel
            return ch !== undefined && removedChannels.has(ch)
          })
          await this.#stopGroup(g, drains ? this.#drainTimeoutMs : 0)
          this.#groups.delete(key)
        }),
    )
    await Promise.all(
      [...plan.sinks]
        .filter(([, a]) => a === 'remove' || a === 'restart')
        .map(async ([name]) => {
          const u = this.#sinks.get(name)
          if (u === undefined) return
          await u.supervisor.stop()
          this.#untrack(u.counters)
          this.#sinks.delete(name)
        }),
    )
    for (const [name, action] of plan.sinks) note(action, `SINK.${name}`)

    // 3. Channels.
    const moves: { name: string; from: ChannelUnit }[] = []
    for (const [name, action] of plan.channels) {
      note(action, `CHANNEL.${name}`)
      const old = this.#channels.get(name)
      const cc = next.channels.get(name)
      if (action === 'remove' && old !== undefined) {
        const left = old.channel.size()
        await old.supervisor.stop()
        this.#untrack(old.counters)
        this.#channels.delete(name)
        if (left > 0) this.#leftBehind(old, left, report, 'removed')
      } else if (action === 'reconfigure' && old !== undefined && cc !== undefined) {
        try {
          const over = (old.channel.reconfigure as (c: unknown) => unknown)(cc.config)
          this.#channels.set(name, { ...old, compiled: cc })
          if (typeof over === 'number' && over > 0) {
            this.#logger.warn(
              { component: `CHANNEL.${name}`, events: old.channel.size(), overCapacity: over },
              'Channel holds more events than its new capacity: puts wait until the sinks drain it',
            )
          }
        } catch (e) {
          this.#logger.error(
            { component: `CHANNEL.${name}`, error: describeError(e) },
            'Channel could not apply its new configuration in place; it keeps the old one',
          )
        }
      } else if (action === 'replace' && old !== undefined && cc !== undefined) {
        const reopen = old.channel.durable === true && old.compiled.spec === cc.spec
        // Built before the old one stops (building touches no storage; starting does): if the new
        // configuration cannot be built, the old channel keeps running as it was, and the next reload
        // tries again (the plan compares with what runs).
        const u = await this.#buildChannel(cc)
        if (u === undefined) {
          this.#logger.error(
            { component: `CHANNEL.${name}` },
            'Channel keeps running with its previous configuration: the new one could not be built',
          )
          for (const g of old.counters) this.metrics.register(g)
          continue
        }
        if (reopen) {
          const held = old.channel.size()
          await old.supervisor.stop()
          this.#untrack(old.counters)
          this.#channels.set(name, u)
          await u.supervisor.start()
          if (u.channel.size() < held) {
            this.#logger.warn(
              { component: `CHANNEL.${name}`, before: held, after: u.channel.size() },
              'Channel reopened with fewer events than before the reload: its storage location changed? The rest stay in the old location',
            )
          }
        } else {
          this.#channels.set(name, u)
          await u.supervisor.start()
          moves.push({ name, from: old })
        }
      } else if (action === 'add' && cc !== undefined) {
        const u = await this.#buildChannel(cc)
        if (u === undefined) continue
        this.#channels.set(name, u)
        await u.supervisor.start()
      }
    }

    // 4. Sinks and sink groups.
    for (const [name, action] of plan.sinks) {
      if (action !== 'add' && action !== 'restart') continue
      const ck = next.sinks.get(name)
      const u = ck === undefined ? undefined : await this.#buildSink(ck)
      if (u === undefined) continue
      this.#sinks.set(name, u)
      await u.supervisor.start()
    }
    for (const [key, shape] of groupShapes(next)) {
      const action = plan.groups.get(key)
      if (action !== 'add' && action !== 'restart') continue
      const g = this.#buildGroup(shape)
      if (g === undefined) continue
      this.#groups.set(key, g)
      await this.#startGroup(g)
    }

    // 3b. Events of replaced channels move into the new instances (whose sinks now run).
    for (const { name, from } of moves) {
      const to = this.#channels.get(name)
      let moved = 0
      if (to !== undefined && to.supervisor.state === 'running' && from.channel.size() > 0) {
        try {
          moved = await moveEvents(from.channel, to.channel, Date.now() + this.#drainTimeoutMs)
        } catch (e) {
          this.#logger.error(
            { component: `CHANNEL.${name}`, error: describeError(e), moved },
            'Could not move all events into the replaced channel',
          )
        }
      }
      report.movedEvents += moved
      if (moved > 0)
        this.#logger.info(
          { component: `CHANNEL.${name}`, events: moved },
          'Moved events into the new channel',
        )
      const left = from.channel.size()
      await from.supervisor.stop()
      this.#untrack(from.counters)
      if (left > 0) this.#leftBehind(from, left, report, 'replaced')
    }

    // 5. Sources.
    for (const [name, action] of plan.sources) {
      if (action !== 'add' && action !== 'restart') continue
      const cs = next.sources.get(name)
      const u = cs === undefined ? undefined : await this.#buildSource(cs)
      if (u === undefined) continue
      this.#sources.set(name, u)
      await u.supervisor.start()
    }
  }

  #leftBehind(u: ChannelUnit, left: number, report: { lostEvents: number }, what: string): void {
    if (u.channel.durable === true) {
      this.#logger.warn(
        { component: `CHANNEL.${u.name}`, events: left },
        `Channel ${what} by the reload still holds events; they stay in its storage and are delivered if it comes back with the same storage settings`,
      )
    } else {
      report.lostEvents += left
      this.metrics.addAgent('ReloadLostEvents', left)
      this.#logger.error(
        { component: `CHANNEL.${u.name}`, events: left },
        `Channel ${what} by the reload still held events its sinks could not deliver within the drain timeout; they are lost`,
      )
    }
  }

  // --- introspection -----------------------------------------------------------------------------------

  /** The lifecycle objects of sources (for tests). */
  sources(): ReadonlyMap<string, Source> {
    return new Map([...this.#sources].map(([k, v]) => [k, v.source]))
  }

  /** The running sink instances by name (for tests). */
  sinks(): ReadonlyMap<string, Sink> {
    return new Map([...this.#sinks].map(([k, v]) => [k, v.sink]))
  }

  sinkProcessors(): ReadonlyMap<string, SinkProcessor> {
    return new Map([...this.#groups.values()].map((g) => [g.shape.name, g.processor]))
  }

  /** The running topology: what each running source writes to and each sink reads from. */
  topology(): AgentTopology {
    const c = this.#compiled
    return {
      sources: [...this.#sources.values()].map((u) => ({
        name: u.name,
        type: u.compiled.spec.type,
        channels: u.compiled.channels.filter((n) => this.#channels.has(n)),
        selector: u.compiled.selector.spec.type,
        interceptors: u.compiled.interceptors.map((i) => `${i.name}:${i.spec.type}`),
      })),
      channels: [...this.#channels.values()].map((u) => ({
        name: u.name,
        type: u.compiled.spec.type,
        durable: u.channel.durable === true,
      })),
      sinks: [...this.#sinks.values()].map((u) => ({
        name: u.name,
        type: u.compiled.spec.type,
        channel: u.compiled.channel,
      })),
      sinkGroups: [...this.#groups.values()]
        .filter((g) => g.shape.compiled !== undefined)
        .map((g) => ({
          name: g.shape.name,
          processor: c.sinkGroups.get(g.shape.name)?.processor.spec.type ?? 'default',
          sinks: g.shape.sinks,
        })),
    }
  }
}

export interface AgentTopology {
  readonly sources: readonly {
    readonly name: string
    readonly type: string
    readonly channels: readonly string[]
    readonly selector: string
    readonly interceptors: readonly string[]
  }[]
  readonly channels: readonly { readonly name: string; readonly type: string; readonly durable: boolean }[]
  readonly sinks: readonly { readonly name: string; readonly type: string; readonly channel: string }[]
  readonly sinkGroups: readonly {
    readonly name: string
    readonly processor: string
    readonly sinks: readonly string[]
  }[]
}

/**
 * Moves committed events from one channel into another, one transaction pair per batch: the put into
 * `to` commits before the take from `from` does, so a crash in between duplicates a batch, never loses
 * one. Stops when `from` is empty, at the deadline, or at the first refusal (thrown).
 */
export async function moveEvents(from: Channel, to: Channel, deadline: number): Promise<number> {
  const batch = Math.max(1, Math.min(from.transactionCapacity ?? 1000, to.transactionCapacity ?? 1000))
  let moved = 0
  while (from.size() > 0 && Date.now() < deadline) {
    const take = from.begin()
    let events: Event[] = []
    try {
      events = await take.take(batch)
      if (events.length > 0) await withTransaction(to, (tx) => tx.put(events))
    } catch (e) {
      await take.rollback()
      take.close()
      throw e
    }
    if (events.length === 0) {
      await take.rollback()
      take.close()
      break
    }
    await take.commit()
    take.close()
    moved += events.length
  }
  return moved
}

export type { Lifecycle }
