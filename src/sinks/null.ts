/**
 * `null` sink (org.apache.flume.sink.NullSink): takes batches and discards them. Useful for benchmarks
 * and for measuring a source. Logs a running count every `logEveryNEvents` events (Flume's undocumented
 * key, default 10000) at debug level.
 */

import { SinkCounter } from '../core/counters.ts'
import { batchSizeField, defineSink, int } from '../core/spec.ts'
import { takeAndDeliver } from './util/take-batch.ts'

export const spec = defineSink({
  type: 'null',
  classNames: ['org.apache.flume.sink.NullSink'],
  summary: 'Discards every event.',
  fields: {
    batchSize: batchSizeField('batchSize', 100),
    logEveryNEvents: int({
      key: 'logEveryNEvents',
      default: 10_000,
      min: 1,
      doc: 'Log a count every N events (debug).',
    }),
  },
  batchSize: (cfg) => cfg.batchSize,
  build(cfg, ctx) {
    const counter = ctx.metrics.register(new SinkCounter(ctx.name))
    const channel = ctx.channel
    let total = 0
    let nextLog = cfg.logEveryNEvents
    const discard = (events: readonly unknown[]) => {
      total += events.length
      if (total >= nextLog) {
        nextLog = total + cfg.logEveryNEvents
        ctx.logger.debug({ events: total }, 'Null sink has discarded events')
      }
    }
    return {
      async start() {
        counter.start()
      },
      async stop() {
        counter.stop()
      },
      process: (signal) => takeAndDeliver(channel, cfg.batchSize, counter, ctx.name, discard, signal),
    }
  },
})
