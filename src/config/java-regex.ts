// Java regular expressions for flumen. Flume configs carry java.util.regex patterns (regex_filter,
// regex_extractor, search_replace, remove_header, spooldir include/ignorePattern, TAILDIR file names,
// syslog format.regex); they must select, extract and replace exactly what Flume (Java 17) would.
//
// compileJavaRegex() runs a port of Java 17's own pattern parser (java-regex/parse.ts), so it accepts
// exactly what Pattern.compile accepts, with Java's error descriptions, and translates the result into an
// equivalent JavaScript RegExp (`u` flag, or `v` for class set operations; java-regex/emit.ts lists every
// semantic difference it maps). Everything happens once, at config time; matching then costs one native
// RegExp call per operation (bench/config/java-regex.bench.ts: within 1-1.7x of a hand-written RegExp).
//
// Supported: all of Pattern's syntax — literals and every escape (\t \n \r \f \a \e \cX \0oct \xhh \x{h…}
// \uhhhh, \Q…\E), classes with nesting, union, intersection (&&) and negation, \d \D \w \W \s \S \h \H \v \V
// (US-ASCII meanings unless (?U)), POSIX/java/Unicode properties (\p{Alpha}, \p{javaLowerCase}, \p{L},
// \p{IsAlphabetic}, \p{InGreek}, \p{sc=…}, \p{gc=…}, \P{…}), `.`, ^ $ \A \Z \z \b \B, \R, greedy/lazy/
// possessive quantifiers, capturing/named/non-capturing/atomic groups, \1 \k<name>, lookahead and bounded
// look-behind, inline flags (?idmsuxU-idmsuxU) and (?flags:…) anywhere, with their exact Java meaning:
// (?i) folds US-ASCII only, (?iu) uses Java 17's own case tables, (?d) makes \n the only line terminator.
//
// Rejected as FLUME_ERR_REGEX_UNSUPPORTED (Java accepts them): \G, \X, \b{g}, \N{name}, CANON_EQ ((?c)),
// a possessive quantifier, atomic group or \R-in-repeated-group inside a look-behind, a back-reference
// to a group that may not have matched at that point (Java fails it, JavaScript would match empty), a
// repetition whose body prefers an empty match such as (|a)+ (Java stops, JavaScript goes on), a
// look-behind whose bounds Java computes with int overflow, and a class with `&&` followed by nothing
// after a character (Java throws NullPointerException when using it). Replacement strings referring to a
// group whose value the translation cannot guarantee (JavaRegex.unreliableGroups) are rejected the same way.
//
// Known, documented differences (Java's behaviour is not reproduced):
// * Unicode data: \p{…} categories, scripts and binary properties use the Unicode version of the running
//   V8 (Unicode 17 on Node 24), Java 17 uses Unicode 13.0; they differ only for characters assigned later.
//   Blocks (\p{InX}) and case mappings come from Java 17 itself (java-regex/unicode-data.ts).
// * Surrogate pairs: flumen never starts a match between the two halves of a supplementary character.
//   Java does after an empty match right before one (its next search starts one UTF-16 unit further, so
//   `"😀".split("")` yields two lone surrogates), and, for patterns it runs with its Start node (no negated
//   class, property or supplementary character in them), after a failed attempt, where \B or a
//   look-behind can then match. Likewise, when the pattern contains no supplementary character, Java
//   measures look-behind windows in UTF-16 units and can start them inside a pair.
// * A case-insensitive back-reference compares with JavaScript's Unicode case folding, where Java folds
//   US-ASCII only (or uses toUpperCase/toLowerCase under UNICODE_CASE).

import { emitJavaScript } from './java-regex/emit.ts'
import { JavaRegexError, unsupportedError } from './java-regex/errors.ts'
import {
  CASE_INSENSITIVE,
  COMMENTS,
  DOTALL,
  MULTILINE,
  parseJavaPattern,
  UNICODE_CASE,
  UNICODE_CHARACTER_CLASS,
  UNIX_LINES,
} from './java-regex/parse.ts'

export { JavaRegexError, type JavaRegexErrorCode } from './java-regex/errors.ts'

export interface JavaRegexOptions {
  /**
   * Pattern.compile flags, as the letters of Java's inline flags: `i` CASE_INSENSITIVE, `m` MULTILINE,
   * `s` DOTALL, `x` COMMENTS, `u` UNICODE_CASE, `d` UNIX_LINES, `U` UNICODE_CHARACTER_CLASS.
   */
  readonly flags?: string
}

/** The result of a successful find(), like a java.util.regex.MatchResult. */
export interface JavaMatch {
  /** Matcher.start(): UTF-16 offset where the match begins. */
  readonly start: number
  /** Matcher.end(): UTF-16 offset just after the match. */
  readonly end: number
  /** Matcher.groupCount(). */
  readonly groupCount: number
  /** Matcher.group(…): the text of a group (0 or omitted: the whole match), null if it did not match. */
  group(group?: number | string): string | null
}

/** A replacement string parsed with Java's rules (Matcher.appendReplacement), validated against a pattern. */
export interface JavaReplacement {
  readonly replacement: string
}

const FLAG_BITS: Readonly<Record<string, number>> = {
  i: CASE_INSENSITIVE,
  m: MULTILINE,
  s: DOTALL,
  x: COMMENTS,
  u: UNICODE_CASE,
  d: UNIX_LINES,
  U: UNICODE_CHARACTER_CLASS | UNICODE_CASE,
}

/** Compiles a Java regular expression; throws JavaRegexError when Java rejects it or flumen cannot match it. */
export function compileJavaRegex(pattern: string, opts?: JavaRegexOptions): JavaRegex {
  let bits = 0
  for (const f of opts?.flags ?? '') {
    const b = FLAG_BITS[f]
    if (b === undefined)
      throw new JavaRegexError(
        'FLUME_ERR_REGEX_SYNTAX',
        `Unknown Java regex flag ${JSON.stringify(f)} in ${JSON.stringify(opts?.flags)}; use the letters of idmsuxU.`,
        pattern,
        -1,
      )
    bits |= b
  }
  const parsed = parseJavaPattern(pattern, bits)
  const u = parsed.unsupported
  if (u !== null) throw unsupportedError(pattern, u.index, u.what, u.instead)
  const t = emitJavaScript(pattern, parsed)
  return new JavaRegex(pattern, opts?.flags ?? '', t.source, parsed.groupCount, parsed.names, t)
}

// Replacement parts: a literal string, or a JavaScript group number to copy.
type Part = string | number

class CompiledReplacement implements JavaReplacement {
  readonly replacement: string
  /** The JavaRegex whose group numbering `parts` uses. */
  readonly owner: JavaRegex
  readonly parts: readonly Part[]
  /** The replacement is one literal string: no per-match work. */
  readonly literal: string | null
  constructor(replacement: string, owner: JavaRegex, parts: Part[]) {
    this.replacement = replacement
    this.owner = owner
    this.parts = parts
    this.literal = parts.every((p) => typeof p === 'string') ? parts.join('') : null
  }
}

/** What every match of one pattern shares: the group map and names. */
interface MatchMeta {
  readonly map: readonly number[]
  readonly names: ReadonlyMap<string, number>
}

class Match implements JavaMatch {
  readonly #m: RegExpExecArray
  readonly #meta: MatchMeta

  constructor(m: RegExpExecArray, meta: MatchMeta) {
    this.#m = m
    this.#meta = meta
  }

  get start(): number {
    return this.#m.index
  }

  get end(): number {
    return this.#m.index + this.#m[0].length
  }

  get groupCount(): number {
    return this.#meta.map.length - 1
  }

  group(group: number | string = 0): string | null {
    let n: number
    if (typeof group === 'string') {
      const g = this.#meta.names.get(group)
      if (g === undefined) throw new RangeError(`No group with name <${group}>`)
      n = g
    } else {
      n = group
    }
    if (!Number.isInteger(n) || n < 0 || n > this.groupCount) throw new RangeError(`No group ${group}`)
    return this.#m[this.#meta.map[n]!] ?? null
  }
}

/** Index of the next search after an empty match at i: Java uses i + 1; flumen keeps surrogate pairs whole. */
function afterEmpty(s: string, i: number): number {
  const c = s.charCodeAt(i)
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1)
    if (d >= 0xdc00 && d <= 0xdfff) return i + 2
  }
  return i + 1
}

/** Does index i fall between the two halves of a surrogate pair? */
function insidePair(s: string, i: number): boolean {
  const d = s.charCodeAt(i)
  if (d < 0xdc00 || d > 0xdfff || i === 0) return false
  const c = s.charCodeAt(i - 1)
  return c >= 0xd800 && c <= 0xdbff
}

const HIGH_SURROGATE = /[\uD800-\uDBFF]/

/**
 * exec() on a global RegExp, skipping matches that start inside a surrogate pair. V8, like Java's Start
 * node, retries a failed attempt one UTF-16 unit further, so it can land between the halves of a pair;
 * there V8's matching is inconsistent (a back-reference always fails, a pair half is no lone surrogate),
 * so flumen never starts a match at such an index. Java can (see the header): documented difference.
 */
function execWhole(re: RegExp, s: string): RegExpExecArray | null {
  let m = re.exec(s)
  while (m !== null && insidePair(s, m.index)) {
    re.lastIndex = m.index + 1
    m = re.exec(s)
  }
  return m
}

/** A compiled Java regular expression; create it with compileJavaRegex(). */
export class JavaRegex {
  /** The Java pattern as written. */
  readonly pattern: string
  /** The Pattern.compile flags it was compiled with (inline-flag letters). */
  readonly javaFlags: string
  /** Source of the generated JavaScript RegExp (for debugging). */
  readonly source: string
  /** Flags of the generated JavaScript RegExp (for debugging): 'u', or 'v' when a class needs it. */
  readonly flags: 'u' | 'v'
  /** Number of capturing groups, as Matcher.groupCount(). */
  readonly groupCount: number
  /** Named groups → group numbers. */
  readonly groupNames: ReadonlyMap<string, number>
  /**
   * Groups whose value find() may report differently from Java (groups inside repetitions that do not set
   * them on every iteration, inside lookarounds, atomic groups or possessive repetitions). Matching itself
   * is exact; use assertGroupsExact() before relying on such a group's text.
   */
  readonly unreliableGroups: ReadonlySet<number>

  // One RegExp per use, created once: exec from index 0 (find/test), global with a managed lastIndex
  // (replaceAll/split), and anchored at both ends (matches).
  readonly #first: RegExp
  readonly #global: RegExp
  readonly #whole: RegExp
  readonly #map: readonly number[]
  readonly #meta: MatchMeta
  /** The last replacement string given to replaceAll() as a string, parsed. */
  #lastReplacement: CompiledReplacement | null = null

  constructor(
    pattern: string,
    javaFlags: string,
    source: string,
    groupCount: number,
    names: ReadonlyMap<string, number>,
    t: {
      readonly flags: 'u' | 'v'
      readonly groupMap: readonly number[]
      readonly unreliableGroups: ReadonlySet<number>
    },
  ) {
    this.pattern = pattern
    this.javaFlags = javaFlags
    this.source = source
    this.groupCount = groupCount
    this.groupNames = names
    this.unreliableGroups = t.unreliableGroups
    this.#map = t.groupMap
    this.#meta = { map: t.groupMap, names }
    this.flags = t.flags
    this.#first = new RegExp(source, t.flags)
    this.#global = new RegExp(source, `g${t.flags}`)
    this.#whole = new RegExp(`^(?:${source})$`, t.flags)
  }

  /** Matcher.matches(): does the whole string match? */
  matches(s: string): boolean {
    return this.#whole.test(s)
  }

  /** Matcher.find() as a boolean: is there a match anywhere? (No allocation unless s has surrogates.) */
  test(s: string): boolean {
    if (!this.#first.test(s)) return false
    return !HIGH_SURROGATE.test(s) || this.#exec(s) !== null
  }

  /** Matcher.find(): the first match, with its groups. */
  find(s: string): JavaMatch | null {
    const m = this.#exec(s)
    return m === null ? null : new Match(m, this.#meta)
  }

  #exec(s: string): RegExpExecArray | null {
    const re = this.#global
    re.lastIndex = 0
    const m = execWhole(re, s)
    re.lastIndex = 0
    return m
  }

  /**
   * Throws FLUME_ERR_REGEX_UNSUPPORTED if any of the given groups (default: all) is in unreliableGroups, for
   * callers that copy group text (regex_extractor).
   */
  assertGroupsExact(groups?: Iterable<number>): void {
    for (const g of groups ?? this.#map.keys()) {
      if (this.unreliableGroups.has(g)) throw this.#unreliable(g, this.pattern, -1)
    }
  }

  #unreliable(g: number, text: string, index: number): JavaRegexError {
    return new JavaRegexError(
      'FLUME_ERR_REGEX_UNSUPPORTED',
      `Group ${g} of Java regular expression ${JSON.stringify(this.pattern)} can capture different text in ` +
        'flumen than in Java (it sits in a repetition that does not always set it, or in a lookaround or ' +
        'atomic group); capture the text with a group outside such constructs.',
      text,
      index,
    )
  }

  /**
   * Parses a replacement string with Java's rules ($n, ${name}, \x escapes). Java only reports a bad
   * replacement when a match is found; flumen reports it here, at config time.
   */
  compileReplacement(replacement: string): JavaReplacement {
    return this.#parseReplacement(replacement)
  }

  #parseReplacement(replacement: string): CompiledReplacement {
    const parts: Part[] = []
    let lit = ''
    const bad = (desc: string, index: number): JavaRegexError =>
      new JavaRegexError(
        'FLUME_ERR_REGEX_SYNTAX',
        `Invalid Java replacement string ${JSON.stringify(replacement)} for ${JSON.stringify(this.pattern)}: ` +
          `${desc} at index ${index}. Write \\$ for a literal dollar sign and \\\\ for a backslash.`,
        replacement,
        index,
        { javaDescription: desc },
      )
    const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
    let cursor = 0
    while (cursor < replacement.length) {
      const c = replacement[cursor]!
      if (c === '\\') {
        cursor++
        if (cursor === replacement.length) throw bad('character to be escaped is missing', cursor - 1)
        lit += replacement[cursor]
        cursor++
      } else if (c === '$') {
        const at = cursor
        cursor++
        if (cursor === replacement.length) throw bad('Illegal group reference: group index is missing', at)
        let refNum: number
        if (replacement[cursor] === '{') {
          cursor++
          let name = ''
          while (cursor < replacement.length && /[A-Za-z0-9]/.test(replacement[cursor]!))
            name += replacement[cursor++]
          if (name === '') throw bad('named capturing group has 0 length name', at)
          if (replacement[cursor] !== '}') throw bad("named capturing group is missing trailing '}'", at)
          if (isDigit(name[0])) throw bad(`capturing group name {${name}} starts with digit character`, at)
          const g = this.groupNames.get(name)
          if (g === undefined) throw bad(`No group with name {${name}}`, at)
          refNum = g
          cursor++
        } else {
          if (!isDigit(replacement[cursor])) throw bad('Illegal group reference', at)
          refNum = Number(replacement[cursor])
          cursor++
          // Java takes further digits while they still name an existing group.
          while (isDigit(replacement[cursor])) {
            const next = refNum * 10 + Number(replacement[cursor])
            if (this.groupCount < next) break
            refNum = next
            cursor++
          }
          if (refNum > this.groupCount) throw bad(`No group ${refNum}`, at)
        }
        if (this.unreliableGroups.has(refNum)) throw this.#unreliable(refNum, replacement, at)
        if (lit !== '') parts.push(lit)
        lit = ''
        parts.push(this.#map[refNum]!)
      } else {
        lit += c
        cursor++
      }
    }
    if (lit !== '') parts.push(lit)
    return new CompiledReplacement(replacement, this, parts)
  }

  /** Matcher.replaceAll(replacement) with Java's replacement syntax. */
  replaceAll(s: string, replacement: string | JavaReplacement): string {
    let repl: CompiledReplacement
    if (replacement instanceof CompiledReplacement && replacement.owner === this) {
      repl = replacement
    } else {
      const text = typeof replacement === 'string' ? replacement : replacement.replacement
      const cached = this.#lastReplacement
      repl = cached !== null && cached.replacement === text ? cached : this.#parseReplacement(text)
      this.#lastReplacement = repl
    }
    const re = this.#global
    re.lastIndex = 0
    let m = execWhole(re, s)
    if (m === null) return s
    let out = ''
    let last = 0
    const parts = repl.parts
    const literal = repl.literal
    while (m !== null) {
      const start = m.index
      const end = start + m[0].length
      out += s.slice(last, start)
      if (literal !== null) {
        out += literal
      } else {
        for (const p of parts) out += typeof p === 'string' ? p : (m[p] ?? '')
      }
      last = end
      if (start === end) {
        // Matcher.find: after an empty match the next search starts one character further.
        const next = afterEmpty(s, end)
        if (next > s.length) break
        re.lastIndex = next
      }
      m = execWhole(re, s)
    }
    re.lastIndex = 0
    return out + s.slice(last)
  }

  /**
   * Pattern.split(input, limit) (String.split): limit 0 drops trailing empty strings; a zero-width match
   * at the start produces no leading empty string; no match returns [input].
   */
  split(input: string, limit = 0): string[] {
    const re = this.#global
    re.lastIndex = 0
    const list: string[] = []
    const matchLimited = limit > 0
    let index = 0
    for (let m = execWhole(re, input); m !== null; m = execWhole(re, input)) {
      const start = m.index
      const end = start + m[0].length
      // Matcher.find: after an empty match the next search starts one character further (an index past
      // the end makes the next exec() fail).
      if (start === end) re.lastIndex = afterEmpty(input, end)
      if (!matchLimited || list.length < limit - 1) {
        if (index === 0 && start === 0 && end === 0) continue
        list.push(input.slice(index, start))
        index = end
      } else {
        // limit reached: the rest of the input is the last element
        list.push(input.slice(index))
        index = end
        break
      }
    }
    re.lastIndex = 0
    if (index === 0) return [input]
    if (!matchLimited || list.length < limit) list.push(input.slice(index))
    let size = list.length
    if (limit === 0) while (size > 0 && list[size - 1] === '') size--
    return size === list.length ? list : list.slice(0, size)
  }
}
