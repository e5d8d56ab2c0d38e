/**
 * Typed errors with stable codes. Callers branch on `code`, never on message text; messages are for humans
 * and name the component and what happens next. `cause` is always chained when there is one.
 *
 * A `Symbol.for` brand keeps `instanceof FlumeError` working when two copies of flumen are loaded (a plugin
 * that bundles its own copy, say).
 */

export type FlumeErrorCode =
  | 'FLUME_ERR_CHANNEL'
  | 'FLUME_ERR_CHANNEL_FULL'
  | 'FLUME_ERR_CHANNEL_BYTE_CAPACITY'
  | 'FLUME_ERR_TRANSACTION_CAPACITY'
  | 'FLUME_ERR_TRANSACTION_STATE'
  | 'FLUME_ERR_CHANNEL_CLOSED'
  | 'FLUME_ERR_EVENT_DELIVERY'
  | 'FLUME_ERR_CONFIG_INVALID'
  | 'FLUME_ERR_UNKNOWN_TYPE'
  | 'FLUME_ERR_PLUGIN'
  | 'FLUME_ERR_LIFECYCLE'
  | 'FLUME_ERR_IO'

const brand = Symbol.for('flumen.FlumeError')

export class FlumeError extends Error {
  readonly code: FlumeErrorCode
  /** The component id (`SINK.k1`, `CHANNEL.c1`) the error belongs to, when known. */
  readonly component: string | undefined

  constructor(code: FlumeErrorCode, message: string, options?: { cause?: unknown; component?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.component = options?.component
    Object.defineProperty(this, brand, { value: true })
  }

  override get name(): string {
    return this.constructor.name
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false
    // Subclasses keep normal prototype checks; the brand only rescues the base class across copies.
    // `this` is the class `instanceof` was called with (FlumeError or a subclass), which is the point.
    // biome-ignore lint/complexity/noThisInStatic: see above
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    // biome-ignore lint/complexity/noThisInStatic: see above
    return this === FlumeError && (value as Record<symbol, unknown>)[brand] === true
  }
}

/** Any failure of a channel operation (Flume's ChannelException). The source must treat the put as failed. */
export class ChannelError extends FlumeError {
  constructor(message: string, options?: { cause?: unknown; component?: string; code?: FlumeErrorCode }) {
    super(options?.code ?? 'FLUME_ERR_CHANNEL', message, options)
  }
}

/** No space in the channel within keep-alive (Flume's ChannelFullException): backpressure, not loss. */
export class ChannelFullError extends ChannelError {
  constructor(message: string, options?: { cause?: unknown; component?: string }) {
    super(message, { ...options, code: 'FLUME_ERR_CHANNEL_FULL' })
  }
}

/** An operation that the transaction state machine does not allow (put after commit, close while open). */
export class TransactionStateError extends FlumeError {
  constructor(message: string, options?: { component?: string }) {
    super('FLUME_ERR_TRANSACTION_STATE', message, options)
  }
}

/** A sink could not deliver a batch (Flume's EventDeliveryException); the batch was rolled back. */
export class EventDeliveryError extends FlumeError {
  constructor(message: string, options?: { cause?: unknown; component?: string }) {
    super('FLUME_ERR_EVENT_DELIVERY', message, options)
  }
}

/** A configuration problem that prevents a component (or the agent) from being built. */
export class ConfigError extends FlumeError {
  constructor(message: string, options?: { cause?: unknown; component?: string; code?: FlumeErrorCode }) {
    super(options?.code ?? 'FLUME_ERR_CONFIG_INVALID', message, options)
  }
}

export function isChannelError(e: unknown): e is ChannelError {
  return e instanceof ChannelError
}

/** A short description of an unknown thrown value, for log lines. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
