// A real Kafka 3.9.1 broker (KRaft, combined broker+controller, one node) and the Java CLI clients, from Maven
// Central jars (see kafka/pom.xml). Official entry points only: kafka.tools.StorageTool format, then kafka.Kafka;
// TopicCommand / ConsoleProducer / ConsoleConsumer are the classes behind the distribution's bin scripts.
// Both listeners (PLAINTEXT and CONTROLLER) bind 127.0.0.1 on free ports; data lives in a temp dir per start.
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  freePort,
  JavaProcess,
  PeerError,
  type RunJavaOptions,
  renderTemplate,
  runJava,
  type ToolResult,
  tcpOpen,
  tempDir,
} from './java.ts'
import { peersDir, provision } from './provision.ts'

export interface KafkaOptions {
  /** PLAINTEXT listener port; default: a free port. */
  readonly port?: number
  readonly controllerPort?: number
  /** Extra/overriding server.properties entries, e.g. {'message.max.bytes': '5000000'}. */
  readonly serverProps?: Readonly<Record<string, string>>
  readonly heapMb?: number
  readonly readyTimeoutMs?: number
}

export interface ProducerRecordInput {
  readonly key?: string | null
  readonly value: string | null
  readonly headers?: Readonly<Record<string, string>>
}

export interface ConsumedRecord {
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
  readonly key: string | null
  readonly value: string | null
  readonly headers: Readonly<Record<string, string>>
}

export interface ConsumeOptions {
  /** Stop after this many records (--max-messages). */
  readonly count: number
  /** Give up after this long without a new record (--timeout-ms); default 15 s. Fewer records are then returned. */
  readonly timeoutMs?: number
  /** Default true (--from-beginning). */
  readonly fromBeginning?: boolean
  readonly group?: string
  readonly partition?: number
  /** Consumer properties (--consumer-property k=v), e.g. {'isolation.level': 'read_committed'}. */
  readonly props?: Readonly<Record<string, string>>
}

export type KafkaToolOptions = Omit<RunJavaOptions, 'classpath' | 'main' | 'args'>

// Separators for the console producer/consumer line formats. Control characters cannot appear in test data by
// accident, unlike tabs or commas; NULL_MARK distinguishes a null key/value from the string "null".
const KEY_SEP = '\u0001'
const HDR_DELIM = '\u0002'
const HDR_SEP = '\u0003'
const HDR_KV = '\u0004'
const NULL_MARK = '\u0005null\u0005'
const FIELD = '\u0006'

const tools = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  producer: 'kafka.tools.ConsoleProducer',
  consumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  storage: 'kafka.tools.StorageTool',
} as const

export class KafkaBroker {
  #process: JavaProcess
  readonly port: number
  readonly controllerPort: number
  /** "127.0.0.1:<port>", for bootstrap.servers. */
  readonly bootstrap: string
  readonly dir: string
  readonly readyMs: number
  readonly #classpath: string
  readonly #spawn: () => JavaProcess

  constructor(
    p: JavaProcess,
    port: number,
    controllerPort: number,
    classpath: string,
    readyMs: number,
    spawn: () => JavaProcess,
  ) {
    this.#process = p
    this.#spawn = spawn
    this.port = port
    this.controllerPort = controllerPort
    this.bootstrap = `127.0.0.1:${port}`
    this.dir = p.dir
    this.readyMs = readyMs
    this.#classpath = classpath
  }

  /** The current broker JVM (a new one after restart()). */
  get process(): JavaProcess {
    return this.#process
  }

  get pid(): number {
    return this.#process.pid
  }

  get running(): boolean {
    return this.#process.running
  }

  /**
   * Starts the broker again after stop() or kill(): same ports, same log dirs, so topics, records and
   * committed offsets are all still there (an outage, not a new cluster). Resolves once it is serving.
   */
  async restart(readyTimeoutMs = 60_000): Promise<void> {
    if (this.#process.running) throw new PeerError('kafka broker: restart() needs a stopped broker')
    await waitPortFree(this.port)
    const since = this.#process.logs().length
    const p = this.#spawn()
    this.#process = p
    try {
      await p.waitUntil(
        'Kafka Server started (restart)',
        () => /Kafka Server started/.test(p.logs().slice(since)),
        readyTimeoutMs,
        /Address already in use|Exiting Kafka|FATAL/,
      )
    } catch (e) {
      await p.stop(5000)
      throw e
    }
  }

  logs(): string {
    return this.process.logs()
  }

  waitForLog(re: RegExp, timeoutMs?: number, since?: number): Promise<RegExpExecArray> {
    return this.process.waitForLog(re, timeoutMs, since)
  }

  kill(signal?: NodeJS.Signals): void {
    this.process.kill(signal)
  }

  /** Controlled shutdown (SIGTERM), SIGKILL after graceMs. */
  async stop(graceMs?: number): Promise<void> {
    await this.process.stop(graceMs)
  }

  /** Runs any Kafka CLI main (class name) against this broker's classpath; WARN logging goes to stderr. */
  tool(main: string, args: readonly string[], opts: KafkaToolOptions = {}): Promise<ToolResult> {
    return runKafkaTool(this.#classpath, main, args, opts)
  }

  /** kafka-topics --create; replication factor 1. */
  async createTopic(
    name: string,
    partitions = 1,
    config: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const cfg = Object.entries(config).flatMap(([k, v]) => ['--config', `${k}=${v}`])
    await this.tool(tools.topics, [
      '--bootstrap-server',
      this.bootstrap,
      '--create',
      '--topic',
      name,
      '--partitions',
      String(partitions),
      '--replication-factor',
      '1',
      ...cfg,
    ])
  }

  async listTopics(): Promise<string[]> {
    const r = await this.tool(tools.topics, ['--bootstrap-server', this.bootstrap, '--list'])
    return r.stdout.split('\n').filter(Boolean)
  }

  /** kafka-console-producer, acks=all: resolves once every record is acknowledged. Values may not contain '\n'. */
  async produce(
    topic: string,
    records: readonly (string | ProducerRecordInput)[],
    producerProps: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const lines = records.map((r) => {
      const rec: ProducerRecordInput = typeof r === 'string' ? { value: r } : r
      const hdrs = Object.entries(rec.headers ?? {})
      const parts = [
        hdrs.length === 0 ? NULL_MARK : hdrs.map(([k, v]) => `${k}${HDR_KV}${v}`).join(HDR_SEP),
        rec.key ?? NULL_MARK,
      ]
      const line = `${parts[0]}${HDR_DELIM}${parts[1]}${KEY_SEP}${rec.value ?? NULL_MARK}`
      if (/[\n\r]/.test(line))
        throw new PeerError('produce: keys, values and headers cannot contain newlines')
      return line
    })
    const props = Object.entries(producerProps).flatMap(([k, v]) => ['--producer-property', `${k}=${v}`])
    await this.tool(
      tools.producer,
      [
        '--bootstrap-server',
        this.bootstrap,
        '--topic',
        topic,
        '--request-required-acks',
        'all',
        ...props,
        ...['--property', 'parse.key=true', '--property', `key.separator=${KEY_SEP}`],
        ...['--property', 'parse.headers=true', '--property', `headers.delimiter=${HDR_DELIM}`],
        ...['--property', `headers.separator=${HDR_SEP}`, '--property', `headers.key.separator=${HDR_KV}`],
        ...['--property', `null.marker=${NULL_MARK}`],
      ],
      { input: lines.map((l) => `${l}\n`).join('') },
    )
  }

  /** kafka-console-consumer with every field printed; returns what arrived before count or the idle timeout. */
  async consume(topic: string, opts: ConsumeOptions): Promise<ConsumedRecord[]> {
    const a = ['--bootstrap-server', this.bootstrap, '--topic', topic, '--max-messages', String(opts.count)]
    a.push('--timeout-ms', String(opts.timeoutMs ?? 15_000))
    if (opts.fromBeginning ?? true) a.push('--from-beginning')
    if (opts.group !== undefined) a.push('--group', opts.group)
    if (opts.partition !== undefined) a.push('--partition', String(opts.partition))
    for (const [k, v] of Object.entries(opts.props ?? {})) a.push('--consumer-property', `${k}=${v}`)
    for (const p of ['print.timestamp', 'print.partition', 'print.offset', 'print.headers', 'print.key']) {
      a.push('--property', `${p}=true`)
    }
    a.push('--property', `key.separator=${FIELD}`, '--property', `headers.separator=${HDR_SEP}`)
    a.push('--property', `null.literal=${NULL_MARK}`)
    // a timeout ends the consumer with an ERROR line but exit code 0 (checked: 3.9.1); partial results are data too
    const r = await this.tool(tools.consumer, a, { timeoutMs: (opts.timeoutMs ?? 15_000) + 60_000 })
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => parseConsumed(line))
  }
}

function parseConsumed(line: string): ConsumedRecord {
  // DefaultMessageFormatter: CreateTime:<ts> SEP Partition:<p> SEP Offset:<o> SEP <headers> SEP <key> SEP <value>
  const f = line.split(FIELD)
  if (f.length < 6) throw new PeerError(`consume: cannot parse console-consumer line ${JSON.stringify(line)}`)
  const nul = (s: string): string | null => (s === NULL_MARK ? null : s)
  const headers: Record<string, string> = {}
  const h = f[3] ?? ''
  if (h !== 'NO_HEADERS') {
    for (const kv of h.split(HDR_SEP)) {
      const i = kv.indexOf(':')
      headers[kv.slice(0, i)] = kv.slice(i + 1)
    }
  }
  return {
    timestamp: Number((f[0] ?? '').replace(/^\w+:/, '')),
    partition: Number((f[1] ?? '').replace('Partition:', '')),
    offset: Number((f[2] ?? '').replace('Offset:', '')),
    headers,
    key: nul(f[4] ?? ''),
    value: nul(f.slice(5).join(FIELD)),
  }
}

function runKafkaTool(
  classpath: string,
  main: string,
  args: readonly string[],
  opts: KafkaToolOptions,
): Promise<ToolResult> {
  return runJava({
    ...opts,
    classpath,
    main,
    args,
    jvm: [
      `-Dlog4j.configuration=file:${join(peersDir, 'kafka', 'tools-log4j.properties')}`,
      ...(opts.jvm ?? []),
    ],
  })
}

/** Kafka's Uuid text form: 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints). */
function clusterId(): string {
  // StorageTool's argument parser takes an id starting with '-' for an option (1 in 64 ids did).
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/**
 * Formats a fresh KRaft log dir and starts a broker; resolves once "Kafka Server started" is logged.
 * Retries with new ports if one was taken between choosing and binding it.
 */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaBroker> {
  const { classpath } = await provision('kafka')
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(classpath, opts)
    } catch (e) {
      const portsFixed = opts.port !== undefined && opts.controllerPort !== undefined
      if (
        attempt >= 3 ||
        portsFixed ||
        !(e instanceof PeerError) ||
        !/Address already in use/.test(e.message)
      ) {
        throw e
      }
    }
  }
}

async function startOnce(classpath: string, opts: KafkaOptions): Promise<KafkaBroker> {
  const dir = tempDir('kafka')
  const port = opts.port ?? (await freePort())
  const controllerPort = opts.controllerPort ?? (await freePort())
  const template = readFileSync(join(peersDir, 'kafka', 'server.properties'), 'utf8')
  const rendered = renderTemplate(template, { port, controllerPort, dataDir: join(dir, 'data') })
  const extra = Object.entries(opts.serverProps ?? {}).map(([k, v]) => `${k}=${v}\n`)
  const serverProps = join(dir, 'server.properties')
  writeFileSync(serverProps, `${rendered}\n# overrides\n${extra.join('')}`)
  const log4j = `-Dlog4j.configuration=file:${join(peersDir, 'kafka', 'log4j.properties')}`
  const spawn = () =>
    new JavaProcess({
      name: 'kafka broker',
      dir,
      classpath,
      main: 'kafka.Kafka',
      args: [serverProps],
      jvm: [
        '-Xms128m',
        `-Xmx${opts.heapMb ?? 512}m`,
        '-Djava.net.preferIPv4Stack=true',
        `-Dkafka.logs.dir=${dir}`,
        log4j,
      ],
    })
  await runJava({
    classpath,
    main: tools.storage,
    args: ['format', '-t', clusterId(), '-c', serverProps, '--ignore-formatted'],
    jvm: [log4j],
  })
  const p = spawn()
  try {
    await p.waitUntil(
      'Kafka Server started',
      () => /Kafka Server started/.test(p.logs()),
      opts.readyTimeoutMs ?? 60_000,
      /Address already in use|Exiting Kafka|FATAL/,
    )
  } catch (e) {
    await p.stop(5000)
    throw e
  }
  return new KafkaBroker(p, port, controllerPort, classpath, performance.now() - p.startedAt, spawn)
}

/** Waits until nothing listens on the port (a just-killed JVM's sockets close asynchronously). */
async function waitPortFree(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (await tcpOpen(port)) {
    if (performance.now() > deadline) throw new PeerError(`port ${port} is still in use`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
