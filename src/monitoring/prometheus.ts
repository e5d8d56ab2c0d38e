/**
 * Prometheus text exposition (format 0.0.4) of the same counters as Flume's JSON, under flumen's names:
 * `flumen_<subject>_<unit>[_total]` with labels `component_kind` and `component_id`. These tables are the
 * one place mapping Flume attribute names to Prometheus names; the metrics reference in
 * docs/operations.md is generated from them (`npm run docs`).
 */

import type { CounterKind, MetricsRegistry } from '../core/counters.ts'

export interface MetricName {
  readonly name: string
  readonly type: 'counter' | 'gauge'
  readonly help: string
}

export const FLUME_TO_PROMETHEUS: Readonly<Record<CounterKind, Readonly<Record<string, MetricName>>>> = {
  SOURCE: {
    EventReceivedCount: {
      name: 'flumen_source_events_received_total',
      type: 'counter',
      help: 'Events received by the source.',
    },
    EventAcceptedCount: {
      name: 'flumen_source_events_accepted_total',
      type: 'counter',
      help: 'Events committed to the channels.',
    },
    AppendReceivedCount: {
      name: 'flumen_source_appends_received_total',
      type: 'counter',
      help: 'Single-event RPC appends received.',
    },
    AppendAcceptedCount: {
      name: 'flumen_source_appends_accepted_total',
      type: 'counter',
      help: 'Single-event RPC appends accepted.',
    },
    AppendBatchReceivedCount: {
      name: 'flumen_source_batches_received_total',
      type: 'counter',
      help: 'Batches received.',
    },
    AppendBatchAcceptedCount: {
      name: 'flumen_source_batches_accepted_total',
      type: 'counter',
      help: 'Batches committed to the channels.',
    },
    OpenConnectionCount: {
      name: 'flumen_source_open_connections',
      type: 'gauge',
      help: 'Open client connections.',
    },
    EventReadFail: {
      name: 'flumen_source_read_failures_total',
      type: 'counter',
      help: 'Events that could not be read or parsed.',
    },
    ChannelWriteFail: {
      name: 'flumen_source_channel_write_failures_total',
      type: 'counter',
      help: 'Events the channels refused.',
    },
    GenericProcessingFail: {
      name: 'flumen_source_processing_failures_total',
      type: 'counter',
      help: 'Other processing failures.',
    },
  },
  CHANNEL: {
    ChannelSize: { name: 'flumen_channel_size_events', type: 'gauge', help: 'Events stored in the channel.' },
    ChannelCapacity: {
      name: 'flumen_channel_capacity_events',
      type: 'gauge',
      help: 'Channel capacity in events.',
    },
    ChannelFillPercentage: {
      name: 'flumen_channel_fill_percent',
      type: 'gauge',
      help: 'Channel fill level, percent.',
    },
    EventPutAttemptCount: {
      name: 'flumen_channel_put_attempts_total',
      type: 'counter',
      help: 'Events offered to the channel.',
    },
    EventPutSuccessCount: {
      name: 'flumen_channel_puts_total',
      type: 'counter',
      help: 'Events committed into the channel.',
    },
    EventTakeAttemptCount: {
      name: 'flumen_channel_take_attempts_total',
      type: 'counter',
      help: 'Take attempts (Flume counts an empty take too).',
    },
    EventTakeSuccessCount: {
      name: 'flumen_channel_takes_total',
      type: 'counter',
      help: 'Events taken and committed.',
    },
  },
  SINK: {
    ConnectionCreatedCount: {
      name: 'flumen_sink_connections_created_total',
      type: 'counter',
      help: 'Connections or files opened.',
    },
    ConnectionClosedCount: {
      name: 'flumen_sink_connections_closed_total',
      type: 'counter',
      help: 'Connections or files closed.',
    },
    ConnectionFailedCount: {
      name: 'flumen_sink_connection_failures_total',
      type: 'counter',
      help: 'Connection or file failures.',
    },
    BatchEmptyCount: {
      name: 'flumen_sink_batches_empty_total',
      type: 'counter',
      help: 'Takes that found the channel empty.',
    },
    BatchUnderflowCount: {
      name: 'flumen_sink_batches_underflow_total',
      type: 'counter',
      help: 'Batches smaller than batch size.',
    },
    BatchCompleteCount: {
      name: 'flumen_sink_batches_complete_total',
      type: 'counter',
      help: 'Full batches.',
    },
    EventDrainAttemptCount: {
      name: 'flumen_sink_drain_attempts_total',
      type: 'counter',
      help: 'Events the sink tried to deliver.',
    },
    EventDrainSuccessCount: {
      name: 'flumen_sink_events_delivered_total',
      type: 'counter',
      help: 'Events delivered and committed.',
    },
    EventWriteFail: {
      name: 'flumen_sink_write_failures_total',
      type: 'counter',
      help: 'Events whose delivery failed.',
    },
    ChannelReadFail: {
      name: 'flumen_sink_channel_read_failures_total',
      type: 'counter',
      help: 'Failed takes from the channel.',
    },
  },
}

/** Agent-wide counters (`MetricsRegistry.agent`), exported as `flumen_agent_<snake_case>_total`. */
export const AGENT_COUNTERS: Readonly<Record<string, string>> = {
  ConfigErrors: 'Configuration errors found: at start (the components they dropped) and in refused reloads.',
  ConfigWarnings: 'Configuration warnings (unknown keys, deprecated spellings...).',
  ComponentBuildFailures: 'Components that passed validation but could not be built, and were removed.',
  Reloads: 'Configuration reloads attempted (file change or SIGHUP).',
  ReloadFailures:
    'Reloads refused because the new configuration had errors, or that failed (the running one stayed).',
  ReloadLostEvents:
    'Events a reload could not keep: a removed or replaced non-durable channel whose sinks could not empty it in time.',
}

/** Process gauges added to the exposition by the monitoring server. */
export const PROCESS_GAUGES: Readonly<Record<string, string>> = {
  process_resident_memory_bytes: 'Resident memory of the agent process.',
  nodejs_heap_used_bytes: 'V8 heap in use.',
  process_uptime_seconds: 'Seconds since the agent process started.',
}

/** Every component's start time, from Flume's StartTime attribute. */
export const START_TIME: MetricName = {
  name: 'flumen_component_start_time_seconds',
  type: 'gauge',
  help: 'When the component last started.',
}

const snake = (s: string) =>
  s
    .replace(/Count$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()

/** The Prometheus name of a component-specific attribute that has no entry in the table. */
export function genericName(kind: CounterKind, attribute: string): MetricName {
  const counter = /Count$|Fail$/.test(attribute)
  return {
    name: `flumen_${kind.toLowerCase()}_${snake(attribute)}${counter ? '_total' : ''}`,
    type: counter ? 'counter' : 'gauge',
    help: `Flume attribute ${attribute}.`,
  }
}

/** The Prometheus name of an agent-wide counter. */
export function agentMetricName(name: string): MetricName {
  return {
    name: `flumen_agent_${snake(name)}_total`,
    type: 'counter',
    help: AGENT_COUNTERS[name] ?? `Agent counter ${name}.`,
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export function prometheusText(
  metrics: MetricsRegistry,
  extra: Readonly<Record<string, number>> = {},
): string {
  const families = new Map<string, { m: MetricName; lines: string[] }>()
  const add = (m: MetricName, labels: string, value: number) => {
    let f = families.get(m.name)
    if (f === undefined) {
      f = { m, lines: [] }
      families.set(m.name, f)
    }
    f.lines.push(`${m.name}${labels} ${Number.isFinite(value) ? value : value > 0 ? '+Inf' : 'NaN'}`)
  }
  for (const g of metrics.groups()) {
    const labels = `{component_kind="${g.kind.toLowerCase()}",component_id="${esc(g.name)}"}`
    for (const [attr, v] of Object.entries(g.snapshot())) {
      if (attr === 'Type' || attr === 'StopTime') continue
      if (attr === 'StartTime') {
        add(START_TIME, labels, (v as number) / 1000)
        continue
      }
      const num = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : Number(v)
      if (attr === 'ChannelFillPercentage' && num === Number.MAX_VALUE) continue
      add(FLUME_TO_PROMETHEUS[g.kind][attr] ?? genericName(g.kind, attr), labels, num)
    }
  }
  for (const [name, v] of metrics.agent) {
    add(agentMetricName(name), '', v)
  }
  for (const [name, v] of Object.entries(extra)) {
    add({ name, type: 'gauge', help: PROCESS_GAUGES[name] ?? name.replace(/_/g, ' ') }, '', v)
  }
  let out = ''
  for (const { m, lines } of families.values()) {
    out += `# HELP ${m.name} ${m.help}\n# TYPE ${m.name} ${m.type}\n${lines.join('\n')}\n`
  }
  return out
}
