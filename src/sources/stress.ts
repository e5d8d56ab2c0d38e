/**
 * Stress source (org.apache.flume.source.StressSource, class name only): a pollable load generator.
 * Bodies are `size` bytes of 0x7F; `batchSize` events per transaction; stops after `maxTotalEvents`
 * attempted or `maxSuccessfulEvents` delivered (−1 = unlimited); `maxEventsPerSecond` rate-limits.
 *
 * Flume compat: maxTotalEvents counts attempts, including batches the channel refused.
 */

import { setTimeout as delay } from 'node:timers/promises'
import { SourceCounter } from '../core/counters.ts'
import { ChannelError } from '../core/errors.ts'
import { Event } from '../core/event.ts'
import { defineSource, int, long } from '../core/spec.ts'
import { pollableBackoff, pollableFields } from './util/pollable.ts'

export const spec = defineSource({
  type: 'org.apache.flume.source.StressSource',
  aliases: ['stress'],
  classNames: ['org.apache.flume.source.StressSource'],
  summary: 'Generates fixed-size events as fast as allowed (load testing).',
  fields: {
    size: int({ key: 'size', default: 500, min: 0, doc: 'Body size in bytes.' }),
    maxTotalEvents: long({
      key: 'maxTotalEvents',
      default: -1,
      doc: 'Stop after this many attempted events (−1: never).',
    }),
    maxSuccessfulEvents: long({
      key: 'maxSuccessfulEvents',
      default: -1,
      doc: 'Stop after this many delivered events (−1: never).',
    }),
    batchSize: int({ key: 'batchSize', default: 1, min: 1, doc: 'Events per transaction.' }),
    maxEventsPerSecond: int({ key: 'maxEventsPerSecond', default: 0, min: 0, doc: 'Rate limit (0: none).' }),
    ...pollableFields,
  },
  batchSize: (cfg) => cfg.batchSize,
  backoff: pollableBackoff,
  build(cfg, ctx) {
    const counter = ctx.metrics.register(new SourceCounter(ctx.name))
    const body = Buffer.alloc(cfg.size, 0x7f)
    let total = 0
    let successful = 0
    // Token bucket for maxEventsPerSecond: tokens accrue continuously, a batch waits for its tokens.
    let tokens = 0
    let last = performance.now()
    return {
      async start() {
        counter.start()
      },
      async stop() {
        counter.stop()
      },
      async process() {
        if (
          (cfg.maxTotalEvents >= 0 && total >= cfg.maxTotalEvents) ||
          (cfg.maxSuccessfulEvents >= 0 && successful >= cfg.maxSuccessfulEvents)
        ) {
          return 'backoff'
        }
        const n =
          cfg.maxTotalEvents >= 0 ? Math.min(cfg.batchSize, cfg.maxTotalEvents - total) : cfg.batchSize
        if (cfg.maxEventsPerSecond > 0) {
          const now = performance.now()
          tokens = Math.min(cfg.maxEventsPerSecond, tokens + ((now - last) / 1000) * cfg.maxEventsPerSecond)
          last = now
          if (tokens < n) {
            await delay(((n - tokens) / cfg.maxEventsPerSecond) * 1000)
            tokens = n
            last = performance.now()
          }
          tokens -= n
        }
        const batch: Event[] = new Array(n)
        for (let i = 0; i < n; i++) batch[i] = new Event(body)
        total += n
        try {
          await ctx.processor.processEventBatch(batch)
        } catch (e) {
          if (!(e instanceof ChannelError)) throw e
          counter.channelWriteFail++
          return 'backoff'
        }
        successful += n
        counter.eventAcceptedCount += n
        counter.appendBatchAcceptedCount++
        return 'ready'
      },
    }
  },
})
