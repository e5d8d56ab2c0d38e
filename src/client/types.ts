/**
 * The RpcClient contract (Flume's org.apache.flume.api.RpcClient): `append`/`appendBatch` resolve once
 * the server answered OK for every event, and reject with EventDeliveryError otherwise (the events may or
 * may not have been delivered — at-least-once: retry them). A client that failed may be unusable
 * (`isActive()` false); the failover and load-balancing clients replace such clients themselves.
 */

import type { Event } from '../core/event.ts'

/** An event to send: body bytes (a string is sent as UTF-8) and optional headers. */
export interface RpcEvent {
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body: Uint8Array | string
}

export interface RpcClient {
  /** Events per RPC: `appendBatch` splits larger arrays into consecutive calls of this size. */
  readonly batchSize: number
  append(event: RpcEvent): Promise<void>
  appendBatch(events: readonly RpcEvent[]): Promise<void>
  /** False once the client failed or was closed (Flume's isActive). */
  isActive(): boolean
  /** Connects now rather than at the first call (optional: calls connect on demand). */
  connect(): Promise<void>
  close(): Promise<void>
}

/** The shape the wire encoders take (flumen's Event fits without conversion). */
export interface WireEvent {
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze(
  Object.create(null) as Record<string, string>,
)

/** Returns `events` itself when every event already has headers and a byte body (the agent's case). */
export function toWireEvents(events: readonly (RpcEvent | Event)[]): readonly WireEvent[] {
  let ok = true
  for (let i = 0; i < events.length && ok; i++) {
    const e = events[i] as RpcEvent
    ok = e.headers !== undefined && typeof e.body !== 'string'
  }
  if (ok) return events as readonly WireEvent[]
  return events.map((e) => ({
    headers: e.headers ?? NO_HEADERS,
    body: typeof e.body === 'string' ? Buffer.from(e.body, 'utf8') : e.body,
  }))
}
