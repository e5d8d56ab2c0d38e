/**
 * UTF-8 walking for the spooldir LINE deserializer's slow path (long lines and invalid input). Malformed
 * input is measured as Java's UTF-8 decoder measures it (so REPLACE gives the same number of U+FFFD as
 * Flume, checked against Java Flume in test/e2e/spooldir-java.test.ts): Unicode's "maximal subparts",
 * except that an encoded surrogate (ED A0..BF xx) is one malformed sequence of 3 bytes, and ED A0..BF
 * followed by a non-continuation byte one of 2 (the WHATWG decoder, Node's, counts bytes one by one there).
 * Each malformed sequence becomes one U+FFFD under REPLACE and nothing under IGNORE.
 */

/** How a decoder treats malformed input (Flume's DecodeErrorPolicy). */
export type DecodeErrorPolicy = 'FAIL' | 'REPLACE' | 'IGNORE'

/**
 * Length of the sequence starting at `i`: > 0 a valid sequence of that many bytes; < 0 a malformed
 * subpart of that many bytes; 0 the input ends inside a sequence that could still become valid.
 */
export function sequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i] as number
  if (b0 < 0x80) return 1
  let need: number
  let lo = 0x80
  let hi = 0xbf
  if (b0 >= 0xc2 && b0 <= 0xdf) need = 1
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2
    if (b0 === 0xe0) lo = 0xa0
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3
    if (b0 === 0xf0) lo = 0x90
    else if (b0 === 0xf4) hi = 0x8f
  } else return -1
  for (let k = 1; k <= need; k++) {
    if (i + k >= end) return 0
    const c = buf[i + k] as number
    if (c < lo || c > hi) return -k
    lo = 0x80
    hi = 0xbf
  }
  // Java: a well-formed-looking surrogate (U+D800..U+DFFF) is malformed, all 3 bytes at once.
  if (b0 === 0xed && (buf[i + 1] as number) >= 0xa0) return -3
  return need + 1
}

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd])

/**
 * The bytes of `buf[start, end)` with malformed subparts replaced by U+FFFD (REPLACE) or dropped (IGNORE).
 * `end` is the end of the input for this piece: a sequence cut off there counts as malformed.
 */
export function repairUtf8(buf: Buffer, start: number, end: number, policy: 'REPLACE' | 'IGNORE'): Buffer {
  const parts: Buffer[] = []
  let runStart = start
  let i = start
  while (i < end) {
    if ((buf[i] as number) < 0x80) {
      i++
      continue
    }
    let n = sequenceLength(buf, i, end)
    if (n === 0) n = -(end - i)
    if (n > 0) {
      i += n
      continue
    }
    if (i > runStart) parts.push(buf.subarray(runStart, i))
    if (policy === 'REPLACE') parts.push(REPLACEMENT)
    i += -n
    runStart = i
  }
  if (runStart < end) parts.push(buf.subarray(runStart, end))
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
}
