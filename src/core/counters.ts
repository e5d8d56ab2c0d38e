/**
 * Component counters with Flume's vocabulary (instrumentation/SourceCounter, ChannelCounter, SinkCounter).
 *
 * Fields are plain numbers incremented on the hot path once per batch. `snapshot()` returns Flume's
 * attribute names; the monitoring layer renders them as Flume's JSON (values as strings) and as Prometheus
 * text. Counters reset on every `start()`, as Flume's do, and record StartTime/StopTime (epoch ms).
 *
 * Components may add their own attributes (`extra`): they appear in the same JSON group (Flume's file
 * channel and Kafka components do the same with their own MBean attributes).
 */

export type CounterKind = 'SOURCE' | 'CHANNEL' | 'SINK'

export abstract class CounterGroup {
  abstract readonly kind: CounterKind
  readonly name: string
  startTime = 0
  stopTime = 0
  /** Component-specific attributes, by Flume-style attribute name. */
  readonly extra: Map<string, number> = new Map()
  /** Optional component-specific gauges computed at read time (e.g. a channel's fill percentage). */
  readonly gauges: Map<string, () => number | string | boolean> = new Map()

  constructor(name: string) {
    this.name = name
  }

  /** The `"SOURCE.r1"` key used in Flume's JSON. */
  get id(): string {
    return `${this.kind}.${this.name}`
  }

  start(): void {
    this.reset()
    for (const k of this.extra.keys()) this.extra.set(k, 0)
    this.startTime = Date.now()
    this.stopTime = 0
  }

  stop(): void {
    this.stopTime = Date.now()
  }

  add(attribute: string, delta = 1): void {
    this.extra.set(attribute, (this.extra.get(attribute) ?? 0) + delta)
  }

  protected abstract reset(): void
  protected abstract own(): Record<string, number>

  snapshot(): Record<string, number | string | boolean> {
    const out: Record<string, number | string | boolean> = { ...this.own() }
    for (const [k, v] of this.extra) out[k] = v
    for (const [k, f] of this.gauges) out[k] = f()
    out.StartTime = this.startTime
    out.StopTime = this.stopTime
    out.Type = this.kind
    return out
  }
}

export class SourceCounter extends CounterGroup {
  readonly kind = 'SOURCE' as const
  eventReceivedCount = 0
  eventAcceptedCount = 0
  appendReceivedCount = 0
  appendAcceptedCount = 0
  appendBatchReceivedCount = 0
  appendBatchAcceptedCount = 0
  openConnectionCount = 0
  eventReadFail = 0
  channelWriteFail = 0
  genericProcessingFail = 0

  protected reset(): void {
    this.eventReceivedCount = 0
    this.eventAcceptedCount = 0
    this.appendReceivedCount = 0
    this.appendAcceptedCount = 0
    this.appendBatchReceivedCount = 0
    this.appendBatchAcceptedCount = 0
    this.openConnectionCount = 0
    this.eventReadFail = 0
    this.channelWriteFail = 0
    this.genericProcessingFail = 0
  }

  protected own(): Record<string, number> {
    return {
      EventReceivedCount: this.eventReceivedCount,
      EventAcceptedCount: this.eventAcceptedCount,
      AppendReceivedCount: this.appendReceivedCount,
      AppendAcceptedCount: this.appendAcceptedCount,
      AppendBatchReceivedCount: this.appendBatchReceivedCount,
      AppendBatchAcceptedCount: this.appendBatchAcceptedCount,
      OpenConnectionCount: this.openConnectionCount,
      EventReadFail: this.eventReadFail,
      ChannelWriteFail: this.channelWriteFail,
      GenericProcessingFail: this.genericProcessingFail,
    }
  }
}

export class ChannelCounter extends CounterGroup {
  readonly kind = 'CHANNEL' as const
  channelSize = 0
  channelCapacity = 0
  eventPutAttemptCount = 0
  eventPutSuccessCount = 0
  eventTakeAttemptCount = 0
  eventTakeSuccessCount = 0

  protected reset(): void {
    this.eventPutAttemptCount = 0
    this.eventPutSuccessCount = 0
    this.eventTakeAttemptCount = 0
    this.eventTakeSuccessCount = 0
  }

  /** Percentage as Flume computes it; Flume reports Double.MAX_VALUE when the capacity is unknown (0). */
  fillPercentage(): number {
    if (this.channelCapacity === 0) return Number.MAX_VALUE
    return (this.channelSize * 100) / this.channelCapacity
  }

  protected own(): Record<string, number> {
    return {
      ChannelSize: this.channelSize,
      ChannelCapacity: this.channelCapacity,
      ChannelFillPercentage: this.fillPercentage(),
      EventPutAttemptCount: this.eventPutAttemptCount,
      EventPutSuccessCount: this.eventPutSuccessCount,
      EventTakeAttemptCount: this.eventTakeAttemptCount,
      EventTakeSuccessCount: this.eventTakeSuccessCount,
    }
  }
}

export class SinkCounter extends CounterGroup {
  readonly kind = 'SINK' as const
  connectionCreatedCount = 0
  connectionClosedCount = 0
  connectionFailedCount = 0
  batchEmptyCount = 0
  batchUnderflowCount = 0
  batchCompleteCount = 0
  eventDrainAttemptCount = 0
  eventDrainSuccessCount = 0
  eventWriteFail = 0
  channelReadFail = 0

  protected reset(): void {
    this.connectionCreatedCount = 0
    this.connectionClosedCount = 0
    this.connectionFailedCount = 0
    this.batchEmptyCount = 0
    this.batchUnderflowCount = 0
    this.batchCompleteCount = 0
    this.eventDrainAttemptCount = 0
    this.eventDrainSuccessCount = 0
    this.eventWriteFail = 0
    this.channelReadFail = 0
  }

  /** Flume's convention: 0 events → empty, a full batch → complete, anything else → underflow. */
  countBatch(size: number, batchSize: number): void {
    if (size === 0) this.batchEmptyCount++
    else if (size >= batchSize) this.batchCompleteCount++
    else this.batchUnderflowCount++
  }

  protected own(): Record<string, number> {
    return {
      ConnectionCreatedCount: this.connectionCreatedCount,
      ConnectionClosedCount: this.connectionClosedCount,
      ConnectionFailedCount: this.connectionFailedCount,
      BatchEmptyCount: this.batchEmptyCount,
      BatchUnderflowCount: this.batchUnderflowCount,
      BatchCompleteCount: this.batchCompleteCount,
      EventDrainAttemptCount: this.eventDrainAttemptCount,
      EventDrainSuccessCount: this.eventDrainSuccessCount,
      EventWriteFail: this.eventWriteFail,
      ChannelReadFail: this.channelReadFail,
    }
  }
}

/** All counter groups of one running agent, in registration order. */
export class MetricsRegistry {
  readonly #groups = new Map<string, CounterGroup>()
  /** Agent-level counters (configuration problems, reloads), rendered only in Prometheus and the dashboard. */
  readonly agent = new Map<string, number>()

  register<T extends CounterGroup>(group: T): T {
    this.#groups.set(group.id, group)
    return group
  }

  unregister(group: CounterGroup): void {
    if (this.#groups.get(group.id) === group) this.#groups.delete(group.id)
  }

  addAgent(name: string, delta = 1): void {
    this.agent.set(name, (this.agent.get(name) ?? 0) + delta)
  }

  groups(): IterableIterator<CounterGroup> {
    return this.#groups.values()
  }

  get(id: string): CounterGroup | undefined {
    return this.#groups.get(id)
  }
}
