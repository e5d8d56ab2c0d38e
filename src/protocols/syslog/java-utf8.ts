/**
 * `new String(bytes, UTF_8)` exactly as Java 17 decodes malformed input: how many U+FFFD a broken sequence
 * becomes differs from the WHATWG decoder Node uses (Java replaces `ED A0 80`, an encoded surrogate, with
 * one U+FFFD, Node with three; a truncated sequence at the end is one U+FFFD in Java). Flume's syslogtcp
 * decodes each line this way before re-encoding the message, so bodies with broken UTF-8 only match
 * Flume's byte for byte with Java's rules. Valid UTF-8 never comes here (it is used as is).
 *
 * A port of java.lang.String.decodeUTF8_UTF16 (JDK 17+) with replacement, on unsigned bytes.
 */

const REPL = 0xfffd

const notCont = (b: number) => (b & 0xc0) !== 0x80
const malformed3 = (b1: number, b2: number, b3: number) =>
  (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || notCont(b2) || notCont(b3)
const malformed3_2 = (b1: number, b2: number) => (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || notCont(b2)
const malformed4 = (b2: number, b3: number, b4: number) => notCont(b2) || notCont(b3) || notCont(b4)
const malformed4_2 = (b1: number, b2: number) =>
  (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || notCont(b2)

/** How many bytes of a malformed 3-byte sequence at `sp` to skip. */
function skip3(src: Uint8Array, sp: number): number {
  const b1 = src[sp] as number
  const b2 = src[sp + 1] as number
  return (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || notCont(b2) ? 1 : 2
}

/** How many bytes of a malformed 4-byte sequence at `sp` to skip. */
function skip4(src: Uint8Array, sp: number): number {
  const b1 = src[sp] as number
  const b2 = src[sp + 1] as number
  if (
    b1 > 0xf4 ||
    (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) ||
    (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) ||
    notCont(b2)
  ) {
    return 1
  }
  return notCont(src[sp + 2] as number) ? 2 : 3
}

export function javaUtf8Decode(src: Uint8Array): string {
  const out: number[] = []
  const sl = src.length
  let sp = 0
  while (sp < sl) {
    const b1 = src[sp++] as number
    if (b1 < 0x80) {
      out.push(b1)
    } else if (b1 >= 0xc2 && b1 <= 0xdf) {
      if (sp < sl) {
        const b2 = src[sp++] as number
        if (notCont(b2)) {
          out.push(REPL)
          sp--
        } else {
          out.push(((b1 & 0x1f) << 6) | (b2 & 0x3f))
        }
        continue
      }
      out.push(REPL)
      break
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      if (sp + 1 < sl) {
        const b2 = src[sp++] as number
        const b3 = src[sp++] as number
        if (malformed3(b1, b2, b3)) {
          out.push(REPL)
          sp -= 3
          sp += skip3(src, sp)
        } else {
          const c = ((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f)
          out.push(c >= 0xd800 && c <= 0xdfff ? REPL : c)
        }
        continue
      }
      if (sp < sl && malformed3_2(b1, src[sp] as number)) {
        out.push(REPL)
        continue
      }
      out.push(REPL)
      break
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      if (sp + 2 < sl) {
        const b2 = src[sp++] as number
        const b3 = src[sp++] as number
        const b4 = src[sp++] as number
        const uc = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f)
        if (malformed4(b2, b3, b4) || uc < 0x10000 || uc > 0x10ffff) {
          out.push(REPL)
          sp -= 4
          sp += skip4(src, sp)
        } else {
          out.push(uc)
        }
        continue
      }
      if (b1 > 0xf4 || (sp < sl && malformed4_2(b1, src[sp] as number))) {
        out.push(REPL)
        continue
      }
      sp++
      out.push(REPL)
      if (sp < sl && notCont(src[sp] as number)) continue
      break
    } else {
      out.push(REPL)
    }
  }
  let s = ''
  for (let i = 0; i < out.length; i += 8192) s += String.fromCodePoint(...out.slice(i, i + 8192))
  return s
}
