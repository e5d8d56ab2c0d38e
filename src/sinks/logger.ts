/**
 * `logger` sink (org.apache.flume.sink.LoggerSink): logs each event at INFO, in Flume's format:
 *
 *   Event: { headers:{k1=v1, k2=v2} body: 68 65 6C 6C 6F 0D                               hello. }
 *
 * The body part is a Commons-IO style hex dump of the first 16 bytes (upper-case hex pairs padded to 16
 * columns, then printable ASCII with `.` for anything else) without its offset column.
 *
 * Flume compat: `maxBytesToLog` is accepted but, as in Flume 1.11, always 16 (a configuration-path bug makes
 * Flume ignore it; we keep the output identical so log parsers keep working). Flume takes one event per
 * transaction; we take up to 100 at a time, which changes nothing visible but the speed.
 */

import { SinkCounter } from '../core/counters.ts'
import { type Event, headersToJavaString } from '../core/event.ts'
import { defineSink, int } from '../core/spec.ts'
import { takeAndDeliver } from './util/take-batch.ts'

const HEX = '0123456789ABCDEF'
const MAX_BYTES = 16

/** Flume's EventHelper.dumpEvent with the fixed 16-byte limit. */
export function dumpEvent(e: Event): string {
  const n = Math.min(e.body.length, MAX_BYTES)
  let hex = ''
  let text = ''
  if (n > 0) {
    hex = ' '
    for (let k = 0; k < 16; k++) {
      if (k < n) {
        const b = e.body[k] as number
        hex += HEX[b >> 4] + (HEX[b & 15] as string)
        text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'
      } else {
        hex += '  '
      }
      hex += ' '
    }
  }
  return `{ headers:${headersToJavaString(e.headers)} body:${hex}${text} }`
}

export const spec = defineSink({
  type: 'logger',
  classNames: ['org.apache.flume.sink.LoggerSink'],
  summary: 'Logs every event at INFO (headers and the first 16 body bytes).',
  fields: {
    maxBytesToLog: int({
      key: 'maxBytesToLog',
      default: 16,
      doc: 'Accepted for compatibility; Flume 1.11 always logs 16 bytes and so does flumen.',
    }),
  },
  build(_cfg, ctx) {
    const counter = ctx.metrics.register(new SinkCounter(ctx.name))
    const channel = ctx.channel
    const log = ctx.logger
    const write = (events: readonly Event[]) => {
      for (const e of events) log.info(`Event: ${dumpEvent(e)}`)
    }
    return {
      async start() {
        counter.start()
      },
      async stop() {
        counter.stop()
      },
      process: (signal) => takeAndDeliver(channel, 100, counter, ctx.name, write, signal),
    }
  },
})
