/**
 * `flumen agent` (`flume-ng agent`): load the config files, compile the agent named by `-n`, report every
 * configuration problem, start the components and the monitoring server, and run until SIGTERM/SIGINT.
 *
 * Shutdown: the first SIGTERM or SIGINT stops sources, lets in-flight transactions finish, drains the
 * channels through healthy sinks for up to `flumen.shutdown.timeout` ms (default 10000), then exits 0.
 * A second signal exits at once (143 for SIGTERM, 130 for SIGINT).
 */

import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { Agent } from '../../agent/agent.ts'
import { compileAgent } from '../../config/compile.ts'
import { loadConfig } from '../../config/load.ts'
import { MetricsRegistry } from '../../core/counters.ts'
import { describeError } from '../../core/errors.ts'
import type { Diagnostic } from '../../core/spec.ts'
import { formatDiagnostic } from '../../core/spec.ts'
import { MonitoringServer } from '../../monitoring/server.ts'
import { Registry } from '../../registry.ts'
import { type OptionSpec, parseArgs, UsageError, usage } from '../args.ts'
import { createLogger, logSettings } from '../logging.ts'
import { VERSION } from '../version.ts'

export const AGENT_OPTIONS: readonly OptionSpec[] = [
  {
    names: ['-n', '--name'],
    key: 'name',
    value: true,
    help: 'the agent name to run (required)',
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
    help: 'a config file URI (file:); used instead of -f',
    placeholder: 'uri',
  },
  {
    names: ['-c', '--conf'],
    key: 'conf',
    value: true,
    help: 'config directory (accepted for compatibility)',
    placeholder: 'dir',
  },
  {
    names: ['-C', '--classpath'],
    key: 'classpath',
    value: true,
    help: 'ignored (Java classpath)',
    placeholder: 'cp',
  },
  {
    names: ['--plugins-path'],
    key: 'plugins',
    value: true,
    help: 'ignored (plugins are modules: type = ./x.js)',
    placeholder: 'dirs',
  },
  {
    names: ['--no-reload-conf'],
    key: 'noReload',
    value: false,
    help: 'do not watch the config files for changes',
  },
  {
    names: ['-i', '--poll-interval'],
    key: 'pollInterval',
    value: true,
    help: 'seconds between config file checks (default 30)',
    placeholder: 's',
  },
  {
    names: ['--strict'],
    key: 'strict',
    value: false,
    help: 'refuse to start on any configuration error (as flumen check)',
  },
  {
    names: ['-d', '--dryrun'],
    key: 'dryrun',
    value: false,
    help: 'validate and print the topology, do not start',
  },
  { names: ['-h', '--help'], key: 'help', value: false, help: 'show this help' },
]

export function logDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const fields = { code: d.code, file: d.file, line: d.line, path: d.path, component: d.component }
    if (d.severity === 'warning') logger.warn(fields, formatDiagnostic(d))
    else logger.error(fields, formatDiagnostic(d))
  }
}

export function configFiles(args: { lists: Map<string, string[]> }): string[] {
  const uris = args.lists.get('uri') ?? []
  // Flume compat: when both -u and -f are given, only the -u list is used.
  if (uris.length > 0) {
    return uris.map((u) => {
      if (u.startsWith('file:')) return new URL(u).pathname
      throw new UsageError(`config URI '${u}' is not supported: only file: URIs (use -f for files)`)
    })
  }
  return args.lists.get('file') ?? []
}

export async function runAgentCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, AGENT_OPTIONS)
  if (args.flags.has('help')) {
    process.stdout.write(usage('agent', 'Run a Flume-compatible agent.', AGENT_OPTIONS))
    return 0
  }
  const name = args.values.get('name')
  if (name === undefined) throw new UsageError('the agent name is required (-n <agent>)')
  const files = configFiles(args)
  if (files.length === 0) throw new UsageError('no configuration given (-f <file>)')

  const logger = createLogger(logSettings(args.sys))
  for (const o of args.ignored) logger.debug({ option: o }, 'JVM option ignored')
  if (args.values.has('classpath') || args.values.has('plugins')) {
    logger.warn(
      'Java classpath and plugins.d options are ignored; custom components are modules (type = ./x.js)',
    )
  }

  const loaded = await loadConfig({ files, sys: args.sys, env: process.env })
  logDiagnostics(logger, loaded.diagnostics)
  if (loaded.fatal) {
    logger.fatal({ files }, 'Configuration could not be read; not starting')
    return 1
  }
  const registry = new Registry()
  const compiled = await compileAgent({
    agentName: name,
    properties: loaded.properties,
    registry,
    env: process.env,
    sys: args.sys,
  })
  logDiagnostics(logger, compiled.diagnostics)
  const errors = compiled.diagnostics.filter((d) => d.severity !== 'warning').length
  const metrics = new MetricsRegistry()
  metrics.addAgent('ConfigErrors', errors)
  metrics.addAgent('ConfigWarnings', compiled.diagnostics.length - errors + loaded.diagnostics.length)
  if (compiled.fatal) {
    logger.fatal({ agent: name }, 'Agent configuration is invalid; not starting')
    return 1
  }
  if (args.flags.has('strict') && errors > 0) {
    logger.fatal({ agent: name, errors }, 'Configuration has errors and --strict is set; not starting')
    return 1
  }
  if (args.flags.has('dryrun')) {
    process.stdout.write(
      `${JSON.stringify(
        {
          agent: name,
          sources: [...compiled.sources.values()].map((s) => ({
            name: s.name,
            type: s.spec.type,
            channels: s.channels,
          })),
          channels: [...compiled.channels.values()].map((c) => ({ name: c.name, type: c.spec.type })),
          sinks: [...compiled.sinks.values()].map((k) => ({
            name: k.name,
            type: k.spec.type,
            channel: k.channel,
          })),
          sinkgroups: [...compiled.sinkGroups.values()].map((g) => ({
            name: g.name,
            processor: g.processor.spec.type,
            sinks: g.sinks,
          })),
        },
        null,
        2,
      )}\n`,
    )
    return 0
  }

  const drainTimeoutMs = Number(args.sys.get('flumen.shutdown.timeout') ?? 10_000)
  const agent = new Agent(compiled, { logger, metrics, sys: args.sys, drainTimeoutMs })
  let monitoring: MonitoringServer | undefined

  let stopping: Promise<void> | undefined
  let stopped: () => void = () => {}
  const done = new Promise<void>((r) => {
    stopped = r
  })
  const stop = (signal: string) => {
    if (stopping !== undefined) {
      logger.warn({ signal }, 'Second signal: exiting immediately')
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    logger.info({ signal }, 'Stopping agent')
    stopping = (async () => {
      await agent.stop()
      await monitoring?.stop()
    })().finally(stopped)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  try {
    await agent.start()
  } catch (e) {
    logger.fatal({ error: describeError(e) }, 'Agent failed to start')
    return 1
  }

  const monType = args.sys.get('flume.monitoring.type')?.trim().toLowerCase()
  if (monType === 'http' || monType === 'org.apache.flume.instrumentation.http.httpmetricsserver') {
    const port = Number(args.sys.get('flume.monitoring.port') ?? 41414)
    const host = args.sys.get('flume.monitoring.host')
    monitoring = new MonitoringServer({
      port,
      ...(host === undefined ? {} : { host }),
      metrics: () => agent.metrics,
    })
    try {
      await monitoring.start()
      logger.info({ port: monitoring.port }, 'Monitoring server listening (/metrics, /prometheus)')
    } catch (e) {
      logger.error(
        { port, error: describeError(e) },
        'Monitoring server could not start; the agent runs without it',
      )
      monitoring = undefined
    }
  } else if (monType !== undefined) {
    logger.error(
      { type: monType },
      'Unsupported flume.monitoring.type (only http); the agent runs without monitoring',
    )
  }

  logger.info(
    { agent: name, version: VERSION, startupMs: Math.round(performance.now()), ready: agent.ready },
    'Agent ready',
  )

  // The event loop stays alive through the components' own handles; a keep-alive timer covers agents
  // whose components hold none (a seq source that finished, say) until a signal arrives.
  const keepAlive = setInterval(() => {}, 1 << 30)
  await done
  clearInterval(keepAlive)
  return 0
}
