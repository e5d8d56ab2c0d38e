/**
 * Small fakes for unit tests of the routing and scheduling layers: a silent logger, a build context, and a
 * scripted sink. Real channels are used everywhere (the memory channel is cheap); fakes stand in only for
 * failures a real peer cannot produce on demand (a sink that throws on the Nth call).
 */

import pino, { type Logger } from 'pino'
import { MemoryChannel } from '../../src/channels/memory.ts'
import { MetricsRegistry } from '../../src/core/counters.ts'
import type { BuildContext, Sink, Status } from '../../src/core/spec.ts'

export const silentLogger: Logger = pino({ level: 'silent' })

export function buildContext(name = 'x'): BuildContext {
  return {
    agentName: 'a1',
    name,
    logger: silentLogger,
    metrics: new MetricsRegistry(),
    sys: new Map(),
    configDir: process.cwd(),
  }
}

export async function memoryChannel(
  name: string,
  capacity = 1000,
  transactionCapacity = 100,
  keepAlive = 0,
): Promise<MemoryChannel> {
  const ch = new MemoryChannel(name, {
    capacity,
    transactionCapacity,
    keepAlive,
    byteCapacity: undefined,
    byteCapacityBufferPercentage: 20,
  })
  await ch.start()
  return ch
}

/** A sink whose outcomes follow a script: 'ready' | 'backoff' | 'throw', repeating the last entry. */
export class ScriptedSink implements Sink {
  readonly name: string
  calls = 0
  script: ('ready' | 'backoff' | 'throw')[]
  constructor(name: string, script: ('ready' | 'backoff' | 'throw')[]) {
    this.name = name
    this.script = script
  }
  async process(): Promise<Status> {
    const step = this.script[Math.min(this.calls, this.script.length - 1)] ?? 'ready'
    this.calls++
    if (step === 'throw') throw new Error(`${this.name} failed`)
    return step
  }
}
