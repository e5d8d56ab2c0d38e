// From parsed property files to the flat, validated key → value map Flume's FlumeConfiguration starts from,
// in Flume's order (UriConfigurationProvider.getFlumeConfiguration, MapResolver, FlumeConfiguration):
//   1. every file is loaded into one Properties object, later definitions replacing earlier ones;
//   2. `${...}` is substituted in the raw (untrimmed) values;
//   3. each key and value is trimmed (Java's String.trim: chars <= U+0020 only); an empty value, a key
//      without an agent prefix or without a name after it is dropped with a diagnostic.
// Unlike Flume, nothing is dropped silently: every drop, repeated key and substitution problem is a
// diagnostic with file and line, so `flumen check` can list them all.
import type { ConfigDiagnostic } from './diagnostics.ts'
import {
  type DefinitionSite,
  type MergedProperties,
  mergeProperties,
  type PropertiesParseResult,
  type PropertyEntry,
  type RepeatedKey,
} from './properties.ts'
import { type SubstitutionOptions, substituteProperties } from './substitute.ts'

/** One property Flume keeps, with where it came from. */
export interface FlumeProperty {
  /** Trimmed key, `<agent>.<name>`. */
  readonly key: string
  /** The text before the first `.` of the key. */
  readonly agent: string
  /** Substituted and trimmed value; never empty. */
  readonly value: string
  /** The value as written in the file (before substitution and trimming), e.g. to avoid logging secrets. */
  readonly rawValue: string
  readonly source: string
  readonly line: number
}

export interface FlumePropertiesResult {
  /** Surviving properties by trimmed key, in the order of their (last) definitions. */
  readonly properties: ReadonlyMap<string, FlumeProperty>
  readonly diagnostics: readonly ConfigDiagnostic[]
}

/** A (possibly substituted) entry: `rawValue`, when known, is the value before substitution. */
export type RawFlumeEntry = PropertyEntry & { readonly rawValue?: string }

export interface NormalizeOptions {
  /**
   * Keys that some `${KEY}` resolved to. Such a key without an agent prefix (`NC_PORT = 44444`) is a
   * variable, the documented Flume idiom, so dropping it is not reported.
   */
  readonly variableKeys?: ReadonlySet<string>
}

/**
 * Reads, merges, substitutes and normalizes: the whole path from parsed files to Flume's properties, with
 * every diagnostic sorted by file (in load order) and line.
 */
export function loadFlumeProperties(
  files: readonly PropertiesParseResult[],
  options: SubstitutionOptions,
): FlumePropertiesResult {
  const merged = mergeProperties(files)
  const substituted = substituteProperties(merged.properties, options)
  const normalized = normalizeFlumeProperties(substituted.properties.values(), {
    variableKeys: substituted.referencedKeys,
  })
  const diagnostics = [
    ...repeatedKeyDiagnostics(merged),
    ...substituted.diagnostics,
    ...normalized.diagnostics,
  ]
  const fileOrder = new Map(merged.sources.map((s, i) => [s, i]))
  diagnostics.sort((a, b) => (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) || a.line - b.line)
  return { properties: normalized.properties, diagnostics }
}

/**
 * Flume's `FlumeConfiguration.addRawProperty` checks over merged (and usually substituted) entries, given in
 * load order.
 */
export function normalizeFlumeProperties(
  entries: Iterable<RawFlumeEntry>,
  options: NormalizeOptions = {},
): FlumePropertiesResult {
  const variableKeys = options.variableKeys
  const properties = new Map<string, FlumeProperty>()
  const diagnostics: ConfigDiagnostic[] = []
  for (const entry of entries) {
    const key = javaTrim(entry.key)
    const value = javaTrim(entry.value)
    const dot = key.indexOf('.')
    if (dot <= 0 && variableKeys?.has(entry.key) === true) continue
    const report = (code: ConfigDiagnostic['code'], message: string): void => {
      diagnostics.push({ code, severity: 'error', file: entry.source, line: entry.line, key, message })
    }
    // Flume compat: same checks in the same order as FlumeConfiguration.addRawProperty.
    if (value === '') {
      const raw = entry.rawValue ?? entry.value
      const why =
        javaTrim(raw) === '' ? 'an empty value' : `a value that is empty after substitution (${raw})`
      report('PROPERTY_VALUE_NULL', `Property ${JSON.stringify(key)} has ${why}: ignored, as Flume does.`)
      continue
    }
    if (dot <= 0) {
      report(
        'AGENT_NAME_MISSING',
        `Property ${JSON.stringify(key)} does not start with an agent name ("<agent>.<name>"): ignored, as ` +
          'Flume does. (To define a substitution variable, reference it as ${' +
          key +
          '} in a value.)',
      )
      continue
    }
    if (dot === key.length - 1) {
      report(
        'PROPERTY_NAME_NULL',
        `Property ${JSON.stringify(key)} has nothing after the agent name: ignored, as Flume does.`,
      )
      continue
    }
    const previous = properties.get(key)
    if (previous !== undefined) {
      // Two raw keys that differ only in escaped blanks at their ends (`a1.x` and `a1.x\ `). Flume keeps
      // whichever its HashMap yields last; here the later definition wins and the clash is reported.
      properties.delete(key)
      diagnostics.push({
        code: 'DUPLICATE_KEY',
        severity: 'warning',
        file: entry.source,
        line: entry.line,
        key,
        message:
          `${JSON.stringify(key)} is set ${sitesText([previous, entry])} by keys that differ only in ` +
          `surrounding blanks: the value from ${siteText(entry)} is used.`,
      })
    }
    properties.set(key, {
      key,
      agent: key.slice(0, dot),
      value,
      rawValue: entry.rawValue ?? entry.value,
      source: entry.source,
      line: entry.line,
    })
  }
  return { properties, diagnostics }
}

/** DUPLICATE_KEY warnings for keys defined more than once, reported at the definition that is used. */
export function repeatedKeyDiagnostics(merged: MergedProperties): ConfigDiagnostic[] {
  return merged.duplicates.map((repeated: RepeatedKey): ConfigDiagnostic => {
    const used = repeated.sites[repeated.sites.length - 1]!
    return {
      code: 'DUPLICATE_KEY',
      severity: 'warning',
      file: used.source,
      line: used.line,
      key: repeated.key,
      message:
        `${JSON.stringify(repeated.key)} is set ${repeated.sites.length} times (${sitesText(repeated.sites)}): ` +
        `the value from ${siteText(used)} is used, as in Flume.`,
    }
  })
}

/** Java's `String.trim()`: strips chars <= U+0020 (not NBSP or other Unicode blanks, unlike JS trim). */
export function javaTrim(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && text.charCodeAt(start) <= 0x20) start++
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}

function siteText(site: DefinitionSite): string {
  return `${site.source} line ${site.line}`
}

/** "a.conf lines 3 and 9" or "a.conf line 3, b.conf line 9". */
function sitesText(sites: readonly DefinitionSite[]): string {
  const first = sites[0]
  if (first !== undefined && sites.every((s) => s.source === first.source)) {
    const lines = sites.map((s) => s.line)
    const last = lines.pop()
    return `${first.source} lines ${lines.join(', ')} and ${last}`
  }
  return sites.map(siteText).join(', ')
}
