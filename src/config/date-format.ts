// `${date:PATTERN}` support: Java `SimpleDateFormat` patterns as Commons Lang 3.12 `FastDateFormat` (which
// Commons Text's date lookup uses) prints them, in the process time zone (Java uses the JVM default zone,
// which also comes from TZ) and with English (en_US) names.
//
// Which patterns are accepted is copied exactly, because in Flume a pattern FastDateFormat rejects makes
// the whole configuration fail to load: any ASCII letter outside `GyYMdhHmsSEuDFwWakKXzZ`, more than three
// `X`, or an unterminated quote. Of the accepted letters, flumen does not print `Y` (week year), `w`, `W`
// (locale-dependent week numbers) and `z` (zone names); those are reported as unsupported.

export type DateFormatResult =
  | { readonly ok: true; readonly text: string }
  /** `invalid`: Java throws for this pattern. `unsupported`: Java prints it, flumen does not. */
  | { readonly ok: false; readonly kind: 'invalid' | 'unsupported'; readonly reason: string }

const JAVA_LETTERS = 'GyYMdhHmsSEuDFwWakKXzZ'
const UNSUPPORTED_LETTERS = 'YwWz'
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

interface Token {
  /** A pattern letter, or undefined for literal text. */
  readonly letter: string | undefined
  /** Run length for a letter, the text for a literal. */
  readonly count: number
  readonly text: string
}

/** Formats `date` with a Java date pattern, or says why it cannot. */
export function formatJavaDate(pattern: string, date: Date): DateFormatResult {
  const tokens = tokenize(pattern)
  if (!Array.isArray(tokens)) return tokens
  let unsupported: string | undefined
  for (const t of tokens) {
    if (t.letter !== undefined && UNSUPPORTED_LETTERS.includes(t.letter)) unsupported ??= t.letter
  }
  if (unsupported !== undefined) {
    return {
      ok: false,
      kind: 'unsupported',
      reason: `pattern letter '${unsupported}' (week year, week numbers or zone names) is not supported by flumen`,
    }
  }
  let out = ''
  for (const t of tokens) out += t.letter === undefined ? t.text : field(t.letter, t.count, date)
  return { ok: true, text: out }
}

/** FastDatePrinter.parseToken, plus the checks FastDatePrinter and FastDateParser make. */
function tokenize(pattern: string): Token[] | DateFormatResult {
  const tokens: Token[] = []
  const n = pattern.length
  let i = 0
  while (i < n) {
    const c = pattern[i]!
    if (isLetter(c)) {
      let j = i + 1
      while (j < n && pattern[j] === c) j++
      const count = j - i
      if (!JAVA_LETTERS.includes(c)) {
        return { ok: false, kind: 'invalid', reason: `Illegal pattern component: ${c.repeat(count)}` }
      }
      if (c === 'X' && count > 3) return { ok: false, kind: 'invalid', reason: 'invalid number of X' }
      tokens.push({ letter: c, count, text: '' })
      i = j
      continue
    }
    let text = ''
    let inLiteral = false
    for (; i < n; i++) {
      const d = pattern[i]!
      if (d === "'") {
        if (pattern[i + 1] === "'") {
          // '' is a quote char, inside or outside quoted text.
          text += "'"
          i++
        } else inLiteral = !inLiteral
      } else if (!inLiteral && isLetter(d)) break
      else text += d
    }
    // FastDateParser (built by the same FastDateFormat.getInstance call) rejects this.
    if (inLiteral) return { ok: false, kind: 'invalid', reason: 'Unterminated quote' }
    tokens.push({ letter: undefined, count: 0, text })
  }
  return tokens
}

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

/** One FastDatePrinter rule: 1 letter = unpadded, 2 = two digits, more = zero-padded to the count. */
function number(value: number, count: number): string {
  return count === 1 ? String(value) : String(value).padStart(count, '0')
}

function field(letter: string, count: number, date: Date): string {
  const hours = date.getHours()
  switch (letter) {
    case 'G':
      return date.getFullYear() > 0 ? 'AD' : 'BC'
    case 'y':
      return count === 2
        ? number(date.getFullYear() % 100, 2)
        : number(date.getFullYear(), Math.max(count, 4))
    case 'M':
      if (count >= 4) return MONTHS[date.getMonth()]!
      if (count === 3) return MONTHS[date.getMonth()]!.slice(0, 3)
      return number(date.getMonth() + 1, count)
    case 'd':
      return number(date.getDate(), count)
    case 'h':
      return number(hours % 12 === 0 ? 12 : hours % 12, count)
    case 'H':
      return number(hours, count)
    case 'k':
      return number(hours === 0 ? 24 : hours, count)
    case 'K':
      return number(hours % 12, count)
    case 'm':
      return number(date.getMinutes(), count)
    case 's':
      return number(date.getSeconds(), count)
    case 'S':
      return number(date.getMilliseconds(), count)
    case 'E':
      return count < 4 ? WEEKDAYS[date.getDay()]!.slice(0, 3) : WEEKDAYS[date.getDay()]!
    case 'u':
      return number(date.getDay() === 0 ? 7 : date.getDay(), count)
    case 'D':
      return number(dayOfYear(date), count)
    case 'F':
      return number(Math.floor((date.getDate() - 1) / 7) + 1, count)
    case 'a':
      return hours < 12 ? 'AM' : 'PM'
    case 'X':
      return isoOffset(date, count)
    case 'Z':
      // Z: +HHMM, ZZ: ISO +HH:MM or Z, ZZZ and more: +HH:MM.
      return count === 2 ? isoOffset(date, 3) : offset(date, count > 2)
    default:
      // tokenize() let through only the letters handled above.
      throw new Error(`unreachable date pattern letter ${letter}`)
  }
}

function dayOfYear(date: Date): number {
  const y = date.getFullYear()
  return (Date.UTC(y, date.getMonth(), date.getDate()) - Date.UTC(y, 0, 1)) / 86_400_000 + 1
}

/** TimeZoneNumberRule: sign, two-digit hours, optional colon, two-digit minutes; never "Z". */
function offset(date: Date, colon: boolean): string {
  const minutes = -date.getTimezoneOffset()
  const abs = Math.abs(minutes)
  const hh = number(Math.floor(abs / 60), 2)
  const mm = number(abs % 60, 2)
  return `${minutes < 0 ? '-' : '+'}${hh}${colon ? ':' : ''}${mm}`
}

/** Iso8601_Rule: "Z" for UTC, else X: +HH, XX: +HHMM, XXX: +HH:MM. */
function isoOffset(date: Date, count: number): string {
  if (date.getTimezoneOffset() === 0) return 'Z'
  const full = offset(date, count === 3)
  return count === 1 ? full.slice(0, 3) : full
}
