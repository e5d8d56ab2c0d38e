/**
 * `flumen agent` (`flume-ng agent`): load the config files, compile the agent named by `-n`, report every
 * configuration problem, start the components and the monitoring server, and run until SIGTERM/SIGINT.
 *
 * Reload: the config files are checked every 30 s (`-i <seconds>`; `--no-reload-conf` turns it off) and
 * SIGHUP reloads at once, watching or not (src/agent/config-reloader.ts; rules in docs/operations.md).
 *
 * Shutdown: the first SIGTERM or SIGINT stops sources, lets in-flight transactions finish, drains the
 * channels through healthy sinks for up to `flumen.shutdown.timeout` ms (default 10000), then exits 0.
 * A second signal exits at once (143 for SIGTERM, 130 for SIGINT).
 */

import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { Agent } from '../../agent/agent.ts'
import { ConfigReloader, fileStamps, logDiagnostics } from '../../agent/config-reloader.ts'
import { compileAgent } from '../../config/compile.ts'
import { loadConfig } from '../../config/load.ts'
import { MetricsRegistry } from '../../core/counters.ts'
import { describeError } from '../../core/errors.ts'
import { LogRing } from '../../monitoring/log-ring.ts'
import { operatorRoutes } from '../../monitoring/routes.ts'
import { MonitoringServer } from '../../monitoring/server.ts'
import type { StatusProvider } from '../../monitoring/status.ts'
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

export { logDiagnostics }

/** `-i <seconds>`: Flume takes whole seconds; fractions are accepted (tests, quick edits). */
export function pollIntervalMs(value: string | undefined): number {
  // Flume compat: files are polled every 30 s unless -i says otherwise (Application.DEFAULT_FILE_INTERVAL).
  if (value === undefined) return 30_000
  const n = Number(value.trim())
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--poll-interval must be a positive number of seconds, not '${value}'`)
  return Math.round(n * 1000)
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

  const pollMs = args.flags.has('noReload') ? 0 : pollIntervalMs(args.values.get('pollInterval'))
  const ring = new LogRing()
  const logger: Logger = createLogger(logSettings(args.sys), ring)
  for (const o of args.ignored) logger.debug({ option: o }, 'JVM option ignored')
  if (args.values.has('classpath') || args.values.has('plugins')) {
    logger.warn(
      'Java classpath and plugins.d options are ignored; custom components are modules (type = ./x.js)',
    )
  }

  // Stamped before reading, so an edit made while the agent starts is picked up by the first poll.
  const baseline = await fileStamps(files)
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
  const reloader = new ConfigReloader({
    agent,
    files,
    sys: args.sys,
    env: process.env,
    registry,
    logger,
    metrics,
    pollIntervalMs: pollMs,
  })
  let monitoring: MonitoringServer | undefined
  let routes: ReturnType<typeof operatorRoutes> | undefined

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
    reloader.stop()
    stopping = (async () => {
      await agent.stop()
      routes?.close()
      await monitoring?.stop()
    })().finally(stopped)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  // SIGHUP reloads at once (whether or not the files are watched); without a handler it would kill us.
  // One that arrives while the agent is still starting is applied as soon as it runs.
  let started = false
  let hupWhileStarting = false
  const onHup = () => {
    if (stopping !== undefined) return
    if (!started) {
      hupWhileStarting = true
      return
    }
    logger.info({ signal: 'SIGHUP' }, 'Reloading the configuration')
    void reloader.reload('signal')
  }
  process.on('SIGHUP', onHup)

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
    routes = operatorRoutes(statusProvider(agent, ring, reloader))
    const r = routes
    monitoring = new MonitoringServer({
      port,
      ...(host === undefined ? {} : { host }),
      metrics: () => agent.metrics,
      routes: (req, res, path) => r.handle(req, res, path),
    })
    try {
      await monitoring.start()
      logger.info(
        { port: monitoring.port },
        'Monitoring server listening (/ dashboard, /metrics, /prometheus, /health, /ready)',
      )
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

  started = true
  if (stopping === undefined) reloader.start(baseline)
  if (hupWhileStarting) onHup()
  logger.info(
    {
      agent: name,
      version: VERSION,
      startupMs: Math.round(performance.now()),
      ready: agent.ready,
      reloadPollSec: pollMs / 1000,
    },
    'Agent ready',
  )

  // The event loop stays alive through the components' own handles; a keep-alive timer covers agents
  // whose components hold none (a seq source that finished, say) until a signal arrives.
  const keepAlive = setInterval(() => {}, 1 << 30)
  await done
  clearInterval(keepAlive)
  return 0
}

function statusProvider(agent: Agent, ring: LogRing, reloader: ConfigReloader): StatusProvider {
  return {
    agentName: agent.name,
    version: VERSION,
    metrics: agent.metrics,
    agentState: () => agent.state,
    ready: () => agent.ready,
    topology: () => agent.topology(),
    componentStates: () => agent.componentStates(),
    recentLogs: () => ring.recent(),
    reloads: () => {
      const last = reloader.last
      return {
        watching: reloader.watching,
        pollIntervalSec: reloader.pollIntervalMs / 1000,
        count: agent.metrics.agent.get('Reloads') ?? 0,
        failures: agent.metrics.agent.get('ReloadFailures') ?? 0,
        ...(last === undefined
          ? {}
          : { last: { at: last.at, trigger: last.trigger, result: last.result, message: last.message } }),
      }
    },
  }
}
