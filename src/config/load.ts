/**
 * Reads the config files given with `-f` (in order; later files override earlier ones) and produces the
 * flat property map the compiler starts from, with every problem as a diagnostic carrying file and line:
 * Java .properties parsing (properties.ts), `${...}` substitution (substitute.ts), Flume's trim and
 * dropping rules (flume-properties.ts).
 *
 * A missing or unreadable file, or a malformed `\uXXXX` escape, is fatal (Flume does not start either).
 * Flume compat: a file whose "extension" (the text after the first `.` of its name) is exactly `json`,
 * `yaml` or `xml` is skipped with a warning, as Flume's file configuration source does.
 *
 * `${sys:NAME}` sees the `-D` properties, on top of the handful of JVM system properties configs use
 * (`user.home`, `user.name`, `user.dir`, `java.io.tmpdir`, `file.separator`, `line.separator`, `os.name`).
 */

import { readFile } from 'node:fs/promises'
import { homedir, tmpdir, userInfo } from 'node:os'
import { basename } from 'node:path'
import type { Diagnostic, PropertyValue } from '../core/spec.ts'
import { loadFlumeProperties } from './flume-properties.ts'
import { type PropertiesParseResult, PropertiesSyntaxError, parseProperties } from './properties.ts'

export interface LoadedConfig {
  /** Every surviving property of every agent, by full key. */
  readonly properties: ReadonlyMap<string, PropertyValue>
  readonly diagnostics: readonly Diagnostic[]
  /** A file could not be read or parsed: nothing should start. */
  readonly fatal: boolean
}

export interface LoadOptions {
  readonly files: readonly string[]
  readonly sys: ReadonlyMap<string, string>
  readonly env: NodeJS.ProcessEnv
}

/** The JVM system properties Flume configs commonly reference, overridden by `-D`. */
export function systemProperties(sys: ReadonlyMap<string, string>): Map<string, string> {
  let user = ''
  try {
    user = userInfo().username
  } catch {
    user = process.env.USER ?? ''
  }
  const base = new Map<string, string>([
    ['user.home', homedir()],
    ['user.name', user],
    ['user.dir', process.cwd()],
    ['java.io.tmpdir', tmpdir()],
    ['file.separator', '/'],
    ['path.separator', ':'],
    ['line.separator', '\n'],
    ['os.name', process.platform === 'linux' ? 'Linux' : process.platform],
  ])
  for (const [k, v] of sys) base.set(k, v)
  return base
}

export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const diagnostics: Diagnostic[] = []
  const parsed: PropertiesParseResult[] = []
  let fatal = false
  for (const file of opts.files) {
    const name = basename(file)
    const ext = name.includes('.') ? name.slice(name.indexOf('.') + 1) : ''
    if (ext === 'json' || ext === 'yaml' || ext === 'xml') {
      diagnostics.push({
        code: 'CONFIG_FILE_ERROR',
        severity: 'warning',
        file,
        message: `config file ${file} is skipped: files ending in .${ext} are not read (Flume compat); use a properties file`,
      })
      continue
    }
    let data: Buffer
    try {
      data = await readFile(file)
    } catch (e) {
      fatal = true
      diagnostics.push({
        code: 'CONFIG_FILE_ERROR',
        severity: 'fatal',
        file,
        message: `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      })
      continue
    }
    try {
      parsed.push(parseProperties(data, file))
    } catch (e) {
      if (!(e instanceof PropertiesSyntaxError)) throw e
      fatal = true
      diagnostics.push({
        code: 'CONFIG_FILE_ERROR',
        severity: 'fatal',
        file: e.source,
        line: e.line,
        message: e.message.replace(`${e.source}:${e.line}: `, ''),
      })
    }
  }
  if (fatal) return { properties: new Map(), diagnostics, fatal }

  const result = loadFlumeProperties(parsed, { env: opts.env, systemProperties: systemProperties(opts.sys) })
  for (const d of result.diagnostics) {
    diagnostics.push({
      code: d.code,
      severity: d.severity,
      message: d.message,
      path: d.key,
      file: d.file,
      line: d.line,
    })
  }
  const properties = new Map<string, PropertyValue>()
  for (const [k, p] of result.properties) properties.set(k, { value: p.value, file: p.source, line: p.line })
  return { properties, diagnostics, fatal }
}
