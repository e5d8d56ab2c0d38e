/**
 * The live status of an agent as the dashboard (`/`, `/api/status`, `/api/events`) and `flumen top` show
 * it: topology, component states, per-component rates, channel fill and runway, where backpressure starts,
 * recent errors, reload history. One frame is computed from two samples of the counters; both front ends
 * render the same frame, so they always agree.
 *
 * Rates are events per second, smoothed (exponentially weighted, time constant RATE_TAU_S) so a runway
 * does not jump with every batch; a counter that went down (its component restarted) restarts its rate.
 *
 * Runway of a channel = free slots ÷ (put rate − take rate) when it is filling, `null` when it is not (the
 * channel never fills at the current rates), 0 when it is full.
 *
 * Where backpressure starts: a channel that is full or nearly (≥ FULL_FILL), or filling with a runway under
 * FILLING_RUNWAY_S, or whose sources' writes fail, is pressured; the component responsible is on its
 * consumer side — the sink reading it that is not running, else the one failing to deliver (failure
 * counters or recent error logs), else the slowest — or the channel itself when nothing reads it, or when it
 * refuses writes while not full (byte capacity). Pressures are sorted most severe first; the first one is
 * "where backpressure starts".
 */

import type { CounterGroup, MetricsRegistry } from '../core/counters.ts'
import type { LogEntry } from './log-ring.ts'

export const RATE_TAU_S = 5
export const FULL_FILL = 0.95
export const FILLING_RUNWAY_S = 600

/** The running topology (the agent's `topology()`). */
export interface TopologyView {
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

export interface ReloadView {
  readonly watching: boolean
  readonly pollIntervalSec: number
  readonly count: number
  readonly failures: number
  readonly last?: {
    readonly at: number
    readonly trigger: string
    readonly result: string
    readonly message: string
  }
}

/** What the status is computed from (the CLI wires the agent, its logger ring and its reloader). */
export interface StatusProvider {
  readonly agentName: string
  readonly version: string
  readonly metrics: MetricsRegistry
  agentState(): string
  ready(): boolean
  topology(): TopologyView
  componentStates(): readonly { readonly id: string; readonly state: string; readonly error?: string }[]
  recentLogs(): readonly LogEntry[]
  reloads(): ReloadView
}

export type ComponentKind = 'source' | 'channel' | 'sink'

export interface ComponentFrame {
  readonly id: string
  readonly kind: ComponentKind
  readonly name: string
  readonly type: string
  readonly state: string
  readonly error?: string
  /** Events per second in (received / put / taken for delivery) and out (accepted / taken / delivered). */
  readonly inRate: number | null
  readonly outRate: number | null
  /** Failures per second (sources: refused or unreadable events; sinks: failed writes, connections, takes). */
  readonly failRate: number | null
  /** Failures counted since the previous sample (the smoothed rate trails off; this says "now"). */
  readonly recentFailures: number | null
  /** Flume counters of the component, as in /metrics (numbers as numbers). */
  readonly counters: Readonly<Record<string, number | string | boolean>>
  /** Channels only. */
  readonly size?: number
  readonly capacity?: number
  /** 0..1, null when the capacity is unknown. */
  readonly fill?: number | null
  /** Seconds until full at the current rates; null when not filling. */
  readonly runwaySec?: number | null
  /** Sources: their channels; sinks: their channel. */
  readonly channels?: readonly string[]
}

export interface Pressure {
  /** The component where backpressure starts (`SINK.k2`, or the channel itself). */
  readonly origin: string
  readonly channel: string
  readonly severity: 'full' | 'refusing' | 'filling'
  readonly reason: string
  readonly fill: number | null
  readonly runwaySec: number | null
}

export interface StatusFrame {
  readonly time: number
  /** Seconds covered by the rates (null on a first sample: rates unknown yet). */
  readonly intervalSec: number | null
  readonly agent: {
    readonly name: string
    readonly version: string
    readonly pid: number
    readonly state: string
    readonly ready: boolean
    readonly uptimeSec: number
    readonly rssBytes: number
    readonly heapUsedBytes: number
  }
  readonly reload: ReloadView
  readonly components: readonly ComponentFrame[]
  readonly edges: readonly { readonly from: string; readonly to: string }[]
  readonly sinkGroups: TopologyView['sinkGroups']
  readonly backpressure: readonly Pressure[]
  readonly errors: readonly LogEntry[]
}

/** The counters used for rates, summed per direction. */
const RATE_KEYS: Record<ComponentKind, { in: string[]; out: string[]; fail: string[] }> = {
  source: {
    in: ['EventReceivedCount'],
    out: ['EventAcceptedCount'],
    fail: ['ChannelWriteFail', 'EventReadFail', 'GenericProcessingFail'],
  },
  channel: { in: ['EventPutSuccessCount'], out: ['EventTakeSuccessCount'], fail: [] },
  sink: {
    in: ['EventDrainAttemptCount'],
    out: ['EventDrainSuccessCount'],
    fail: ['EventWriteFail', 'ConnectionFailedCount', 'ChannelReadFail'],
  },
}

interface Sample {
  readonly t: number
  readonly values: Map<string, number>
  /** Smoothed rates by `<id>|<counter>`. */
  readonly rates: Map<string, number>
}

const num = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v)

/**
 * Keeps the previous sample and turns counter snapshots into frames. One per consumer stream: the SSE
 * hub samples once a second for all its clients.
 */
export class StatusSampler {
  readonly #p: StatusProvider
  #prev: Sample | undefined

  constructor(provider: StatusProvider) {
    this.#p = provider
  }

  frame(now = Date.now()): StatusFrame {
    const p = this.#p
    const topo = p.topology()
    const states = new Map(p.componentStates().map((s) => [s.id, s]))
    const groups = new Map<string, CounterGroup>()
    for (const g of p.metrics.groups()) groups.set(g.id, g)

    const prev = this.#prev
    const dt = prev === undefined ? 0 : (now - prev.t) / 1000
    const fresh = prev !== undefined && dt > 0 && dt < 60
    const values = new Map<string, number>()
    const rates = new Map<string, number>()
    const alpha = fresh ? 1 - Math.exp(-dt / RATE_TAU_S) : 1

    let lastDelta = 0
    const rateOf = (id: string, keys: readonly string[], snap: Record<string, unknown> | undefined) => {
      lastDelta = 0
      if (snap === undefined || keys.length === 0) return null
      let total = 0
      let any = false
      for (const k of keys) {
        if (!(k in snap)) continue
        any = true
        const key = `${id}|${k}`
        const v = num(snap[k])
        values.set(key, v)
        const before = prev?.values.get(key)
        let r: number | undefined
        if (fresh && before !== undefined) {
          const delta = v >= before ? v - before : v
          lastDelta += delta
          const inst = delta / dt
          const old = prev?.rates.get(key)
          r = old === undefined ? inst : old + alpha * (inst - old)
        }
        if (r !== undefined) {
          rates.set(key, r)
          total += r
        }
      }
      return any && fresh ? total : null
    }

    const components: ComponentFrame[] = []
    const add = (
      kind: ComponentKind,
      name: string,
      type: string,
      extra: Partial<ComponentFrame> = {},
    ): ComponentFrame => {
      const id = `${kind.toUpperCase()}.${name}`
      const g = groups.get(id)
      const snap = g?.snapshot()
      const st = states.get(id)
      const keys = RATE_KEYS[kind]
      let inRate = rateOf(id, keys.in, snap)
      const outRate = rateOf(id, keys.out, snap)
      // Sources that count only accepted events (seq, exec): what they accepted is what came in.
      if (kind === 'source' && snap !== undefined && num(snap.EventReceivedCount) === 0) inRate = outRate
      const f: ComponentFrame = {
        id,
        kind,
        name,
        type,
        state: st?.state ?? 'unknown',
        ...(st?.error === undefined ? {} : { error: st.error }),
        inRate,
        outRate,
        failRate: rateOf(id, keys.fail, snap),
        recentFailures: snap === undefined || keys.fail.length === 0 || !fresh ? null : lastDelta,
        counters: snap ?? {},
        ...extra,
      }
      components.push(f)
      return f
    }

    const edges: { from: string; to: string }[] = []
    for (const s of topo.sources) {
      add('source', s.name, s.type, { channels: s.channels })
      for (const c of s.channels) edges.push({ from: `SOURCE.${s.name}`, to: `CHANNEL.${c}` })
    }
    for (const c of topo.channels) {
      const f = add('channel', c.name, c.type)
      const size = num(f.counters.ChannelSize ?? 0)
      const capacity = num(f.counters.ChannelCapacity ?? 0)
      const fill = capacity > 0 ? Math.min(1, size / capacity) : null
      let runwaySec: number | null = null
      if (capacity > 0 && size >= capacity) runwaySec = 0
      else if (capacity > 0 && f.inRate !== null && f.outRate !== null) {
        const net = f.inRate - f.outRate
        // Below half an event per second is noise from smoothing, not a trend.
        if (net > 0.5) runwaySec = (capacity - size) / net
      }
      components[components.length - 1] = { ...f, size, capacity, fill, runwaySec }
    }
    for (const k of topo.sinks) {
      add('sink', k.name, k.type, { channels: [k.channel] })
      edges.push({ from: `CHANNEL.${k.channel}`, to: `SINK.${k.name}` })
    }

    this.#prev = { t: now, values, rates }
    const errors = p.recentLogs()
    const mem = process.memoryUsage()
    return {
      time: now,
      intervalSec: fresh ? dt : null,
      agent: {
        name: p.agentName,
        version: p.version,
        pid: process.pid,
        state: p.agentState(),
        ready: p.ready(),
        uptimeSec: Math.round(process.uptime()),
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
      },
      reload: p.reloads(),
      components,
      edges,
      sinkGroups: topo.sinkGroups,
      backpressure: findBackpressure(components, errors, now),
      errors: errors.slice(-50),
    }
  }
}

const fmtRate = (r: number | null) => (r === null ? '?' : r >= 100 ? Math.round(r).toString() : r.toFixed(1))

/** Where backpressure starts, per pressured channel, most severe first (see the module header). */
export function findBackpressure(
  components: readonly ComponentFrame[],
  errors: readonly LogEntry[],
  now: number,
): Pressure[] {
  const out: Pressure[] = []
  const recentErrorsOf = (id: string) =>
    errors.filter((e) => e.component === id && e.level !== 'warn' && now - e.time < 30_000).length
  for (const ch of components) {
    if (ch.kind !== 'channel') continue
    const writers = components.filter((c) => c.kind === 'source' && c.channels?.includes(ch.name))
    const writeFails = writers.reduce((a, c) => a + (c.failRate ?? 0), 0)
    const failingNow = writers.filter((c) => (c.recentFailures ?? 0) > 0)
    const fill = ch.fill ?? null
    const runway = ch.runwaySec ?? null
    let severity: Pressure['severity'] | undefined
    if (fill !== null && fill >= FULL_FILL) severity = 'full'
    else if (failingNow.length > 0) severity = 'refusing'
    else if (runway !== null && runway < FILLING_RUNWAY_S) severity = 'filling'
    if (severity === undefined) continue

    const readers = components.filter((c) => c.kind === 'sink' && c.channels?.includes(ch.name))
    const pct = fill === null ? '' : ` (${Math.round(fill * 100)}% full)`
    let origin = ch.id
    let reason: string
    const down = readers.find((k) => k.state !== 'running')
    const failing = readers
      .filter((k) => (k.recentFailures ?? 0) > 0 || recentErrorsOf(k.id) > 0)
      .sort((a, b) => (b.failRate ?? 0) - (a.failRate ?? 0))[0]
    if (severity === 'refusing' && fill !== null && fill < FULL_FILL && runway === null) {
      const names = failingNow.map((c) => c.id).join(', ')
      reason = `${ch.id} refuses writes from ${names} (${fmtRate(writeFails)} failures/s) while ${Math.round(fill * 100)}% full: its byte capacity or storage is the limit`
    } else if (readers.length === 0) {
      reason = `no sink reads ${ch.id}${pct}`
    } else if (down !== undefined) {
      origin = down.id
      reason = `${down.id} is ${down.state}${down.error === undefined ? '' : `: ${down.error}`}; ${ch.id} fills up${pct}`
    } else if (failing !== undefined) {
      origin = failing.id
      reason =
        (failing.recentFailures ?? 0) > 0
          ? `${failing.id} fails to deliver (${fmtRate(failing.failRate)} failures/s); ${ch.id} fills up${pct}`
          : `${failing.id} logs delivery errors; ${ch.id} fills up${pct}`
    } else {
      const slowest = [...readers].sort((a, b) => (a.outRate ?? 0) - (b.outRate ?? 0))[0] as ComponentFrame
      origin = slowest.id
      reason = `${slowest.id} delivers ${fmtRate(slowest.outRate)}/s while ${ch.id} receives ${fmtRate(ch.inRate)}/s${pct}`
    }
    out.push({ origin, channel: ch.id, severity, reason, fill, runwaySec: runway })
  }
  const rank = { full: 0, refusing: 1, filling: 2 }
  return out.sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      (b.fill ?? 0) - (a.fill ?? 0) ||
      (a.runwaySec ?? Number.POSITIVE_INFINITY) - (b.runwaySec ?? Number.POSITIVE_INFINITY),
  )
}
