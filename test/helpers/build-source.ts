/**
 * Builds a source from its spec and Flume-style properties in the test process, wired to real channels
 * through a real ChannelProcessor — for tests that need to hold the channel full, drain it by hand or read
 * the source's counters directly, which a child-process agent cannot offer.
 */

import type { Channel } from '../../src/core/channel.ts'
import { ChannelProcessor } from '../../src/core/channel-processor.ts'
import { MetricsRegistry, type SourceCounter } from '../../src/core/counters.ts'
import type { Event } from '../../src/core/event.ts'
import {
  type FieldReader,
  Invalid,
  type PropertyValue,
  parseFields,
  type Source,
  type SourceSpec,
} from '../../src/core/spec.ts'
import { silentLogger } from './fakes.ts'

export interface BuiltSource {
  readonly source: Source
  readonly processor: ChannelProcessor
  readonly metrics: MetricsRegistry
  readonly counter: SourceCounter
  readonly warnings: readonly string[]
}

/** Parses `props` with the spec (throwing on any error) and builds the source feeding `channels`. */
export async function buildSource(
  spec: SourceSpec,
  props: Record<string, string>,
  channels: readonly Channel[],
  opts: { name?: string; sys?: ReadonlyMap<string, string>; configDir?: string } = {},
): Promise<BuiltSource> {
  const m = new Map<string, PropertyValue>(
    Object.entries(props).map(([k, v]) => [
      k,
      { value: v, file: `${opts.configDir ?? process.cwd()}/t.conf`, line: 1 },
    ]),
  )
  const errors: string[] = []
  const warnings: string[] = []
  const r: FieldReader = {
    path: `a1.sources.${opts.name ?? 'r1'}`,
    get: (k) => m.get(k),
    prefixed(p) {
      const out = new Map<string, PropertyValue>()
      for (const [k, v] of m) if (k.startsWith(p)) out.set(k.slice(p.length), v)
      return out
    },
    error: (k, msg) => errors.push(`${k ?? ''}: ${msg}`),
    warn: (k, msg) => warnings.push(`${k ?? ''}: ${msg}`),
    nested: () => undefined,
  }
  const cfg = parseFields(spec.fields, r)
  if (cfg === Invalid || errors.length > 0) throw new Error(`invalid config: ${errors.join('; ')}`)
  const problems = spec.validate?.(cfg) ?? []
  if (problems.length > 0) throw new Error(`invalid config: ${problems.join('; ')}`)
  const processor = new ChannelProcessor(
    {
      fixed: { required: channels, optional: [] },
      required: () => channels,
      optional: () => [],
    },
    [],
    silentLogger,
    channels,
  )
  const metrics = new MetricsRegistry()
  const source = await spec.build(cfg, {
    agentName: 'a1',
    name: opts.name ?? 'r1',
    logger: silentLogger,
    metrics,
    sys: opts.sys ?? new Map(),
    configDir: opts.configDir ?? process.cwd(),
    processor,
  })
  const counter = metrics.get(`SOURCE.${opts.name ?? 'r1'}`) as SourceCounter
  return { source, processor, metrics, counter, warnings }
}

/** Takes every event currently in the channel (committing the takes). */
export async function drain(ch: Channel, max = 1_000_000): Promise<Event[]> {
  const out: Event[] = []
  while (out.length < max) {
    const tx = ch.begin()
    const got = await tx.take(Math.min(ch.transactionCapacity ?? 100, max - out.length), AbortSignal.abort())
    await tx.commit()
    tx.close()
    if (got.length === 0) break
    out.push(...got)
  }
  return out
}
