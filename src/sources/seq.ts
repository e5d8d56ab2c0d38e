/**
 * `seq` source (org.apache.flume.source.SequenceGeneratorSource): a pollable source emitting the decimal
 * ASCII counter 0, 1, 2, … as bodies, no headers, `batchSize` per transaction, until `totalEvents`.
 * On a channel failure the same counter values are retried, so exactly totalEvents unique events arrive.
 *
 * Deliberate difference: after a channel failure Flume returns READY (and polls again at once); flumen
 * returns BACKOFF so a full channel is retried after the runner's back-off instead of in a busy loop.
 */

import { SourceCounter } from '../core/counters.ts'
import { ChannelError, describeError } from '../core/errors.ts'
import { Event } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { defineSource, int, long } from '../core/spec.ts'
import { pollableBackoff, pollableFields } from './util/pollable.ts'

export const spec = defineSource({
  type: 'seq',
  classNames: ['org.apache.flume.source.SequenceGeneratorSource'],
  summary: 'Generates events whose bodies are 0, 1, 2, … (testing and benchmarks).',
  fields: {
    batchSize: int({ key: 'batchSize', default: 1, min: 1, doc: 'Events per channel transaction.' }),
    totalEvents: long({
      key: 'totalEvents',
      default: Number.MAX_SAFE_INTEGER,
      doc: 'Stop after this many events.',
    }),
    ...pollableFields,
  },
  batchSize: (cfg) => cfg.batchSize,
  backoff: pollableBackoff,
  build(cfg, ctx) {
    const counter = ctx.metrics.register(new SourceCounter(ctx.name))
    const errors = new RateLimitedLog(ctx.logger)
    let sent = 0
    return {
      async start() {
        counter.start()
      },
      async stop() {
        counter.stop()
      },
      async process() {
        if (sent >= cfg.totalEvents) return 'backoff'
        const n = Math.min(cfg.batchSize, cfg.totalEvents - sent)
        const batch: Event[] = new Array(n)
        for (let i = 0; i < n; i++) batch[i] = new Event(Buffer.from(String(sent + i), 'latin1'))
        try {
          await ctx.processor.processEventBatch(batch)
        } catch (e) {
          if (!(e instanceof ChannelError)) throw e
          counter.channelWriteFail++
          errors.error(
            { error: describeError(e), events: n },
            'Sequence source could not write to its channel; retrying the same values',
          )
          return 'backoff'
        }
        sent += n
        counter.eventAcceptedCount += n
        if (cfg.batchSize > 1) counter.appendBatchAcceptedCount++
        return sent >= cfg.totalEvents ? 'backoff' : 'ready'
      },
    }
  },
})
