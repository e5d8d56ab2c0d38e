/**
 * Flume's Thrift service (flume-ng-sdk/src/main/thrift/flume.thrift, reference §3):
 *
 * ```
 * struct ThriftFlumeEvent { 1: required map<string,string> headers, 2: required binary body }
 * enum Status { OK = 0, FAILED = 1, ERROR = 2, UNKNOWN = 3 }
 * service ThriftSourceProtocol {
 *   Status append(1: ThriftFlumeEvent event),
 *   Status appendBatch(1: list<ThriftFlumeEvent> events)
 * }
 * ```
 * Results are `{0: i32 success}`; failures of the server itself come back as a TApplicationException
 * (`{1: string message, 2: i32 type}`, message type EXCEPTION). Both struct fields are required: we
 * always write them and refuse events without them (Java's generated validate() does the same).
 *
 * Messages travel in Thrift's framed transport: a 4-byte big-endian length, then the message. Encoders
 * reserve the length in front so a call or reply is one buffer.
 */

import {
  ByteWriter,
  MessageType,
  type ProtocolReader,
  protocolReader,
  protocolWriter,
  ThriftError,
  type ThriftProtocolName,
  TType,
} from './codec.ts'

export type ThriftStatus = 'OK' | 'FAILED' | 'ERROR' | 'UNKNOWN'
export const THRIFT_STATUS: readonly ThriftStatus[] = ['OK', 'FAILED', 'ERROR', 'UNKNOWN']

/** Default largest frame (Thrift 0.14's TConfiguration.DEFAULT_MAX_FRAME_SIZE, what Java enforces). */
export const DEFAULT_MAX_THRIFT_FRAME = 16_384_000

export interface ThriftEventLike {
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

export interface DecodedThriftEvent {
  headers: Record<string, string>
  body: Buffer
}

// ---------------------------------------------------------------------------------------------------------
// Frames

export class ThriftFrameDecoder {
  readonly #max: number
  readonly #onFrame: (payload: Buffer) => void
  #chunks: Buffer[] = []
  #available = 0
  #need = -1

  constructor(onFrame: (payload: Buffer) => void, maxFrameBytes = DEFAULT_MAX_THRIFT_FRAME) {
    this.#onFrame = onFrame
    this.#max = maxFrameBytes
  }

  get partial(): boolean {
    return this.#available > 0
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#available += chunk.length
    for (;;) {
      if (this.#need < 0) {
        if (this.#available < 4) return
        const len = this.#take(4).readInt32BE(0)
        if (len < 0) throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', `negative frame size ${len}`)
        if (len > this.#max) {
          throw new ThriftError(
            'FLUME_ERR_THRIFT_LIMIT',
            `Frame size (${len}) larger than max length (${this.#max})`,
          )
        }
        this.#need = len
      }
      if (this.#available < this.#need) return
      const payload = this.#take(this.#need)
      this.#need = -1
      this.#onFrame(payload)
    }
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0] as Buffer
    this.#available -= n
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.#chunks[0] as Buffer
      const k = Math.min(n - filled, c.length)
      c.copy(out, filled, 0, k)
      filled += k
      if (k === c.length) this.#chunks.shift()
      else this.#chunks[0] = c.subarray(k)
    }
    return out
  }
}

function framed(
  protocol: ThriftProtocolName,
  capacity: number,
  write: (p: ReturnType<typeof protocolWriter>) => void,
): Buffer {
  const w = new ByteWriter(capacity)
  w.pos = 4
  write(protocolWriter(protocol, w))
  const buf = w.finish()
  buf.writeInt32BE(buf.length - 4, 0)
  return buf
}

// ---------------------------------------------------------------------------------------------------------
// Calls

function writeEvent(p: ReturnType<typeof protocolWriter>, e: ThriftEventLike): void {
  p.structBegin()
  p.fieldBegin(TType.MAP, 1)
  const keys = Object.keys(e.headers)
  p.mapBegin(TType.STRING, TType.STRING, keys.length)
  for (const k of keys) {
    p.string(k)
    p.string(e.headers[k] as string)
  }
  p.fieldBegin(TType.STRING, 2)
  p.binary(e.body)
  p.fieldStop()
  p.structEnd()
}

/** A framed `append` (one event) or `appendBatch` call. */
export function encodeCall(
  protocol: ThriftProtocolName,
  message: 'append' | 'appendBatch',
  seqid: number,
  events: readonly ThriftEventLike[],
): Buffer {
  let size = 64
  for (const e of events) size += e.body.length + 96
  return framed(protocol, size, (p) => {
    p.messageBegin(message, MessageType.CALL, seqid)
    p.structBegin()
    if (message === 'append') {
      p.fieldBegin(TType.STRUCT, 1)
      writeEvent(p, events[0] as ThriftEventLike)
    } else {
      p.fieldBegin(TType.LIST, 1)
      p.listBegin(TType.STRUCT, events.length)
      for (const e of events) writeEvent(p, e)
    }
    p.fieldStop()
    p.structEnd()
  })
}

export interface DecodedCall {
  readonly name: string
  readonly type: number
  readonly seqid: number
  /** The events of an append (one) or appendBatch; undefined for an unknown method. */
  readonly events: DecodedThriftEvent[] | undefined
}

const nullMap = (): Record<string, string> => Object.create(null) as Record<string, string>

function readEvent(r: ProtocolReader, newMap: () => Record<string, string>): DecodedThriftEvent {
  let headers: Record<string, string> | undefined
  let body: Buffer | undefined
  r.structBegin()
  for (;;) {
    const [t, id] = r.fieldBegin()
    if (t === TType.STOP) break
    if (id === 1 && t === TType.MAP) {
      const [kt, vt, n] = r.mapBegin()
      headers = newMap()
      if (n > 0 && (kt !== TType.STRING || vt !== TType.STRING)) {
        throw new ThriftError(
          'FLUME_ERR_THRIFT_MALFORMED',
          'ThriftFlumeEvent.headers is not a map<string,string>',
        )
      }
      for (let i = 0; i < n; i++) {
        const k = r.string()
        headers[k] = r.string()
      }
    } else if (id === 2 && t === TType.STRING) {
      body = r.binary()
    } else {
      r.skip(t)
    }
  }
  r.structEnd()
  if (headers === undefined || body === undefined) {
    // Flume compat: the generated validate() refuses a ThriftFlumeEvent without its required fields.
    throw new ThriftError(
      'FLUME_ERR_THRIFT_MALFORMED',
      `Required field '${headers === undefined ? 'headers' : 'body'}' was not present! Struct: ThriftFlumeEvent`,
    )
  }
  return { headers, body }
}

/** Decodes a call frame. Throws ThriftError for anything malformed. */
export function decodeCall(
  protocol: ThriftProtocolName,
  payload: Buffer,
  newMap: () => Record<string, string> = nullMap,
): DecodedCall {
  const r = protocolReader(protocol, payload)
  const { name, type, seqid } = r.messageBegin()
  if (name !== 'append' && name !== 'appendBatch') return { name, type, seqid, events: undefined }
  let events: DecodedThriftEvent[] = []
  r.structBegin()
  for (;;) {
    const [t, id] = r.fieldBegin()
    if (t === TType.STOP) break
    if (id === 1 && name === 'append' && t === TType.STRUCT) events = [readEvent(r, newMap)]
    else if (id === 1 && name === 'appendBatch' && t === TType.LIST) {
      const [et, n] = r.listBegin()
      if (n > 0 && et !== TType.STRUCT)
        throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', 'appendBatch events is not a list of structs')
      events = new Array<DecodedThriftEvent>(n)
      for (let i = 0; i < n; i++) events[i] = readEvent(r, newMap)
    } else r.skip(t)
  }
  r.structEnd()
  return { name, type, seqid, events }
}

// ---------------------------------------------------------------------------------------------------------
// Replies

export function encodeReply(
  protocol: ThriftProtocolName,
  name: string,
  seqid: number,
  status: ThriftStatus,
): Buffer {
  return framed(protocol, 64 + name.length, (p) => {
    p.messageBegin(name, MessageType.REPLY, seqid)
    p.structBegin()
    p.fieldBegin(TType.I32, 0)
    p.i32(THRIFT_STATUS.indexOf(status))
    p.fieldStop()
    p.structEnd()
  })
}

/** TApplicationException types used here. */
export const AppExceptionType = { UNKNOWN_METHOD: 1, INTERNAL_ERROR: 6, PROTOCOL_ERROR: 7 } as const

export function encodeException(
  protocol: ThriftProtocolName,
  name: string,
  seqid: number,
  message: string,
  type: number,
): Buffer {
  return framed(protocol, 64 + name.length + message.length * 3, (p) => {
    p.messageBegin(name, MessageType.EXCEPTION, seqid)
    p.structBegin()
    p.fieldBegin(TType.STRING, 1)
    p.string(message)
    p.fieldBegin(TType.I32, 2)
    p.i32(type)
    p.fieldStop()
    p.structEnd()
  })
}

export type DecodedReply =
  | { readonly name: string; readonly seqid: number; readonly status: ThriftStatus }
  | { readonly name: string; readonly seqid: number; readonly exception: string }

export function decodeReply(protocol: ThriftProtocolName, payload: Buffer): DecodedReply {
  const r = protocolReader(protocol, payload)
  const { name, type, seqid } = r.messageBegin()
  let status: number | undefined
  let message = ''
  let exType = 0
  r.structBegin()
  for (;;) {
    const [t, id] = r.fieldBegin()
    if (t === TType.STOP) break
    if (type === MessageType.REPLY && id === 0 && t === TType.I32) status = r.i32()
    else if (type === MessageType.EXCEPTION && id === 1 && t === TType.STRING) message = r.string()
    else if (type === MessageType.EXCEPTION && id === 2 && t === TType.I32) exType = r.i32()
    else r.skip(t)
  }
  r.structEnd()
  if (type === MessageType.EXCEPTION)
    return { name, seqid, exception: `${message} (TApplicationException type ${exType})` }
  if (type !== MessageType.REPLY)
    throw new ThriftError('FLUME_ERR_THRIFT_PROTOCOL', `unexpected message type ${type} in a reply`)
  const s = status === undefined ? undefined : THRIFT_STATUS[status]
  if (s === undefined) {
    throw new ThriftError(
      'FLUME_ERR_THRIFT_MALFORMED',
      status === undefined ? `${name} failed: unknown result` : `unknown Status ${status}`,
    )
  }
  return { name, seqid, status: s }
}
