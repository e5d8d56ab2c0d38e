/**
 * Schema-driven datum codec: decode a datum to a JavaScript value, skip it (to find its raw byte range),
 * re-encode it canonically, or encode a value.
 *
 * Value mapping: null → null, boolean → boolean, int/float/double → number, long → number when it is a safe
 * integer else bigint, bytes/fixed → Buffer (a view into the input), string → string, enum → symbol string,
 * array → Array, map → null-prototype object, record → null-prototype object keyed by field name, union →
 * the branch's value as is (not wrapped; see writeDatum for how a branch is picked when encoding).
 *
 * Everything is bounds checked through AvroReader; nesting depth and collection sizes are capped so a
 * hostile datum cannot blow the stack or spin on billions of zero-byte items.
 */

import { AvroReader, AvroWriter } from './binary.ts'
import { AvroEncodeError, AvroLimitError, AvroMalformedError } from './errors.ts'
import type { Schema } from './schema.ts'

export type AvroValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | AvroValue[]
  | { [key: string]: AvroValue }

export interface DecodeLimits {
  /** Longest bytes/string value, in bytes. */
  readonly maxBytes: number
  /** Most items in one array or map (all blocks together). */
  readonly maxItems: number
  /** Deepest nesting of records/arrays/maps/unions. */
  readonly maxDepth: number
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxBytes: 0x7fffffff,
  maxItems: 0x7fffffff,
  maxDepth: 256,
})

function tooDeep(r: AvroReader, limits: DecodeLimits): never {
  throw new AvroLimitError(`Datum nests deeper than ${limits.maxDepth} levels (offset ${r.pos})`, {
    offset: r.pos,
  })
}

function readUnionIndex(r: AvroReader, branches: number): number {
  const at = r.pos
  const i = r.readInt()
  if (i < 0 || i >= branches) {
    throw new AvroMalformedError(`Union branch ${i} out of range (0..${branches - 1}) at offset ${at}`, {
      offset: at,
    })
  }
  return i
}

function readEnumIndex(r: AvroReader, symbols: number): number {
  const at = r.pos
  const i = r.readInt()
  if (i < 0 || i >= symbols) {
    throw new AvroMalformedError(`Enum index ${i} out of range (0..${symbols - 1}) at offset ${at}`, {
      offset: at,
    })
  }
  return i
}

/** Reads the next block header of an array/map and enforces the running total. */
function nextBlock(r: AvroReader, total: number, limits: DecodeLimits): number {
  const at = r.pos
  const n = r.readBlockCount(limits.maxItems)
  if (total + n > limits.maxItems) {
    throw new AvroLimitError(`Collection has more than ${limits.maxItems} items (offset ${at})`, {
      offset: at,
    })
  }
  return n
}

/** Decodes one datum of `schema` at the reader's position. */
export function readDatum(
  r: AvroReader,
  schema: Schema,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): AvroValue {
  return read(r, schema, limits, 0)
}

function read(r: AvroReader, s: Schema, limits: DecodeLimits, depth: number): AvroValue {
  switch (s.type) {
    case 'null':
      return null
    case 'boolean':
      return r.readBoolean()
    case 'int':
      return r.readInt()
    case 'long':
      return r.readLongValue()
    case 'float':
      return r.readFloat()
    case 'double':
      return r.readDouble()
    case 'bytes':
      return r.readBytes(limits.maxBytes)
    case 'string':
      return r.readString(limits.maxBytes)
    case 'fixed':
      return r.readFixed(s.size)
    case 'enum':
      return s.symbols[readEnumIndex(r, s.symbols.length)] as string
  }
  if (depth >= limits.maxDepth) tooDeep(r, limits)
  switch (s.type) {
    case 'union':
      return read(r, s.branches[readUnionIndex(r, s.branches.length)] as Schema, limits, depth + 1)
    case 'record': {
      const o = Object.create(null) as Record<string, AvroValue>
      for (const f of s.fields) o[f.name] = read(r, f.type, limits, depth + 1)
      return o
    }
    case 'array': {
      const out: AvroValue[] = []
      for (let n = nextBlock(r, 0, limits); n !== 0; n = nextBlock(r, out.length, limits)) {
        for (let i = 0; i < n; i++) out.push(read(r, s.items, limits, depth + 1))
      }
      return out
    }
    case 'map': {
      const o = Object.create(null) as Record<string, AvroValue>
      let total = 0
      for (let n = nextBlock(r, 0, limits); n !== 0; n = nextBlock(r, total, limits)) {
        total += n
        for (let i = 0; i < n; i++) {
          const k = r.readString(limits.maxBytes)
          o[k] = read(r, s.values, limits, depth + 1)
        }
      }
      return o
    }
  }
}

/**
 * Skips one datum of `schema`. The datum's raw bytes are `r.buf.subarray(before, r.pos)`. Array and map
 * blocks that carry a byte size (negative count) are jumped over without looking inside, as Java does.
 */
export function skipDatum(r: AvroReader, schema: Schema, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): void {
  skip(r, schema, limits, 0)
}

function skip(r: AvroReader, s: Schema, limits: DecodeLimits, depth: number): void {
  switch (s.type) {
    case 'null':
      return
    case 'boolean':
      r.readBoolean()
      return
    case 'int':
      r.readInt()
      return
    case 'long':
      r.skipLong()
      return
    case 'float':
      r.skipFixed(4)
      return
    case 'double':
      r.skipFixed(8)
      return
    case 'bytes':
    case 'string':
      r.skipBytes()
      return
    case 'fixed':
      r.skipFixed(s.size)
      return
    case 'enum':
      readEnumIndex(r, s.symbols.length)
      return
  }
  if (depth >= limits.maxDepth) tooDeep(r, limits)
  switch (s.type) {
    case 'union':
      skip(r, s.branches[readUnionIndex(r, s.branches.length)] as Schema, limits, depth + 1)
      return
    case 'record':
      for (const f of s.fields) skip(r, f.type, limits, depth + 1)
      return
    case 'array':
    case 'map': {
      let total = 0
      for (let n = nextBlock(r, 0, limits); n !== 0; n = nextBlock(r, total, limits)) {
        total += n
        if (r.lastBlockSize >= 0) {
          r.pos += r.lastBlockSize // bounds were checked by readBlockCount
          continue
        }
        for (let i = 0; i < n; i++) {
          if (s.type === 'map') {
            r.skipBytes()
            skip(r, s.values, limits, depth + 1)
          } else {
            skip(r, s.items, limits, depth + 1)
          }
        }
      }
      return
    }
  }
}

/**
 * Copies one datum from `r` to `w` in canonical form: what Java's GenericDatumWriter writes after a
 * GenericDatumReader read it. That is the byte-for-byte body Flume's spooldir AVRO deserializer produces.
 * It differs from the raw bytes only when the writer used several blocks or negative (sized) block
 * counts for an array/map, or non-minimal varints; Java-written files are already canonical.
 */
export function transcodeDatum(
  r: AvroReader,
  schema: Schema,
  w: AvroWriter,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): void {
  transcode(r, schema, w, limits, 0)
}

function copyRaw(r: AvroReader, w: AvroWriter, n: number): void {
  w.writeFixed(r.readFixed(n))
}

function transcode(r: AvroReader, s: Schema, w: AvroWriter, limits: DecodeLimits, depth: number): void {
  switch (s.type) {
    case 'null':
      return
    case 'boolean':
      w.writeBoolean(r.readBoolean())
      return
    case 'int':
      w.writeInt(r.readInt())
      return
    case 'long':
      w.writeBigLong(r.readBigLong())
      return
    case 'float':
      copyRaw(r, w, 4) // keeps NaN payloads, as Java's floatToRawIntBits does
      return
    case 'double':
      copyRaw(r, w, 8)
      return
    case 'bytes':
    case 'string':
      w.writeBytes(r.readBytes(limits.maxBytes)) // strings stay raw bytes, like Java's Utf8
      return
    case 'fixed':
      copyRaw(r, w, s.size)
      return
    case 'enum':
      w.writeInt(readEnumIndex(r, s.symbols.length))
      return
  }
  if (depth >= limits.maxDepth) tooDeep(r, limits)
  switch (s.type) {
    case 'union': {
      const i = readUnionIndex(r, s.branches.length)
      w.writeInt(i)
      transcode(r, s.branches[i] as Schema, w, limits, depth + 1)
      return
    }
    case 'record':
      for (const f of s.fields) transcode(r, f.type, w, limits, depth + 1)
      return
    case 'array':
    case 'map': {
      // Canonical form is a single block, so the total count is needed first: count by skipping, rewind.
      const start = r.pos
      let total = 0
      for (let n = nextBlock(r, 0, limits); n !== 0; n = nextBlock(r, total, limits)) {
        total += n
        if (r.lastBlockSize >= 0) r.pos += r.lastBlockSize
        else {
          for (let i = 0; i < n; i++) {
            if (s.type === 'map') {
              r.skipBytes()
              skip(r, s.values, limits, depth + 1)
            } else skip(r, s.items, limits, depth + 1)
          }
        }
      }
      r.pos = start
      w.writeBlockStart(total)
      let seen = 0
      for (let n = nextBlock(r, 0, limits); n !== 0; n = nextBlock(r, seen, limits)) {
        seen += n
        for (let i = 0; i < n; i++) {
          if (s.type === 'map') {
            w.writeBytes(r.readBytes(limits.maxBytes))
            transcode(r, s.values, w, limits, depth + 1)
          } else transcode(r, s.items, w, limits, depth + 1)
        }
      }
      w.writeBlockEnd()
      return
    }
  }
}

/** Decodes a buffer holding exactly one datum; trailing bytes are an error. */
export function decodeDatum(
  buf: Uint8Array,
  schema: Schema,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): AvroValue {
  const r = new AvroReader(buf)
  const v = readDatum(r, schema, limits)
  if (r.pos !== r.end) {
    throw new AvroMalformedError(`${r.end - r.pos} bytes follow the datum at offset ${r.pos}`, {
      offset: r.pos,
    })
  }
  return v
}

// --- encoding -------------------------------------------------------------------------------------------

const INT_MIN = -0x80000000
const INT_MAX = 0x7fffffff

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

/** Whether `v` can be written with `s` (used to pick a union branch). Shallow for records and collections. */
function matches(s: Schema, v: unknown): boolean {
  switch (s.type) {
    case 'null':
      return v === null || v === undefined
    case 'boolean':
      return typeof v === 'boolean'
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX
    case 'long':
      return (typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint'
    case 'float':
    case 'double':
      return typeof v === 'number'
    case 'bytes':
      return v instanceof Uint8Array
    case 'fixed':
      return v instanceof Uint8Array && v.length === s.size
    case 'string':
      return typeof v === 'string'
    case 'enum':
      return typeof v === 'string' && s.symbols.includes(v)
    case 'array':
      return Array.isArray(v)
    case 'map':
      return isPlainObject(v)
    case 'record':
      return isPlainObject(v) && s.fields.every((f) => f.name in v || matches(f.type, undefined))
    case 'union':
      return s.branches.some((b) => matches(b, v))
  }
}

/**
 * Encodes `value` with `schema`. Union branches are picked as the first branch the value fits, in
 * declaration order (so 5 goes to "int" before "long", a string to "string" before a matching enum only if
 * "string" comes first). A record field that is missing encodes as null when its type allows null.
 */
export function writeDatum(w: AvroWriter, schema: Schema, value: unknown): void {
  write(w, schema, value, '$')
}

function bad(path: string, s: Schema, v: unknown): never {
  const shown = typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : String(v)
  throw new AvroEncodeError(`Value at ${path} does not fit schema type ${s.type}: ${shown.slice(0, 80)}`)
}

function write(w: AvroWriter, s: Schema, v: unknown, path: string): void {
  switch (s.type) {
    case 'null':
      if (v !== null && v !== undefined) bad(path, s, v)
      return
    case 'boolean':
      if (typeof v !== 'boolean') bad(path, s, v)
      w.writeBoolean(v)
      return
    case 'int':
      if (!matches(s, v)) bad(path, s, v)
      w.writeInt(v as number)
      return
    case 'long':
      if (typeof v === 'bigint') w.writeBigLong(v)
      else if (typeof v === 'number' && Number.isSafeInteger(v)) w.writeLong(v)
      else bad(path, s, v)
      return
    case 'float':
      if (typeof v !== 'number') bad(path, s, v)
      w.writeFloat(v)
      return
    case 'double':
      if (typeof v !== 'number') bad(path, s, v)
      w.writeDouble(v)
      return
    case 'bytes':
      if (!(v instanceof Uint8Array)) bad(path, s, v)
      w.writeBytes(v)
      return
    case 'string':
      if (typeof v !== 'string') bad(path, s, v)
      w.writeString(v)
      return
    case 'fixed':
      if (!matches(s, v)) bad(path, s, v)
      w.writeFixed(v as Uint8Array)
      return
    case 'enum': {
      const i = typeof v === 'string' ? s.symbols.indexOf(v) : -1
      if (i < 0) bad(path, s, v)
      w.writeInt(i)
      return
    }
    case 'union': {
      const i = s.branches.findIndex((b) => matches(b, v))
      if (i < 0) bad(path, s, v)
      w.writeInt(i)
      write(w, s.branches[i] as Schema, v, path)
      return
    }
    case 'record': {
      if (!isPlainObject(v)) bad(path, s, v)
      for (const f of s.fields) write(w, f.type, v[f.name], `${path}.${f.name}`)
      return
    }
    case 'array': {
      if (!Array.isArray(v)) bad(path, s, v)
      w.writeBlockStart(v.length)
      for (let i = 0; i < v.length; i++) write(w, s.items, v[i], `${path}[${i}]`)
      w.writeBlockEnd()
      return
    }
    case 'map': {
      if (!isPlainObject(v)) bad(path, s, v)
      const keys = Object.keys(v)
      w.writeBlockStart(keys.length)
      for (const k of keys) {
        w.writeString(k)
        write(w, s.values, v[k], `${path}[${JSON.stringify(k)}]`)
      }
      w.writeBlockEnd()
      return
    }
  }
}

/** Encodes one datum into a new Buffer. */
export function encodeDatum(schema: Schema, value: unknown): Buffer {
  const w = new AvroWriter(256)
  writeDatum(w, schema, value)
  return w.finish(16)
}

/**
 * The fewest bytes any datum of `schema` can take (0 for null and records made only of nulls). Containers
 * use it to reject a block whose object count cannot fit in its byte size.
 */
export function minEncodedSize(schema: Schema): number {
  const memo = new Map<Schema, number>()
  const size = (s: Schema): number => {
    const known = memo.get(s)
    if (known !== undefined) return known
    memo.set(s, 0) // a recursive reference counts as 0 while it is being computed
    let n: number
    switch (s.type) {
      case 'null':
        n = 0
        break
      case 'float':
        n = 4
        break
      case 'double':
        n = 8
        break
      case 'fixed':
        n = s.size
        break
      case 'record':
        n = s.fields.reduce((a, f) => a + size(f.type), 0)
        break
      case 'union':
        n = 1 + Math.min(...s.branches.map(size))
        break
      default:
        // boolean, int, long, bytes, string, enum, array, map: at least one byte.
        n = 1
    }
    memo.set(s, n)
    return n
  }
  return size(schema)
}
