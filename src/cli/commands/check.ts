/**
 * `flumen check -f x.conf [-f more.conf] [-n a1]`: reads the files exactly as the agent would, compiles
 * the named agent (or every agent the files configure) and prints every problem as
 * `file:line: severity: message [property path] (CODE)`. Exit 0 when there are no errors (warnings are
 * printed but allowed), 1 otherwise.
 */

import { agentNames, compileAgent } from '../../config/compile.ts'
import { loadConfig } from '../../config/load.ts'
import { formatDiagnostic } from '../../core/spec.ts'
import { Registry } from '../../registry.ts'
import { type OptionSpec, parseArgs, UsageError, usage } from '../args.ts'
import { configFiles } from './agent.ts'

const OPTIONS: readonly OptionSpec[] = [
  {
    names: ['-n', '--name'],
    key: 'name',
    value: true,
    help: 'check only this agent (default: every agent in the files)',
    placeholder: 'agent',
  },
  {
    names: ['-f', '--conf-file'],
    key: 'file',
    value: 'repeat',
    help: 'a config file; repeat to merge several',
    placeholder: 'file',
  },
  {
    names: ['-u', '--conf-uri'],
    key: 'uri',
    value: 'repeat',
    help: 'a config file URI (file:)',
    placeholder: 'uri',
  },
  { names: ['-q', '--quiet'], key: 'quiet', value: false, help: 'print errors only, not warnings' },
  { names: ['-h', '--help'], key: 'help', value: false, help: 'show this help' },
]

export async function runCheckCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, OPTIONS)
  if (args.flags.has('help')) {
    process.stdout.write(usage('check', 'Validate Flume configuration files; exit 1 on any error.', OPTIONS))
    return 0
  }
  const files = configFiles(args)
  if (files.length === 0) throw new UsageError('no configuration given (-f <file>)')
  const quiet = args.flags.has('quiet')
  const loaded = await loadConfig({ files, sys: args.sys, env: process.env })
  let errors = 0
  let warnings = 0
  const print = (d: import('../../core/spec.ts').Diagnostic) => {
    if (d.severity === 'warning') {
      warnings++
      if (!quiet) process.stdout.write(`${formatDiagnostic(d)}\n`)
    } else {
      errors++
      process.stdout.write(`${formatDiagnostic(d)}\n`)
    }
  }
  loaded.diagnostics.forEach(print)
  if (!loaded.fatal) {
    const name = args.values.get('name')
    const agents = name !== undefined ? [name] : agentNames(loaded.properties)
    if (agents.length === 0) {
      process.stdout.write(
        `${files.join(', ')}: error: no agent is configured (keys look like <agent>.sources = ...)\n`,
      )
      errors++
    }
    const registry = new Registry()
    for (const agent of agents) {
      const compiled = await compileAgent({
        agentName: agent,
        properties: loaded.properties,
        registry,
        env: process.env,
        sys: args.sys,
      })
      compiled.diagnostics.forEach(print)
      const summary = `agent ${agent}: ${compiled.sources.size} source(s), ${compiled.channels.size} channel(s), ${compiled.sinks.size} sink(s), ${compiled.sinkGroups.size} sink group(s)`
      if (!quiet) process.stdout.write(`${compiled.fatal ? `${summary} — would not start` : summary}\n`)
    }
  }
  process.stdout.write(`${errors} error(s), ${warnings} warning(s)\n`)
  return errors > 0 ? 1 : 0
}
