/**
 * Charset handling shared by text sources. Flume decodes with Java charsets and replaces malformed input
 * with U+FFFD (InputStreamReader's default), then encodes bodies (usually as UTF-8).
 *
 * Fast path: when the configured charset is UTF-8 and the bytes are valid UTF-8, decoding and re-encoding
 * is the identity, so the original bytes are used without a copy. Only invalid input pays for the
 * decode/encode round trip (and ends up with U+FFFD, exactly as in Flume).
 */

import { isUtf8 } from 'node:buffer'

/** Java charset name → WHATWG label understood by TextDecoder, or undefined if unsupported. */
export function normalizeCharset(name: string): string | undefined {
  const n = name.trim().toLowerCase()
  const alias: Record<string, string> = {
    utf8: 'utf-8',
    iso8859_1: 'iso-8859-1',
    latin1: 'iso-8859-1',
    ascii: 'us-ascii',
  }
  const label = alias[n] ?? n
  try {
    new TextDecoder(label)
    return label
  } catch {
    return undefined
  }
}

export function isUtf8Label(label: string): boolean {
  return label === 'utf-8' || label === 'unicode-1-1-utf-8'
}

/** Bytes in `charset` → UTF-8 body bytes, replacing malformed input with U+FFFD. */
export function toUtf8(bytes: Buffer, charset: string, decoder?: InstanceType<typeof TextDecoder>): Buffer {
  if (isUtf8Label(charset)) {
    if (isUtf8(bytes)) return bytes
    return Buffer.from(bytes.toString('utf8'), 'utf8')
  }
  const text = (decoder ?? new TextDecoder(charset)).decode(bytes)
  return Buffer.from(text, 'utf8')
}

/** Decodes bytes with a charset (replacement on malformed input). */
export function decode(bytes: Buffer, charset: string): string {
  if (isUtf8Label(charset)) return bytes.toString('utf8')
  return new TextDecoder(charset).decode(bytes)
}

/** Encodes a string for the wire in the given charset; only charsets Node can encode natively. */
export function encode(text: string, charset: string): Buffer {
  switch (charset) {
    case 'utf-8':
      return Buffer.from(text, 'utf8')
    case 'iso-8859-1':
    case 'windows-1252':
      return Buffer.from(text, 'latin1')
    case 'us-ascii':
      return Buffer.from(text, 'ascii')
    case 'utf-16le':
      return Buffer.from(text, 'utf16le')
    default:
      return Buffer.from(text, 'utf8')
  }
}

/** Number of UTF-16 code units (Java chars) the bytes decode to. */
export function javaCharLength(bytes: Buffer, charset: string): number {
  return decode(bytes, charset).length
}
