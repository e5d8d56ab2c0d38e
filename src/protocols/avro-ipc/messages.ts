/**
 * The Avro IPC message layouts (reference §1.4–1.6), for Flume's protocol.
 *
 * Request (bytes of one pack, its buffers concatenated):
 *   [HandshakeRequest]  — first request of a connection only (and the retry after a NONE)
 *   map<bytes> meta · string messageName · the message's parameters
 * Response:
 *   [HandshakeResponse] — only when the request carried a handshake
 *   map<bytes> meta · boolean isError · Status enum, or (isError) the error union ["string"]
 * A handshake that ends NONE is answered with the HandshakeResponse alone.
 *
 * Handshake records (org.apache.avro.ipc):
 *   HandshakeRequest  { fixed(16) clientHash; union{null,string} clientProtocol; fixed(16) serverHash;
 *                       union{null,map<bytes>} meta }
 *   HandshakeResponse { enum{BOTH,CLIENT,NONE} match; union{null,string} serverProtocol;
 *                       union{null,fixed(16)} serverHash; union{null,map<bytes>} meta }
 *
 * Encoders write the pack header in front (see frame.ts) so one buffer goes to the socket per message.
 */

import { AvroReader, AvroWriter } from '../avro/binary.ts'
import { AvroMalformedError } from '../avro/errors.ts'
import {
  type DecodedFlumeEvent,
  type FlumeEventLike,
  type FlumeEventLimits,
  readFlumeEvent,
  readFlumeEventArray,
  writeFlumeEvent,
  writeFlumeEventArray,
} from '../avro/flume-event.ts'
import { FRAME_HEADER_BYTES, writeFrameHeader } from './frame.ts'
import { AVRO_STATUS, type AvroStatus } from './protocol.ts'

export type HandshakeMatch = 'BOTH' | 'CLIENT' | 'NONE'
const MATCHES: readonly HandshakeMatch[] = ['BOTH', 'CLIENT', 'NONE']

export interface HandshakeRequest {
  readonly clientHash: Buffer
  readonly clientProtocol: string | null
  readonly serverHash: Buffer
  readonly meta: ReadonlyMap<string, Buffer> | null
}

export interface HandshakeResponse {
  readonly match: HandshakeMatch
  readonly serverProtocol: string | null
  readonly serverHash: Buffer | null
  readonly meta: ReadonlyMap<string, Buffer> | null
}

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

function writeMeta(w: AvroWriter, meta: ReadonlyMap<string, Buffer>): void {
  w.writeBlockStart(meta.size)
  for (const [k, v] of meta) {
    w.writeString(k)
    w.writeBytes(v)
  }
  w.writeBlockEnd()
}

function readMeta(r: AvroReader, max: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (;;) {
    const n = r.readBlockCount(max)
    if (n === 0) return out
    for (let i = 0; i < n; i++) {
      const k = r.readString(max)
      out.set(k, r.readBytes(max))
    }
  }
}

/** Skips a map<bytes> without materialising it (call metadata is never used by Flume). */
function skipMeta(r: AvroReader, max: number): void {
  for (;;) {
    const n = r.readBlockCount(max)
    if (n === 0) return
    if (r.lastBlockSize >= 0) {
      r.pos += r.lastBlockSize
      continue
    }
    for (let i = 0; i < n; i++) {
      r.skipBytes()
      r.skipBytes()
    }
  }
}

function readUnionIndex(r: AvroReader, what: string, branches: number): number {
  const at = r.pos
  const i = r.readLong()
  if (i < 0 || i >= branches)
    throw new AvroMalformedError(`Invalid union index ${i} in ${what} at offset ${at}`, { offset: at })
  return i
}

export function writeHandshakeRequest(w: AvroWriter, h: HandshakeRequest): void {
  w.writeFixed(h.clientHash)
  if (h.clientProtocol === null) w.writeLong(0)
  else {
    w.writeLong(1)
    w.writeString(h.clientProtocol)
  }
  w.writeFixed(h.serverHash)
  if (h.meta === null) w.writeLong(0)
  else {
    w.writeLong(1)
    writeMeta(w, h.meta)
  }
}

export function readHandshakeRequest(r: AvroReader, max: number): HandshakeRequest {
  const clientHash = Buffer.from(r.readFixed(16))
  const clientProtocol =
    readUnionIndex(r, 'HandshakeRequest.clientProtocol', 2) === 1 ? r.readString(max) : null
  const serverHash = Buffer.from(r.readFixed(16))
  const meta = readUnionIndex(r, 'HandshakeRequest.meta', 2) === 1 ? readMeta(r, max) : null
  return { clientHash, clientProtocol, serverHash, meta }
}

export function writeHandshakeResponse(w: AvroWriter, h: HandshakeResponse): void {
  w.writeInt(MATCHES.indexOf(h.match))
  if (h.serverProtocol === null) w.writeLong(0)
  else {
    w.writeLong(1)
    w.writeString(h.serverProtocol)
  }
  if (h.serverHash === null) w.writeLong(0)
  else {
    w.writeLong(1)
    w.writeFixed(h.serverHash)
  }
  if (h.meta === null) w.writeLong(0)
  else {
    w.writeLong(1)
    writeMeta(w, h.meta)
  }
}

export function readHandshakeResponse(r: AvroReader, max: number): HandshakeResponse {
  const at = r.pos
  const m = r.readInt()
  const match = MATCHES[m]
  if (match === undefined)
    throw new AvroMalformedError(`Invalid HandshakeMatch ${m} at offset ${at}`, { offset: at })
  const serverProtocol =
    readUnionIndex(r, 'HandshakeResponse.serverProtocol', 2) === 1 ? r.readString(max) : null
  const serverHash =
    readUnionIndex(r, 'HandshakeResponse.serverHash', 2) === 1 ? Buffer.from(r.readFixed(16)) : null
  const meta = readUnionIndex(r, 'HandshakeResponse.meta', 2) === 1 ? readMeta(r, max) : null
  return { match, serverProtocol, serverHash, meta }
}

// ---------------------------------------------------------------------------------------------------------
// Requests

/** Rough size of a request, so the writer rarely has to grow. */
function estimate(events: readonly FlumeEventLike[]): number {
  let n = 128
  for (let i = 0; i < events.length; i++) n += (events[i] as FlumeEventLike).body.length + 96
  return n
}

/**
 * Encodes a complete request pack: `appendBatch` when `events` is an array, `append` for one event.
 * `handshake` goes in front on the first request of a connection.
 */
export function encodeRequest(
  serial: number,
  handshake: HandshakeRequest | undefined,
  message: 'append' | 'appendBatch',
  events: readonly FlumeEventLike[],
): Buffer {
  const w = new AvroWriter(estimate(events) + (handshake?.clientProtocol?.length ?? 0) + 64)
  w.pos = FRAME_HEADER_BYTES
  if (handshake !== undefined) writeHandshakeRequest(w, handshake)
  w.writeLong(0) // call metadata: empty map
  w.writeString(message)
  if (message === 'append') writeFlumeEvent(w, events[0] as FlumeEventLike)
  else writeFlumeEventArray(w, events)
  const buf = w.finish(16)
  writeFrameHeader(buf, 0, serial, buf.length)
  return buf
}

export type DecodedCall =
  | { readonly kind: 'ping' }
  | { readonly kind: 'append'; readonly event: DecodedFlumeEvent }
  | { readonly kind: 'appendBatch'; readonly events: DecodedFlumeEvent[] }
  | { readonly kind: 'unknown'; readonly message: string }

/** Reads call metadata, the message name and its parameters at `r` (after any handshake). */
export function readCall(
  r: AvroReader,
  maxEvents: number,
  limits: FlumeEventLimits,
  newMap?: () => Record<string, string>,
): DecodedCall {
  const max = r.end - r.pos
  skipMeta(r, max)
  const name = r.readString(max)
  switch (name) {
    case 'appendBatch':
      return { kind: 'appendBatch', events: readFlumeEventArray(r, maxEvents, limits, newMap) }
    case 'append':
      return { kind: 'append', event: readFlumeEvent(r, limits, newMap) }
    case '':
      return { kind: 'ping' }
    default:
      return { kind: 'unknown', message: name }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Responses

export type CallOutcome = { readonly status: AvroStatus } | { readonly error: string }

/**
 * Encodes a response pack. `outcome` undefined means "handshake only" (a NONE match, or a ping).
 */
export function encodeResponse(
  serial: number,
  handshake: HandshakeResponse | undefined,
  outcome: CallOutcome | undefined,
): Buffer {
  const extra = handshake?.serverProtocol?.length ?? 0
  const err = outcome !== undefined && 'error' in outcome ? outcome.error.length * 3 : 0
  const w = new AvroWriter(FRAME_HEADER_BYTES + 48 + extra + err)
  w.pos = FRAME_HEADER_BYTES
  if (handshake !== undefined) writeHandshakeResponse(w, handshake)
  if (outcome !== undefined) {
    w.writeLong(0) // response metadata: empty map
    if ('status' in outcome) {
      w.writeBoolean(false)
      w.writeInt(AVRO_STATUS.indexOf(outcome.status))
    } else {
      w.writeBoolean(true)
      w.writeLong(0) // union ["string"], branch 0
      w.writeString(outcome.error)
    }
  }
  const buf = w.finish(16)
  writeFrameHeader(buf, 0, serial, buf.length)
  return buf
}

export interface DecodedResponse {
  readonly handshake: HandshakeResponse | undefined
  /** Absent when the response carried only a handshake (NONE) or answered a ping. */
  readonly outcome: CallOutcome | undefined
}

/** Decodes a response payload; `withHandshake` when the request that it answers carried one. */
export function decodeResponse(payload: Buffer, withHandshake: boolean): DecodedResponse {
  const r = new AvroReader(payload)
  const max = payload.length
  const handshake = withHandshake ? readHandshakeResponse(r, max) : undefined
  if (r.atEnd()) return { handshake, outcome: undefined }
  skipMeta(r, max)
  if (r.readBoolean()) {
    readUnionIndex(r, 'the error union', 1)
    return { handshake, outcome: { error: r.readString(max) } }
  }
  const at = r.pos
  const i = r.readInt()
  const status = AVRO_STATUS[i]
  if (status === undefined)
    throw new AvroMalformedError(`Invalid Status ${i} at offset ${at}`, { offset: at })
  return { handshake, outcome: { status } }
}
