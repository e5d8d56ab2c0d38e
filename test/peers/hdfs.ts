// Real HDFS 3.4.x for interop tests: one NameNode and one DataNode, each its own JVM, run from Maven Central jars
// (see hdfs/pom.xml) with the main classes bin/hdfs uses. No test jars, no MiniDFSCluster: the daemons can be
// stopped and restarted independently (tests take the NameNode or DataNode away mid-load), on the same ports and
// the same storage dirs, so clients reconnect to the same addresses.
//
// Quirks handled here (measured on Java 17 / Hadoop 3.4.2):
// * The jars carry no webapps/ dirs (the tarball has them under share/hadoop/hdfs/webapps), and HttpServer2 refuses
//   to start without webapps/<name> on the classpath: empty webapps/{hdfs,datanode,static} in the conf dir suffice.
// * WebHDFS on the NameNode needs --add-opens java.base/java.lang (see javaModuleOpens).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import {
  freePort,
  JavaProcess,
  javaModuleOpens,
  listensOn,
  PeerError,
  type RunJavaOptions,
  renderTemplate,
  runJava,
  type ToolResult,
  tempDir,
} from './java.ts'
import { peersDir, provision } from './provision.ts'

export interface HdfsOptions {
  readonly nameNodeHeapMb?: number
  readonly dataNodeHeapMb?: number
  /** Extra/overriding hdfs-site.xml properties. */
  readonly siteProps?: Readonly<Record<string, string>>
  readonly readyTimeoutMs?: number
}

export type FsShellOptions = Omit<RunJavaOptions, 'classpath' | 'main' | 'args'>

interface Ports {
  readonly nameNode: number
  readonly nameNodeHttp: number
  readonly dataNode: number
  readonly dataNodeHttp: number
  readonly dataNodeIpc: number
}

export class HdfsCluster {
  /** "hdfs://127.0.0.1:<rpc port>" (fs.defaultFS). */
  readonly nameNodeRpc: string
  /** "http://127.0.0.1:<http port>": WebHDFS lives under /webhdfs/v1, JMX under /jmx. */
  readonly webHdfs: string
  /** The OS user the daemons run as; pass it as WebHDFS ?user.name= (simple auth, permissions are off anyway). */
  readonly user: string = userInfo().username
  readonly ports: Ports
  /** Root of this cluster's temp dir: conf/, name/, data/, logs. */
  readonly dir: string
  /** Hadoop conf dir (core-site.xml, hdfs-site.xml); put it first on a Hadoop client's classpath. */
  readonly confDir: string
  /** Milliseconds from spawning the daemons to an active cluster (live DataNode, safe mode off). */
  readyMs = 0
  nameNode: JavaProcess | undefined
  dataNode: JavaProcess | undefined
  readonly #classpath: string
  readonly #opts: HdfsOptions
  #starts = 0

  constructor(dir: string, ports: Ports, classpath: string, opts: HdfsOptions) {
    this.dir = dir
    this.confDir = join(dir, 'conf')
    this.ports = ports
    this.nameNodeRpc = `hdfs://127.0.0.1:${ports.nameNode}`
    this.webHdfs = `http://127.0.0.1:${ports.nameNodeHttp}`
    this.#classpath = `${this.confDir}:${classpath}`
    this.#opts = opts
  }

  get #timeout(): number {
    return this.#opts.readyTimeoutMs ?? 60_000
  }

  #daemon(kind: 'namenode' | 'datanode', main: string, heapMb: number): JavaProcess {
    this.#starts++
    return new JavaProcess({
      name: `hdfs ${kind}`,
      dir: this.dir,
      logFile: join(this.dir, `${kind}-${this.#starts}.log`),
      classpath: this.#classpath,
      main,
      jvm: [
        `-Xmx${heapMb}m`,
        '-Djava.net.preferIPv4Stack=true',
        `-Dlog4j.configuration=file:${join(peersDir, 'hdfs', 'log4j.properties')}`,
        `-Dhadoop.log.dir=${this.dir}`,
        `-Dhadoop.home.dir=${this.dir}`,
        ...javaModuleOpens,
      ],
    })
  }

  /** Reads one NameNode JMX bean; undefined while the HTTP server is not up. */
  async jmx(bean: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(`${this.webHdfs}/jmx?qry=${encodeURIComponent(bean)}`)
      if (!res.ok) return undefined
      const body = (await res.json()) as { beans?: Record<string, unknown>[] }
      return body.beans?.[0]
    } catch {
      return undefined
    }
  }

  /** Live DataNodes as the NameNode sees them (it notices a dead one only after ~20 s, see hdfs-site.xml). */
  async liveDataNodes(): Promise<number> {
    const b = await this.jmx('Hadoop:service=NameNode,name=FSNamesystemState')
    return typeof b?.NumLiveDataNodes === 'number' ? b.NumLiveDataNodes : 0
  }

  /** '' when the NameNode is out of safe mode (its NameNodeInfo.Safemode text otherwise). */
  async safeMode(): Promise<string | undefined> {
    const b = await this.jmx('Hadoop:service=NameNode,name=NameNodeInfo')
    return typeof b?.Safemode === 'string' ? b.Safemode : undefined
  }

  /**
   * Starts the NameNode on the same ports and storage; waits for it to answer and, if a DataNode is running, to see
   * it live and leave safe mode (without a DataNode it stays in safe mode while any block exists).
   */
  async startNameNode(): Promise<void> {
    if (this.nameNode?.running) throw new PeerError('hdfs namenode is already running')
    const nn = this.#daemon(
      'namenode',
      'org.apache.hadoop.hdfs.server.namenode.NameNode',
      this.#opts.nameNodeHeapMb ?? 384,
    )
    this.nameNode = nn
    const failOn = /Failed to start namenode|Address already in use/
    await nn.waitUntil(
      'NameNode RPC and HTTP',
      async () => (await this.safeMode()) !== undefined,
      this.#timeout,
      failOn,
    )
    await nn.waitUntil(
      'NameNode RPC port',
      () => listensOn(nn.pid, this.ports.nameNode),
      this.#timeout,
      failOn,
    )
    if (this.dataNode?.running) {
      // both: safe mode can end (threshold met) a moment before the JMX live count shows the re-registered DataNode
      await nn.waitUntil(
        'NameNode to leave safe mode with a live DataNode',
        async () => (await this.safeMode()) === '' && (await this.liveDataNodes()) >= 1,
        this.#timeout,
      )
    }
  }

  /** Starts the DataNode on the same ports and storage; waits for its first block report when a NameNode runs. */
  async startDataNode(): Promise<void> {
    if (this.dataNode?.running) throw new PeerError('hdfs datanode is already running')
    const dn = this.#daemon(
      'datanode',
      'org.apache.hadoop.hdfs.server.datanode.DataNode',
      this.#opts.dataNodeHeapMb ?? 256,
    )
    this.dataNode = dn
    const failOn = /Exception in secureMain|Address already in use|Initialization failed/
    if (this.nameNode?.running) {
      await dn.waitUntil(
        'DataNode registration and block report',
        () => /Successfully sent block report/.test(dn.logs()),
        this.#timeout,
        failOn,
      )
    } else {
      await dn.waitUntil(
        'DataNode data port',
        () => listensOn(dn.pid, this.ports.dataNode),
        this.#timeout,
        failOn,
      )
    }
  }

  /** SIGTERM the NameNode and wait for it to exit (clients then see connection refused on nameNodeRpc). */
  async stopNameNode(graceMs?: number): Promise<void> {
    await this.nameNode?.stop(graceMs)
  }

  async stopDataNode(graceMs?: number): Promise<void> {
    await this.dataNode?.stop(graceMs)
  }

  /** Stops both daemons (DataNode first). Data stays in the temp dir until the test process exits. */
  async stop(): Promise<void> {
    await this.stopDataNode()
    await this.stopNameNode()
  }

  /** Logs of the current daemons, for assertions and debugging. */
  logs(): { nameNode: string; dataNode: string } {
    return { nameNode: this.nameNode?.logs() ?? '', dataNode: this.dataNode?.logs() ?? '' }
  }

  /**
   * Runs `hdfs dfs <args>` (org.apache.hadoop.fs.FsShell) against this cluster, e.g. ['-cat', '/f'],
   * ['-text', '/seqfile'], ['-ls', '-R', '/']. Throws on a non-zero exit unless check: false.
   */
  fsShell(args: readonly string[], opts: FsShellOptions = {}): Promise<ToolResult> {
    return this.tool('org.apache.hadoop.fs.FsShell', args, opts)
  }

  /** Runs any Hadoop main (e.g. org.apache.hadoop.hdfs.tools.DFSAdmin) with this cluster's conf. */
  tool(main: string, args: readonly string[], opts: FsShellOptions = {}): Promise<ToolResult> {
    return runJava({
      ...opts,
      classpath: this.#classpath,
      main,
      args,
      jvm: [
        `-Dlog4j.configuration=file:${join(peersDir, 'hdfs', 'tools-log4j.properties')}`,
        ...javaModuleOpens,
        ...(opts.jvm ?? []),
      ],
    })
  }
}

/**
 * Formats a fresh NameNode in a temp dir and starts NameNode + DataNode; resolves when a DataNode is live and
 * safe mode is off. Retries with new ports if one was taken between choosing and binding it.
 */
export async function startHdfs(opts: HdfsOptions = {}): Promise<HdfsCluster> {
  const { classpath } = await provision('hdfs')
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(classpath, opts)
    } catch (e) {
      if (
        attempt >= 3 ||
        !(e instanceof PeerError) ||
        !/Address already in use|BindException/.test(e.message)
      ) {
        throw e
      }
    }
  }
}

async function startOnce(classpath: string, opts: HdfsOptions): Promise<HdfsCluster> {
  const dir = tempDir('hdfs')
  const ports: Ports = {
    nameNode: await freePort(),
    nameNodeHttp: await freePort(),
    dataNode: await freePort(),
    dataNodeHttp: await freePort(),
    dataNodeIpc: await freePort(),
  }
  const vars = {
    dir,
    nameNodePort: ports.nameNode,
    nameNodeHttpPort: ports.nameNodeHttp,
    dataNodePort: ports.dataNode,
    dataNodeHttpPort: ports.dataNodeHttp,
    dataNodeIpcPort: ports.dataNodeIpc,
  }
  const conf = join(dir, 'conf')
  for (const app of ['hdfs', 'datanode', 'static']) mkdirSync(join(conf, 'webapps', app), { recursive: true })
  writeFileSync(
    join(conf, 'core-site.xml'),
    renderTemplate(readFileSync(join(peersDir, 'hdfs', 'core-site.xml'), 'utf8'), vars),
  )
  const extra = Object.entries(opts.siteProps ?? {})
    .map(([k, v]) => `  <property><name>${k}</name><value>${v}</value></property>\n`)
    .join('')
  const site = renderTemplate(readFileSync(join(peersDir, 'hdfs', 'hdfs-site.xml'), 'utf8'), vars)
  writeFileSync(join(conf, 'hdfs-site.xml'), site.replace('</configuration>', `${extra}</configuration>`))

  const cluster = new HdfsCluster(dir, ports, classpath, opts)
  const t0 = performance.now()
  await cluster.tool('org.apache.hadoop.hdfs.server.namenode.NameNode', [
    '-format',
    '-force',
    '-nonInteractive',
  ])
  try {
    // Both JVMs are spawned before either is awaited (startNameNode spawns synchronously), so they boot in
    // parallel; the DataNode retries until the NameNode answers.
    const nn = cluster.startNameNode()
    const dn = cluster.startDataNode()
    await Promise.all([nn, dn])
    const nnp = cluster.nameNode as JavaProcess
    await nnp.waitUntil('a live DataNode', async () => (await cluster.liveDataNodes()) >= 1, 60_000)
    await nnp.waitUntil('safe mode off', async () => (await cluster.safeMode()) === '', 60_000)
  } catch (e) {
    await cluster.stop()
    throw e
  }
  cluster.readyMs = performance.now() - t0
  return cluster
}
