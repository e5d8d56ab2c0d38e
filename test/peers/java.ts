// Process plumbing for the real Java peers: JVM launch, logs, readiness waits, ports, temp dirs, and the guarantee
// that nothing outlives the test process.
//
// Invariants:
// * Every JVM runs in its own process group (detached) with stdout+stderr going straight to a log file, so it never
//   blocks on a full pipe and a dying test process cannot SIGPIPE it; stop()/kill() signal the whole group.
// * A per-process watchdog (a tiny /bin/sh reading a pipe from us) learns every pid and temp dir. When the test process
//   ends in any way, even SIGKILL, the pipe hits EOF and the watchdog TERMs, then KILLs, every registered group and
//   removes the temp dirs (kept when FLUMEN_PEERS_KEEP=1). A normal exit also TERMs them synchronously first.
// * Ports come from freePort(): random ports below the kernel's ephemeral range (so outgoing connections of other
//   processes never take them), checked by binding 127.0.0.1, never handed out twice by this process.
import { type ChildProcess, spawn } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
} from 'node:fs'
import { createConnection, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const javaBin: string = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'

/**
 * JVM flags for short-lived CLI tools: C1 only and serial GC start faster on 2 cores
 * (measured: FsShell -ls on the local fs 0.49-0.9 s with JVM defaults, 0.38-0.49 s with these).
 */
export const toolJvmFlags: readonly string[] = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-Xss1m',
  '-Djava.net.preferIPv4Stack=true',
]

/**
 * --add-opens for Hadoop on Java 17 (HADOOP-19310 adds the same kind of list to the 3.4 scripts, which we bypass).
 * Measured need: without java.lang opened, every WebHDFS call on the NameNode fails with HTTP 500
 * (jaxb-impl 2.2.3's Injector calls ClassLoader.defineClass reflectively). The rest is the defensive Spark set.
 */
export const javaModuleOpens: readonly string[] = [
  'java.lang',
  'java.lang.invoke',
  'java.lang.reflect',
  'java.io',
  'java.net',
  'java.nio',
  'java.util',
  'java.util.concurrent',
  'java.util.concurrent.atomic',
  'sun.nio.ch',
  'sun.nio.cs',
  'sun.security.action',
  'sun.util.calendar',
].map((pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`)

/** A peer that could not start, stop or answer; the message carries the tail of its log. */
export class PeerError extends Error {
  override readonly name = 'PeerError'
}

// ---------------------------------------------------------------------------------------------------------------
// watchdog

const WATCHDOG = `
trap '' INT TERM HUP PIPE
pids=''; dirs=''
while IFS= read -r line; do
  case $line in
    'pid '*) pids="$pids \${line#pid }" ;;
    'unpid '*) p=\${line#unpid }; n=''; for q in $pids; do [ "$q" = "$p" ] || n="$n $q"; done; pids=$n ;;
    'dir '*) dirs="$dirs
\${line#dir }" ;;
  esac
done
for p in $pids; do kill -TERM -"$p" 2>/dev/null; done
i=0
while [ $i -lt 50 ]; do
  alive=''; for p in $pids; do kill -0 -"$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.1; i=$((i+1))
done
for p in $pids; do kill -KILL -"$p" 2>/dev/null; done
[ "$FLUMEN_PEERS_KEEP" = 1 ] || printf '%s\\n' "$dirs" | while IFS= read -r d; do [ -n "$d" ] && rm -rf -- "$d"; done
`

let watchdog: ChildProcess | undefined
const liveGroups = new Set<number>()

function tellWatchdog(line: string): void {
  if (!watchdog) {
    watchdog = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true })
    watchdog.unref()
    ;(watchdog.stdin as Socket).unref()
    // A normal exit: ask politely right away; the watchdog escalates to SIGKILL once our end of the pipe closes.
    process.once('exit', () => {
      for (const pid of liveGroups) signalGroup(pid, 'SIGTERM')
    })
  }
  watchdog.stdin?.write(`${line}\n`)
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/** Replaces ${name} placeholders in a committed config template; unknown names are left as they are. */
export function renderTemplate(template: string, vars: Readonly<Record<string, string | number>>): string {
  return template.replace(/\$\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

/** A fresh directory under the OS temp dir, removed when the test process ends (unless FLUMEN_PEERS_KEEP=1). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `flumen-peers-${prefix}-`))
  tellWatchdog(`dir ${dir}`)
  return dir
}

// ---------------------------------------------------------------------------------------------------------------
// ports

const handedOut = new Set<number>()

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

/** A currently free TCP port on 127.0.0.1 in [20000, 32000), below Linux's default ephemeral range. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000)
    if (handedOut.has(port)) continue
    if (await canBind(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new PeerError('no free port found in [20000, 32000)')
}

/** True once something accepts TCP connections on host:port. */
export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host })
    s.setTimeout(1000)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('timeout', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(false))
  })
}

/**
 * True when process `pid` itself has a listening socket on `port` (TCP LISTEN, or a bound UDP socket), on any local
 * address. Unlike a connect probe, a foreign process holding the port does not count: we read the socket inodes of
 * /proc/<pid>/net/{tcp,udp}[6] and look for them among /proc/<pid>/fd. Linux only; elsewhere it falls back to a
 * TCP connect (UDP: assumes true).
 */
export async function listensOn(pid: number, port: number, proto: 'tcp' | 'udp' = 'tcp'): Promise<boolean> {
  if (!existsSync(`/proc/${pid}/net`)) return proto === 'udp' ? true : tcpOpen(port)
  const state = proto === 'tcp' ? '0A' : '07' // TCP_LISTEN; an unconnected UDP socket shows TCP_CLOSE (07)
  const inodes = new Set<string>()
  for (const table of [proto, `${proto}6`]) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
    } catch {
      continue
    }
    // columns: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      const local = cols[1] ?? ''
      if (cols[3] === state && Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) {
        inodes.add(`socket:[${cols[9]}]`)
      }
    }
  }
  if (inodes.size === 0) return false
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {
    return false
  }
  for (const fd of fds) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true
    } catch {
      // fd closed meanwhile
    }
  }
  return false
}

// ---------------------------------------------------------------------------------------------------------------
// long-running JVMs

export interface JavaSpec {
  /** Human name used in errors, e.g. "kafka" or "flume agent a1". */
  readonly name: string
  /** Working directory; also where the log file goes unless logFile is given. */
  readonly dir: string
  readonly classpath: string
  readonly main: string
  readonly args?: readonly string[]
  readonly jvm?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly logFile?: string
}

export interface ExitStatus {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** One JVM started in the background. Kill-safe: see the module header. */
export class JavaProcess {
  readonly name: string
  readonly pid: number
  readonly dir: string
  readonly logFile: string
  /** Resolves when the JVM has exited (by itself or by stop/kill). */
  readonly exited: Promise<ExitStatus>
  readonly startedAt: number = performance.now()
  #status: ExitStatus | undefined

  constructor(spec: JavaSpec) {
    this.name = spec.name
    this.dir = spec.dir
    this.logFile = spec.logFile ?? join(spec.dir, 'out.log')
    const fd = openSync(this.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(javaBin, [...(spec.jvm ?? []), '-cp', spec.classpath, spec.main, ...(spec.args ?? [])], {
        cwd: spec.dir,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', fd, fd],
        detached: true,
      })
    } finally {
      closeSync(fd)
    }
    if (child.pid === undefined) {
      child.once('error', () => {}) // reported by the throw below; unhandled it would crash the test process
      throw new PeerError(`${spec.name}: could not spawn ${javaBin} (set JAVA_HOME or put java on PATH)`)
    }
    const pid = child.pid
    this.pid = pid
    liveGroups.add(pid)
    tellWatchdog(`pid ${pid}`)
    // unref: a test that forgets stop() must not hang; the exit hook and the watchdog clean up instead.
    child.unref()
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#status = { code, signal }
        liveGroups.delete(pid)
        tellWatchdog(`unpid ${pid}`)
        resolve(this.#status)
      })
      child.once('error', () => {
        this.#status = { code: null, signal: null }
        liveGroups.delete(pid)
        resolve(this.#status)
      })
    })
  }

  get running(): boolean {
    return this.#status === undefined
  }

  get exitStatus(): ExitStatus | undefined {
    return this.#status
  }

  /** The whole log so far (stdout and stderr interleaved). */
  logs(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : ''
  }

  /** The last n log lines, for error messages. */
  tail(n = 40): string {
    return this.logs().trimEnd().split('\n').slice(-n).join('\n')
  }

  /** Builds the error thrown when this process misbehaves: what failed, then the tail of its log. */
  error(what: string): PeerError {
    const st = this.#status
    const state = st ? ` (exited: code ${st.code}, signal ${st.signal})` : ''
    return new PeerError(
      `${this.name}: ${what}${state}\n--- last lines of ${this.logFile} ---\n${this.tail()}`,
    )
  }

  /**
   * Polls until check() is true. Throws (with the log tail) on timeout, when the JVM exits first, or when failOn
   * matches the log.
   */
  async waitUntil(
    what: string,
    check: () => boolean | Promise<boolean>,
    timeoutMs = 30_000,
    failOn?: RegExp,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if (await check()) return
      if (!this.running) throw this.error(`exited while waiting for ${what}`)
      if (failOn) {
        const m = failOn.exec(this.logs())
        if (m) throw this.error(`failed while waiting for ${what}: log matched ${failOn} at "${m[0]}"`)
      }
      if (performance.now() > deadline)
        throw this.error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await sleep(100)
    }
  }

  /** The current length of the log, to pass as `since` to waitForLog ("the next occurrence after now"). */
  mark(): number {
    return this.logs().length
  }

  /**
   * Resolves with the first match of re in the log at or after character offset `since` (default: the start),
   * polling every 100 ms.
   */
  async waitForLog(re: RegExp, timeoutMs = 30_000, since = 0): Promise<RegExpExecArray> {
    let m: RegExpExecArray | null = null
    await this.waitUntil(`log line ${re}`, () => (m = re.exec(this.logs().slice(since))) !== null, timeoutMs)
    return m as unknown as RegExpExecArray
  }

  /**
   * Sends a signal to the JVM's process group (SIGKILL by default: crash tests). Does not wait; `await exited`
   * does (the process is kept alive until the JVM is gone, although the child handle itself is unref'd).
   */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.running) return
    signalGroup(this.pid, signal)
    this.#holdUntilExit()
  }

  /** SIGTERM (the JVM runs its shutdown hooks), then SIGKILL after graceMs. Resolves once it has exited. */
  async stop(graceMs = 20_000): Promise<ExitStatus> {
    if (!this.running) return this.#status as ExitStatus
    signalGroup(this.pid, 'SIGTERM')
    const ac = new AbortController()
    const timer = sleep(graceMs, 'timeout' as const, { signal: ac.signal }).catch(() => 'exited' as const)
    const first = await Promise.race([this.exited, timer])
    ac.abort() // a pending grace timer would otherwise keep the test process alive for graceMs
    if (first === 'timeout') {
      signalGroup(this.pid, 'SIGKILL')
      this.#holdUntilExit()
    }
    return this.exited
  }

  #holdUntilExit(): void {
    const hold = setInterval(() => {}, 1000)
    void this.exited.then(() => clearInterval(hold))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// short-lived JVMs (CLI tools)

export interface RunJavaOptions {
  readonly classpath: string
  readonly main: string
  readonly args?: readonly string[]
  readonly jvm?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly cwd?: string
  /** Written to the tool's stdin, which is then closed. */
  readonly input?: string | Uint8Array
  /** Killed (SIGKILL) after this long; default 120 s. */
  readonly timeoutMs?: number
  /** Throw a PeerError when the exit code is not 0 (default true). */
  readonly check?: boolean
}

export interface ToolResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** Runs a Java main to completion and collects its output. */
export function runJava(opts: RunJavaOptions): Promise<ToolResult> {
  const t0 = performance.now()
  const argv = [...toolJvmFlags, ...(opts.jvm ?? []), '-cp', opts.classpath, opts.main, ...(opts.args ?? [])]
  return new Promise((resolve, reject) => {
    const child = spawn(javaBin, argv, {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    })
    const pid = child.pid
    if (pid !== undefined) {
      liveGroups.add(pid)
      tellWatchdog(`pid ${pid}`)
    }
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => {}) // the tool may exit without reading its input
    child.stdin.end(opts.input ?? '')
    const timer = setTimeout(() => {
      if (pid !== undefined) signalGroup(pid, 'SIGKILL')
    }, opts.timeoutMs ?? 120_000)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(new PeerError(`${opts.main}: could not run ${javaBin}: ${e.message}`))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (pid !== undefined) {
        liveGroups.delete(pid)
        tellWatchdog(`unpid ${pid}`)
      }
      const r: ToolResult = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - t0,
      }
      if ((opts.check ?? true) && code !== 0) {
        const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-30).join('\n')
        reject(
          new PeerError(
            `${opts.main} ${(opts.args ?? []).join(' ')} failed (code ${code}, signal ${signal})\n${tail}`,
          ),
        )
      } else {
        resolve(r)
      }
    })
  })
}
