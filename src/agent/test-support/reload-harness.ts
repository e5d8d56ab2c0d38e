/**
 * In-process reload tests: a paced numbering source and a recording sink (test specs registered next to
 * the built-ins), a ledger of what was accepted and delivered, and an agent driven from config text
 * through the real loader, compiler and ConfigReloader. Channels, interceptors and processors are the
 * real ones.
 */

import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { MemoryChannel } from '../../channels/memory.ts'
import { compileAgent } from '../../config/compile.ts'
import { loadConfig } from '../../config/load.ts'
import { MetricsRegistry, SinkCounter, SourceCounter } from '../../core/counters.ts'
import { ChannelError } from '../../core/errors.ts'
import { Event } from '../../core/event.ts'
import { sleep } from '../../core/runners.ts'
import {
  type AnySpec,
  batchSizeField,
  bool,
  defineChannel,
  defineSink,
  defineSource,
  int,
} from '../../core/spec.ts'
import { Registry } from '../../registry.ts'
import { takeAndDeliver } from '../../sinks/util/take-batch.ts'
import { Agent } from '../agent.ts'
import { ConfigReloader, fileStamps } from '../config-reloader.ts'

export interface Delivery {
  readonly sink: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

/** What went in and what came out, across every instance of the test components. */
export class Ledger {
  /** Bodies committed to the channels (the source's processEventBatch resolved). */
  readonly accepted: string[] = []
  readonly delivered: Delivery[] = []
  /** Batch sizes delivered, per sink name. */
  readonly batches = new Map<string, number[]>()
  /** How many instances were built, per component id. */
  readonly builds = new Map<string, number>()
  /** Next number per source name: a rebuilt source resumes where the previous instance stopped. */
  readonly next = new Map<string, number>()

  built(id: string): void {
    this.builds.set(id, (this.builds.get(id) ?? 0) + 1)
  }

  deliveredBodies(): string[] {
    return this.delivered.map((d) => d.body)
  }
}

export function testSpecs(ledger: Ledger): AnySpec[] {
  const source = defineSource({
    type: 'test-counter',
    summary: 'Numbers events `<name>-<n>` in paced batches; retries the same numbers after a refusal.',
    fields: {
      batchSize: int({ key: 'batchSize', default: 10, min: 1, doc: 'Events per batch.' }),
      intervalMs: int({ key: 'intervalMs', default: 2, min: 0, doc: 'Pause before each batch.' }),
    },
    batchSize: (cfg) => cfg.batchSize,
    backoff: () => ({ increment: 20, max: 100 }),
    build(cfg, ctx) {
      ledger.built(`SOURCE.${ctx.name}`)
      const counter = ctx.metrics.register(new SourceCounter(ctx.name))
      const stop = new AbortController()
      return {
        async start() {
          counter.start()
        },
        async stop() {
          stop.abort()
          counter.stop()
        },
        async process() {
          await sleep(cfg.intervalMs, stop.signal)
          const first = ledger.next.get(ctx.name) ?? 0
          const bodies = Array.from({ length: cfg.batchSize }, (_, i) => `${ctx.name}-${first + i}`)
          try {
            await ctx.processor.processEventBatch(bodies.map((b) => new Event(Buffer.from(b))))
          } catch (e) {
            if (!(e instanceof ChannelError)) throw e
            counter.channelWriteFail += bodies.length
            return 'backoff'
          }
          ledger.next.set(ctx.name, first + bodies.length)
          ledger.accepted.push(...bodies)
          counter.eventAcceptedCount += bodies.length
          return 'ready'
        },
      }
    },
  })
  const sink = defineSink({
    type: 'test-collect',
    summary: 'Records what it delivers in the ledger.',
    fields: {
      batchSize: batchSizeField('batchSize', 100),
      delayMs: int({ key: 'delayMs', default: 0, min: 0, doc: 'Time one delivery takes.' }),
      fail: bool({ key: 'fail', default: false, doc: 'Fail every delivery (a destination that is down).' }),
    },
    batchSize: (cfg) => cfg.batchSize,
    build(cfg, ctx) {
      ledger.built(`SINK.${ctx.name}`)
      const counter = ctx.metrics.register(new SinkCounter(ctx.name))
      const sizes = ledger.batches.get(ctx.name) ?? []
      ledger.batches.set(ctx.name, sizes)
      const deliver = async (events: Event[]) => {
        if (cfg.fail) throw new Error(`destination of ${ctx.name} is down`)
        if (cfg.delayMs > 0) await new Promise((r) => setTimeout(r, cfg.delayMs))
        sizes.push(events.length)
        for (const e of events)
          ledger.delivered.push({ sink: ctx.name, body: e.body.toString(), headers: { ...e.headers } })
      }
      return {
        async start() {
          counter.start()
        },
        async stop() {
          counter.stop()
        },
        process: (signal) => takeAndDeliver(ctx.channel, cfg.batchSize, counter, ctx.name, deliver, signal),
      }
    },
  })
  // A memory channel whose build can be made to fail (a channel type that cannot be built as configured).
  const fragile = defineChannel({
    type: 'test-fragile',
    summary: 'A memory channel whose build fails when explode = true.',
    fields: {
      capacity: int({ key: 'capacity', default: 1000, min: 1, doc: 'Capacity.' }),
      explode: bool({ key: 'explode', default: false, doc: 'Fail the build.' }),
    },
    transactionCapacity: () => 100,
    build(cfg, ctx) {
      if (cfg.explode) throw new Error('cannot build this channel')
      ledger.built(`CHANNEL.${ctx.name}`)
      const ch = new MemoryChannel(ctx.name, {
        capacity: cfg.capacity,
        transactionCapacity: 100,
        keepAlive: 1,
        byteCapacity: undefined,
        byteCapacityBufferPercentage: 20,
      })
      ctx.metrics.register(ch.counter)
      return ch
    },
  })
  return [source, sink, fragile]
}

export interface Harness {
  readonly agent: Agent
  readonly ledger: Ledger
  readonly reloader: ConfigReloader
  readonly metrics: MetricsRegistry
  readonly dir: string
  readonly file: string
  /** Log entries at warn and above (JSON objects). */
  readonly problems: Record<string, unknown>[]
  /** Writes the config file and reloads (as SIGHUP would). */
  reload(config: string | ((dir: string) => string)): ReturnType<ConfigReloader['reload']>
  close(): Promise<void>
}

export async function startHarness(
  config: string | ((dir: string) => string),
  opts: { drainTimeoutMs?: number; pollIntervalMs?: number } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'flumen-reload-'))
  const file = join(dir, 'agent.conf')
  const text = (c: string | ((dir: string) => string)) => (typeof c === 'function' ? c(dir) : c)
  writeFileSync(file, text(config))
  const ledger = new Ledger()
  const registry = new Registry(undefined, testSpecs(ledger))
  const problems: Record<string, unknown>[] = []
  const logger = pino(
    { level: 'warn' },
    {
      write(s: string) {
        problems.push(JSON.parse(s) as Record<string, unknown>)
      },
    },
  )
  const metrics = new MetricsRegistry()
  const sys = new Map<string, string>()
  const baseline = await fileStamps([file])
  const loaded = await loadConfig({ files: [file], sys, env: process.env })
  const compiled = await compileAgent({ agentName: 'a1', properties: loaded.properties, registry, sys })
  if (compiled.fatal || compiled.diagnostics.some((d) => d.severity !== 'warning'))
    throw new Error(`test config invalid: ${JSON.stringify(compiled.diagnostics)}`)
  const agent = new Agent(compiled, { logger, metrics, sys, drainTimeoutMs: opts.drainTimeoutMs ?? 5000 })
  await agent.start()
  const reloader = new ConfigReloader({
    agent,
    files: [file],
    sys,
    env: process.env,
    registry,
    logger,
    metrics,
    pollIntervalMs: opts.pollIntervalMs ?? 0,
  })
  reloader.start(baseline)
  return {
    agent,
    ledger,
    reloader,
    metrics,
    dir,
    file,
    problems,
    reload(c) {
      writeFileSync(file, text(c))
      return reloader.reload('signal')
    },
    async close() {
      reloader.stop()
      await agent.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Waits until `fn` is true (polling), failing after `ms`. */
export async function until(fn: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now()
  while (!fn()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Every accepted body delivered exactly once: returns [missing, duplicated]. */
export function accounting(ledger: Ledger): { missing: string[]; duplicated: string[] } {
  const seen = new Map<string, number>()
  for (const b of ledger.deliveredBodies()) seen.set(b, (seen.get(b) ?? 0) + 1)
  const missing = ledger.accepted.filter((b) => !seen.has(b))
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([b]) => b)
  const accepted = new Set(ledger.accepted)
  const extra = [...seen.keys()].filter((b) => !accepted.has(b))
  return { missing, duplicated: [...duplicated, ...extra.map((b) => `unexpected:${b}`)] }
}
