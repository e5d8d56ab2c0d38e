// Parser for java.util.regex patterns: a line-by-line port of the parsing half of Java 17's
// java.util.regex.Pattern (RemoveQEQuoting, expr, sequence, atom, escape, clazz, range, family, group0,
// closure, …), so that exactly the patterns Java accepts are accepted, with Java's error descriptions and
// error index, and every construct gets the meaning Java gives it, quirks included (the comments name
// them). Instead of Java's matcher node graph it builds the AST below, recording which Java node each
// quantifier became, because that decides backtracking behaviour (see emit.ts).
//
// Case-insensitivity, POSIX/Unicode classes and flags are resolved here into explicit character sets
// (charset.ts), at the position where Java resolves them.

import {
  ALL,
  ASCII_DIGIT,
  ASCII_SPACE,
  ASCII_WORD,
  asciiToLower,
  asciiToUpper,
  Bits,
  type CSet,
  ciRangeAscii,
  ciRangeUnicode,
  DOT,
  EMPTY,
  foldAscii,
  foldUnicode,
  HORIZ_WS,
  javaBlock,
  javaLower,
  javaPosixName,
  javaProperty,
  javaScript,
  javaUnicodeProperty,
  javaUpper,
  not,
  r,
  and as setAnd,
  single,
  UDIGIT,
  UNIX_DOT,
  UWORD,
  union,
  VERT_WS,
  WHITE_SPACE,
} from './charset.ts'
import { JavaRegexError } from './errors.ts'

// java.util.regex.Pattern flag bits.
export const UNIX_LINES = 0x01
export const CASE_INSENSITIVE = 0x02
export const COMMENTS = 0x04
export const MULTILINE = 0x08
export const DOTALL = 0x20
export const UNICODE_CASE = 0x40
export const CANON_EQ = 0x80
export const UNICODE_CHARACTER_CLASS = 0x100

export const MAX_REPS = 0x7fffffff

/**
 * Which Java matcher node a quantifier became. It matters: Java's Ques and Curly on a single atom, and
 * GroupCurly on a "deterministic" group, take the first way the atom/body matches and never backtrack into
 * it (only the repetition count backtracks); Branch (a group with ? or ??) and Loop backtrack fully.
 */
export type QuantKind =
  | 'ques' // Ques on a non-group atom
  | 'curly' // Curly on a non-group atom, or on a lookaround/atomic group
  | 'cpGreedy' // CharPropertyGreedy: X* / X+ on a character property
  | 'branch' // (group)? and (group)?? — a Branch with an empty alternative
  | 'groupQuesPossessive' // (group)?+
  | 'groupCurly' // GroupCurly: greedy/lazy repetition of a deterministic group
  | 'loop' // Prolog/Loop: greedy/lazy repetition of a non-deterministic group
  | 'groupCurlyPossessive' // Curly(POSSESSIVE) on a group

export type AnchorKind =
  | 'begin' // ^ (no MULTILINE), \A
  | 'end' // \z
  | 'caret' // ^ with MULTILINE
  | 'unixCaret' // ^ with MULTILINE and UNIX_LINES
  | 'dollar' // $ (no MULTILINE), \Z
  | 'dollarM' // $ with MULTILINE
  | 'unixDollar' // $ / \Z with UNIX_LINES
  | 'unixDollarM' // $ with MULTILINE and UNIX_LINES

export type Ast =
  | { readonly t: 'seq'; readonly items: readonly Ast[] }
  | { readonly t: 'alt'; readonly alts: readonly Ast[] }
  /** One code point of `set`. `jcp`: Java built a CharProperty (quantifiable as CharPropertyGreedy). */
  | { readonly t: 'cp'; readonly set: CSet; readonly jcp: boolean }
  /** cap > 0: capturing group number; 0: (?:…) or (?flags:…). */
  | { readonly t: 'group'; readonly cap: number; readonly body: Ast }
  /** rmin/rmax: the look-behind window Java computed (TreeInfo), in code points or UTF-16 units. */
  | {
      readonly t: 'look'
      readonly behind: boolean
      readonly neg: boolean
      readonly body: Ast
      readonly rmin: number
      readonly rmax: number
      /** Java picked BehindS (window counted in code points): a supplementary char follows in the pattern. */
      readonly supp: boolean
      readonly pos: number
    }
  | { readonly t: 'atomic'; readonly body: Ast; readonly pos: number }
  | {
      readonly t: 'quant'
      readonly body: Ast
      readonly min: number
      readonly max: number
      readonly mode: 'greedy' | 'lazy' | 'possessive'
      readonly kind: QuantKind
      readonly pos: number
    }
  /** ci: 0 exact, 1 ASCII case-insensitive, 2 Unicode case-insensitive (CIBackRef). */
  | { readonly t: 'backref'; readonly n: number; readonly ci: 0 | 1 | 2; readonly pos: number }
  | { readonly t: 'anchor'; readonly a: AnchorKind }
  | { readonly t: 'bound'; readonly neg: boolean; readonly uword: boolean }
  /** \R (Pattern.LineEnding). */
  | { readonly t: 'lb' }

export interface Parsed {
  readonly ast: Ast
  /** Number of capturing groups (Matcher.groupCount()). */
  readonly groupCount: number
  readonly names: ReadonlyMap<string, number>
  /** The first construct Java accepts but flumen cannot reproduce, if any. */
  readonly unsupported: { readonly index: number; readonly what: string; readonly instead: string } | null
}

const EMPTY_SEQ: Ast = { t: 'seq', items: [] }

const ch = (s: string): number => s.charCodeAt(0)
const isAsciiDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isAsciiAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
const isAsciiAlnum = (c: number): boolean => isAsciiAlpha(c) || isAsciiDigit(c)
const isAsciiSpace = (c: number): boolean => (c >= 0x09 && c <= 0x0d) || c === 0x20
const isHexDigit = (c: number): boolean =>
  isAsciiDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const hexValue = (c: number): number => (isAsciiDigit(c) ? c - 0x30 : (c | 0x20) - 0x57)
/** Pattern.isSupplementary: a supplementary code point or a lone surrogate. */
const isSupplementary = (c: number): boolean => c >= 0x10000 || (c >= 0xd800 && c <= 0xdfff)

/** Hints appended to Java's error descriptions: what to write instead. */
const HINTS: readonly (readonly [RegExp, string])[] = [
  [/^Dangling meta character '(.)'/, 'Escape it as \\$1 to match it literally.'],
  [/^Unclosed character class$/, 'Close the class with ] or write \\[ for a literal bracket.'],
  [/^Unclosed group$/, 'Close the group with ) or write \\( for a literal parenthesis.'],
  [/^Unmatched closing '\)'$/, 'Remove it or write \\) for a literal parenthesis.'],
  [/^Illegal repetition$/, 'Write \\{ for a literal brace; a repetition is {n}, {n,} or {n,m}.'],
  [/^Illegal repetition range$/, 'A repetition {n,m} needs n <= m <= 2147483647.'],
  [/^Unclosed counted closure$/, 'Close the repetition with }, e.g. {2,5}.'],
  [
    /^Illegal\/unsupported escape sequence$/,
    'Escape only punctuation, or use an escape java.util.regex.Pattern documents.',
  ],
  [
    /^Illegal character range$/,
    'A range goes from the lower to the higher character; write \\- for a literal dash.',
  ],
  [/^Bad class syntax$/, 'Both sides of && need characters, e.g. [a-z&&[^aeiou]].'],
  [/^Unexpected character/, 'Escape it with a backslash.'],
  [/^Unclosed character family$/, 'Close the property with }, e.g. \\p{Lu}.'],
  [/^Empty character family$/, 'Name a property, e.g. \\p{L}.'],
  [
    /^Unknown (character|Unicode) property/,
    'See java.util.regex.Pattern for the \\p{…} names, e.g. \\p{Alpha}, \\p{L}, \\p{IsLatin}, \\p{InGreek}.',
  ],
  [
    /^Look-behind group does not have an obvious maximum length$/,
    'Bound the repetitions inside the look-behind, e.g. {0,100} instead of * after a group.',
  ],
  [/^Unknown inline modifier$/, 'Inline flags are the letters idmsuxU, as in (?i) or (?i:…).'],
  [/^Unknown group type$/, 'Groups are (…), (?:…), (?<name>…), (?>…), (?=…), (?!…), (?<=…) and (?<!…).'],
  [
    /capturing group name|named capturing group is missing trailing '>'/,
    'A group name is a Latin letter followed by letters or digits: (?<name>…).',
  ],
  [/^Named capturing group <.*> is already defined$/, 'Give each group its own name.'],
  [/^named capturing group <.*> does not exist$/, 'Define (?<name>…) before referring to it with \\k<name>.'],
  [/^\\k is not followed by '<'/, 'Refer to a named group as \\k<name>.'],
  [
    /^Illegal octal escape sequence$/,
    'An octal escape is \\0 followed by one to three octal digits, e.g. \\012.',
  ],
  [/^Illegal hexadecimal escape sequence$/, 'Write \\xhh with two hex digits or \\x{h…h}.'],
  [/^Unclosed hexadecimal escape sequence$/, 'Close it with }, e.g. \\x{1F600}.'],
  [/^Hexadecimal codepoint is too big$/, 'The largest code point is \\x{10FFFF}.'],
  [/^Illegal Unicode escape sequence$/, 'Write \\uhhhh with exactly four hex digits.'],
  [/^Illegal control escape sequence$/, 'Follow \\c with a character, e.g. \\cM.'],
  [/character name escape sequence$/, 'Write \\N{NAME} or, in flumen, \\x{hhhh}.'],
]

function hintFor(desc: string): string {
  for (const [re, hint] of HINTS) {
    const m = re.exec(desc)
    if (m !== null) return ` ${hint.replace('$1', m[1] ?? '')}`
  }
  return ''
}

export function parseJavaPattern(pattern: string, flags: number): Parsed {
  return new JavaPatternParser(pattern, flags).parse()
}

class JavaPatternParser {
  readonly #pattern: string
  #flags0: number
  /** Code points of the pattern after \Q…\E removal, then two zeros (Java's terminators). */
  #temp: number[] = []
  /** For each #temp position, the UTF-16 offset in #pattern it came from (error reporting). */
  #src: number[] = []
  #patternLength = 0
  #cursor = 0
  #capturingGroupCount = 1
  readonly #names = new Map<string, number>()
  /** escape()'s side outputs, as in Java: the node it created, or the predicate of a class escape. */
  #root: Ast | null = null
  #predicate: CSet | null = null
  #unsupported: Parsed['unsupported'] = null

  constructor(pattern: string, flags: number) {
    this.#pattern = pattern
    this.#flags0 = flags
  }

  parse(): Parsed {
    const pattern = this.#pattern
    const temp: number[] = []
    const src: number[] = []
    for (let x = 0; x < pattern.length; ) {
      const c = pattern.codePointAt(x)!
      temp.push(c)
      src.push(x)
      x += c > 0xffff ? 2 : 1
    }
    this.#patternLength = temp.length
    temp.push(0, 0)
    src.push(pattern.length, pattern.length)
    this.#temp = temp
    this.#src = src
    if (this.#has(CANON_EQ)) this.#unsupport(0, 'the CANON_EQ flag', 'normalize the input instead')
    this.#removeQEQuoting()
    const ast = this.#expr()
    if (this.#patternLength !== this.#cursor) {
      if (this.#peek() === ch(')')) throw this.#error("Unmatched closing ')'")
      throw this.#error('Unexpected internal error')
    }
    return {
      ast,
      groupCount: this.#capturingGroupCount - 1,
      names: this.#names,
      unsupported: this.#unsupported,
    }
  }

  /** Pattern.newCharProperty: a character property node (CharPropertyGreedy can repeat it). */
  #newCharProperty(set: CSet): Ast {
    return { t: 'cp', set, jcp: true }
  }

  // -------------------------------------------------------------------------------------------------
  // Cursor primitives (Pattern.peek/read/next/skip/unread, COMMENTS-aware where Java's are)

  #has(f: number): boolean {
    return (this.#flags0 & f) !== 0
  }
  #t(i: number): number {
    return this.#temp[i] ?? 0
  }
  #accept(c: number, s: string): void {
    let testChar = this.#t(this.#cursor++)
    if (this.#has(COMMENTS)) testChar = this.#parsePastWhitespace(testChar)
    if (c !== testChar) throw this.#error(s)
  }
  #mark(c: number): void {
    this.#temp[this.#patternLength] = c
  }
  #peek(): number {
    let c = this.#t(this.#cursor)
    if (this.#has(COMMENTS)) c = this.#peekPastWhitespace(c)
    return c
  }
  #read(): number {
    let c = this.#t(this.#cursor++)
    if (this.#has(COMMENTS)) c = this.#parsePastWhitespace(c)
    return c
  }
  #next(): number {
    let c = this.#t(++this.#cursor)
    if (this.#has(COMMENTS)) c = this.#peekPastWhitespace(c)
    return c
  }
  #nextEscaped(): number {
    return this.#t(++this.#cursor)
  }
  #peekPastWhitespace(c: number): number {
    while (isAsciiSpace(c) || c === ch('#')) {
      while (isAsciiSpace(c)) c = this.#t(++this.#cursor)
      if (c === ch('#')) c = this.#peekPastLine()
    }
    return c
  }
  #parsePastWhitespace(c: number): number {
    while (isAsciiSpace(c) || c === ch('#')) {
      while (isAsciiSpace(c)) c = this.#t(this.#cursor++)
      if (c === ch('#')) c = this.#parsePastLine()
    }
    return c
  }
  #parsePastLine(): number {
    let c = this.#t(this.#cursor++)
    while (c !== 0 && !this.#isLineSeparator(c)) c = this.#t(this.#cursor++)
    if (c === 0 && this.#cursor > this.#patternLength) {
      this.#cursor = this.#patternLength
      c = this.#t(this.#cursor++)
    }
    return c
  }
  #peekPastLine(): number {
    let c = this.#t(++this.#cursor)
    while (c !== 0 && !this.#isLineSeparator(c)) c = this.#t(++this.#cursor)
    if (c === 0 && this.#cursor > this.#patternLength) {
      this.#cursor = this.#patternLength
      c = this.#t(this.#cursor)
    }
    return c
  }
  #isLineSeparator(c: number): boolean {
    if (this.#has(UNIX_LINES)) return c === 0x0a
    return c === 0x0a || c === 0x0d || (c | 1) === 0x2029 || c === 0x85
  }
  #skip(): number {
    const i = this.#cursor
    const c = this.#t(i + 1)
    this.#cursor = i + 2
    return c
  }
  #unread(): void {
    this.#cursor--
  }

  #offset(javaIndex: number): number {
    if (javaIndex < 0) return -1
    return this.#src[Math.min(javaIndex, this.#src.length - 1)] ?? this.#pattern.length
  }

  /** Pattern.error: the index Java reports is cursor - 1 (in code points, after \Q…\E removal). */
  #error(desc: string): JavaRegexError {
    const javaIndex = this.#cursor - 1
    const index = this.#offset(javaIndex)
    const where = index >= 0 ? ` at index ${index}` : ''
    return new JavaRegexError(
      'FLUME_ERR_REGEX_SYNTAX',
      `Invalid Java regular expression ${JSON.stringify(this.#pattern)}: ${desc}${where}.${hintFor(desc)}`,
      this.#pattern,
      index,
      { javaIndex, javaDescription: desc },
    )
  }

  /** Records a construct Java accepts but flumen cannot reproduce; reported only if Java accepts the rest. */
  #unsupport(javaIndex: number, what: string, instead: string): void {
    this.#unsupported ??= { index: this.#offset(javaIndex), what, instead }
  }

  // -------------------------------------------------------------------------------------------------
  // Pattern.RemoveQEQuoting: \Q…\E is rewritten before parsing, quoting every non-alphanumeric ASCII
  // character with a backslash (so in COMMENTS mode a quoted space stays a literal space).

  #removeQEQuoting(): void {
    const pLen = this.#patternLength
    const temp = this.#temp
    let i = 0
    while (i < pLen - 1) {
      if (temp[i] !== ch('\\')) i += 1
      else if (temp[i + 1] !== ch('Q')) i += 2
      else break
    }
    if (i >= pLen - 1) return
    const newtemp = temp.slice(0, i)
    const newsrc = this.#src.slice(0, i)
    const push = (c: number, from: number): void => {
      newtemp.push(c)
      newsrc.push(this.#src[from]!)
    }
    i += 2
    let inQuote = true
    let beginQuote = true
    while (i < pLen) {
      const from = i
      const c = temp[i++]!
      if (c >= 0x80 || isAsciiAlpha(c)) {
        push(c, from)
      } else if (isAsciiDigit(c)) {
        if (beginQuote) {
          // Java: a \0, \x or \u escape could precede the quote; keep the digit out of it.
          push(ch('\\'), from)
          push(ch('x'), from)
          push(ch('3'), from)
        }
        push(c, from)
      } else if (c !== ch('\\')) {
        if (inQuote) push(ch('\\'), from)
        push(c, from)
      } else if (inQuote) {
        if (temp[i] === ch('E')) {
          i++
          inQuote = false
        } else {
          push(ch('\\'), from)
          push(ch('\\'), from)
        }
      } else {
        if (temp[i] === ch('Q')) {
          i++
          inQuote = true
          beginQuote = true
          continue
        }
        push(c, from)
        if (i !== pLen) push(temp[i]!, i++)
      }
      beginQuote = false
    }
    this.#patternLength = newtemp.length
    newtemp.push(0, 0)
    newsrc.push(this.#pattern.length, this.#pattern.length)
    this.#temp = newtemp
    this.#src = newsrc
  }

  // -------------------------------------------------------------------------------------------------
  // Pattern.expr / sequence / atom

  #expr(): Ast {
    const alts: Ast[] = []
    for (;;) {
      alts.push(this.#sequence())
      if (this.#peek() !== ch('|')) return alts.length === 1 ? alts[0]! : { t: 'alt', alts }
      this.#next()
    }
  }

  #sequence(): Ast {
    const items: Ast[] = []
    for (;;) {
      let c = this.#peek()
      let node: Ast
      switch (c) {
        case ch('('): {
          const g = this.#group0()
          if (g !== null) items.push(g)
          continue
        }
        case ch('['):
          if (this.#has(CANON_EQ)) this.#unsupport(this.#cursor, 'a character class under CANON_EQ', '')
          node = this.#newCharProperty(this.#clazz(true))
          break
        case ch('\\'):
          c = this.#nextEscaped()
          if (c === ch('p') || c === ch('P')) {
            let oneLetter = true
            const comp = c === ch('P')
            c = this.#next()
            if (c !== ch('{')) this.#unread()
            else oneLetter = false
            node = this.#newCharProperty(this.#family(oneLetter, comp))
          } else {
            this.#unread()
            node = this.#atom()
          }
          break
        case ch('^'):
          this.#next()
          node = {
            t: 'anchor',
            a: this.#has(MULTILINE) ? (this.#has(UNIX_LINES) ? 'unixCaret' : 'caret') : 'begin',
          }
          break
        case ch('$'):
          this.#next()
          node = { t: 'anchor', a: this.#dollar(this.#has(MULTILINE)) }
          break
        case ch('.'):
          this.#next()
          node = {
            t: 'cp',
            set: this.#has(DOTALL) ? ALL : this.#has(UNIX_LINES) ? UNIX_DOT : DOT,
            jcp: true,
          }
          break
        case ch('|'):
        case ch(')'):
          return items.length === 1 ? items[0]! : { t: 'seq', items }
        case ch(']'):
        case ch('}'):
          node = this.#atom()
          break
        case ch('?'):
        case ch('*'):
        case ch('+'):
          this.#next()
          throw this.#error(`Dangling meta character '${String.fromCharCode(c)}'`)
        case 0:
          if (this.#cursor >= this.#patternLength) return items.length === 1 ? items[0]! : { t: 'seq', items }
          node = this.#atom()
          break
        default:
          node = this.#atom()
          break
      }
      items.push(this.#closure(node))
    }
  }

  #dollar(multiline: boolean): AnchorKind {
    if (this.#has(UNIX_LINES)) return multiline ? 'unixDollarM' : 'unixDollar'
    return multiline ? 'dollarM' : 'dollar'
  }

  /** Pattern.atom: a run of literal characters (a Slice), or one escape producing a node. */
  #atom(): Ast {
    const buffer: number[] = []
    let prev = -1
    let c = this.#peek()
    for (;;) {
      switch (c) {
        case ch('*'):
        case ch('+'):
        case ch('?'):
        case ch('{'):
          // The quantifier applies to the last character only: unwind it into its own atom.
          if (buffer.length > 1) {
            this.#cursor = prev
            buffer.pop()
          }
          break
        case ch('$'):
        case ch('.'):
        case ch('^'):
        case ch('('):
        case ch('['):
        case ch('|'):
        case ch(')'):
          break
        case ch('\\'): {
          c = this.#nextEscaped()
          if (c === ch('p') || c === ch('P')) {
            if (buffer.length > 0) {
              this.#unread()
              break
            }
            const comp = c === ch('P')
            let oneLetter = true
            c = this.#next()
            if (c !== ch('{')) this.#unread()
            else oneLetter = false
            return this.#newCharProperty(this.#family(oneLetter, comp))
          }
          this.#unread()
          prev = this.#cursor
          c = this.#escape(false, buffer.length === 0, false)
          if (c >= 0) {
            buffer.push(c)
            c = this.#peek()
            continue
          }
          if (buffer.length === 0) return this.#root!
          this.#cursor = prev // unwind the meta escape; the next atom parses it
          break
        }
        case 0:
          if (this.#cursor >= this.#patternLength) break
          prev = this.#cursor
          buffer.push(c)
          c = this.#next()
          continue
        default:
          prev = this.#cursor
          buffer.push(c)
          c = this.#next()
          continue
      }
      break
    }
    if (buffer.length === 1) return this.#newCharProperty(this.#single(buffer[0]!))
    return this.#slice(buffer)
  }

  /** Pattern.newSlice: SliceI compares ASCII.toLower, SliceU toLowerCase(toUpperCase(c)), per character. */
  #slice(buffer: number[]): Ast {
    const items: Ast[] = buffer.map((c) => {
      let set: CSet
      if (this.#has(CASE_INSENSITIVE)) {
        if (this.#has(UNICODE_CASE)) {
          const lower = javaLower(javaUpper(c))
          set = foldUnicode(lower)
        } else {
          set = foldAscii(c)
        }
      } else {
        set = single(c)
      }
      return { t: 'cp', set, jcp: false }
    })
    return items.length === 1 ? items[0]! : { t: 'seq', items }
  }

  /** Pattern.ref: the first digit is always a reference; more digits only while such a group exists. */
  #ref(refNum: number): Ast {
    const pos = this.#cursor - 2
    for (;;) {
      const c = this.#peek()
      if (!isAsciiDigit(c)) break
      const newRefNum = refNum * 10 + (c - 0x30)
      if (this.#capturingGroupCount - 1 < newRefNum) break
      refNum = newRefNum
      this.#read()
    }
    return { t: 'backref', n: refNum, ci: this.#backrefCase(), pos: this.#offset(pos) }
  }

  #backrefCase(): 0 | 1 | 2 {
    if (!this.#has(CASE_INSENSITIVE)) return 0
    return this.#has(UNICODE_CASE) ? 2 : 1
  }

  /**
   * Pattern.escape. Returns the code point of a character escape, or -1 after setting #root (create) and
   * #predicate to what a meta escape stands for.
   */
  #escape(inclass: boolean, create: boolean, isrange: boolean): number {
    const start = this.#cursor
    const c = this.#skip()
    const uc = this.#has(UNICODE_CHARACTER_CLASS)
    const cls = (set: CSet): number => {
      if (create) {
        this.#predicate = set
        if (!inclass) this.#root = this.#newCharProperty(set)
      }
      return -1
    }
    switch (String.fromCharCode(c)) {
      case '0':
        return this.#o()
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        if (inclass) break
        if (create) this.#root = this.#ref(c - 0x30)
        return -1
      case 'A':
        if (inclass) break
        if (create) this.#root = { t: 'anchor', a: 'begin' }
        return -1
      case 'B':
        if (inclass) break
        if (create) this.#root = { t: 'bound', neg: true, uword: uc }
        return -1
      case 'D':
        return cls(not(uc ? UDIGIT : ASCII_DIGIT))
      case 'G':
        if (inclass) break
        if (create) {
          this.#unsupport(start, '\\G (end of the previous match)', 'anchor with ^ or \\A instead')
          this.#root = EMPTY_SEQ
        }
        return -1
      case 'H':
        return cls(not(HORIZ_WS))
      case 'N':
        return this.#N(start)
      case 'R':
        if (inclass) break
        if (create) this.#root = { t: 'lb' }
        return -1
      case 'S':
        return cls(not(uc ? WHITE_SPACE : ASCII_SPACE))
      case 'V':
        return cls(not(VERT_WS))
      case 'W':
        return cls(not(uc ? UWORD : ASCII_WORD))
      case 'X':
        if (inclass) break
        if (create) {
          this.#unsupport(start, '\\X (extended grapheme cluster)', 'match the characters explicitly')
          this.#root = EMPTY_SEQ
        }
        return -1
      case 'Z':
        if (inclass) break
        if (create) this.#root = { t: 'anchor', a: this.#dollar(false) }
        return -1
      case 'a':
        return 0x07
      case 'b':
        if (inclass) break
        if (create) {
          if (this.#peek() === ch('{')) {
            if (this.#skip() === ch('g')) {
              if (this.#read() === ch('}')) {
                this.#unsupport(start, '\\b{g} (grapheme cluster boundary)', 'use \\b or a lookaround')
                this.#root = EMPTY_SEQ
                return -1
              }
              break // Java: missing trailing }
            }
            this.#unread()
            this.#unread()
          }
          this.#root = { t: 'bound', neg: false, uword: uc }
        }
        return -1
      case 'c':
        return this.#c()
      case 'd':
        return cls(uc ? UDIGIT : ASCII_DIGIT)
      case 'e':
        return 0x1b
      case 'f':
        return 0x0c
      case 'h':
        return cls(HORIZ_WS)
      case 'k': {
        if (inclass) break
        if (this.#read() !== ch('<'))
          throw this.#error("\\k is not followed by '<' for named capturing group")
        const name = this.#groupname(this.#read())
        const n = this.#names.get(name)
        if (n === undefined) throw this.#error(`named capturing group <${name}> does not exist`)
        if (create) this.#root = { t: 'backref', n, ci: this.#backrefCase(), pos: this.#offset(start) }
        return -1
      }
      case 'n':
        return 0x0a
      case 'r':
        return 0x0d
      case 's':
        return cls(uc ? WHITE_SPACE : ASCII_SPACE)
      case 't':
        return 0x09
      case 'u':
        return this.#u()
      case 'v':
        // Java: \v is vertical whitespace since Java 8, but still VT when it is the end of a range.
        if (isrange) return 0x0b
        return cls(VERT_WS)
      case 'w':
        return cls(uc ? UWORD : ASCII_WORD)
      case 'x':
        return this.#x()
      case 'z':
        if (inclass) break
        if (create) this.#root = { t: 'anchor', a: 'end' }
        return -1
      case 'C':
      case 'E':
      case 'F':
      case 'I':
      case 'J':
      case 'K':
      case 'L':
      case 'M':
      case 'O':
      case 'P':
      case 'Q':
      case 'T':
      case 'U':
      case 'Y':
      case 'g':
      case 'i':
      case 'j':
      case 'l':
      case 'm':
      case 'o':
      case 'p':
      case 'q':
      case 'y':
        break
      default:
        return c
    }
    throw this.#error('Illegal/unsupported escape sequence')
  }

  #c(): number {
    if (this.#cursor < this.#patternLength) return this.#read() ^ 64
    throw this.#error('Illegal control escape sequence')
  }

  #o(): number {
    const n = this.#read()
    if (n >= 0x30 && n <= 0x37) {
      const m = this.#read()
      if (m >= 0x30 && m <= 0x37) {
        const o = this.#read()
        if (o >= 0x30 && o <= 0x37 && n >= 0x30 && n <= 0x33)
          return (n - 0x30) * 64 + (m - 0x30) * 8 + (o - 0x30)
        this.#unread()
        return (n - 0x30) * 8 + (m - 0x30)
      }
      this.#unread()
      return n - 0x30
    }
    throw this.#error('Illegal octal escape sequence')
  }

  #x(): number {
    let n = this.#read()
    if (isHexDigit(n)) {
      const m = this.#read()
      if (isHexDigit(m)) return hexValue(n) * 16 + hexValue(m)
    } else if (n === ch('{') && isHexDigit(this.#peek())) {
      let v = 0
      while (isHexDigit((n = this.#read()))) {
        v = v * 16 + hexValue(n)
        if (v > 0x10ffff) throw this.#error('Hexadecimal codepoint is too big')
      }
      if (n !== ch('}')) throw this.#error('Unclosed hexadecimal escape sequence')
      return v
    }
    throw this.#error('Illegal hexadecimal escape sequence')
  }

  #uxxxx(): number {
    let n = 0
    for (let i = 0; i < 4; i++) {
      const c = this.#read()
      if (!isHexDigit(c)) throw this.#error('Illegal Unicode escape sequence')
      n = n * 16 + hexValue(c)
    }
    return n
  }

  #u(): number {
    const n = this.#uxxxx()
    if (n >= 0xd800 && n <= 0xdbff) {
      // A \uHHHH\uHHHH surrogate pair is one supplementary code point.
      const cur = this.#cursor
      if (this.#read() === ch('\\') && this.#read() === ch('u')) {
        const n2 = this.#uxxxx()
        if (n2 >= 0xdc00 && n2 <= 0xdfff) return (n - 0xd800) * 0x400 + (n2 - 0xdc00) + 0x10000
      }
      this.#cursor = cur
    }
    return n
  }

  /** Pattern.N: \N{name}. JavaScript has no character name table, so this is unsupported. */
  #N(start: number): number {
    if (this.#read() === ch('{')) {
      while (this.#read() !== ch('}')) {
        if (this.#cursor >= this.#patternLength) throw this.#error('Unclosed character name escape sequence')
      }
      this.#unsupport(
        start,
        '\\N{name} (a character by its Unicode name)',
        'write the character as \\x{hhhh}',
      )
      return 0xfffd
    }
    throw this.#error('Illegal character name escape sequence')
  }

  // -------------------------------------------------------------------------------------------------
  // Character classes: Pattern.clazz / bitsOrSingle / single / range / family

  /**
   * Pattern.clazz. Java 9+ semantics: `[^…]` negates the whole class including nested classes; `&&` has
   * the lowest precedence. The BitClass quirk is reproduced by `bits` being a shared reference.
   */
  #clazz(consume: boolean): CSet {
    let prev: CSet | null = null
    let curr: CSet | null = null
    const bitsRef = new Bits()
    const bits: CSet = { k: 'bits', ref: bitsRef }
    let isNeg = false
    let hasBits = false
    let c = this.#next()
    if (c === ch('^') && this.#t(this.#cursor - 1) === ch('[')) {
      c = this.#next()
      isNeg = true
    }
    for (;;) {
      switch (c) {
        case ch('['):
          curr = this.#clazz(true)
          prev = prev === null ? curr : union(prev, curr)
          c = this.#peek()
          continue
        case ch('&'):
          c = this.#next()
          if (c === ch('&')) {
            const andPos = this.#cursor
            c = this.#next()
            let right: CSet | null = null
            while (c !== ch(']') && c !== ch('&')) {
              if (c === ch('[')) {
                right = right === null ? this.#clazz(true) : union(right, this.#clazz(true))
              } else {
                this.#unread()
                right = right === null ? this.#clazz(false) : union(right, this.#clazz(false))
              }
              c = this.#peek()
            }
            if (hasBits) {
              if (prev === null) prev = curr = bits
              else prev = union(prev, bits)
              hasBits = false
            }
            if (right !== null) curr = right
            if (prev === null) {
              if (right === null) throw this.#error('Bad class syntax')
              prev = right
            } else if (curr === null) {
              // Java builds prev.and(null) and throws NullPointerException when the class is used.
              this.#unsupport(andPos, 'an empty right-hand side of && after a character', 'remove the &&')
              prev = EMPTY
            } else {
              prev = setAnd(prev, curr)
            }
          } else {
            this.#unread() // a literal &
            break
          }
          continue
        case 0:
          if (this.#cursor >= this.#patternLength) throw this.#error('Unclosed character class')
          break
        case ch(']'):
          if (prev !== null || hasBits) {
            if (consume) this.#next()
            if (prev === null) prev = bits
            else if (hasBits) prev = union(prev, bits)
            return isNeg ? not(prev) : prev
          }
          break // a ] right after [ or [^ is a literal
        default:
          break
      }
      curr = this.#range(bitsRef)
      if (curr === null) {
        hasBits = true
      } else if (prev === null) {
        prev = curr
      } else if (prev !== curr) {
        prev = union(prev, curr)
      }
      c = this.#peek()
    }
  }

  /** Pattern.bitsOrSingle: Latin-1 characters go into the class's BitClass, except some under (?iu). */
  #bitsOrSingle(bits: Bits, c: number): CSet | null {
    const ciu = this.#has(CASE_INSENSITIVE) && this.#has(UNICODE_CASE)
    if (c < 256 && !(ciu && [0xff, 0xb5, 0x49, 0x69, 0x53, 0x73, 0x4b, 0x6b, 0xc5, 0xe5].includes(c))) {
      // BitClass.add
      if (this.#has(CASE_INSENSITIVE)) {
        if (c < 0x80) {
          bits.cps.add(asciiToUpper(c))
          bits.cps.add(asciiToLower(c))
        } else if (this.#has(UNICODE_CASE)) {
          bits.cps.add(javaLower(c))
          bits.cps.add(javaUpper(c))
        }
      }
      bits.cps.add(c)
      return null
    }
    return this.#single(c)
  }

  /** Pattern.single. Note (?iu)ß alone matches only ß (toUpperCase(ß) is ß), unlike ß inside a slice. */
  #single(c: number): CSet {
    if (this.#has(CASE_INSENSITIVE)) {
      if (this.#has(UNICODE_CASE)) {
        const upper = javaUpper(c)
        const lower = javaLower(upper)
        if (upper !== lower) return foldUnicode(lower)
      } else if (c < 0x80) {
        return foldAscii(c)
      }
    }
    return single(c)
  }

  /** Pattern.range: one class member — a property, an escape, a character or a range. */
  #range(bits: Bits): CSet | null {
    let c = this.#peek()
    if (c === ch('\\')) {
      c = this.#nextEscaped()
      if (c === ch('p') || c === ch('P')) {
        const comp = c === ch('P')
        let oneLetter = true
        c = this.#next()
        if (c !== ch('{')) this.#unread()
        else oneLetter = false
        return this.#family(oneLetter, comp)
      }
      const isrange = this.#t(this.#cursor + 1) === ch('-')
      this.#unread()
      c = this.#escape(true, true, isrange)
      if (c === -1) return this.#predicate!
    } else {
      this.#next()
    }
    if (c >= 0) {
      if (this.#peek() === ch('-')) {
        const endRange = this.#t(this.#cursor + 1)
        if (endRange === ch('[')) return this.#bitsOrSingle(bits, c)
        if (endRange !== ch(']')) {
          this.#next()
          let m = this.#peek()
          if (m === ch('\\')) m = this.#escape(true, false, true)
          else this.#next()
          if (m < c) throw this.#error('Illegal character range')
          if (this.#has(CASE_INSENSITIVE)) {
            return this.#has(UNICODE_CASE) ? ciRangeUnicode(c, m) : ciRangeAscii(c, m)
          }
          return r(c, m)
        }
      }
      return this.#bitsOrSingle(bits, c)
    }
    throw this.#error(`Unexpected character '${String.fromCharCode(c)}'`)
  }

  /** Pattern.family: \p{…} and \P{…}. */
  #family(singleLetter: boolean, isComplement: boolean): CSet {
    this.#next()
    let name: string
    if (singleLetter) {
      name = String.fromCodePoint(this.#t(this.#cursor))
      this.#read()
    } else {
      const i = this.#cursor
      this.#mark(ch('}'))
      while (this.#read() !== ch('}')) {
        // scan to the closing brace (the mark guarantees one)
      }
      this.#mark(0)
      const j = this.#cursor
      if (j > this.#patternLength) throw this.#error('Unclosed character family')
      if (i + 1 >= j) throw this.#error('Empty character family')
      name = String.fromCodePoint(...this.#temp.slice(i, j - 1))
    }
    const caseIns = this.#has(CASE_INSENSITIVE)
    let p: CSet | null = null
    const eq = name.indexOf('=')
    if (eq !== -1) {
      const value = name.slice(eq + 1)
      const key = name.slice(0, eq).toLowerCase()
      switch (key) {
        case 'sc':
        case 'script':
          p = javaScript(value)
          break
        case 'blk':
        case 'block':
          p = javaBlock(value)
          break
        case 'gc':
        case 'general_category':
          p = javaProperty(value, caseIns)
          break
      }
      if (p === null) throw this.#error(`Unknown Unicode property {name=<${key}>, value=<${value}>}`)
    } else {
      if (name.startsWith('In')) {
        p = javaBlock(name.slice(2))
      } else if (name.startsWith('Is')) {
        const shortName = name.slice(2)
        p = javaUnicodeProperty(shortName.toUpperCase(), caseIns)
        p ??= javaProperty(shortName, caseIns)
        p ??= javaScript(shortName)
      } else {
        if (this.#has(UNICODE_CHARACTER_CLASS)) p = javaPosixName(name.toUpperCase(), caseIns)
        p ??= javaProperty(name, caseIns)
      }
      if (p === null) throw this.#error(`Unknown character property name {${name}}`)
    }
    return isComplement ? not(p) : p
  }

  // -------------------------------------------------------------------------------------------------
  // Groups: Pattern.groupname / group0 / addFlag / subFlag

  #groupname(c: number): string {
    if (!isAsciiAlpha(c)) throw this.#error('capturing group name does not start with a Latin letter')
    let s = ''
    do {
      s += String.fromCharCode(c)
    } while (isAsciiAlnum((c = this.#read())))
    if (c !== ch('>')) throw this.#error("named capturing group is missing trailing '>'")
    return s
  }

  /** Pattern.group0. Returns null for a pure flag group `(?i)`. */
  #group0(): Ast | null {
    const save = this.#flags0
    const groupStart = this.#cursor
    let node: Ast
    // capture: the group's number; kind: what Java's closure() sees (a group, or a zero-width assertion
    // or independent group that it quantifies like a single atom).
    let capture = 0
    let kind: 'group' | 'assertion' = 'group'
    let c = this.#next()
    if (c === ch('?')) {
      c = this.#skip()
      switch (String.fromCharCode(c)) {
        case ':':
          node = { t: 'group', cap: 0, body: this.#expr() }
          break
        case '=':
        case '!':
          node = {
            t: 'look',
            behind: false,
            neg: c === ch('!'),
            body: this.#expr(),
            rmin: 0,
            rmax: 0,
            supp: false,
            pos: this.#offset(groupStart),
          }
          kind = 'assertion'
          break
        case '>':
          node = { t: 'atomic', body: this.#expr(), pos: this.#offset(groupStart) }
          kind = 'assertion'
          break
        case '<': {
          c = this.#read()
          if (c !== ch('=') && c !== ch('!')) {
            const name = this.#groupname(c)
            if (this.#names.has(name)) throw this.#error(`Named capturing group <${name}> is already defined`)
            capture = this.#capturingGroupCount++
            this.#names.set(name, capture)
            node = { t: 'group', cap: capture, body: this.#expr() }
            break
          }
          const start = this.#cursor
          const body = this.#expr()
          const info = studyLookBehind(body)
          if (!info.maxValid) throw this.#error('Look-behind group does not have an obvious maximum length')
          node = {
            t: 'look',
            behind: true,
            neg: c === ch('!'),
            body,
            rmin: info.min,
            rmax: info.max,
            supp: this.#temp.slice(start, this.#patternLength).some(isSupplementary),
            pos: this.#offset(groupStart),
          }
          kind = 'assertion'
          break
        }
        case '$':
        case '@':
          throw this.#error('Unknown group type')
        default: {
          this.#unread()
          this.#addFlag()
          c = this.#read()
          if (c === ch(')')) return null // inline modifier only: the flags stay set
          if (c !== ch(':')) throw this.#error('Unknown inline modifier')
          node = { t: 'group', cap: 0, body: this.#expr() }
          break
        }
      }
    } else {
      capture = this.#capturingGroupCount++
      node = { t: 'group', cap: capture, body: this.#expr() }
    }
    this.#accept(ch(')'), 'Unclosed group')
    this.#flags0 = save
    return this.#closure(node, kind)
  }

  #addFlag(): void {
    let c = this.#peek()
    for (;;) {
      switch (String.fromCharCode(c)) {
        case 'i':
          this.#flags0 |= CASE_INSENSITIVE
          break
        case 'm':
          this.#flags0 |= MULTILINE
          break
        case 's':
          this.#flags0 |= DOTALL
          break
        case 'd':
          this.#flags0 |= UNIX_LINES
          break
        case 'u':
          this.#flags0 |= UNICODE_CASE
          break
        case 'c':
          this.#flags0 |= CANON_EQ
          this.#unsupport(this.#cursor, 'the (?c) CANON_EQ flag', 'normalize the input instead')
          break
        case 'x':
          this.#flags0 |= COMMENTS
          break
        case 'U':
          this.#flags0 |= UNICODE_CHARACTER_CLASS | UNICODE_CASE
          break
        case '-':
          c = this.#next()
          this.#subFlag()
          return
        default:
          return
      }
      c = this.#next()
    }
  }

  #subFlag(): void {
    let c = this.#peek()
    for (;;) {
      switch (String.fromCharCode(c)) {
        case 'i':
          this.#flags0 &= ~CASE_INSENSITIVE
          break
        case 'm':
          this.#flags0 &= ~MULTILINE
          break
        case 's':
          this.#flags0 &= ~DOTALL
          break
        case 'd':
          this.#flags0 &= ~UNIX_LINES
          break
        case 'u':
          this.#flags0 &= ~UNICODE_CASE
          break
        case 'c':
          this.#flags0 &= ~CANON_EQ
          break
        case 'x':
          this.#flags0 &= ~COMMENTS
          break
        case 'U':
          this.#flags0 &= ~(UNICODE_CHARACTER_CLASS | UNICODE_CASE)
          break
        default:
          return
      }
      c = this.#next()
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Quantifiers: Pattern.closure / curly / qtype

  #qtype(): 'greedy' | 'lazy' | 'possessive' {
    const c = this.#next()
    if (c === ch('?')) {
      this.#next()
      return 'lazy'
    }
    if (c === ch('+')) {
      this.#next()
      return 'possessive'
    }
    return 'greedy'
  }

  /**
   * Pattern.closure, plus the node choice group0 makes for a quantified group. `kind` says what `prev`
   * is: a group (Branch / GroupCurly / Loop) or an atom (Ques / Curly / CharPropertyGreedy).
   */
  #closure(prev: Ast, kind: 'atom' | 'group' | 'assertion' = 'atom'): Ast {
    const pos = this.#offset(this.#cursor)
    let c = this.#peek()
    let min: number
    let max: number
    // Java's closure() hands *, + and {n,} to curly(), which makes a CharPropertyGreedy out of a greedy
    // repetition of a character property; {n}, {n,m} and {0,1} become Curly/Ques.
    let viaCurly = true
    switch (c) {
      case ch('?'):
        min = 0
        max = 1
        viaCurly = false
        break
      case ch('*'):
        min = 0
        max = MAX_REPS
        break
      case ch('+'):
        min = 1
        max = MAX_REPS
        break
      case ch('{'): {
        c = this.#skip()
        if (!isAsciiDigit(c)) throw this.#error('Illegal repetition')
        min = 0
        do {
          min = min * 10 + (c - 0x30)
          if (min > MAX_REPS) throw this.#error('Illegal repetition range')
        } while (isAsciiDigit((c = this.#read())))
        if (c === ch(',')) {
          c = this.#read()
          if (c === ch('}')) {
            max = MAX_REPS
          } else {
            max = 0
            while (isAsciiDigit(c)) {
              max = max * 10 + (c - 0x30)
              if (max > MAX_REPS) throw this.#error('Illegal repetition range')
              c = this.#read()
            }
          }
          viaCurly = max === MAX_REPS && c === ch('}')
        } else {
          max = min
          viaCurly = false
        }
        if (c !== ch('}')) throw this.#error('Unclosed counted closure')
        if (max < min) throw this.#error('Illegal repetition range')
        this.#unread()
        break
      }
      default:
        return prev
    }
    const mode = this.#qtype()
    const ques = min === 0 && max === 1 // Java builds a Ques for ? and {0,1}
    let qk: QuantKind
    if (kind !== 'group') {
      const isCharProperty = prev.t === 'cp' && prev.jcp
      if (ques) qk = 'ques'
      else if (mode === 'greedy' && viaCurly && isCharProperty) qk = 'cpGreedy'
      else qk = 'curly'
    } else if (ques) {
      qk = mode === 'possessive' ? 'groupQuesPossessive' : 'branch'
    } else if (mode === 'possessive') {
      qk = 'groupCurlyPossessive'
    } else {
      qk = studyChain(flatten(prev), freshInfo()).det ? 'groupCurly' : 'loop'
    }
    return { t: 'quant', body: prev, min, max, mode, kind: qk, pos }
  }
}

// ---------------------------------------------------------------------------------------------------
// Pattern.TreeInfo / Node.study, evaluated on the AST with Java's int arithmetic (overflow included:
// Java 17 accepts (?<=a+) because CharPropertyGreedy adds MAX_REPS to maxLength without invalidating it,
// and (?<=ab+) then never matches because the sum wrapped negative).

export interface TreeInfo {
  min: number
  max: number
  maxValid: boolean
  det: boolean
}

export const freshInfo = (): TreeInfo => ({ min: 0, max: 0, maxValid: true, det: true })

/** The node chain Java studies: plain groups are transparent (GroupHead/GroupTail study nothing). */
export function flatten(n: Ast): Ast[] {
  if (n.t === 'seq') return n.items.flatMap(flatten)
  if (n.t === 'group') return flatten(n.body)
  return [n]
}

function studyLookBehind(body: Ast): TreeInfo {
  return studyChain(flatten(body), freshInfo())
}

/** Branch.study: alternatives studied apart, the continuation studied on a fresh TreeInfo, then summed. */
function studyBranch(alts: readonly (Ast | null)[], rest: Ast[], info: TreeInfo): TreeInfo {
  const minL = info.min
  const maxL = info.max
  let maxV = info.maxValid
  let minL2 = 0x7fffffff
  let maxL2 = -1
  for (const a of alts) {
    const ai = freshInfo()
    if (a !== null) studyChain(flatten(a), ai)
    minL2 = Math.min(minL2, ai.min)
    maxL2 = Math.max(maxL2, ai.max)
    maxV = maxV && ai.maxValid
  }
  const sumMin = (minL + minL2) | 0
  const sumMax = (maxL + maxL2) | 0
  const ri = studyChain(rest, freshInfo())
  info.min = (ri.min + sumMin) | 0
  info.max = (ri.max + sumMax) | 0
  info.maxValid = ri.maxValid && maxV
  info.det = false
  return info
}

export function studyChain(nodes: readonly Ast[], info: TreeInfo): TreeInfo {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!
    switch (n.t) {
      case 'alt': {
        const alts = n.alts.map((a) => (a.t === 'seq' && a.items.length === 0 ? null : a))
        return studyBranch(alts, nodes.slice(i + 1), info)
      }
      case 'cp':
        info.min = (info.min + 1) | 0
        info.max = (info.max + 1) | 0
        break
      case 'lb':
        info.min = (info.min + 1) | 0
        info.max = (info.max + 2) | 0
        break
      case 'backref':
        info.maxValid = false
        break
      case 'atomic':
        studyChain(flatten(n.body), info)
        break
      case 'quant':
        switch (n.kind) {
          case 'branch':
            return studyBranch(n.mode === 'lazy' ? [null, n.body] : [n.body, null], nodes.slice(i + 1), info)
          case 'loop':
            // Loop.study invalidates and stops: nothing after it is studied.
            info.maxValid = false
            info.det = false
            return info
          case 'ques':
          case 'groupQuesPossessive': {
            const minL = info.min
            studyChain(flatten(n.body), info)
            info.min = minL
            info.det = false
            break
          }
          case 'cpGreedy':
            info.min = (info.min + n.min) | 0
            if (info.maxValid) info.max = (info.max + MAX_REPS) | 0
            info.det = false
            break
          default: {
            // Curly.study / GroupCurly.study
            const minL = info.min
            const maxL = info.max
            const maxV = info.maxValid
            const detm = info.det
            const ai = studyChain(flatten(n.body), freshInfo())
            let temp = (Math.imul(ai.min, n.min) + minL) | 0
            if (temp < minL) temp = 0xfffffff
            info.min = temp
            if (maxV && ai.maxValid) {
              temp = (Math.imul(ai.max, n.max) + maxL) | 0
              info.max = temp
              info.maxValid = temp >= maxL
            } else {
              info.maxValid = false
            }
            info.det = ai.det && n.min === n.max ? detm : false
          }
        }
        break
      default:
        // anchors, bounds, lookarounds: zero width, nothing to add
        break
    }
  }
  return info
}
