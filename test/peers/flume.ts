// Real Apache Flume 1.11.0 agents and clients for interop tests, run from Maven Central jars (see flume/pom.xml).
//
// An agent is `java -cp <jars> org.apache.flume.node.Application -n <name> -f <file> --no-reload-conf`, exactly what
// bin/flume-ng agent runs, with console-only log4j2 (flume/log4j2.xml) and HTTP JSON monitoring on a free port.
// Flume compat: the monitoring server binds 0.0.0.0 (Jetty ServerConnector with only a port; no host option in
// HTTPMetricsServer), so it is the one listener here that is not loopback-only; pass monitoringPort: false to skip it.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  freePort,
  JavaProcess,
  type JavaSpec,
  javaModuleOpens,
  listensOn,
  PeerError,
  type RunJavaOptions,
  runJava,
  type ToolResult,
  tempDir,
} from './java.ts'
import { peersDir, provision } from './provision.ts'

export interface FlumeAgentOptions {
  /** Properties text, or a function of the agent's fresh working dir (for file_roll dirs, file channel dirs...). */
  readonly config: string | ((ctx: { readonly dir: string }) => string)
  /** Agent name (-n); default 'a1'. */
  readonly name?: string
  /** HTTP monitoring port; default: a free port. false: no monitoring server. */
  readonly monitoringPort?: number | false
  /** Extra environment (e.g. for the environment-variable config filter). */
  readonly env?: Readonly<Record<string, string>>
  /** Extra JVM options, e.g. ['-Dflume.root.level=DEBUG']. */
  readonly javaOpts?: readonly string[]
  /**
   * Prepended to Flume's classpath, like bin/flume-ng's conf dir and `hadoop classpath`; e.g. [hdfs.confDir] so the
   * HDFS sink's client reads the test cluster's core-site/hdfs-site (dfs.replication=1).
   */
  readonly extraClasspath?: readonly string[]
  /** -Xmx in MB; default 256 (bin/flume-ng's default of 20 MB is far too small). */
  readonly heapMb?: number
  /**
   * Readiness. Default: every declared source has been started by the Application, the JVM itself listens on every
   * source port (`port`, or multiport `ports`; UDP for syslogudp/netcatudp) and on the monitoring port. An array: wait for each regex in the log instead. false: return right after spawn.
   */
  readonly ready?: false | readonly RegExp[]
  readonly readyTimeoutMs?: number
  /** Abort startup when the log matches this (default: any ERROR line or a dropped component); false: never. */
  readonly failOn?: RegExp | false
  /** Poll the config file for changes (Flume's default); default false (--no-reload-conf). */
  readonly reloadConf?: boolean
  /** With reloadConf: seconds between polls (`-i`; Flume's default is 30). */
  readonly pollIntervalSec?: number
}

/** Lines that mean the agent will never reach the state the test asked for. */
export const flumeStartupFailure: RegExp =
  / ERROR |It will be removed|Removed\.|No configuration found for this host|Could not configure|Error starting monitoring/

const UDP_SOURCES = new Set([
  'syslogudp',
  'netcatudp',
  'org.apache.flume.source.syslogudpsource',
  'org.apache.flume.source.netcatudpsource',
])

export type FlumeMetrics = Record<string, Record<string, string>>

export class FlumeAgent extends JavaProcess {
  readonly agentName: string
  readonly configFile: string
  readonly monitoringPort: number | undefined
  /** Milliseconds from spawn to ready, as measured by startFlumeAgent. */
  readyMs = 0

  constructor(spec: JavaSpec, agentName: string, configFile: string, monitoringPort: number | undefined) {
    super(spec)
    this.agentName = agentName
    this.configFile = configFile
    this.monitoringPort = monitoringPort
  }

  /** GET /metrics from the HTTP monitoring server: {"SOURCE.r1": {...}, "CHANNEL.c1": {...}, "SINK.k1": {...}}. */
  async metrics(): Promise<FlumeMetrics> {
    if (this.monitoringPort === undefined) throw new PeerError(`${this.name}: started without monitoring`)
    const res = await fetch(`http://127.0.0.1:${this.monitoringPort}/metrics`)
    if (!res.ok) throw this.error(`GET /metrics answered ${res.status}`)
    return (await res.json()) as FlumeMetrics
  }
}

/** Starts a real Flume 1.11 agent and waits until it is ready (see FlumeAgentOptions.ready). */
export async function startFlumeAgent(opts: FlumeAgentOptions): Promise<FlumeAgent> {
  const { classpath } = await provision('flume')
  const name = opts.name ?? 'a1'
  const dir = tempDir(`flume-${name}`)
  const text = typeof opts.config === 'function' ? opts.config({ dir }) : opts.config
  const configFile = join(dir, `${name}.properties`)
  writeFileSync(configFile, text)
  const monitoringPort =
    opts.monitoringPort === false ? undefined : (opts.monitoringPort ?? (await freePort()))
  const jvm = [
    '-Xms32m',
    `-Xmx${opts.heapMb ?? 256}m`,
    '-Djava.net.preferIPv4Stack=true',
    `-Dlog4j.configurationFile=${join(peersDir, 'flume', 'log4j2.xml')}`,
    '-Dorg.apache.flume.log.printconfig=true',
    ...(monitoringPort === undefined
      ? []
      : ['-Dflume.monitoring.type=http', `-Dflume.monitoring.port=${monitoringPort}`]),
    // only the HDFS sink (shaded Hadoop client) could want these; harmless otherwise
    ...javaModuleOpens,
    ...(opts.javaOpts ?? []),
  ]
  const args = [
    '-n',
    name,
    '-f',
    configFile,
    ...(opts.reloadConf ? [] : ['--no-reload-conf']),
    ...(opts.reloadConf && opts.pollIntervalSec !== undefined ? ['-i', String(opts.pollIntervalSec)] : []),
  ]
  const agent = new FlumeAgent(
    {
      name: `flume agent ${name}`,
      dir,
      classpath: [...(opts.extraClasspath ?? []), classpath].join(':'),
      main: 'org.apache.flume.node.Application',
      args,
      jvm,
      ...(opts.env ? { env: opts.env } : {}),
    },
    name,
    configFile,
    monitoringPort,
  )
  try {
    await waitReady(agent, text, opts)
  } catch (e) {
    await agent.stop(5000)
    throw e
  }
  agent.readyMs = performance.now() - agent.startedAt
  return agent
}

async function waitReady(agent: FlumeAgent, text: string, opts: FlumeAgentOptions): Promise<void> {
  if (opts.ready === false) return
  const timeout = opts.readyTimeoutMs ?? 30_000
  const failOn = opts.failOn === false ? undefined : (opts.failOn ?? flumeStartupFailure)
  if (Array.isArray(opts.ready)) {
    for (const re of opts.ready)
      await agent.waitUntil(`log line ${re}`, () => re.test(agent.logs()), timeout, failOn)
    return
  }
  const props = parseProperties(text)
  const prefix = `${agent.agentName}.sources`
  const sources = (props.get(prefix) ?? '').split(/\s+/).filter(Boolean)
  for (const s of sources) {
    // Application logs this once channels are up and sinks were started; the source's own start follows at once.
    const started = new RegExp(`Application: Starting Source ${escapeRegExp(s)}\\s*$`, 'm')
    await agent.waitUntil(`source ${s} to start`, () => started.test(agent.logs()), timeout, failOn)
    const type = (props.get(`${prefix}.${s}.type`) ?? '').toLowerCase()
    const proto = UDP_SOURCES.has(type) ? 'udp' : 'tcp'
    const ports = (props.get(`${prefix}.${s}.port`) ?? props.get(`${prefix}.${s}.ports`) ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
    for (const port of ports) {
      // the JVM's own socket, not just "something accepts": a stray listener on the port must not look ready
      const what = `source ${s} to listen on ${proto} port ${port}`
      await agent.waitUntil(what, () => listensOn(agent.pid, port, proto), timeout, failOn)
    }
  }
  if (agent.monitoringPort !== undefined) {
    const port = agent.monitoringPort
    await agent.waitUntil(`monitoring on port ${port}`, () => listensOn(agent.pid, port), timeout, failOn)
  }
}

/** Enough of java.util.Properties for readiness: key=value / key:value, #! comments, backslash continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trimStart()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = line.slice(0, -1) + (lines[++i] ?? '').trimStart()
    const m = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line)
    if (m) out.set(m[1] ?? '', (m[2] ?? '').trim())
  }
  return out
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// ---------------------------------------------------------------------------------------------------------------
// clients

const TOOL_MAINS: Readonly<Record<string, string>> = {
  'avro-client': 'org.apache.flume.client.avro.AvroCLIClient',
  version: 'org.apache.flume.tools.VersionInfo',
  tool: 'org.apache.flume.tools.FlumeToolsMain',
}

export type FlumeToolOptions = Omit<RunJavaOptions, 'classpath' | 'main' | 'args'>

/**
 * Runs a Flume CLI main on Flume's classpath: 'avro-client' | 'version' | 'tool' (as in bin/flume-ng), or any
 * fully-qualified main class. Logging is WARN on stderr, so stdout is the tool's own output.
 */
export async function runFlumeTool(
  tool: string,
  args: readonly string[],
  opts: FlumeToolOptions = {},
): Promise<ToolResult> {
  const { classpath } = await provision('flume')
  return runJava({
    ...opts,
    classpath,
    main: TOOL_MAINS[tool] ?? tool,
    args,
    jvm: [`-Dlog4j.configurationFile=${join(peersDir, 'flume', 'tools-log4j2.xml')}`, ...(opts.jvm ?? [])],
  })
}

export interface FlumeSendOptions {
  readonly type: 'avro' | 'thrift'
  readonly port: number
  readonly host?: string
  /** Number of events; default: the lines of bodyFile, else 1. Without bodyFile, bodies are "event <i>". */
  readonly count?: number
  readonly batch?: number
  /** Headers on every event (default events also carry seq=<i>). */
  readonly headers?: Readonly<Record<string, string>>
  /** One event per line of this file (cycled if count is larger). */
  readonly bodyFile?: string
  readonly compression?: 'deflate'
  readonly compressionLevel?: number
  readonly thriftProtocol?: 'compact' | 'binary'
  /** TLS: true to trust what the JVM trusts, or a truststore. */
  readonly ssl?: boolean | { readonly truststore: string; readonly password?: string; readonly type?: string }
  readonly trustAllCerts?: boolean
  /** Any other RpcClient property (RpcClientConfigurationConstants), e.g. {'request-timeout': '5000'}. */
  readonly props?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** Throw when delivery fails (default true); false returns the failed ToolResult in `result`. */
  readonly check?: boolean
}

export interface FlumeSendResult {
  readonly sent: number
  readonly batches: number
  /** Time spent in appendBatch calls, as measured inside the JVM. */
  readonly ms: number
  readonly result: ToolResult
}

/**
 * Sends events with Flume's own Java RpcClient (NettyAvroRpcClient or ThriftRpcClient) via flume/FlumeSend.java.
 * Resolves after every batch was acknowledged (the client's appendBatch returned).
 */
export async function flumeSend(opts: FlumeSendOptions): Promise<FlumeSendResult> {
  const a: string[] = ['--type', opts.type, '--host', opts.host ?? '127.0.0.1', '--port', String(opts.port)]
  if (opts.count !== undefined) a.push('--count', String(opts.count))
  if (opts.batch !== undefined) a.push('--batch', String(opts.batch))
  for (const [k, v] of Object.entries(opts.headers ?? {})) a.push('--header', `${k}=${v}`)
  if (opts.bodyFile !== undefined) a.push('--body-file', opts.bodyFile)
  if (opts.compression) a.push('--compression', opts.compression)
  if (opts.compressionLevel !== undefined) a.push('--compression-level', String(opts.compressionLevel))
  if (opts.thriftProtocol) a.push('--thrift-protocol', opts.thriftProtocol)
  if (opts.ssl) {
    a.push('--ssl')
    if (typeof opts.ssl === 'object') {
      a.push('--truststore', opts.ssl.truststore)
      if (opts.ssl.password !== undefined) a.push('--truststore-password', opts.ssl.password)
      if (opts.ssl.type !== undefined) a.push('--truststore-type', opts.ssl.type)
    }
  }
  if (opts.trustAllCerts) a.push('--trust-all-certs')
  for (const [k, v] of Object.entries(opts.props ?? {})) a.push('--prop', `${k}=${v}`)
  const result = await runFlumeTool('FlumeSend', a, {
    check: opts.check ?? true,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  })
  const last = result.stdout.trim().split('\n').at(-1) ?? ''
  if (result.code !== 0 || !last.startsWith('{')) return { sent: 0, batches: 0, ms: 0, result }
  const parsed = JSON.parse(last) as { sent: number; batches: number; ms: number }
  return { ...parsed, result }
}
