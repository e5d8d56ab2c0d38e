/**
 * flumen's public API, for embedding and for custom components (see docs/plugins.md):
 * the event and transaction contracts, typed errors, counters, and the spec helpers that define a
 * component with Flume-style properties.
 */

export type { Channel, Transaction, TransactionState } from './core/channel.ts'
export { BaseTransaction, withTransaction } from './core/channel.ts'
export { ChannelProcessor } from './core/channel-processor.ts'
export { ChannelCounter, MetricsRegistry, SinkCounter, SourceCounter } from './core/counters.ts'
export {
  ChannelError,
  ChannelFullError,
  ConfigError,
  EventDeliveryError,
  FlumeError,
  type FlumeErrorCode,
  TransactionStateError,
} from './core/errors.ts'
export { bodyBytes, Event, type Headers, headersToJavaString, newHeaders } from './core/event.ts'
export {
  type BuildContext,
  bool,
  custom,
  defineChannel,
  defineInterceptor,
  defineSerializer,
  defineSink,
  defineSinkProcessor,
  defineSource,
  type EventSerializer,
  float,
  type Interceptor,
  Invalid,
  int,
  list,
  long,
  nested,
  oneOf,
  prefixed,
  type Sink,
  type SinkBuildContext,
  type Source,
  type SourceBuildContext,
  type Status,
  str,
} from './core/spec.ts'
