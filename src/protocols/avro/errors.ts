/**
 * Typed errors of the Avro codec. Callers branch on `code`, never on message text. The codes follow the
 * project-wide `FLUME_ERR_*` scheme so they can join the agent's error union unchanged; this module stays
 * free of agent imports, hence its own small base class.
 *
 * `offset` is the byte position (in the buffer being decoded, or in the container file) where the problem
 * was found, when known: spooldir and file_roll log it so a corrupt file can be inspected.
 */

export type AvroErrorCode =
  /** Input ended in the middle of a value, block or header. */
  | 'FLUME_ERR_AVRO_TRUNCATED'
  /** Input is not valid Avro: bad varint, negative length, union/enum index out of range, bad magic, sync mismatch... */
  | 'FLUME_ERR_AVRO_MALFORMED'
  /** A length, count or size is larger than the cap the caller allowed. */
  | 'FLUME_ERR_AVRO_LIMIT'
  /** A schema could not be parsed, or a name could not be resolved. */
  | 'FLUME_ERR_AVRO_SCHEMA'
  /** The container names a codec this implementation does not provide (bzip2, xz, unknown names). */
  | 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED'
  /** A compressed block failed to decompress or its checksum did not match. */
  | 'FLUME_ERR_AVRO_CODEC'
  /** A value does not fit the schema it is written with (encoding side). */
  | 'FLUME_ERR_AVRO_ENCODE'
  /** The writer was used after close(). */
  | 'FLUME_ERR_AVRO_CLOSED'
  /** An option passed to a writer or reader is out of range (sync interval, sync marker size, reserved key). */
  | 'FLUME_ERR_AVRO_OPTION'

const brand = Symbol.for('flumen.AvroError')

export class AvroError extends Error {
  readonly code: AvroErrorCode
  /** Byte position where the problem was detected, when known. */
  readonly offset: number | undefined

  constructor(code: AvroErrorCode, message: string, options?: { cause?: unknown; offset?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.offset = options?.offset
    Object.defineProperty(this, brand, { value: true })
  }

  override get name(): string {
    return this.constructor.name
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false
    // `this` is the class instanceof was called on: subclasses keep plain prototype checks, and the brand
    // only rescues the base class when two copies of the module are loaded.
    // biome-ignore lint/complexity/noThisInStatic: must be the receiver, not AvroError
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    // biome-ignore lint/complexity/noThisInStatic: must be the receiver, not AvroError
    return this === AvroError && (value as Record<symbol, unknown>)[brand] === true
  }
}

export class AvroTruncatedError extends AvroError {
  constructor(message: string, options?: { offset?: number }) {
    super('FLUME_ERR_AVRO_TRUNCATED', message, options)
  }
}

export class AvroMalformedError extends AvroError {
  constructor(message: string, options?: { offset?: number; cause?: unknown }) {
    super('FLUME_ERR_AVRO_MALFORMED', message, options)
  }
}

export class AvroLimitError extends AvroError {
  constructor(message: string, options?: { offset?: number }) {
    super('FLUME_ERR_AVRO_LIMIT', message, options)
  }
}

export class AvroSchemaError extends AvroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FLUME_ERR_AVRO_SCHEMA', message, options)
  }
}

export class AvroCodecError extends AvroError {
  constructor(
    message: string,
    options?: {
      offset?: number
      cause?: unknown
      code?: 'FLUME_ERR_AVRO_CODEC' | 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED'
    },
  ) {
    super(options?.code ?? 'FLUME_ERR_AVRO_CODEC', message, options)
  }
}

export class AvroEncodeError extends AvroError {
  constructor(message: string) {
    super('FLUME_ERR_AVRO_ENCODE', message)
  }
}

export class AvroClosedError extends AvroError {
  constructor(message: string) {
    super('FLUME_ERR_AVRO_CLOSED', message)
  }
}

export class AvroOptionError extends AvroError {
  constructor(message: string) {
    super('FLUME_ERR_AVRO_OPTION', message)
  }
}
