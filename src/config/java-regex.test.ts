// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is Java replacement-string syntax here
// Tests of compileJavaRegex. The reference is java.util.regex itself: the corpus
// (test-support/java-regex-corpus.ts) and a batch of random patterns (test-support/java-regex-arbitrary.ts)
// are each evaluated by one run of JavaRegexOracle.java (Java 17) and compared with the translation on
// every observable: compile errors (description and index), matches(), find() with groups, replaceAll()
// and split(). Any disagreement fails, except those explained by a documented limitation (java-regex.ts
// header), which are counted and reported as diagnostics.
//
// FLUMEN_REGEX_PROPERTY_RUNS / FLUMEN_REGEX_PROPERTY_SEED change the size and seed of the random batch.

import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import fc from 'fast-check'
import { compileJavaRegex, JavaRegexError } from './java-regex.ts'
import { regexCaseArb } from './test-support/java-regex-arbitrary.ts'
import { COMMON_INPUTS, CORPUS } from './test-support/java-regex-corpus.ts'
import {
  compareCase,
  type DiffCase,
  type DiffOutcome,
  newOutcome,
  type OracleResponse,
  runJavaOracle,
  toRequest,
} from './test-support/java-regex-oracle.ts'

const S = String.raw

/** Corpus patterns Java accepts and flumen rejects as FLUME_ERR_REGEX_UNSUPPORTED, with the reason. */
const UNSUPPORTED = new Map<string, string>([
  [S`\Ga`, '\\G is the end of the previous match; a JavaScript RegExp has no such anchor'],
  [S`a\G`, '\\G is the end of the previous match; a JavaScript RegExp has no such anchor'],
  [S`\X`, 'JavaScript has no extended grapheme cluster matcher'],
  [S`\b{g}`, 'JavaScript has no grapheme cluster boundary'],
  [S`\N{LATIN SMALL LETTER A}`, 'JavaScript has no table of Unicode character names'],
  [S`(?c)a`, 'CANON_EQ matching (canonical equivalence) has no JavaScript counterpart'],
  [S`(?<=a++)b`, 'the atomic emulation (?=(X))\\1 does not work in right-to-left look-behind matching'],
  [S`(?<=a?+)b`, 'the atomic emulation (?=(X))\\1 does not work in right-to-left look-behind matching'],
  [S`(?<=(?>a))b`, 'the atomic emulation (?=(X))\\1 does not work in right-to-left look-behind matching'],
  [S`(?<=(?>a|b))c`, 'the atomic emulation (?=(X))\\1 does not work in right-to-left look-behind matching'],
  [S`(a)?b\1`, 'Java fails a reference to an unset group, JavaScript matches it empty'],
  [S`(?:(a)|b)\1`, 'Java fails a reference to an unset group, JavaScript matches it empty'],
  [S`(?:(a)|b\1)+`, 'Java keeps group values across iterations, JavaScript resets them'],
  [S`(|a)+`, 'Java stops repeating at an empty iteration, JavaScript skips it for the next alternative'],
  [S`(?<=(?:a{65536}){65537})b`, "Java's look-behind length bound wraps around to a too small value"],
  [S`[[a]b&&]`, 'Java accepts this class but throws NullPointerException when matching with it'],
])

/** Java rejects these, flumen reports them as unsupported because it cannot tell a valid name. */
const REJECTED_AS_UNSUPPORTED = new Map<string, string>([
  [S`\N{NO SUCH NAME}`, 'flumen has no character name table, so it cannot tell a valid \\N{name}'],
])

/** Unsupported constructs the random generator can produce. */
const RANDOM_UNSUPPORTED_KINDS = [
  /a possessive quantifier inside a look-behind/,
  /an atomic group \(\?>…\) inside a look-behind/,
  /a repeated group containing \\R inside a look-behind/,
  /a back-reference to group \d+, which may not have matched at that point/,
  /a repetition whose body can match the empty string before a non-empty alternative/,
  /a look-behind whose length bounds Java computes with int overflow/,
  /an empty right-hand side of && after a character/,
]

function report(t: { diagnostic(s: string): void }, out: DiffOutcome, ms: number): void {
  t.diagnostic(
    `${out.compared} inputs compared, ${out.syntaxErrors} Java syntax errors reproduced, ` +
      `${out.unsupported.size} unsupported, in ${ms} ms`,
  )
  for (const [kind, n] of out.known) t.diagnostic(`${n} disagreements from documented limitation ${kind}`)
}

function assertNoMismatch(out: DiffOutcome): void {
  if (out.mismatches.length > 0) {
    assert.fail(
      `${out.mismatches.length} disagreements with java.util.regex:\n${out.mismatches.slice(0, 40).join('\n')}`,
    )
  }
}

describe('compileJavaRegex against java.util.regex (Java 17)', () => {
  const corpusCases: DiffCase[] = CORPUS.map((c, i) => ({
    id: `c${i}`,
    pattern: c.p,
    flags: c.flags ?? '',
    inputs: [...(c.in ?? []), ...COMMON_INPUTS],
    replacement: c.r ?? '<$0>',
  }))
  const runs = Number(process.env.FLUMEN_REGEX_PROPERTY_RUNS ?? 1500)
  const seed = Number(process.env.FLUMEN_REGEX_PROPERTY_SEED ?? 20240517)
  const randomCases: DiffCase[] = fc.sample(regexCaseArb, { seed, numRuns: runs }).map((s, i) => ({
    id: `r${i}`,
    pattern: s.pattern,
    flags: s.flags,
    inputs: s.inputs,
    replacement: s.replacement,
  }))

  // Both batches run in parallel, one JVM each.
  let corpusJava: Promise<Map<string, OracleResponse>>
  let randomJava: Promise<Map<string, OracleResponse>>
  before(() => {
    corpusJava = runJavaOracle(corpusCases.map(toRequest))
    randomJava = runJavaOracle(randomCases.map(toRequest))
    // Rejections are awaited in the tests; do not let them surface as unhandled in between.
    corpusJava.catch(() => {})
    randomJava.catch(() => {})
  })

  test('corpus: every construct, compile errors, CRLF, supplementary characters, case folding', async (t) => {
    const java = await corpusJava
    const start = performance.now()
    const out = newOutcome()
    for (const c of corpusCases) compareCase(c, java.get(c.id), out)
    report(t, out, Math.round(performance.now() - start))

    // Mismatches of kind "Java rejects, flumen says unsupported" are expected for REJECTED_AS_UNSUPPORTED.
    const unexpected = out.mismatches.filter(
      (m) => ![...REJECTED_AS_UNSUPPORTED.keys()].some((p) => m.startsWith(JSON.stringify(p))),
    )
    assertNoMismatch({ ...out, mismatches: unexpected })
    const rejected = new Set(
      [...out.unsupported.keys()].map((id) => corpusCases.find((c) => c.id === id)!.pattern),
    )
    assert.deepEqual([...rejected].sort(), [...UNSUPPORTED.keys()].sort(), 'unsupported corpus patterns')
    assert.ok(out.compared > 2000, `compared ${out.compared} inputs`)
  })

  test(`random patterns from the Java grammar (${runs}, seed ${seed})`, async (t) => {
    const java = await randomJava
    const start = performance.now()
    const out = newOutcome()
    for (const c of randomCases) compareCase(c, java.get(c.id), out)
    report(t, out, Math.round(performance.now() - start))
    assertNoMismatch(out)
    for (const [id, message] of out.unsupported) {
      const pattern = randomCases.find((c) => c.id === id)!.pattern
      assert.ok(
        RANDOM_UNSUPPORTED_KINDS.some((k) => k.test(message)),
        `${JSON.stringify(pattern)} rejected for an unlisted reason: ${message}`,
      )
    }
    // The generator must mostly produce patterns that get compared, not rejected.
    assert.ok(
      out.unsupported.size < runs * 0.2,
      `${out.unsupported.size} of ${runs} random patterns unsupported`,
    )
    assert.ok(out.compared > runs, `compared ${out.compared} inputs`)
  })
})

describe('compileJavaRegex API', () => {
  test('the three Java match styles', () => {
    const re = compileJavaRegex(S`(\w+)@(?<host>\w+)`)
    assert.equal(re.matches('bob@example'), true)
    assert.equal(re.matches('mail bob@example'), false)
    assert.equal(re.test('mail bob@example now'), true)
    const m = re.find('mail bob@example now')
    assert.ok(m)
    assert.deepEqual(
      [m.start, m.end, m.group(), m.group(1), m.group(2), m.group('host')],
      [5, 16, 'bob@example', 'bob', 'example', 'example'],
    )
    assert.equal(m.groupCount, 2)
    assert.throws(() => m.group(3), RangeError)
    assert.throws(() => m.group('nope'), RangeError)
    assert.equal(re.find('nothing here'), null)
    assert.equal(re.replaceAll('a@b, c@d', '${host}:$1'), 'b:a, d:c')
    assert.equal(compileJavaRegex('(x)?y').find('y')?.group(1), null)
  })

  test('Java replacement syntax and its errors, reported at compile time', () => {
    const re = compileJavaRegex('(a)(b)?')
    assert.equal(re.replaceAll('ab a', S`[$2|\$1|\\]`), S`[b|$1|\] [|$1|\]`)
    // $12 with one group is group 1 followed by "2"; $0 is the whole match.
    assert.equal(compileJavaRegex('(x)').replaceAll('x', '$12$0'), 'x2x')
    const bad: [string, string, RegExp][] = [
      ['(x)', '$', /group index is missing/],
      ['(x)', '$a', /Illegal group reference/],
      ['(x)', '$2', /No group 2/],
      ['(x)', '\\', /character to be escaped is missing/],
      ['(?<n>x)', '${m}', /No group with name \{m\}/],
      ['(?<n>x)', '${}', /0 length name/],
      ['(?<n>x)', '${n', /missing trailing '}'/],
      ['(?<n>x)', '${1n}', /starts with digit/],
    ]
    for (const [p, r, msg] of bad) {
      assert.throws(
        () => compileJavaRegex(p).compileReplacement(r),
        (e: unknown) =>
          e instanceof JavaRegexError && e.code === 'FLUME_ERR_REGEX_SYNTAX' && msg.test(e.message),
        `${p} / ${r}`,
      )
    }
    // A compiled replacement is reused without reparsing; used with another pattern, it is reparsed for it
    // (its group numbers belong to the pattern it was compiled for).
    const compiled = re.compileReplacement('<$1>')
    assert.equal(re.replaceAll('xaby', compiled), 'x<a>y')
    assert.equal(compileJavaRegex('(?>z)(y)').replaceAll('zy', compiled), '<y>')
  })

  test('String.split semantics', () => {
    const comma = compileJavaRegex(',')
    assert.deepEqual(comma.split('a,b,,c,,'), ['a', 'b', '', 'c'])
    assert.deepEqual(comma.split(',a'), ['', 'a'])
    assert.deepEqual(comma.split(''), [''])
    assert.deepEqual(comma.split(',,'), [])
    assert.deepEqual(comma.split('a,b,c', 2), ['a', 'b,c'])
    assert.deepEqual(comma.split('a,,', -1), ['a', '', ''])
    assert.deepEqual(compileJavaRegex('').split('abc'), ['a', 'b', 'c'])
    assert.deepEqual(compileJavaRegex(S`\s*,\s*`).split('a , b,c'), ['a', 'b', 'c'])
  })

  test('Java semantics that differ from JavaScript', () => {
    // `$` also matches before a final line terminator; `.` excludes U+0085; \s is US-ASCII.
    assert.equal(compileJavaRegex('a$').test('a\n'), true)
    assert.equal(compileJavaRegex('a$').test('a\nb'), false)
    assert.equal(compileJavaRegex('a$').test('a\r\n'), true)
    assert.equal(compileJavaRegex('.').test('\u0085'), false)
    assert.equal(compileJavaRegex(S`\s`).test('\u00a0'), false)
    // (?i) folds US-ASCII only unless (?u) is given.
    assert.equal(compileJavaRegex('(?i)é').test('É'), false)
    assert.equal(compileJavaRegex('(?iu)é').test('É'), true)
    assert.equal(compileJavaRegex('(?iu)i').test('İ'), true)
    // \b uses Character.isLetterOrDigit, \w does not.
    assert.equal(compileJavaRegex(S`\bé`).test(' é'), true)
    assert.equal(compileJavaRegex(S`\w`).test('é'), false)
    // Possessive and atomic constructs do not give back.
    assert.equal(compileJavaRegex('a*+a').test('aaa'), false)
    assert.equal(compileJavaRegex('(?>a|ab)c').test('abc'), false)
    // \R? and \R+ match \r\n atomically, as Java's Ques/Curly nodes do.
    assert.equal(compileJavaRegex(S`\R?\n`).find('\r\n')?.start, 1)
    // A reference to a group that cannot have matched fails.
    assert.equal(compileJavaRegex(S`\2(a)(b)`).test('ab'), false)
  })

  test('errors quote the pattern, locate the problem and say what to write instead', () => {
    const syntax = (p: string): JavaRegexError => {
      try {
        compileJavaRegex(p)
      } catch (e) {
        assert.ok(e instanceof JavaRegexError)
        return e
      }
      assert.fail(`${p} compiled`)
    }
    const e1 = syntax('a(b')
    assert.equal(e1.code, 'FLUME_ERR_REGEX_SYNTAX')
    assert.equal(e1.javaDescription, 'Unclosed group')
    assert.equal(e1.javaIndex, 3)
    assert.match(e1.message, /"a\(b"/)
    assert.match(e1.message, /write \\\( for a literal parenthesis/)
    const e2 = syntax('ab**')
    assert.match(
      e2.message,
      /Dangling meta character '\*' at index 3\. Escape it as \\\* to match it literally\./,
    )
    // The index refers to the pattern as written, also after \Q…\E and supplementary characters.
    const e3 = syntax(S`\Q((\E😀[`)
    assert.equal(e3.javaIndex, 5) // Java counts code points after rewriting \Q((\E as \(\(
    assert.equal(e3.index, 8)
    const u = syntax(S`x\G`)
    assert.equal(u.code, 'FLUME_ERR_REGEX_UNSUPPORTED')
    assert.equal(u.index, 1)
    assert.match(
      u.message,
      /uses \\G .* at index 1, which flumen cannot reproduce in JavaScript: anchor with \^/,
    )
    const flags = (() => {
      try {
        compileJavaRegex('a', { flags: 'iq' })
      } catch (e) {
        return e
      }
      return null
    })()
    assert.ok(flags instanceof JavaRegexError)
    assert.match(flags.message, /Unknown Java regex flag "q"/)
  })

  test('flags option behaves like Pattern.compile flags', () => {
    assert.equal(compileJavaRegex('abc', { flags: 'i' }).matches('ABC'), true)
    assert.equal(compileJavaRegex('^b', { flags: 'm' }).test('a\nb'), true)
    assert.equal(compileJavaRegex('a.b', { flags: 's' }).matches('a\nb'), true)
    assert.equal(compileJavaRegex('a b # c', { flags: 'x' }).matches('ab'), true)
    assert.equal(compileJavaRegex('(?-i)a', { flags: 'i' }).matches('A'), false)
  })

  test('groups whose captured text may differ from Java are reported, and refused where text is copied', () => {
    const re = compileJavaRegex('(?:(a)|b)+(c)')
    assert.deepEqual([...re.unreliableGroups], [1])
    assert.doesNotThrow(() => re.assertGroupsExact([2]))
    assert.throws(
      () => re.assertGroupsExact(),
      (e: unknown) => e instanceof JavaRegexError && e.code === 'FLUME_ERR_REGEX_UNSUPPORTED',
    )
    assert.throws(() => re.compileReplacement('$1'), /can capture different text/)
    assert.equal(re.replaceAll('abc', '<$2>'), '<c>')
    // Matching itself is exact.
    assert.equal(re.matches('abac'), true)
  })

  test('documented differences: surrogate pairs stay whole', () => {
    // Java: ["\uD83D", "\uDE00"]; flumen never splits a supplementary character.
    assert.deepEqual(compileJavaRegex('').split('😀'), ['😀'])
    assert.equal(compileJavaRegex('x*').replaceAll('😀', '-'), '-😀-')
    // Java (and V8 on its own) would retry one UTF-16 unit further, between the halves of the pair.
    assert.equal(compileJavaRegex(S`\B`).find('a😀')?.start, 3)
    assert.equal(compileJavaRegex('(?!(?:x?)++)').test('a😀'), false)
  })

  test('exposes the generated JavaScript for debugging and reuses its RegExps', () => {
    const re = compileJavaRegex('[a-z&&[^aeiou]]+')
    assert.equal(re.source, '[b-df-hj-np-tv-z]+')
    assert.equal(re.flags, 'u')
    assert.equal(compileJavaRegex(S`[\p{L}&&[^\p{Lu}]]`).flags, 'v')
    assert.equal(re.pattern, '[a-z&&[^aeiou]]+')
    // Repeated calls do not depend on RegExp lastIndex state left by earlier ones.
    for (let i = 0; i < 3; i++) {
      assert.equal(re.replaceAll('abc', '-'), 'a-')
      assert.deepEqual(re.split('abcdef'), ['a', 'e'])
      assert.equal(re.test('xyz'), true)
    }
  })
})
