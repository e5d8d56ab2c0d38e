// Flume 1.10+ variable substitution in property VALUES (never keys), as Flume's MapResolver sets it up:
// Apache Commons Text 1.10.0 `StringSubstitutor` with substitution in variable names enabled, over an
// interpolator lookup with the prefixes `sys`, `env`, `java`, `date` and, for names without a known prefix,
// the configuration itself. The algorithm below is a port of `StringSubstitutor.substitute` (1.10.0), not a
// regex, because its corner cases are what users' files depend on; docs/config-substitution.md lists them
// with the Java output they were checked against (substitute.differential.test.ts runs the real library).
//
// In short:
// * `${NAME}` is another key of the merged raw configuration, `${env:NAME}` an environment variable,
//   `${sys:NAME}` a flumen system property (`-DNAME=value`). Prefixes are case-insensitive.
// * Flume compat: when `env:`/`sys:` (or an unknown prefix such as `foo:`) finds nothing, the text after
//   the first `:` is looked up as a config key: `${env:PORT}` falls back to a key named `PORT`.
// * `${NAME:-default}` uses the default when NAME resolves to nothing (an empty value is not nothing).
// * `$${x}` is the literal `${x}`; only the `$` right before a complete `${...}` is removed.
// * Names may contain variables (`${${sys:env}_BIND}`); values found are substituted again, recursively.
// * Anything unresolved stays exactly as written, e.g. config filter references like `${f1['KEY']}`.
//
// Where flumen differs from Flume, on purpose:
// * `${KEY}` resolves against every key of the merged files. Flume resolves against the keys it has already
//   processed, in HashMap order, so the same file may or may not resolve there (a superset here).
// * A reference loop (`a = ${b}`, `b = ${a}`) makes Commons Text throw and Flume refuse to start; flumen
//   reports a SUBSTITUTION_CYCLE error and leaves that value unsubstituted.
// * `${java:...}` (JVM version, OS, hardware, locale) has no meaning in Node: reported as
//   SUBSTITUTION_UNSUPPORTED and left as is (or its `:-default` used). Pretending to be a JVM would be worse.
// * `${date:PATTERN}` supports the FastDateFormat pattern letters except week numbers and zone names (see
//   date-format.ts); a pattern Java rejects (Flume refuses to start) is reported as an error and left as is.
// * Flume's `-Dlookups=<file>` (custom lookup classes) cannot apply to Java classes here and is not read.

import { formatJavaDate } from './date-format.ts'
import type { ConfigDiagnostic, ConfigDiagnosticCode, DiagnosticSeverity } from './diagnostics.ts'
import type { PropertyEntry } from './properties.ts'

export interface SubstitutionOptions {
  /** Environment for `${env:NAME}`; pass `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** flumen system properties for `${sys:NAME}`: the command line's `-Dkey=value` pairs. */
  readonly systemProperties: ReadonlyMap<string, string>
  /** Instant for `${date:...}`; defaults to the time of the call. */
  readonly now?: Date
}

/** An entry after substitution: `value` substituted, `rawValue` as read from the file. */
export interface SubstitutedEntry extends PropertyEntry {
  readonly rawValue: string
}

export interface SubstitutionResult {
  /** Same keys, same order as the input. */
  readonly properties: ReadonlyMap<string, SubstitutedEntry>
  /** Keys whose values were used to resolve some `${KEY}` (directly or through another key). */
  readonly referencedKeys: ReadonlySet<string>
  readonly diagnostics: readonly ConfigDiagnostic[]
}

/** `-DpropertiesImplementation=` value that makes plain `${NAME}` fall back to the environment. */
export const ENV_VAR_RESOLVER_PROPERTIES = 'org.apache.flume.node.EnvVarResolverProperties'

// Flume's config filter reference `${name['KEY']}`, `${name["KEY"]}` or `${name[KEY]}` (FlumeConfiguration
// createConfigFilterPattern). Commons Text treats it as an unresolvable variable and keeps it; it is not
// reported as unresolved because the config filter step resolves it later.
const CONFIG_FILTER_REFERENCE = /^[^\s:]+\[(['"]?)[-\w]+\1\]$/

// Far deeper than any real chain of references. The cycle stack catches loops through values; this catches
// loops through variable names (`a = ${${a}}`), which restart the stack and make Java overflow its own.
const MAX_DEPTH = 1000

/**
 * Substitutes `${...}` in every value of the merged raw configuration. Pure: the environment, system
 * properties and clock come from `options`.
 */
export function substituteProperties(
  properties: ReadonlyMap<string, PropertyEntry>,
  options: SubstitutionOptions,
): SubstitutionResult {
  const resolver = new Resolver(properties, options)
  const out = new Map<string, SubstitutedEntry>()
  for (const [key, entry] of properties) {
    const raw = entry.value
    // Fast path: nothing to do without a variable start.
    const value = raw.includes('${') ? resolver.substituteValue(entry) : raw
    out.set(key, { key, value, rawValue: raw, source: entry.source, line: entry.line })
  }
  return { properties: out, referencedKeys: resolver.referencedKeys, diagnostics: resolver.diagnostics }
}

/** Commons Text's IllegalStateException("Infinite loop in property interpolation of ..."). */
class CycleError extends Error {
  readonly chain: readonly string[]
  constructor(chain: readonly string[]) {
    super('substitution cycle')
    this.chain = chain
  }
}

/** StringSubstitutor works on a mutable buffer with offsets; this is that buffer. */
interface TextBuffer {
  text: string
}

/** Per-value findings, kept apart so that a value that turns out cyclic reports only the cycle. */
interface Finding {
  readonly code: ConfigDiagnosticCode
  readonly severity: DiagnosticSeverity
  readonly message: string
}

class Resolver {
  readonly referencedKeys = new Set<string>()
  readonly diagnostics: ConfigDiagnostic[] = []
  readonly #properties: ReadonlyMap<string, PropertyEntry>
  readonly #env: Readonly<Record<string, string | undefined>>
  readonly #sys: ReadonlyMap<string, string>
  readonly #now: Date
  readonly #envFallback: boolean
  #depth = 0
  #findings = new Map<string, Finding>()
  #referenced: string[] = []

  constructor(properties: ReadonlyMap<string, PropertyEntry>, options: SubstitutionOptions) {
    this.#properties = properties
    this.#env = options.env
    this.#sys = options.systemProperties
    this.#now = options.now ?? new Date()
    // Flume compat: MapResolver's DefaultLookup, selected by -DpropertiesImplementation (deprecated).
    this.#envFallback = this.#sys.get('propertiesImplementation') === ENV_VAR_RESOLVER_PROPERTIES
  }

  substituteValue(entry: PropertyEntry): string {
    this.#findings.clear()
    this.#referenced.length = 0
    this.#depth = 0
    const buffer = { text: entry.value }
    try {
      this.#substitute(buffer, 0, buffer.text.length, undefined)
    } catch (error) {
      if (!(error instanceof CycleError)) throw error
      const loop =
        error.chain.length > 1
          ? error.chain
              .slice(1)
              .map((name) => `\${${name}}`)
              .join(' -> ')
          : 'a variable name that expands to itself'
      this.#report(entry, {
        code: 'SUBSTITUTION_CYCLE',
        severity: 'error',
        message:
          `Substitution loop in the value of ${JSON.stringify(entry.key)} (${loop}): the value is left ` +
          'unsubstituted. Flume refuses to start with this configuration ("Infinite loop in property ' +
          'interpolation", or a stack overflow).',
      })
      return entry.value
    }
    for (const finding of this.#findings.values()) this.#report(entry, finding)
    for (const key of this.#referenced) this.referencedKeys.add(key)
    return buffer.text
  }

  #report(entry: PropertyEntry, finding: Finding): void {
    this.diagnostics.push({ ...finding, file: entry.source, line: entry.line, key: entry.key })
  }

  #note(variable: string, finding: Finding): void {
    if (!this.#findings.has(variable)) this.#findings.set(variable, finding)
  }

  /**
   * Port of `StringSubstitutor.substitute(TextStringBuilder, int, int, List<String>)` from Commons Text
   * 1.10.0 with Flume's settings: prefix `${`, suffix `}`, escape `$`, default delimiter `:-`, substitution
   * in variable names on, in values on, escapes not preserved, undefined variables kept. Returns the change
   * in length of the region [offset, offset + length).
   */
  #substitute(
    buffer: TextBuffer,
    offset: number,
    length: number,
    priorVariables: string[] | undefined,
  ): number {
    if (++this.#depth > MAX_DEPTH) throw new CycleError([])
    try {
      let lengthChange = 0
      let bufEnd = offset + length
      let pos = offset
      let escPos = -1
      outer: while (pos < bufEnd) {
        if (!isVariableStart(buffer.text, pos, bufEnd)) {
          pos++
          continue
        }
        // Found `${`. A `$` right before it escapes it, but only once a complete variable is found.
        if (pos > offset && buffer.text.charCodeAt(pos - 1) === DOLLAR) escPos = pos - 1
        let startPos = pos
        pos += 2
        let nestedVarCount = 0
        while (pos < bufEnd) {
          if (isVariableStart(buffer.text, pos, bufEnd)) {
            nestedVarCount++
            pos += 2
            continue
          }
          if (buffer.text.charCodeAt(pos) !== CLOSE_BRACE) {
            pos++
            continue
          }
          if (nestedVarCount > 0) {
            nestedVarCount--
            pos++
            continue
          }
          if (escPos >= 0) {
            // Delete the escape `$` and scan on from just inside the (now literal) `${`: the name of an
            // escaped variable is still scanned, so `$${${a}}` gives `${<value of a>}` (as Java does).
            buffer.text = buffer.text.slice(0, escPos) + buffer.text.slice(escPos + 1)
            escPos = -1
            lengthChange--
            bufEnd--
            pos = startPos + 1
            startPos--
            continue outer
          }
          const varText = buffer.text.slice(startPos, pos + 1)
          // Substitution in variable names: a fresh substitution (own cycle stack) over the name.
          const name: TextBuffer = { text: buffer.text.slice(startPos + 2, pos) }
          this.#substitute(name, 0, name.text.length, undefined)
          pos++
          const endPos = pos
          let varName = name.text
          let varDefault: string | undefined
          const delimiter = varName.indexOf(':-')
          if (delimiter >= 0) {
            varDefault = varName.slice(delimiter + 2)
            varName = varName.slice(0, delimiter)
          }
          if (priorVariables === undefined) priorVariables = [buffer.text.slice(offset, offset + length)]
          if (priorVariables.includes(varName)) throw new CycleError([...priorVariables, varName])
          priorVariables.push(varName)
          const value = this.#resolve(varName, varText, varDefault !== undefined) ?? varDefault
          if (value !== undefined) {
            buffer.text = buffer.text.slice(0, startPos) + value + buffer.text.slice(endPos)
            // Values are substituted again, in place, sharing the cycle stack.
            let change = this.#substitute(buffer, startPos, value.length, priorVariables)
            change += value.length - (endPos - startPos)
            pos += change
            bufEnd += change
            lengthChange += change
          }
          priorVariables.pop()
          break
        }
      }
      return lengthChange
    } finally {
      this.#depth--
    }
  }

  /**
   * Commons Text `InterpolatorStringLookup.lookup` over Flume's lookups. `varText` is the variable as written,
   * for messages; with `hasDefault` an unresolved variable is not worth a warning.
   */
  #resolve(varName: string, varText: string, hasDefault: boolean): string | undefined {
    let key = varName
    let prefix: string | undefined
    const colon = varName.indexOf(':')
    if (colon >= 0) {
      prefix = varName.slice(0, colon).toLowerCase()
      const name = varName.slice(colon + 1)
      switch (prefix) {
        case 'env': {
          const value = Object.hasOwn(this.#env, name) ? this.#env[name] : undefined
          if (value !== undefined) return value
          break
        }
        case 'sys': {
          const value = this.#sys.get(name)
          if (value !== undefined) return value
          break
        }
        case 'java':
          // Java's lookup never returns null (it answers or throws), so there is no fallback to keys.
          this.#note(varText, {
            code: 'SUBSTITUTION_UNSUPPORTED',
            severity: 'warning',
            message:
              `${varText}: flumen runs on Node.js and has no java: lookup (Flume would insert JVM ` +
              `information); ${hasDefault ? 'its default is used' : 'left as is'}.`,
          })
          return undefined
        case 'date': {
          const result = formatJavaDate(name, this.#now)
          if (result.ok) return result.text
          const invalid = result.kind === 'invalid'
          this.#note(varText, {
            code: invalid ? 'SUBSTITUTION_INVALID_DATE_FORMAT' : 'SUBSTITUTION_UNSUPPORTED',
            severity: invalid ? 'error' : 'warning',
            message:
              `${varText}: ${invalid ? `invalid date pattern (${result.reason})` : result.reason}; ` +
              `${hasDefault ? 'its default is used' : 'left as is'}.` +
              (invalid ? ' Flume refuses to start with this configuration.' : ''),
          })
          return undefined
        }
      }
      key = name
    }
    const entry = this.#properties.get(key)
    if (entry !== undefined) {
      this.#referenced.push(key)
      return entry.value
    }
    if (this.#envFallback) {
      const value = Object.hasOwn(this.#env, key) ? this.#env[key] : undefined
      if (value !== undefined) return value
    }
    // Not reported: variables with a default; config filter references (resolved later); names still
    // holding `${` (unresolved because an inner variable is, which is reported itself).
    if (!hasDefault && !CONFIG_FILTER_REFERENCE.test(varName) && !varName.includes('${')) {
      this.#note(varText, {
        code: 'SUBSTITUTION_UNRESOLVED',
        severity: 'warning',
        message: `${varText} is not defined (${unresolvedReason(prefix, key, this.#envFallback)}); left as is.`,
      })
    }
    return undefined
  }
}

const DOLLAR = 0x24
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

function isVariableStart(text: string, pos: number, end: number): boolean {
  return pos + 2 <= end && text.charCodeAt(pos) === DOLLAR && text.charCodeAt(pos + 1) === OPEN_BRACE
}

function unresolvedReason(prefix: string | undefined, key: string, envFallback: boolean): string {
  const noKey = `no config key ${JSON.stringify(key)}`
  switch (prefix) {
    case undefined:
      return envFallback ? `${noKey} and no environment variable ${key}` : noKey
    case 'env':
      return `environment variable ${key} is not set and there is ${noKey}`
    case 'sys':
      return `system property ${key} is not set (-D${key}=...) and there is ${noKey}`
    default:
      return `"${prefix}:" is not a lookup (env, sys, java, date) and there is ${noKey}`
  }
}
