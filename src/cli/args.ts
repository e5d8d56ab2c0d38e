/**
 * Command-line parsing compatible with `flume-ng <command> [options]` (reference §1.8): short and long
 * options as Flume's script and Application accept them, `-Dkey=value` system properties, and JVM options
 * (`-Xmx…`, `-javaagent…`) accepted and ignored so existing launch scripts keep working.
 */

export interface OptionSpec {
  /** Names including dashes: ['-n', '--name']. */
  readonly names: readonly string[]
  readonly key: string
  /** true: takes a value; 'repeat': takes a value, may repeat; false: a flag. */
  readonly value: boolean | 'repeat'
  readonly help: string
  readonly placeholder?: string
}

export interface ParsedArgs {
  readonly values: Map<string, string>
  readonly lists: Map<string, string[]>
  readonly flags: Set<string>
  readonly sys: Map<string, string>
  /** JVM options that were accepted and ignored. */
  readonly ignored: string[]
  readonly positional: string[]
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], options: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map<string, OptionSpec>()
  for (const o of options) for (const n of o.names) byName.set(n, o)
  const out: ParsedArgs = {
    values: new Map(),
    lists: new Map(),
    flags: new Set(),
    sys: new Map(),
    ignored: [],
    positional: [],
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a.startsWith('-D') && a.length > 2) {
      const eq = a.indexOf('=')
      if (eq < 0) out.sys.set(a.slice(2), '')
      else out.sys.set(a.slice(2, eq), a.slice(eq + 1))
      continue
    }
    if (/^-(X|javaagent|agentlib|agentpath)/.test(a)) {
      out.ignored.push(a)
      continue
    }
    let name = a
    let inline: string | undefined
    if (a.startsWith('--') && a.includes('=')) {
      name = a.slice(0, a.indexOf('='))
      inline = a.slice(a.indexOf('=') + 1)
    }
    const spec = byName.get(name)
    if (spec === undefined) {
      if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`)
      out.positional.push(a)
      continue
    }
    if (spec.value === false) {
      out.flags.add(spec.key)
      continue
    }
    const v = inline ?? argv[++i]
    if (v === undefined) throw new UsageError(`option ${name} needs a value`)
    if (spec.value === 'repeat') {
      const l = out.lists.get(spec.key) ?? []
      l.push(v)
      out.lists.set(spec.key, l)
    } else {
      out.values.set(spec.key, v)
    }
  }
  return out
}

export function usage(command: string, summary: string, options: readonly OptionSpec[]): string {
  const lines = [`Usage: flumen ${command} [options]`, '', summary, '', 'Options:']
  const col = (o: OptionSpec) =>
    `${o.names.join(', ')}${o.value === false ? '' : ` <${o.placeholder ?? 'value'}>`}`
  const w = Math.max(...options.map((o) => col(o).length), 10)
  for (const o of options) lines.push(`  ${col(o).padEnd(w)}  ${o.help}`)
  lines.push(`  ${'-Dkey=value'.padEnd(w)}  set a system property (flume.root.logger, flume.monitoring.*, …)`)
  return `${lines.join('\n')}\n`
}
