/**
 * A minimal Avro schema parser: enough to decode and skip any datum a container file holds, and to compute
 * the schema's Parsing Canonical Form and CRC-64-AVRO fingerprint (Flume's `flume.avro.schema.hash`).
 *
 * Supported: primitives, record/error, enum, array, map, union, fixed, named-type references (recursive
 * types included), namespaces. Resolution follows Java Avro 1.11's `Schema.parse`: a named type's namespace
 * becomes the default for everything nested in it; a reference is looked up in the current namespace, then
 * in the null namespace; `{"type": "<defined name>"}` is a reference too. Ignored (not needed to decode):
 * doc, aliases, defaults, order, logical types (the underlying type is decoded) and custom properties.
 * There is no schema resolution: data is always read with the schema it was written with.
 */

import { AvroSchemaError } from './errors.ts'

export type PrimitiveTypeName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

export interface PrimitiveSchema {
  readonly type: PrimitiveTypeName
}

export interface RecordField {
  readonly name: string
  readonly type: Schema
}

export interface RecordSchema {
  readonly type: 'record'
  /** Full name (namespace.name). */
  readonly name: string
  readonly fields: readonly RecordField[]
  /** Declared as `"type": "error"` (protocol error records); decoded like a record. */
  readonly error: boolean
}

export interface EnumSchema {
  readonly type: 'enum'
  readonly name: string
  readonly symbols: readonly string[]
}

export interface FixedSchema {
  readonly type: 'fixed'
  readonly name: string
  readonly size: number
}

export interface ArraySchema {
  readonly type: 'array'
  readonly items: Schema
}

export interface MapSchema {
  readonly type: 'map'
  readonly values: Schema
}

export interface UnionSchema {
  readonly type: 'union'
  readonly branches: readonly Schema[]
}

export type NamedSchema = RecordSchema | EnumSchema | FixedSchema
export type Schema = PrimitiveSchema | NamedSchema | ArraySchema | MapSchema | UnionSchema

const PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
])

/** One shared frozen object per primitive, so schemas can be compared by identity. */
const PRIMITIVE_SCHEMAS = new Map<string, PrimitiveSchema>(
  [...PRIMITIVES].map((t) => [t, Object.freeze({ type: t as PrimitiveTypeName })]),
)

// Java's validateName: Character.isLetter / isLetterOrDigit, so non-ASCII letters are legal names.
const NAME_RE = /^[\p{L}_][\p{L}\p{Nd}_]*$/u

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function fail(message: string): never {
  throw new AvroSchemaError(message)
}

function optionalText(node: Record<string, unknown>, key: string): string | undefined {
  const v = node[key]
  return typeof v === 'string' ? v : undefined
}

/** Splits and validates a (possibly qualified) name against a default namespace; returns the full name. */
function fullName(name: string, space: string | undefined): { full: string; space: string | undefined } {
  const dot = name.lastIndexOf('.')
  let simple = name
  if (dot >= 0) {
    space = name.slice(0, dot)
    simple = name.slice(dot + 1)
  }
  if (!NAME_RE.test(simple)) fail(`Illegal name: ${JSON.stringify(name)}`)
  if (space === '') space = undefined
  return { full: space === undefined ? simple : `${space}.${simple}`, space }
}

class Parser {
  readonly #names = new Map<string, NamedSchema>()
  #space: string | undefined = undefined

  lookup(ref: string): Schema | undefined {
    const p = PRIMITIVE_SCHEMAS.get(ref)
    if (p !== undefined) return p
    const dot = ref.lastIndexOf('.')
    // Java: try the name in the current namespace, then in the null namespace.
    const inSpace = dot >= 0 || this.#space === undefined ? ref : `${this.#space}.${ref}`
    return this.#names.get(inSpace) ?? this.#names.get(ref)
  }

  #define(schema: NamedSchema): void {
    if (PRIMITIVES.has(schema.name)) fail(`Schemas may not be named after primitives: ${schema.name}`)
    if (this.#names.has(schema.name)) fail(`Can't redefine: ${schema.name}`)
    this.#names.set(schema.name, schema)
  }

  parse(node: unknown): Schema {
    if (typeof node === 'string') {
      const s = this.lookup(node)
      if (s === undefined) fail(`Undefined name: ${JSON.stringify(node)}`)
      return s
    }
    if (Array.isArray(node)) return this.#union(node)
    if (!isObject(node)) fail(`Schema not supported: ${JSON.stringify(node)}`)
    const type = optionalText(node, 'type')
    if (type === undefined) fail(`No type: ${JSON.stringify(node)}`)
    const p = PRIMITIVE_SCHEMAS.get(type)
    if (p !== undefined) return p
    const saved = this.#space
    try {
      switch (type) {
        case 'record':
        case 'error':
          return this.#record(node, type === 'error')
        case 'enum':
          return this.#enum(node)
        case 'fixed':
          return this.#fixed(node)
        case 'array':
          if (!('items' in node)) fail(`Array has no items type: ${JSON.stringify(node)}`)
          return Object.freeze({ type: 'array', items: this.parse(node.items) })
        case 'map':
          if (!('values' in node)) fail(`Map has no values type: ${JSON.stringify(node)}`)
          return Object.freeze({ type: 'map', values: this.parse(node.values) })
        default: {
          // {"type": "SomeDefinedName"} is a reference (Java allows it for self-referencing unions).
          const s = this.lookup(type)
          if (s === undefined) fail(`Type not supported: ${type}`)
          return s
        }
      }
    } finally {
      this.#space = saved
    }
  }

  #named(node: Record<string, unknown>): string {
    const name = optionalText(node, 'name')
    if (name === undefined) fail(`No name in schema: ${JSON.stringify(node)}`)
    const { full, space } = fullName(name, optionalText(node, 'namespace') ?? this.#space)
    this.#space = space // the default namespace for everything nested in this type
    return full
  }

  #record(node: Record<string, unknown>, error: boolean): RecordSchema {
    const name = this.#named(node)
    const fields: RecordField[] = []
    const schema: RecordSchema = { type: 'record', name, fields, error }
    this.#define(schema) // before the fields: they may refer to the record itself
    const fieldNodes = node.fields
    if (!Array.isArray(fieldNodes)) fail(`Record has no fields: ${name}`)
    const seen = new Set<string>()
    for (const f of fieldNodes) {
      if (!isObject(f)) fail(`Invalid field in record ${name}: ${JSON.stringify(f)}`)
      const fieldName = optionalText(f, 'name')
      if (fieldName === undefined) fail(`No field name in record ${name}`)
      if (!NAME_RE.test(fieldName)) fail(`Illegal field name ${JSON.stringify(fieldName)} in record ${name}`)
      if (seen.has(fieldName)) fail(`Duplicate field ${fieldName} in record ${name}`)
      seen.add(fieldName)
      if (!('type' in f)) fail(`No field type: ${name}.${fieldName}`)
      fields.push(Object.freeze({ name: fieldName, type: this.parse(f.type) }))
    }
    Object.freeze(fields)
    return Object.freeze(schema)
  }

  #enum(node: Record<string, unknown>): EnumSchema {
    const name = this.#named(node)
    const symbols = node.symbols
    if (!Array.isArray(symbols)) fail(`Enum has no symbols: ${name}`)
    const seen = new Set<string>()
    for (const s of symbols) {
      if (typeof s !== 'string' || !NAME_RE.test(s))
        fail(`Illegal enum symbol ${JSON.stringify(s)} in ${name}`)
      if (seen.has(s)) fail(`Duplicate enum symbol ${s} in ${name}`)
      seen.add(s)
    }
    const schema: EnumSchema = Object.freeze({ type: 'enum', name, symbols: Object.freeze([...symbols]) })
    this.#define(schema)
    return schema
  }

  #fixed(node: Record<string, unknown>): FixedSchema {
    const name = this.#named(node)
    const size = node.size
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > 0x7fffffff) {
      fail(`Invalid or no size in fixed ${name}: ${JSON.stringify(size)}`)
    }
    const schema: FixedSchema = Object.freeze({ type: 'fixed', name, size })
    this.#define(schema)
    return schema
  }

  #union(nodes: unknown[]): UnionSchema {
    const branches: Schema[] = []
    const seen = new Set<string>()
    for (const n of nodes) {
      const b = this.parse(n)
      if (b.type === 'union') fail('Nested union')
      const key = 'name' in b ? b.name : b.type
      if (seen.has(key)) fail(`Duplicate in union: ${key}`)
      seen.add(key)
      branches.push(b)
    }
    return Object.freeze({ type: 'union', branches: Object.freeze(branches) })
  }
}

/** Parses a schema from its JSON text (e.g. a container's `avro.schema` metadata). */
export function parseSchema(json: string): Schema {
  let node: unknown
  try {
    node = JSON.parse(json)
  } catch (e) {
    throw new AvroSchemaError(`Schema is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
  return new Parser().parse(node)
}

/** Builds a schema from an already parsed JSON value (`"string"`, `{"type": "record", ...}`, `[...]`). */
export function schemaFromJson(value: unknown): Schema {
  return new Parser().parse(value)
}

/**
 * The schema's Parsing Canonical Form (Avro spec), built exactly like Java's
 * `SchemaNormalization.toParsingForm`: primitives as bare names, full names, only
 * name/type/fields/symbols/items/values/size in that order, each named type spelled out at its first
 * occurrence and referenced by full name afterwards, no whitespace.
 */
export function toParsingCanonicalForm(schema: Schema): string {
  const seen = new Set<string>()
  const out: string[] = []
  const build = (s: Schema): void => {
    switch (s.type) {
      case 'union':
        out.push('[')
        s.branches.forEach((b, i) => {
          if (i > 0) out.push(',')
          build(b)
        })
        out.push(']')
        return
      case 'array':
        out.push('{"type":"array","items":')
        build(s.items)
        out.push('}')
        return
      case 'map':
        out.push('{"type":"map","values":')
        build(s.values)
        out.push('}')
        return
      case 'record':
      case 'enum':
      case 'fixed': {
        // Names and symbols match [\p{L}_][\p{L}\p{Nd}_]*, so JSON.stringify adds only the quotes.
        const q = JSON.stringify(s.name)
        if (seen.has(s.name)) {
          out.push(q)
          return
        }
        seen.add(s.name)
        out.push(`{"name":${q},"type":"${s.type}"`)
        if (s.type === 'enum') {
          out.push(`,"symbols":[${s.symbols.map((x) => JSON.stringify(x)).join(',')}]`)
        } else if (s.type === 'fixed') {
          out.push(`,"size":${s.size}`)
        } else {
          out.push(',"fields":[')
          s.fields.forEach((f, i) => {
            out.push(`${i > 0 ? ',' : ''}{"name":${JSON.stringify(f.name)},"type":`)
            build(f.type)
            out.push('}')
          })
          out.push(']')
        }
        out.push('}')
        return
      }
      default:
        out.push(`"${s.type}"`)
    }
  }
  build(schema)
  return out.join('')
}

// CRC-64-AVRO (Avro spec, "Schema Fingerprints"): reflected CRC with polynomial 0xc15d213aa4d7a795 used as
// both the empty value and the table seed. Computed on two 32-bit halves because a fingerprint is taken once
// per file and BigInt would make the table build ~50x slower than it needs to be.
const EMPTY_HI = 0xc15d213a
const EMPTY_LO = 0xa4d7a795
const TABLE_HI = new Uint32Array(256)
const TABLE_LO = new Uint32Array(256)
for (let i = 0; i < 256; i++) {
  let hi = 0
  let lo = i
  for (let j = 0; j < 8; j++) {
    const mask = -(lo & 1) >>> 0 // all ones when the low bit is set
    lo = ((lo >>> 1) | (hi << 31)) >>> 0
    hi = hi >>> 1
    hi = (hi ^ (EMPTY_HI & mask)) >>> 0
    lo = (lo ^ (EMPTY_LO & mask)) >>> 0
  }
  TABLE_HI[i] = hi
  TABLE_LO[i] = lo
}

/** CRC-64-AVRO of `data`, as an unsigned 64-bit bigint (Java's `fingerprint64` returns it signed). */
export function fingerprint64(data: Uint8Array): bigint {
  let hi = EMPTY_HI
  let lo = EMPTY_LO
  for (let k = 0; k < data.length; k++) {
    const idx = (lo ^ (data[k] as number)) & 0xff
    // fp = (fp >>> 8) ^ TABLE[idx]
    lo = (((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[idx] as number)) >>> 0
    hi = ((hi >>> 8) ^ (TABLE_HI[idx] as number)) >>> 0
  }
  return (BigInt(hi) << 32n) | BigInt(lo)
}

/** CRC-64-AVRO of the schema's Parsing Canonical Form, unsigned. */
export function parsingFingerprint64(schema: Schema): bigint {
  return fingerprint64(Buffer.from(toParsingCanonicalForm(schema), 'utf8'))
}

/**
 * Flume's `flume.avro.schema.hash` header value for events read by spooldir's AVRO deserializer:
 * AvroEventDeserializer hex-encodes `SchemaNormalization.parsingFingerprint("CRC-64-AVRO", schema)`,
 * whose 8 bytes are the fingerprint in little-endian order.
 */
export function flumeSchemaHash(schema: Schema): string {
  const b = Buffer.allocUnsafe(8)
  b.writeBigUInt64LE(parsingFingerprint64(schema))
  return b.toString('hex')
}
