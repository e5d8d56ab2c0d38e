/**
 * Runs the real `flumen` CLI (bin/flumen.js → dist/) as a child process for end-to-end tests: writes the
 * config file, starts the agent, collects its output lines, and offers waits, signals and metrics.
 * `npm test` builds dist/ before running tests.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after } from 'node:test'

export const ROOT = resolve(import.meta.dirname, '../..')

/** Agents still running; killed when the test file ends, so a failed test never leaves one behind. */
const live = new Set<ChildProcess>()
after(() => {
  for (const c of live) c.kill('SIGKILL')
})
export const BIN = join(ROOT, 'bin/flumen.js')

export function tempDir(prefix = 'flumen-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolvePort(port))
    })
  })
}

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a CLI command to completion. */
export function runCli(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const t = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`flumen ${args.join(' ')} timed out\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 30_000)
    child.on('close', (code, signal) => {
      clearTimeout(t)
      resolveRun({ code, signal, stdout, stderr })
    })
  })
}

export class AgentProcess {
  readonly child: ChildProcess
  readonly dir: string
  lines: string[] = []
  #waiters: { re: RegExp; resolve: (l: string) => void }[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(child: ChildProcess, dir: string) {
    this.child = child
    this.dir = dir
    let carry = ''
    const onData = (d: Buffer) => {
      carry += d.toString()
      const parts = carry.split('\n')
      carry = parts.pop() ?? ''
      for (const l of parts) {
        this.lines.push(l)
        if (process.env.FLUMEN_TEST_ECHO === '1') process.stderr.write(`[agent] ${l}\n`)
        for (const w of [...this.#waiters]) {
          if (w.re.test(l)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1)
            w.resolve(l)
          }
        }
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    live.add(child)
    this.exited = new Promise((r) =>
      child.on('close', (code, signal) => {
        live.delete(child)
        r({ code, signal })
      }),
    )
  }

  output(): string {
    return this.lines.join('\n')
  }

  /** Resolves with the first line (already seen or future) matching `re`. */
  waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((res, rej) => {
      const w = {
        re,
        resolve: (l: string) => {
          clearTimeout(t)
          res(l)
        },
      }
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1)
        rej(new Error(`timed out waiting for ${re} in agent output:\n${this.output().slice(-4000)}`))
      }, timeoutMs)
      this.#waiters.push(w)
    })
  }

  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal)
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    const r = await this.exited
    clearTimeout(t)
    return r
  }
}

export interface StartOptions {
  readonly name?: string
  readonly sys?: Readonly<Record<string, string>>
  readonly args?: readonly string[]
  readonly env?: NodeJS.ProcessEnv
  readonly dir?: string
  /** Wait for the 'Agent ready' line (default true). */
  readonly waitReady?: boolean
  /** Watch the config file every this many seconds (`-i`); default: not watched (`--no-reload-conf`). */
  readonly pollSeconds?: number
  /** A command the agent is started under, e.g. `['setpriv', ..., '--']` (it is given node and its args). */
  readonly wrap?: readonly string[]
}

/** Writes `config` to a temp dir and starts `flumen agent` on it. */
export async function startAgent(config: string, opts: StartOptions = {}): Promise<AgentProcess> {
  const dir = opts.dir ?? tempDir()
  const file = join(dir, 'agent.conf')
  writeFileSync(file, config)
  const sys = { 'flume.root.logger': 'INFO,console', ...opts.sys }
  const args = [
    'agent',
    '-n',
    opts.name ?? 'a1',
    '-f',
    file,
    ...(opts.pollSeconds === undefined ? ['--no-reload-conf'] : ['-i', String(opts.pollSeconds)]),
    ...Object.entries(sys).map(([k, v]) => `-D${k}=${v}`),
    ...(opts.args ?? []),
  ]
  const argv = [...(opts.wrap ?? []), process.execPath, BIN, ...args]
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: dir,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const agent = new AgentProcess(child, dir)
  if (opts.waitReady ?? true) {
    await Promise.race([
      agent.waitFor(/Agent ready/),
      agent.exited.then((r) => {
        throw new Error(`agent exited (${r.code ?? r.signal}) before it was ready:\n${agent.output()}`)
      }),
    ])
  }
  return agent
}

export function writeConfig(dir: string, name: string, text: string): string {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

export async function fetchJson(url: string): Promise<Record<string, Record<string, string>>> {
  const r = await fetch(url)
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`)
  return (await r.json()) as Record<string, Record<string, string>>
}

export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  stepMs = 100,
): Promise<T> {
  const t0 = Date.now()
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `condition not met within ${timeoutMs} ms${last === undefined ? '' : `: ${String(last)}`}`,
      )
    await new Promise((r) => setTimeout(r, stepMs))
  }
}
