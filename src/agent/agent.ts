/**
 * A running agent: builds the components of a compiled configuration and drives their lifecycle.
 *
 * Start order (Flume's): channels → sink runners → source runners. Stop order: sources stop accepting →
 * their in-flight batches finish → sink runners drain the channels for a bounded time → sinks stop →
 * channels stop. One `stop()` drives it all; a second stop request while stopping is ignored here (the
 * CLI turns a second signal into an immediate exit).
 *
 * A component whose `start()` fails (a port in use, a directory missing) is retried every 3 s until it
 * starts or the agent stops, as Flume's LifecycleSupervisor does; the rest of the agent runs meanwhile.
 * A component whose build fails is dropped with everything that depends on it, like a configuration error.
 */

import type { Logger } from 'pino'
import type { CompiledAgent, CompiledComponent } from '../config/compile.ts'
import type { Channel } from '../core/channel.ts'
import { ChannelProcessor } from '../core/channel-processor.ts'
import { MetricsRegistry } from '../core/counters.ts'
import { describeError } from '../core/errors.ts'
import { PollableSourceRunner, SinkRunner, sleep } from '../core/runners.ts'
import type {
  AnySpec,
  BuildContext,
  Interceptor,
  Lifecycle,
  Sink,
  SinkProcessor,
  Source,
  Status,
} from '../core/spec.ts'
import { DefaultSinkProcessor } from '../sink-processors/default.ts'

export const RESTART_INTERVAL_MS = 3000

export interface AgentOptions {
  readonly logger: Logger
  readonly metrics?: MetricsRegistry
  readonly sys?: ReadonlyMap<string, string>
  /** Bound on draining channels through sinks at shutdown (ms). */
  readonly drainTimeoutMs?: number
}

type ComponentState = 'new' | 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped' | 'failed'

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

interface BuiltSource {
  readonly name: string
  readonly source: Source
  readonly processor: ChannelProcessor
  readonly interceptors: readonly Interceptor[]
  readonly supervisor: Supervised
  runner: PollableSourceRunner | undefined
}

interface BuiltSinkGroup {
  readonly name: string
  readonly sinks: ReadonlyMap<string, Sink>
  readonly processor: SinkProcessor
  readonly runner: SinkRunner
  readonly sinkSupervisors: readonly Supervised[]
}

export class Agent {
  readonly name: string
  readonly metrics: MetricsRegistry
  readonly #logger: Logger
  readonly #sys: ReadonlyMap<string, string>
  readonly #drainTimeoutMs: number
  readonly #compiled: CompiledAgent
  readonly channels = new Map<string, Channel>()
  readonly #channelSupervisors = new Map<string, Supervised>()
  readonly #sources = new Map<string, BuiltSource>()
  readonly #groups = new Map<string, BuiltSinkGroup>()
  #state: 'new' | 'built' | 'running' | 'stopping' | 'stopped' = 'new'

  constructor(compiled: CompiledAgent, opts: AgentOptions) {
    this.name = compiled.name
    this.#compiled = compiled
    this.#logger = opts.logger
    this.metrics = opts.metrics ?? new MetricsRegistry()
    this.#sys = opts.sys ?? new Map()
    this.#drainTimeoutMs = opts.drainTimeoutMs ?? 10_000
  }

  get compiled(): CompiledAgent {
    return this.#compiled
  }

  get state(): string {
    return this.#state
  }

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

  /** Instantiates every component. Components that fail to build are dropped with their dependants. */
  async build(): Promise<void> {
    const c = this.#compiled
    for (const [name, cc] of c.channels) {
      try {
        const ch = await cc.spec.build(cc.config as never, this.#ctx(cc, 'CHANNEL'))
        this.channels.set(name, ch)
        const log = this.#logger
        this.#channelSupervisors.set(
          name,
          new Supervised(
            `CHANNEL.${name}`,
            () => ch.start(),
            () => ch.stop(),
            log,
          ),
        )
      } catch (e) {
        this.#buildFailed(`CHANNEL.${name}`, e)
      }
    }

    for (const [name, cs] of c.sources) {
      const chans = cs.channels.map((n) => this.channels.get(n)).filter((x): x is Channel => x !== undefined)
      if (chans.length === 0) {
        this.#logger.error(
          { component: `SOURCE.${name}` },
          'Source removed: none of its channels could be built',
        )
        continue
      }
      try {
        const base = this.#ctx(cs, 'SOURCE')
        const selector = cs.selector.spec.build(cs.selector.config as never, { ...base, channels: chans })
        const interceptors: Interceptor[] = []
        for (const ic of cs.interceptors)
          interceptors.push(await ic.spec.build(ic.config as never, this.#ctx(ic, 'INTERCEPTOR')))
        const processor = new ChannelProcessor(selector, interceptors, base.logger, chans)
        const source = await cs.spec.build(cs.config as never, { ...base, processor })
        let runner: PollableSourceRunner | undefined
        if (typeof source.process === 'function') {
          const backoff = cs.spec.backoff?.(cs.config as never) ?? { increment: 1000, max: 5000 }
          runner = new PollableSourceRunner(
            name,
            source as Source & { process(): Promise<Status> },
            base.logger,
            backoff,
          )
        }
        const built: BuiltSource = {
          name,
          source,
          processor,
          interceptors,
          runner,
          supervisor: new Supervised(
            `SOURCE.${name}`,
            async () => {
              await source.start?.()
              built.runner?.start()
            },
            async () => {
              await built.runner?.stop()
              await source.stop?.()
            },
            this.#logger,
          ),
        }
        this.#sources.set(name, built)
      } catch (e) {
        this.#buildFailed(`SOURCE.${name}`, e)
      }
    }

    const sinks = new Map<string, Sink>()
    for (const [name, ck] of c.sinks) {
      const ch = this.channels.get(ck.channel)
      if (ch === undefined) {
        this.#logger.error({ component: `SINK.${name}` }, 'Sink removed: its channel could not be built')
        continue
      }
      try {
        sinks.set(name, await ck.spec.build(ck.config as never, { ...this.#ctx(ck, 'SINK'), channel: ch }))
      } catch (e) {
        this.#buildFailed(`SINK.${name}`, e)
      }
    }

    const grouped = new Set<string>()
    for (const [name, g] of c.sinkGroups) {
      const members = new Map<string, Sink>()
      for (const s of g.sinks) {
        grouped.add(s)
        const sink = sinks.get(s)
        if (sink !== undefined) members.set(s, sink)
      }
      if (members.size === 0) continue
      try {
        const ctx = { ...this.#ctx(g.processor, 'SINKGROUP'), sinks: members }
        const processor = g.processor.spec.build(g.processor.config as never, ctx)
        this.#addGroup(name, members, processor, ctx.logger)
      } catch (e) {
        this.#buildFailed(`SINKGROUP.${name}`, e)
      }
    }
    for (const [name, sink] of sinks) {
      if (grouped.has(name)) continue
      this.#addGroup(
        name,
        new Map([[name, sink]]),
        new DefaultSinkProcessor(sink),
        this.#logger.child({ component: `SINK.${name}` }),
      )
    }
    this.#state = 'built'
  }

  #addGroup(name: string, sinks: ReadonlyMap<string, Sink>, processor: SinkProcessor, logger: Logger): void {
    const channels = [...sinks.keys()]
      .map((s) => this.#compiled.sinks.get(s)?.channel)
      .map((n) => (n === undefined ? undefined : this.channels.get(n)))
      .filter((x): x is Channel => x !== undefined)
    const pending = () => {
      let n = 0
      for (const ch of channels) n += ch.size()
      return n
    }
    const runner = new SinkRunner(name, processor, logger, pending)
    const sinkSupervisors = [...sinks].map(
      ([n, s]) =>
        new Supervised(
          `SINK.${n}`,
          async () => {
            await s.start?.()
          },
          async () => {
            await s.stop?.()
          },
          this.#logger,
        ),
    )
    this.#groups.set(name, { name, sinks, processor, runner, sinkSupervisors })
  }

  async start(): Promise<void> {
    if (this.#state === 'new') await this.build()
    this.#state = 'running'
    await Promise.all([...this.#channelSupervisors.values()].map((s) => s.start()))
    for (const g of this.#groups.values()) {
      await Promise.all(g.sinkSupervisors.map((s) => s.start()))
      await g.processor.start?.()
      g.runner.start()
    }
    await Promise.all([...this.#sources.values()].map((s) => s.supervisor.start()))
    this.#logger.info(
      {
        agent: this.name,
        sources: [...this.#sources.keys()],
        channels: [...this.channels.keys()],
        sinks: [...this.#groups.values()].flatMap((g) => [...g.sinks.keys()]),
      },
      'Agent started',
    )
  }

  /** True when every component has started (none is still retrying). */
  get ready(): boolean {
    if (this.#state !== 'running') return false
    const all: Supervised[] = [
      ...this.#channelSupervisors.values(),
      ...[...this.#sources.values()].map((s) => s.supervisor),
      ...[...this.#groups.values()].flatMap((g) => g.sinkSupervisors),
    ]
    return all.every((s) => s.state === 'running')
  }

  /** Component states for health endpoints and dashboards. */
  componentStates(): { id: string; state: string; error?: string }[] {
    const all: Supervised[] = [
      ...this.#channelSupervisors.values(),
      ...[...this.#sources.values()].map((s) => s.supervisor),
      ...[...this.#groups.values()].flatMap((g) => g.sinkSupervisors),
    ]
    return all.map((s) =>
      s.lastError === undefined
        ? { id: s.id, state: s.state }
        : { id: s.id, state: s.state, error: s.lastError },
    )
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return
    this.#state = 'stopping'
    const t0 = Date.now()
    // 1. Sources stop accepting; their stop() waits for in-flight batches to reach the channels.
    await Promise.all([...this.#sources.values()].map((s) => s.supervisor.stop()))
    for (const s of this.#sources.values()) for (const ic of s.interceptors) ic.close?.()
    // 2. Sinks drain what is left, bounded by the drain timeout, then stop.
    const pending = () => {
      let n = 0
      for (const ch of this.channels.values()) n += ch.size()
      return n
    }
    const before = pending()
    await Promise.all([...this.#groups.values()].map((g) => g.runner.stop(this.#drainTimeoutMs)))
    for (const g of this.#groups.values()) {
      await g.processor.stop?.()
      await Promise.all(g.sinkSupervisors.map((s) => s.stop()))
    }
    const left = pending()
    // 3. Channels stop last (durable channels checkpoint here).
    await Promise.all([...this.#channelSupervisors.values()].map((s) => s.stop()))
    this.#state = 'stopped'
    this.#logger.info(
      { agent: this.name, drained: before - left, leftInChannels: left, ms: Date.now() - t0 },
      left > 0 ? 'Agent stopped; some events stayed in channels' : 'Agent stopped',
    )
  }

  /** The lifecycle objects of sources (for tests and the reload machinery). */
  sources(): ReadonlyMap<string, Source> {
    return new Map([...this.#sources].map(([k, v]) => [k, v.source]))
  }

  sinkProcessors(): ReadonlyMap<string, SinkProcessor> {
    return new Map([...this.#groups].map(([k, v]) => [k, v.processor]))
  }
}

export type { Lifecycle }
