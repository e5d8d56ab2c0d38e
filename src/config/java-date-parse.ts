/**
 * Parses text with a Joda-Time / SimpleDateFormat pattern into epoch milliseconds, for config-driven date
 * parsing (regex_extractor's RegexExtractorInterceptorMillisSerializer, syslog `format.dateFormat`).
 *
 * Supported letters: `y`/`Y`/`u` year, `M` month (1–2 digits, `MMM` short or `MMMM` full English name),
 * `d` day, `D` day of year, `H` 0–23, `k` 1–24, `K` 0–11, `h` 1–12, `a` AM/PM, `m`, `s`, `S` fraction,
 * `E` weekday name (read and ignored), `Z`/`X` offsets (`+0100`, `+01:00`, `Z`), and quoted literals.
 * Like Joda's parseDateTime the whole text must be consumed. Numeric fields take a run of digits, or
 * exactly the pattern width when another numeric field follows directly (`yyyyMMdd`). Without an offset
 * in the text the local time zone applies (Joda uses the JVM default zone), or `zone` when given.
 */

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const LETTERS = 'GyYuMdDHkKhamsSEZXz'

interface Tok {
  readonly letter: string | undefined
  readonly count: number
  readonly text: string
}

export class DatePatternError extends Error {}

function tokenize(pattern: string): Tok[] {
  const out: Tok[] = []
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i] as string
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1)
      if (end < 0) throw new DatePatternError(`unterminated quote in date pattern '${pattern}'`)
      out.push({ letter: undefined, count: 0, text: end === i + 1 ? "'" : pattern.slice(i + 1, end) })
      i = end + 1
    } else if (/[A-Za-z]/.test(c)) {
      if (!LETTERS.includes(c))
        throw new DatePatternError(`unsupported letter '${c}' in date pattern '${pattern}'`)
      let j = i
      while (pattern[j] === c) j++
      out.push({ letter: c, count: j - i, text: '' })
      i = j
    } else {
      out.push({ letter: undefined, count: 0, text: c })
      i++
    }
  }
  return out
}

const isNumeric = (t: Tok | undefined) =>
  t?.letter !== undefined && !(t.letter === 'M' && t.count >= 3) && !'aEZXzG'.includes(t.letter)

export interface JavaDateParser {
  /** Epoch ms, or undefined when the text does not match the pattern. */
  parse(text: string): number | undefined
}

/** Compiles a pattern once; throws DatePatternError for patterns it cannot parse with. */
export function compileDateParser(pattern: string, zone?: string): JavaDateParser {
  const toks = tokenize(pattern)
  return {
    parse(text) {
      let pos = 0
      let year = 1970
      let month = 1
      let day = 1
      let doy: number | undefined
      let hour = 0
      let minute = 0
      let second = 0
      let millis = 0
      let pm: boolean | undefined
      let offsetMin: number | undefined
      for (let i = 0; i < toks.length; i++) {
        const t = toks[i] as Tok
        if (t.letter === undefined) {
          if (!text.startsWith(t.text, pos)) return undefined
          pos += t.text.length
          continue
        }
        const fixed = isNumeric(toks[i + 1])
        const readNum = (): number | undefined => {
          const m = (fixed ? new RegExp(`^[0-9]{${t.count}}`) : /^[+-]?[0-9]{1,9}/).exec(text.slice(pos))
          if (m === null) return undefined
          pos += m[0].length
          return Number(m[0])
        }
        const readName = (names: readonly string[]): number | undefined => {
          const rest = text.slice(pos).toLowerCase()
          for (let k = 0; k < names.length; k++) {
            const full = names[k] as string
            if (rest.startsWith(full)) {
              pos += full.length
              return k
            }
          }
          for (let k = 0; k < names.length; k++) {
            const short = (names[k] as string).slice(0, 3)
            if (rest.startsWith(short)) {
              pos += 3
              return k
            }
          }
          return undefined
        }
        let v: number | undefined
        switch (t.letter) {
          case 'y':
          case 'Y':
          case 'u': {
            const start = pos
            v = readNum()
            if (v !== undefined && t.count === 2 && pos - start === 2) v += v < 50 ? 2000 : 1900 // pivot like Java
            if (v !== undefined) year = v
            break
          }
          case 'M':
            v = t.count >= 3 ? readName(MONTHS) : readNum()
            if (v !== undefined) month = t.count >= 3 ? v + 1 : v
            break
          case 'd':
            v = readNum()
            if (v !== undefined) day = v
            break
          case 'D':
            v = readNum()
            if (v !== undefined) doy = v
            break
          case 'H':
          case 'k':
          case 'K':
          case 'h':
            v = readNum()
            if (v !== undefined)
              hour = t.letter === 'k' && v === 24 ? 0 : t.letter === 'h' && v === 12 ? 0 : v
            break
          case 'm':
            v = readNum()
            if (v !== undefined) minute = v
            break
          case 's':
            v = readNum()
            if (v !== undefined) second = v
            break
          case 'S': {
            const m = /^[0-9]+/.exec(text.slice(pos))
            if (m === null) return undefined
            const digits = fixed ? m[0].slice(0, t.count) : m[0]
            pos += digits.length
            millis = Math.floor(Number(`0.${digits}`) * 1000)
            v = millis
            break
          }
          case 'a': {
            const rest = text.slice(pos, pos + 2).toUpperCase()
            if (rest !== 'AM' && rest !== 'PM') return undefined
            pm = rest === 'PM'
            pos += 2
            v = 0
            break
          }
          case 'E':
            v = readName(DAYS)
            break
          case 'G':
            if (/^(AD|BC)/i.test(text.slice(pos))) {
              pos += 2
              v = 0
            }
            break
          case 'Z':
          case 'X':
          case 'z': {
            const m = /^(?:(Z)|([+-])(\d{2}):?(\d{2})?|(UTC|GMT))/.exec(text.slice(pos))
            if (m === null) return undefined
            pos += m[0].length
            offsetMin =
              m[1] !== undefined || m[5] !== undefined
                ? 0
                : (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4] ?? 0))
            v = 0
            break
          }
        }
        if (v === undefined) return undefined
      }
      if (pos !== text.length) return undefined
      if (pm !== undefined && pm && hour < 12) hour += 12
      if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return undefined
      if (offsetMin !== undefined) {
        const base =
          doy === undefined
            ? Date.UTC(year, month - 1, day, hour, minute, second, millis)
            : Date.UTC(year, 0, doy, hour, minute, second, millis)
        return base - offsetMin * 60_000
      }
      if (zone !== undefined)
        return zonedToEpoch(
          year,
          month,
          doy === undefined ? day : doy,
          doy !== undefined,
          hour,
          minute,
          second,
          millis,
          zone,
        )
      const d =
        doy === undefined
          ? new Date(year, month - 1, day, hour, minute, second, millis)
          : new Date(year, 0, doy, hour, minute, second, millis)
      return d.getTime()
    },
  }
}

/** Wall-clock time in an IANA zone → epoch ms (two-pass offset correction, exact except in DST gaps). */
function zonedToEpoch(
  y: number,
  mo: number,
  d: number,
  isDoy: boolean,
  h: number,
  mi: number,
  s: number,
  ms: number,
  zone: string,
): number {
  const asUtc = isDoy ? Date.UTC(y, 0, d, h, mi, s, ms) : Date.UTC(y, mo - 1, d, h, mi, s, ms)
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  const offsetAt = (t: number) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]))
    const wall = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    )
    return wall - Math.floor(t / 1000) * 1000
  }
  let t = asUtc - offsetAt(asUtc)
  t = asUtc - offsetAt(t)
  return t
}
