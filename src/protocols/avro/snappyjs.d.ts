// Types for snappyjs@0.7.0 (pure-JS raw Snappy, no bundled types). Only what codecs.ts uses.
declare module 'snappyjs' {
  /** Raw Snappy block. With a Buffer argument the result is a Buffer. */
  export function compress(uncompressed: Buffer): Buffer
  /** Throws a plain Error on an invalid stream or when the declared length exceeds maxLength. */
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer
}
