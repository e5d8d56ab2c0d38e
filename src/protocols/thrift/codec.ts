/**
 * Thrift's binary and compact protocols (Thrift 0.14 TBinaryProtocol / TCompactProtocol), the parts a
 * Flume peer uses: messages, structs, fields, lists, maps, strings/binary, i32 (and skipping anything
 * else). Written here rather than taken from the npm `thrift` runtime: Flume's IDL is two calls and one
 * struct, the runtime has no frame-size limit and allocates per field, and this way a whole batch is
 * encoded into one buffer and decoded straight into events with every length bounded.
 *
 * Binary: strict messages (`0x8001 0000 | type`, name, seqid) are written; strict and old-style
 * (name, type byte, seqid) are read, like Java's default factory. Compact: protocol id 0x82, version 1,
 * type in the top 3 bits, varint seqid; field ids as deltas; zig-zag varints for integers.
 *
 * Types are reported in TType numbering (the binary protocol's) whatever the protocol.
 */

export class ThriftError extends Error {
  override readonly name = 'ThriftError'
  readonly code: 'FLUME_ERR_THRIFT_MALFORMED' | 'FLUME_ERR_THRIFT_LIMIT' | 'FLUME_ERR_THRIFT_PROTOCOL'

  constructor(code: ThriftError['code'], message: string) {
    super(message)
    this.code = code
  }
}

export const TType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const

export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const

export type ThriftProtocolName = 'compact' | 'binary'

// Compact type codes ↔ TType.
const C_TO_T = [
  0,
  TType.BOOL,
  TType.BOOL,
  TType.BYTE,
  TType.I16,
  TType.I32,
  TType.I64,
  TType.DOUBLE,
  TType.STRING,
  TType.LIST,
  TType.SET,
  TType.MAP,
  TType.STRUCT,
]
const T_TO_C: Record<number, number> = {
  [TType.BOOL]: 1,
  [TType.BYTE]: 3,
  [TType.I16]: 4,
  [TType.I32]: 5,
  [TType.I64]: 6,
  [TType.DOUBLE]: 7,
  [TType.STRING]: 8,
  [TType.LIST]: 9,
  [TType.SET]: 10,
  [TType.MAP]: 11,
  [TType.STRUCT]: 12,
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/** A growable output buffer with the primitives both protocols need. */
export class ByteWriter {
  buf: Buffer
  pos = 0

  constructor(capacity = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(16, capacity))
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n))
      this.buf.copy(next, 0, 0, this.pos)
      this.buf = next
    }
  }

  u8(b: number): void {
    this.ensure(1)
    this.buf[this.pos++] = b
  }

  i16(n: number): void {
    this.ensure(2)
    this.pos = this.buf.writeInt16BE(n, this.pos)
  }

  i32(n: number): void {
    this.ensure(4)
    this.pos = this.buf.writeInt32BE(n | 0, this.pos)
  }

  /** Unsigned base-128 varint of a 32-bit value. */
  varint(n: number): void {
    this.ensure(5)
    let v = n >>> 0
    const buf = this.buf
    let pos = this.pos
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    buf[pos++] = v
    this.pos = pos
  }

  zigzag32(n: number): void {
    this.varint(((n << 1) ^ (n >> 31)) >>> 0)
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  /** UTF-8 text without a length (the caller writes the length in its protocol's form first). */
  utf8Length(s: string): number {
    return Buffer.byteLength(s, 'utf8')
  }

  utf8(s: string, byteLength: number): void {
    this.ensure(byteLength)
    this.pos += this.buf.write(s, this.pos, byteLength, 'utf8')
  }

  finish(): Buffer {
    const out = this.buf.subarray(0, this.pos)
    this.buf = Buffer.allocUnsafe(16)
    this.pos = 0
    return out
  }
}

export interface ProtocolWriter {
  readonly w: ByteWriter
  messageBegin(name: string, type: number, seqid: number): void
  structBegin(): void
  structEnd(): void
  fieldBegin(type: number, id: number): void
  fieldStop(): void
  listBegin(elemType: number, size: number): void
  mapBegin(keyType: number, valueType: number, size: number): void
  i32(n: number): void
  string(s: string): void
  binary(b: Uint8Array): void
}

class BinaryWriter implements ProtocolWriter {
  readonly w: ByteWriter
  constructor(w: ByteWriter) {
    this.w = w
  }
  messageBegin(name: string, type: number, seqid: number): void {
    this.w.i32(0x80010000 | type | 0)
    this.string(name)
    this.w.i32(seqid)
  }
  structBegin(): void {}
  structEnd(): void {}
  fieldBegin(type: number, id: number): void {
    this.w.u8(type)
    this.w.i16(id)
  }
  fieldStop(): void {
    this.w.u8(TType.STOP)
  }
  listBegin(elemType: number, size: number): void {
    this.w.u8(elemType)
    this.w.i32(size)
  }
  mapBegin(keyType: number, valueType: number, size: number): void {
    this.w.u8(keyType)
    this.w.u8(valueType)
    this.w.i32(size)
  }
  i32(n: number): void {
    this.w.i32(n)
  }
  string(s: string): void {
    const n = this.w.utf8Length(s)
    this.w.i32(n)
    this.w.utf8(s, n)
  }
  binary(b: Uint8Array): void {
    this.w.i32(b.length)
    this.w.raw(b)
  }
}

class CompactWriter implements ProtocolWriter {
  readonly w: ByteWriter
  #lastField = 0
  readonly #stack: number[] = []
  constructor(w: ByteWriter) {
    this.w = w
  }
  messageBegin(name: string, type: number, seqid: number): void {
    this.w.u8(0x82)
    this.w.u8(0x01 | (type << 5))
    this.w.varint(seqid)
    this.string(name)
  }
  structBegin(): void {
    this.#stack.push(this.#lastField)
    this.#lastField = 0
  }
  structEnd(): void {
    this.#lastField = this.#stack.pop() ?? 0
  }
  fieldBegin(type: number, id: number): void {
    const ct = T_TO_C[type] as number
    const delta = id - this.#lastField
    if (delta > 0 && delta <= 15) this.w.u8((delta << 4) | ct)
    else {
      this.w.u8(ct)
      this.w.zigzag32(id)
    }
    this.#lastField = id
  }
  fieldStop(): void {
    this.w.u8(0)
  }
  listBegin(elemType: number, size: number): void {
    const ct = T_TO_C[elemType] as number
    if (size < 15) this.w.u8((size << 4) | ct)
    else {
      this.w.u8(0xf0 | ct)
      this.w.varint(size)
    }
  }
  mapBegin(keyType: number, valueType: number, size: number): void {
    if (size === 0) this.w.u8(0)
    else {
      this.w.varint(size)
      this.w.u8(((T_TO_C[keyType] as number) << 4) | (T_TO_C[valueType] as number))
    }
  }
  i32(n: number): void {
    this.w.zigzag32(n)
  }
  string(s: string): void {
    const n = this.w.utf8Length(s)
    this.w.varint(n)
    this.w.utf8(s, n)
  }
  binary(b: Uint8Array): void {
    this.w.varint(b.length)
    this.w.raw(b)
  }
}

export function protocolWriter(protocol: ThriftProtocolName, w: ByteWriter): ProtocolWriter {
  return protocol === 'compact' ? new CompactWriter(w) : new BinaryWriter(w)
}

// ---------------------------------------------------------------------------------------------------------
// Reading

export interface MessageHeader {
  readonly name: string
  readonly type: number
  readonly seqid: number
}

export interface ProtocolReader {
  readonly pos: number
  messageBegin(): MessageHeader
  structBegin(): void
  structEnd(): void
  /** Next field's [TType, id]; TType.STOP ends the struct. */
  fieldBegin(): [number, number]
  listBegin(): [number, number]
  mapBegin(): [number, number, number]
  i32(): number
  string(): string
  binary(): Buffer
  bool(): boolean
  skip(type: number): void
}

const MAX_DEPTH = 64

abstract class BaseReader {
  readonly buf: Buffer
  pos: number
  readonly end: number
  /** Cap on collection sizes (items), from the input size. */
  protected readonly maxItems: number
  protected depth = 0
  /** Compact: a bool's value is carried by its field header. */
  protected pendingBool: boolean | undefined

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf
    this.pos = start
    this.end = end
    this.maxItems = end - start
  }

  protected need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', `input ends inside ${what} at offset ${this.pos}`)
    }
  }

  protected u8(): number {
    this.need(1, 'a byte')
    return this.buf[this.pos++] as number
  }

  protected be32(): number {
    this.need(4, 'an i32')
    const v = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return v
  }

  protected bytes(n: number, what: string): Buffer {
    if (n < 0)
      throw new ThriftError(
        'FLUME_ERR_THRIFT_MALFORMED',
        `negative ${what} length ${n} at offset ${this.pos}`,
      )
    this.need(n, what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  protected items(n: number, what: string): number {
    if (n < 0 || n > this.maxItems) {
      throw new ThriftError(
        'FLUME_ERR_THRIFT_LIMIT',
        `${what} of ${n} items at offset ${this.pos} is impossible here`,
      )
    }
    return n
  }

  abstract fieldBegin(): [number, number]
  abstract listBegin(): [number, number]
  abstract mapBegin(): [number, number, number]
  abstract i32(): number
  abstract bool(): boolean
  abstract binary(): Buffer
  protected abstract skipScalar(type: number): void

  structBegin(): void {
    if (++this.depth > MAX_DEPTH) throw new ThriftError('FLUME_ERR_THRIFT_LIMIT', 'structs nested too deep')
  }

  structEnd(): void {
    this.depth--
  }

  string(): string {
    return this.binary().toString('utf8')
  }

  skip(type: number): void {
    switch (type) {
      case TType.STRUCT: {
        this.structBegin()
        for (;;) {
          const [t] = this.fieldBegin()
          if (t === TType.STOP) break
          this.skip(t)
        }
        this.structEnd()
        return
      }
      case TType.LIST:
      case TType.SET: {
        const [et, n] = this.listBegin()
        this.#nested(() => {
          for (let i = 0; i < n; i++) this.skip(et)
        })
        return
      }
      case TType.MAP: {
        const [kt, vt, n] = this.mapBegin()
        this.#nested(() => {
          for (let i = 0; i < n; i++) {
            this.skip(kt)
            this.skip(vt)
          }
        })
        return
      }
      case TType.STRING:
        this.binary()
        return
      case TType.BOOL:
        this.bool()
        return
      default:
        this.skipScalar(type)
    }
  }

  #nested(f: () => void): void {
    if (++this.depth > MAX_DEPTH)
      throw new ThriftError('FLUME_ERR_THRIFT_LIMIT', 'collections nested too deep')
    f()
    this.depth--
  }
}

class BinaryReader extends BaseReader implements ProtocolReader {
  messageBegin(): MessageHeader {
    const first = this.be32()
    if (first < 0) {
      if ((first & 0xffff0000) !== (0x80010000 | 0)) {
        throw new ThriftError(
          'FLUME_ERR_THRIFT_PROTOCOL',
          `bad binary protocol version 0x${(first >>> 0).toString(16)}`,
        )
      }
      const name = this.string()
      return { name, type: first & 0xff, seqid: this.be32() }
    }
    // Old style: the name's length came first.
    const name = this.bytes(first, 'a method name').toString('utf8')
    const type = this.u8()
    return { name, type, seqid: this.be32() }
  }
  fieldBegin(): [number, number] {
    const t = this.u8()
    if (t === TType.STOP) return [TType.STOP, 0]
    this.need(2, 'a field id')
    const id = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return [t, id]
  }
  listBegin(): [number, number] {
    const et = this.u8()
    return [et, this.items(this.be32(), 'a list')]
  }
  mapBegin(): [number, number, number] {
    const kt = this.u8()
    const vt = this.u8()
    return [kt, vt, this.items(this.be32(), 'a map')]
  }
  i32(): number {
    return this.be32()
  }
  bool(): boolean {
    return this.u8() !== 0
  }
  binary(): Buffer {
    return this.bytes(this.be32(), 'a string')
  }
  protected skipScalar(type: number): void {
    const size =
      type === TType.BYTE
        ? 1
        : type === TType.I16
          ? 2
          : type === TType.I32
            ? 4
            : type === TType.I64 || type === TType.DOUBLE
              ? 8
              : -1
    if (size < 0)
      throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', `unknown field type ${type} at offset ${this.pos}`)
    this.bytes(size, 'a value')
  }
}

class CompactReader extends BaseReader implements ProtocolReader {
  #lastField = 0
  readonly #stack: number[] = []

  #varint(): number {
    let v = 0
    let shift = 0
    for (;;) {
      const b = this.u8()
      if (shift < 32) v |= (b & 0x7f) << shift
      if (b < 0x80) return v >>> 0
      shift += 7
      if (shift > 63)
        throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', `varint too long at offset ${this.pos}`)
    }
  }

  #zigzag(): number {
    const v = this.#varint()
    return (v >>> 1) ^ -(v & 1)
  }

  #type(ct: number): number {
    const t = C_TO_T[ct]
    if (t === undefined || t === 0)
      throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', `unknown compact type ${ct} at offset ${this.pos}`)
    return t
  }

  messageBegin(): MessageHeader {
    const id = this.u8()
    if (id !== 0x82) {
      throw new ThriftError(
        'FLUME_ERR_THRIFT_PROTOCOL',
        `not a compact protocol message (first byte 0x${id.toString(16)}${id === 0x80 ? ': the peer speaks the binary protocol' : ''})`,
      )
    }
    const vt = this.u8()
    if ((vt & 0x1f) !== 1)
      throw new ThriftError('FLUME_ERR_THRIFT_PROTOCOL', `unsupported compact protocol version ${vt & 0x1f}`)
    const seqid = this.#varint() | 0
    const name = this.string()
    return { name, type: (vt >> 5) & 0x07, seqid }
  }
  override structBegin(): void {
    super.structBegin()
    this.#stack.push(this.#lastField)
    this.#lastField = 0
  }
  override structEnd(): void {
    super.structEnd()
    this.#lastField = this.#stack.pop() ?? 0
  }
  fieldBegin(): [number, number] {
    const b = this.u8()
    if (b === 0) return [TType.STOP, 0]
    const ct = b & 0x0f
    const delta = b >> 4
    const id = delta === 0 ? this.#zigzag() : this.#lastField + delta
    this.#lastField = id
    if (ct === 1 || ct === 2) this.pendingBool = ct === 1
    return [this.#type(ct), id]
  }
  listBegin(): [number, number] {
    const b = this.u8()
    let n = b >> 4
    if (n === 15) n = this.#varint()
    return [this.#type(b & 0x0f), this.items(n, 'a list')]
  }
  mapBegin(): [number, number, number] {
    const n = this.items(this.#varint(), 'a map')
    if (n === 0) return [TType.STRING, TType.STRING, 0]
    const kv = this.u8()
    return [this.#type(kv >> 4), this.#type(kv & 0x0f), n]
  }
  i32(): number {
    return this.#zigzag()
  }
  bool(): boolean {
    const p = this.pendingBool
    if (p !== undefined) {
      this.pendingBool = undefined
      return p
    }
    return this.u8() === 1
  }
  binary(): Buffer {
    return this.bytes(this.#varint(), 'a string')
  }
  protected skipScalar(type: number): void {
    if (type === TType.BYTE) this.u8()
    else if (type === TType.I16 || type === TType.I32 || type === TType.I64) {
      this.#varint()
    } else if (type === TType.DOUBLE) this.bytes(8, 'a double')
    else
      throw new ThriftError('FLUME_ERR_THRIFT_MALFORMED', `unknown field type ${type} at offset ${this.pos}`)
  }
}

export function protocolReader(protocol: ThriftProtocolName, buf: Buffer): ProtocolReader {
  return protocol === 'compact' ? new CompactReader(buf) : new BinaryReader(buf)
}
