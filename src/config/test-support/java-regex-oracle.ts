// Differential testing of compileJavaRegex against java.util.regex: runs JavaRegexOracle.java once for a
// whole batch of cases and compares every observable (compile errors, matches(), find() with groups,
// replaceAll(), split() at limits 0/-1/2) with what the translated RegExp does.
//
// A few differences are documented limitations (see the header of java-regex.ts); a disagreement is
// accepted only when one of those conditions holds, and counted, so the suites can report them.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { compileJavaRegex, type JavaRegex, JavaRegexError } from '../java-regex.ts'

export interface OracleRequest {
  readonly id: string
  readonly p: string
  readonly f: number
  readonly in: readonly string[]
  readonly r: string | null
}

interface OracleResult {
  readonly m: boolean
  readonly f: readonly number[] | null
  readonly all: readonly (readonly [number, number])[]
  readonly rep?: string | { readonly err: string }
  readonly split: Readonly<Record<string, readonly string[]>>
  readonly budget?: true
  readonly crash?: string
  readonly stackOverflow?: true
}

export type OracleResponse =
  | {
      readonly id: string
      readonly ok: true
      readonly groupCount: number
      readonly names: Readonly<Record<string, number>>
      readonly results: readonly OracleResult[]
    }
  | { readonly id: string; readonly ok: false; readonly desc: string; readonly index: number }

const ORACLE = fileURLToPath(new URL('./JavaRegexOracle.java', import.meta.url))

/** Java flag letters (as accepted by compileJavaRegex) → Pattern.compile flag bits. */
export function javaFlagBits(flags: string): number {
  const bits: Record<string, number> = { d: 1, i: 2, x: 4, m: 8, s: 0x20, u: 0x40, U: 0x140 }
  let f = 0
  for (const c of flags) f |= bits[c] ?? 0
  return f
}

/** Runs one JVM over all requests; resolves to the responses by id. */
export function runJavaOracle(reqs: readonly OracleRequest[]): Promise<Map<string, OracleResponse>> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['--add-opens', 'java.base/java.util.regex=ALL-UNNAMED', ORACLE], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => reject(new Error(`cannot run java for the regex oracle: ${e.message}`)))
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`JavaRegexOracle exited with ${code}: ${Buffer.concat(err).toString('utf8')}`))
        return
      }
      const map = new Map<string, OracleResponse>()
      for (const line of Buffer.concat(out).toString('utf8').split('\n')) {
        if (line === '') continue
        const r = JSON.parse(line) as OracleResponse
        map.set(r.id, r)
      }
      resolve(map)
    })
    child.stdin.end(reqs.map((r) => JSON.stringify(r)).join('\n') + '\n')
  })
}

export interface DiffCase {
  readonly id: string
  readonly pattern: string
  readonly flags: string
  readonly inputs: readonly string[]
  readonly replacement: string
}

export interface DiffOutcome {
  /** Disagreements not explained by a documented limitation. */
  readonly mismatches: string[]
  /** Disagreements explained by a documented limitation, by kind. */
  readonly known: Map<string, number>
  /** When present, receives a description of each explained disagreement. */
  readonly knownCases?: string[]
  /** Cases rejected as FLUME_ERR_REGEX_UNSUPPORTED (Java accepted them): id → message. */
  readonly unsupported: Map<string, string>
  /** Java syntax errors reproduced. */
  syntaxErrors: number
  /** Inputs compared. */
  compared: number
}

export function newOutcome(): DiffOutcome {
  return { mismatches: [], known: new Map(), unsupported: new Map(), syntaxErrors: 0, compared: 0 }
}

export function toRequest(c: DiffCase): OracleRequest {
  return { id: c.id, p: c.pattern, f: javaFlagBits(c.flags), in: c.inputs, r: c.replacement }
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff
/** Index i splits a surrogate pair of s. */
const midPair = (s: string, i: number): boolean =>
  i > 0 && i < s.length && isHigh(s.charCodeAt(i - 1)) && isLow(s.charCodeAt(i))
const hasSupplementary = (s: string): boolean => /[\u{10000}-\u{10FFFF}]/u.test(s)
const hasNonAscii = (s: string): boolean => /[^\0-\x7F]/.test(s)

const show = (v: unknown): string => JSON.stringify(v)

/** Compares one case with Java's answer, recording into `out`. */
export function compareCase(c: DiffCase, java: OracleResponse | undefined, out: DiffOutcome): void {
  const label = `${show(c.pattern)}${c.flags === '' ? '' : ` flags=${c.flags}`}`
  if (java === undefined) {
    out.mismatches.push(`${label}: no answer from Java`)
    return
  }
  let re: JavaRegex
  try {
    re = compileJavaRegex(c.pattern, { flags: c.flags })
  } catch (e) {
    if (!(e instanceof JavaRegexError)) throw e
    if (!java.ok) {
      if (e.code !== 'FLUME_ERR_REGEX_SYNTAX') {
        out.mismatches.push(`${label}: Java rejects it (${java.desc}), flumen says ${e.code}: ${e.message}`)
      } else if (e.javaDescription !== java.desc || e.javaIndex !== java.index) {
        out.mismatches.push(
          `${label}: Java rejects it with ${show(java.desc)} at ${java.index}, flumen with ${show(e.javaDescription)} at ${e.javaIndex}`,
        )
      } else {
        out.syntaxErrors++
      }
      return
    }
    if (e.code === 'FLUME_ERR_REGEX_UNSUPPORTED') {
      out.unsupported.set(c.id, e.message)
      return
    }
    out.mismatches.push(`${label}: Java accepts it, flumen rejects it: ${e.message}`)
    return
  }
  if (!java.ok) {
    out.mismatches.push(
      `${label}: Java rejects it (${java.desc} at ${java.index}), flumen accepts it as /${re.source}/`,
    )
    return
  }
  if (java.groupCount !== re.groupCount) {
    out.mismatches.push(`${label}: groupCount Java ${java.groupCount}, flumen ${re.groupCount}`)
    return
  }
  const names = Object.fromEntries(re.groupNames)
  if (show(Object.entries(java.names).sort()) !== show(Object.entries(names).sort())) {
    out.mismatches.push(`${label}: named groups Java ${show(java.names)}, flumen ${show(names)}`)
  }
  const lookbehind = /\(\?<[=!]/.test(c.pattern)
  const ciBackref =
    /\\[1-9]|\\k</.test(c.pattern) && (/[iU]/.test(c.flags) || /\(\?[a-zA-Z]*[iU]/.test(c.pattern))

  // Replacement: Java reports a bad replacement only when something matches; flumen always does.
  let replacement: ReturnType<JavaRegex['compileReplacement']> | null = null
  let replacementError: JavaRegexError | null = null
  try {
    replacement = re.compileReplacement(c.replacement)
  } catch (e) {
    if (!(e instanceof JavaRegexError)) throw e
    replacementError = e
  }

  c.inputs.forEach((input, k) => {
    const j = java.results[k]
    if (j === undefined) return
    if (j.budget === true || j.stackOverflow === true) return // Java gave up; nothing to compare
    const where = `${label} on ${show(input)}`
    if (j.crash !== undefined) {
      out.mismatches.push(`${where}: Java crashes (${j.crash}) but flumen accepted the pattern`)
      return
    }
    out.compared++
    // Known limitations that may explain a disagreement on this input, per observable.
    const splitsPair = (span: readonly number[]): boolean =>
      midPair(input, span[0]!) || midPair(input, span[1]!)
    const always: string[] = []
    if (lookbehind && hasSupplementary(input)) always.push('lookbehind-utf16-window')
    if (ciBackref && hasNonAscii(input)) always.push('case-insensitive-backref-folding')
    const anyPairSplit = j.all.some(splitsPair) ? ['java-splits-surrogate-pair'] : []
    const mismatch = (what: string, javaV: unknown, ours: unknown, excuses: readonly string[]): void => {
      if (show(javaV) === show(ours)) return
      if (excuses.length > 0) {
        const k0 = excuses[0]!
        out.known.set(k0, (out.known.get(k0) ?? 0) + 1)
        out.knownCases?.push(`${k0}: ${where}: ${what}: Java ${show(javaV)}, flumen ${show(ours)}`)
        return
      }
      out.mismatches.push(
        `${where}: ${what}: Java ${show(javaV)}, flumen ${show(ours)} (JS /${re.source}/${re.flags})`,
      )
    }

    mismatch('matches()', j.m, re.matches(input), always)
    const m = re.find(input)
    const findExcuses = [
      ...always,
      ...(j.f !== null && splitsPair(j.f) ? ['java-splits-surrogate-pair'] : []),
    ]
    if (j.f === null || m === null) {
      mismatch('find()', j.f, m === null ? null : [m.start, m.end], findExcuses)
    } else {
      mismatch('find() span', [j.f[0], j.f[1]], [m.start, m.end], findExcuses)
      if (show([j.f[0], j.f[1]]) === show([m.start, m.end])) {
        for (let g = 1; g <= re.groupCount; g++) {
          if (re.unreliableGroups.has(g)) continue
          const js = j.f[2 * g]!
          const je = j.f[2 * g + 1]!
          mismatch(`group(${g})`, js < 0 ? null : input.slice(js, je), m.group(g), always)
        }
      }
    }
    const loopExcuses = [...anyPairSplit, ...always]
    if (j.rep !== undefined) {
      if (typeof j.rep === 'object') {
        if (replacementError === null)
          out.mismatches.push(
            `${where}: Java's replaceAll(${show(c.replacement)}) fails (${j.rep.err}), flumen's does not`,
          )
      } else if (replacementError !== null) {
        // Stricter than Java: fine when Java simply found nothing to replace, or when the group is unreliable.
        if (j.all.length > 0 && replacementError.code !== 'FLUME_ERR_REGEX_UNSUPPORTED')
          out.mismatches.push(
            `${where}: flumen rejects replacement ${show(c.replacement)}: ${replacementError.message}`,
          )
      } else if (replacement !== null) {
        mismatch(`replaceAll(${show(c.replacement)})`, j.rep, re.replaceAll(input, replacement), loopExcuses)
      }
    }
    for (const limit of ['0', '-1', '2']) {
      mismatch(`split(limit ${limit})`, j.split[limit], re.split(input, Number(limit)), loopExcuses)
    }
  })
}
