/**
 * `default` sink processor (org.apache.flume.sink.DefaultSinkProcessor): drives exactly one sink. Every
 * sink that is not in a sink group gets one.
 */

import type { Sink, SinkProcessor } from '../core/spec.ts'
import { defineSinkProcessor } from '../core/spec.ts'

export class DefaultSinkProcessor implements SinkProcessor {
  readonly #sink: Sink
  constructor(sink: Sink) {
    this.#sink = sink
  }
  process(signal?: AbortSignal) {
    return this.#sink.process(signal)
  }
}

export const spec = defineSinkProcessor({
  type: 'default',
  classNames: ['org.apache.flume.sink.DefaultSinkProcessor'],
  summary: 'Drives a single sink.',
  fields: {},
  validateSinks: (_cfg, sinks) =>
    sinks.length === 1
      ? []
      : [`the default processor drives exactly one sink, but the group lists ${sinks.length}`],
  build: (_cfg, ctx) => new DefaultSinkProcessor([...ctx.sinks.values()][0] as Sink),
})
