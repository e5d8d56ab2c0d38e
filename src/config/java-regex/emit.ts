// Translation of the parsed Java pattern (parse.ts) into JavaScript regex source (for the `u` flag, or `v`
// when a class needs set operations), with every semantic difference between java.util.regex and
// ECMAScript mapped explicitly (how matches are searched for is java-regex.ts' part):
//
// * `.`, `^`, `$`, `\Z`: Java's line terminators are \n, \r, \r\n (one terminator), U+0085, U+2028, U+2029;
//   `$` without MULTILINE also matches before a final terminator; MULTILINE `^` never matches at the very
//   end of the input nor between \r and \n. None of this is ECMAScript's, so anchors are written out as
//   lookarounds and the JavaScript `m`/`s` flags are never used (ANCHORS below).
// * `\b`: Java 17 decides "word character" with Character.isLetterOrDigit (Unicode), not with \w, and counts
//   a non-spacing mark after a letter or digit as part of the word (boundSource).
// * Possessive quantifiers and atomic groups do not exist in JavaScript: they become the equivalent
//   `(?=(X))\N` (a lookahead is atomic in JavaScript; the back-reference consumes what it captured). The
//   extra groups are hidden by groupMap. Inside a look-behind that trick does not work (JavaScript
//   matches look-behinds right to left), so it is rejected there.
// * Java matches some quantified atoms atomically: Ques and Curly on a single atom and GroupCurly on a
//   "deterministic" group take the atom's first match and only backtrack the count. That is visible only
//   for \R, whose \r\n-or-\r choice is then not revisited: such a \R is emitted as \r\n|\r(?!\n)…, such a
//   group as an atomic iteration.
// * A back-reference to a group that has not participated fails in Java and matches the empty string in
//   JavaScript; Java also keeps group values from earlier loop iterations and from lookarounds it left,
//   JavaScript resets them. So a back-reference is emitted only where its group is certain to be set
//   (mustSet), as a failure where Java cannot have a value for it (maySet, leakyGroups), and rejected
//   otherwise.
// * Java ends a repetition at an empty iteration; JavaScript rejects the empty iteration and tries the
//   body's next alternative. Repetitions whose body prefers an empty match are rejected (emptyFirst).
// * Group values that Java computes differently (loops, lookarounds, atomic groups; see unreliableGroups)
//   are reported so that callers needing them (replacement strings, regex_extractor) can refuse.
// * Java's look-behind window (the TreeInfo minimum/maximum length, overflow included) is honoured.

import { LETTER_OR_DIGIT, NON_SPACING_MARK, needsV, setSource, single, UWORD, union } from './charset.ts'
import { type JavaRegexError, unsupportedError } from './errors.ts'
import { type Ast, MAX_REPS, type Parsed } from './parse.ts'

export interface Translation {
  /** JavaScript source, for `flags` (no `i`, `m`, `s` flag is ever needed). */
  readonly source: string
  /** 'v' when a class needs set operations, else 'u' (V8 compiles `u` property classes much faster). */
  readonly flags: 'u' | 'v'
  /** Java group number → JavaScript group number (index 0 → 0). */
  readonly groupMap: readonly number[]
  /** Java groups whose captured value may differ from Java's (see unreliableGroups). */
  readonly unreliableGroups: ReadonlySet<number>
}

const TERM = '\\n\\r\\u{85}\\u{2028}\\u{2029}'

/** Java's anchor nodes (Pattern.Begin, End, Caret, UnixCaret, Dollar, UnixDollar), ECMAScript without `m`. */
const ANCHORS: Record<string, string> = {
  begin: '^',
  end: '$',
  // Caret: after a line terminator but not between \r and \n, and never at the end of the input.
  caret: `(?<![^${TERM}])(?!(?<=\\r)\\n)(?=[^])`,
  unixCaret: '(?<![^\\n])(?=[^])',
  // Dollar(false): at the end, or before a final line terminator (\r\n counting as one).
  dollar: `(?=(?:\\r\\n|[${TERM}])?$)(?!(?<=\\r)\\n)`,
  // Dollar(true): before any line terminator except between \r and \n, or at the end.
  dollarM: `(?=[${TERM}]|$)(?!(?<=\\r)\\n)`,
  unixDollar: '(?=\\n?$)',
  unixDollarM: '(?=\\n|$)',
}

/** \R as Java's LineEnding: \r\n or one vertical whitespace character, backtracking from \r\n to \r. */
const LINEBREAK = '(?:\\r\\n|[\\n\\u{B}\\f\\r\\u{85}\\u{2028}\\u{2029}])'
/** \R matched atomically, as Java does when it is the atom of a Ques/Curly (`\R?`, `\R+`, `\R{2}`). */
const LINEBREAK_ATOMIC = '(?:\\r\\n|(?!\\r\\n)[\\n\\u{B}\\f\\r\\u{85}\\u{2028}\\u{2029}])'

/** Pattern.Bound: left/right "word" per Character.isLetterOrDigit or '_' (WORD() under (?U)). */
function boundSource(neg: boolean, uword: boolean, v: boolean): string {
  const w = setSource(uword ? UWORD : union(LETTER_OR_DIGIT, single(0x5f)), v)
  const ld = setSource(LETTER_OR_DIGIT, v)
  const mn = setSource(NON_SPACING_MARK, v)
  // A non-spacing mark counts as a word character when a letter or digit precedes its run of marks.
  const left = `(?<=${w}|${ld}${mn}+)`
  const notLeft = `(?<!${w}|${ld}${mn}+)`
  const right = `(?=${w}|(?<=${ld}${mn}*)${mn})`
  const notRight = `(?!${w}|(?<=${ld}${mn}*)${mn})`
  return neg ? `(?:${left}${right}|${notLeft}${notRight})` : `(?:${left}${notRight}|${notLeft}${right})`
}

// ---------------------------------------------------------------------------------------------------
// Static analyses

/** Does any character set of the pattern need the `v` flag? */
function anyNeedsV(n: Ast): boolean {
  switch (n.t) {
    case 'cp':
      return needsV(n.set)
    case 'seq':
      return n.items.some(anyNeedsV)
    case 'alt':
      return n.alts.some(anyNeedsV)
    case 'group':
    case 'look':
    case 'atomic':
    case 'quant':
      return anyNeedsV(n.body)
    default:
      return false
  }
}

function intersect(a: ReadonlySet<number> | null, b: ReadonlySet<number>): Set<number> {
  return a === null ? new Set(b) : new Set([...a].filter((g) => b.has(g)))
}

function nullable(n: Ast): boolean {
  switch (n.t) {
    case 'cp':
    case 'lb':
      return false
    case 'seq':
      return n.items.every(nullable)
    case 'alt':
      return n.alts.some(nullable)
    case 'group':
    case 'atomic':
      return nullable(n.body)
    case 'quant':
      return n.min === 0 || nullable(n.body)
    default:
      return true
  }
}

function groupsIn(n: Ast, out: Set<number> = new Set()): Set<number> {
  switch (n.t) {
    case 'seq':
      for (const x of n.items) groupsIn(x, out)
      break
    case 'alt':
      for (const x of n.alts) groupsIn(x, out)
      break
    case 'group':
      if (n.cap > 0) out.add(n.cap)
      groupsIn(n.body, out)
      break
    case 'look':
    case 'atomic':
    case 'quant':
      groupsIn(n.body, out)
      break
  }
  return out
}

/**
 * Groups inside lookarounds, atomic groups and possessive repetitions. Java does not unset them when it
 * backtracks out of such a construct, not even when it moves on to the next start position: within one
 * find(), a back-reference anywhere may see a value they leaked.
 */
function leakyGroups(n: Ast, inLeaky = false, out: Set<number> = new Set()): Set<number> {
  switch (n.t) {
    case 'seq':
      for (const x of n.items) leakyGroups(x, inLeaky, out)
      break
    case 'alt':
      for (const x of n.alts) leakyGroups(x, inLeaky, out)
      break
    case 'group':
      if (inLeaky && n.cap > 0) out.add(n.cap)
      leakyGroups(n.body, inLeaky, out)
      break
    case 'look':
    case 'atomic':
      leakyGroups(n.body, true, out)
      break
    case 'quant':
      leakyGroups(n.body, inLeaky || n.mode === 'possessive', out)
      break
  }
  return out
}

/** Groups certain to hold a value once `n` has matched (JavaScript semantics). */
function mustSet(n: Ast): Set<number> {
  switch (n.t) {
    case 'seq': {
      const s = new Set<number>()
      for (const x of n.items) for (const g of mustSet(x)) s.add(g)
      return s
    }
    case 'alt': {
      let acc: Set<number> | null = null
      for (const x of n.alts) acc = intersect(acc, mustSet(x))
      return acc ?? new Set()
    }
    case 'group': {
      const s = mustSet(n.body)
      if (n.cap > 0) s.add(n.cap)
      return s
    }
    case 'atomic':
      return mustSet(n.body)
    case 'look':
      return n.neg ? new Set() : mustSet(n.body)
    case 'quant':
      return n.min >= 1 ? mustSet(n.body) : new Set()
    default:
      return new Set()
  }
}

/**
 * Java groups whose value may differ between Java and the translation, conservatively:
 * - inside a look-behind (Java matches it left to right, shortest first; JavaScript right to left);
 * - inside a repetition whose body can match empty (Java keeps an empty last iteration, JavaScript drops
 *   it) or, when it can repeat, that does not set the group in every iteration (Java keeps the value of an
 *   earlier iteration, JavaScript resets it);
 * - inside a lookaround, atomic group or possessive repetition (Java does not unset groups when it
 *   backtracks out of those), unless no repetition encloses it and every match sets the group.
 */
function unreliableGroups(root: Ast): Set<number> {
  const out = new Set<number>()
  const atEnd = mustSet(root)
  const visit = (
    n: Ast,
    behind: boolean,
    leaky: boolean,
    loops: readonly Ast[],
    leakInLoop: boolean,
  ): void => {
    switch (n.t) {
      case 'seq':
        for (const x of n.items) visit(x, behind, leaky, loops, leakInLoop)
        return
      case 'alt':
        for (const x of n.alts) visit(x, behind, leaky, loops, leakInLoop)
        return
      case 'group': {
        if (n.cap > 0) {
          let bad = behind || leakInLoop || (leaky && !atEnd.has(n.cap))
          for (const q of loops) {
            if (q.t !== 'quant') continue
            if (q.max > 1 && (!mustSet(q.body).has(n.cap) || nullable(q.body))) bad = true
            if (q.min === 0 && nullable(q.body)) bad = true
          }
          if (bad) out.add(n.cap)
        }
        visit(n.body, behind, leaky, loops, leakInLoop)
        return
      }
      case 'look':
        visit(
          n.body,
          behind || n.behind,
          true,
          loops,
          leakInLoop || loops.some((q) => q.t === 'quant' && q.max > 1),
        )
        return
      case 'atomic':
        visit(n.body, behind, true, loops, leakInLoop || loops.some((q) => q.t === 'quant' && q.max > 1))
        return
      case 'quant': {
        const possessive = n.mode === 'possessive'
        const inLoop = loops.some((q) => q.t === 'quant' && q.max > 1) || (possessive && n.max > 1)
        const exact = n.min === 1 && n.max === 1
        visit(
          n.body,
          behind,
          leaky || possessive,
          exact ? loops : [...loops, n],
          leakInLoop || (possessive && inLoop),
        )
        return
      }
      default:
        return
    }
  }
  visit(root, false, false, [], false)
  return out
}

/**
 * Can `n`, in its order of preference, match the empty string before some non-empty match? Java ends a
 * repetition at an empty iteration (Loop) or accepts the empty body of (x)? first (Branch); JavaScript
 * rejects the empty iteration and goes on with the next alternative, so the two then disagree.
 */
function emptyFirst(n: Ast): boolean {
  switch (n.t) {
    case 'seq':
      return nullable(n) && n.items.some(emptyFirst)
    case 'alt':
      return n.alts.some(
        (a, k) => emptyFirst(a) || (nullable(a) && n.alts.slice(k + 1).some((b) => lengths(b)[1] > 0)),
      )
    case 'group':
      return emptyFirst(n.body)
    case 'quant':
      if (n.mode === 'possessive') return false
      if (n.mode === 'lazy' && n.min === 0) return lengths(n.body)[1] > 0
      return emptyFirst(n.body)
    default:
      return false
  }
}

/** Can `n` match in more than one way at a position (so that backtracking into it matters)? */
function multiSolution(n: Ast): boolean {
  switch (n.t) {
    case 'lb':
      return true
    case 'seq':
      return n.items.some(multiSolution)
    case 'alt':
      return n.alts.length > 1 || n.alts.some(multiSolution)
    case 'group':
      return multiSolution(n.body)
    case 'quant':
      if (n.mode === 'possessive') return false
      if (n.min !== n.max) return true
      return n.kind === 'loop' ? multiSolution(n.body) : false
    default:
      return false
  }
}

/** Minimum and maximum length in code points (Infinity when unbounded). */
function lengths(n: Ast): [number, number] {
  switch (n.t) {
    case 'cp':
      return [1, 1]
    case 'lb':
      return [1, 2]
    case 'backref':
      return [0, Number.POSITIVE_INFINITY]
    case 'seq': {
      let lo = 0
      let hi = 0
      for (const x of n.items) {
        const [a, b] = lengths(x)
        lo += a
        hi += b
      }
      return [lo, hi]
    }
    case 'alt': {
      let lo = Number.POSITIVE_INFINITY
      let hi = 0
      for (const x of n.alts) {
        const [a, b] = lengths(x)
        lo = Math.min(lo, a)
        hi = Math.max(hi, b)
      }
      return [lo, hi]
    }
    case 'group':
    case 'atomic':
      return lengths(n.body)
    case 'quant': {
      const [a, b] = lengths(n.body)
      const hi = b === 0 ? 0 : n.max === MAX_REPS ? Number.POSITIVE_INFINITY : n.max * b
      return [n.min * a, hi]
    }
    default:
      return [0, 0]
  }
}

/**
 * Pattern.Behind tries start points j from i-rmin down to from = max(i-rmax, 0), all in Java int
 * arithmetic. With sane bounds that is every possible start. But rmax comes from TreeInfo sums that wrap:
 * (?<=a+b+) has rmax -2, so the window is empty and the look-behind never matches; (?<=ab+) has rmax
 * -2^31, so i-rmax wraps negative and the window is unbounded.
 */
function lookBehindWindow(n: Extract<Ast, { t: 'look' }>): 'plain' | 'never' | 'unsupported' {
  const [tmin, tmax] = lengths(n.body)
  if (n.rmax >= 0) {
    if (n.rmax < n.rmin) return 'never'
    if (n.rmin > tmin || (n.rmax < tmax && n.rmax < 0x40000000)) return 'unsupported'
    return 'plain'
  }
  // BehindS converts a negative rmax with countChars going forward: not worth modelling.
  if (n.supp) return 'unsupported'
  // from = (i - rmax) | 0 wraps below zero once i >= 2^31 + rmax.
  const threshold = 2 ** 31 + n.rmax
  if (threshold <= n.rmin) return 'plain' // below the threshold nothing fits before i anyway
  if (threshold > 2 ** 29) return 'never' // no JavaScript string is that long
  return 'unsupported'
}

// ---------------------------------------------------------------------------------------------------
// Emission

class Emitter {
  readonly #pattern: string
  readonly #parsed: Parsed
  readonly #unreliable: Set<number>
  readonly groupMap: number[]
  readonly v: boolean
  jsGroups = 0

  constructor(pattern: string, parsed: Parsed) {
    this.#pattern = pattern
    this.#parsed = parsed
    this.v = anyNeedsV(parsed.ast)
    this.#unreliable = unreliableGroups(parsed.ast)
    this.groupMap = new Array<number>(parsed.groupCount + 1).fill(0)
  }

  get unreliable(): ReadonlySet<number> {
    return this.#unreliable
  }

  #unsupported(index: number, what: string, instead: string): JavaRegexError {
    return unsupportedError(this.#pattern, index, what, instead)
  }

  /** `(?=(X))\N`: X matched once, its first match committed. */
  #atomic(inner: () => string, behind: boolean, pos: number, what: string): string {
    if (behind)
      throw this.#unsupported(
        pos,
        `${what} inside a look-behind`,
        'JavaScript evaluates look-behinds right to left, so the atomic emulation does not hold there; ' +
          'remove the possessive/atomic construct from the look-behind',
      )
    const n = ++this.jsGroups
    return `(?=(${inner()}))(?:\\${n})`
  }

  /** Back-reference decision, state = [groups set for sure, groups possibly set (Java)]. */
  #backref(n: Extract<Ast, { t: 'backref' }>, must: ReadonlySet<number>, may: ReadonlySet<number>): string {
    // Java: a reference to a group that has not matched fails.
    if (n.n > this.#parsed.groupCount || !may.has(n.n)) return '(?:(?!))'
    if (must.has(n.n) && !this.#unreliable.has(n.n)) {
      const js = `\\${this.groupMap[n.n]}`
      // Approximation: JavaScript's case-insensitive back-reference compares with Unicode simple case
      // folding; Java folds US-ASCII only (or uses toUpperCase/toLowerCase with UNICODE_CASE).
      return n.ci === 0 ? `(?:${js})` : `(?i:${js})`
    }
    throw this.#unsupported(
      n.pos,
      `a back-reference to group ${n.n}, which may not have matched at that point`,
      'Java fails such a reference (or reuses a value from an earlier repetition) while JavaScript matches it ' +
        'as empty; make the group mandatory, e.g. (x|) instead of (x)?',
    )
  }

  /** Returns [source, must-set after, may-set after]. */
  emit(
    n: Ast,
    must: ReadonlySet<number>,
    may: ReadonlySet<number>,
    behind: boolean,
  ): [string, ReadonlySet<number>, ReadonlySet<number>] {
    switch (n.t) {
      case 'seq': {
        let s = ''
        for (const x of n.items) {
          const [xs, m2, y2] = this.emit(x, must, may, behind)
          s += xs
          must = m2
          may = y2
        }
        return [s, must, may]
      }
      case 'alt': {
        const parts: string[] = []
        let mustOut: Set<number> | null = null
        const mayOut = new Set(may)
        for (const x of n.alts) {
          const [xs, m2, y2] = this.emit(x, must, may, behind)
          parts.push(xs)
          mustOut = intersect(mustOut, m2)
          for (const g of y2) mayOut.add(g)
        }
        return [`(?:${parts.join('|')})`, mustOut ?? new Set(must), mayOut]
      }
      case 'cp':
        return [setSource(n.set, this.v), must, may]
      case 'group': {
        if (n.cap === 0) {
          const [body, m2, y2] = this.emit(n.body, must, may, behind)
          return [`(?:${body})`, m2, y2]
        }
        const js = ++this.jsGroups
        this.groupMap[n.cap] = js
        const [body, m2, y2] = this.emit(n.body, must, may, behind)
        return [`(${body})`, new Set([...m2, n.cap]), new Set([...y2, n.cap])]
      }
      case 'look': {
        if (n.behind) {
          const window = lookBehindWindow(n)
          if (window === 'never') return [n.neg ? '' : '(?!)', must, may]
          if (window === 'unsupported')
            throw this.#unsupported(
              n.pos,
              'a look-behind whose length bounds Java computes with int overflow',
              'use smaller repetition counts inside the look-behind',
            )
        }
        const open = n.behind ? (n.neg ? '(?<!' : '(?<=') : n.neg ? '(?!' : '(?='
        const [body, m2, y2] = this.emit(n.body, must, may, behind || n.behind)
        return [`${open}${body})`, n.neg ? must : m2, y2]
      }
      case 'atomic': {
        let m2: ReadonlySet<number> = must
        let y2: ReadonlySet<number> = may
        const inner = (): string => {
          const [b, bm, by] = this.emit(n.body, must, may, behind)
          m2 = bm
          y2 = by
          return b
        }
        return [this.#atomic(inner, behind, n.pos, 'an atomic group (?>…)'), m2, y2]
      }
      case 'backref':
        return [this.#backref(n, must, may), must, may]
      case 'anchor':
        return [ANCHORS[n.a]!, must, may]
      case 'bound':
        return [boundSource(n.neg, n.uword, this.v), must, may]
      case 'lb':
        return [LINEBREAK, must, may]
      case 'quant':
        return this.#quant(n, must, may, behind)
    }
  }

  #quant(
    n: Extract<Ast, { t: 'quant' }>,
    must: ReadonlySet<number>,
    may: ReadonlySet<number>,
    behind: boolean,
  ): [string, ReadonlySet<number>, ReadonlySet<number>] {
    const count =
      n.min === 0 && n.max === 1
        ? '?'
        : n.max === MAX_REPS
          ? n.min === 0
            ? '*'
            : n.min === 1
              ? '+'
              : `{${n.min},}`
          : n.min === n.max
            ? `{${n.min}}`
            : `{${n.min},${n.max}}`
    const suffix = n.mode === 'lazy' ? `${count}?` : count
    // Java lets a later iteration see groups set by an earlier one.
    const mayIn = n.max > 1 ? new Set([...may, ...groupsIn(n.body)]) : may
    let bodyMust: ReadonlySet<number> = must
    let bodyMay: ReadonlySet<number> = mayIn
    const body = (b: Ast): string => {
      const [s, m2, y2] = this.emit(b, must, mayIn, behind)
      bodyMust = m2
      bodyMay = y2
      return s
    }
    if ((n.kind === 'loop' || (n.kind === 'branch' && n.mode === 'greedy')) && emptyFirst(n.body))
      throw this.#unsupported(
        n.pos,
        'a repetition whose body can match the empty string before a non-empty alternative',
        'Java stops repeating at the empty match, JavaScript skips it and tries the next alternative; ' +
          'put the empty alternative last, e.g. (a|) instead of (|a), or use a greedy quantifier inside',
      )
    let s: string
    switch (n.kind) {
      case 'ques':
      case 'curly':
      case 'cpGreedy': {
        // A single atom, matched atomically by Java: only \R has a choice to lose.
        const atom = (): string => {
          if (n.body.t === 'lb') return LINEBREAK_ATOMIC
          const a = body(n.body)
          return n.body.t === 'cp' || n.body.t === 'backref' ? a : `(?:${a})`
        }
        s =
          n.mode === 'possessive'
            ? this.#atomic(() => atom() + count, behind, n.pos, 'a possessive quantifier')
            : atom() + suffix
        break
      }
      case 'branch':
      case 'loop':
        s = body(n.body) + suffix
        break
      case 'groupCurly':
        // GroupCurly takes each iteration's first match; only matters when the body contains \R.
        s = multiSolution(n.body)
          ? `(?:${this.#atomic(() => body(n.body), behind, n.pos, 'a repeated group containing \\R')})${suffix}`
          : body(n.body) + suffix
        break
      case 'groupQuesPossessive':
      case 'groupCurlyPossessive': {
        // Java takes each iteration's first match (Ques/Curly call atom.match once per iteration).
        const iter = (): string =>
          multiSolution(n.body)
            ? `(?:${this.#atomic(() => body(n.body), behind, n.pos, 'a possessive quantifier')})`
            : body(n.body)
        s = this.#atomic(() => iter() + count, behind, n.pos, 'a possessive quantifier')
        break
      }
    }
    const mustOut = n.min >= 1 ? bodyMust : must
    const mayOut = new Set([...mayIn, ...bodyMay])
    return [s, mustOut, mayOut]
  }
}

export function emitJavaScript(pattern: string, parsed: Parsed): Translation {
  const e = new Emitter(pattern, parsed)
  const [source] = e.emit(parsed.ast, new Set(), leakyGroups(parsed.ast), false)
  return {
    source,
    flags: e.v ? 'v' : 'u',
    groupMap: e.groupMap,
    unreliableGroups: e.unreliable,
  }
}
