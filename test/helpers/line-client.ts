/**
 * A netcat-protocol client that knows exactly which lines were acknowledged: the netcat source answers
 * every line, in order, with `OK` or `FAILED: …`, so the n-th reply belongs to the n-th line sent. Used by
 * crash tests: every line answered OK must come out of the agent eventually.
 */

import { readdirSync, readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import type { AgentProcess } from './cli.ts'

export class LineClient {
  readonly #socket: Socket
  /** Lines written to the socket, in order. */
  readonly sent: string[] = []
  /** Lines answered OK. */
  readonly acked: string[] = []
  /** Lines answered FAILED, with the reason. */
  readonly failed: { line: string; reason: string }[] = []
  #replies = 0
  #carry = ''
  #closed = false
  readonly closed: Promise<void>
  #waiters: { n: number; resolve: () => void }[] = []

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      this.#carry += d
      let nl = this.#carry.indexOf('\n')
      while (nl >= 0) {
        const reply = this.#carry.slice(0, nl)
        this.#carry = this.#carry.slice(nl + 1)
        const line = this.sent[this.#replies++] as string
        if (reply === 'OK') this.acked.push(line)
        else this.failed.push({ line, reason: reply })
        nl = this.#carry.indexOf('\n')
      }
      this.#wake()
    })
    socket.on('error', () => {})
    this.closed = new Promise((r) =>
      socket.on('close', () => {
        this.#closed = true
        this.#wake()
        r()
      }),
    )
  }

  static open(port: number, host = '127.0.0.1'): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host)
      s.once('connect', () => resolve(new LineClient(s)))
      s.once('error', reject)
    })
  }

  get replies(): number {
    return this.#replies
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Writes lines, waiting for the socket to drain when it pushes back. Stops if the socket closes. */
  async send(lines: readonly string[]): Promise<void> {
    if (this.#closed) return
    this.sent.push(...lines)
    const ok = this.#socket.write(`${lines.join('\n')}\n`)
    if (!ok && !this.#closed) {
      await new Promise<void>((r) => {
        const done = () => {
          this.#socket.off('drain', done)
          this.#socket.off('close', done)
          r()
        }
        this.#socket.on('drain', done)
        this.#socket.on('close', done)
      })
    }
  }

  /** Resolves once `n` replies have arrived (or the connection closed). */
  waitReplies(n: number): Promise<void> {
    if (this.#replies >= n || this.#closed) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ n, resolve }))
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#replies >= w.n || this.#closed) {
        w.resolve()
        return false
      }
      return true
    })
  }

  end(): void {
    this.#socket.end()
  }

  destroy(): void {
    this.#socket.destroy()
  }
}

export const numberedLine = (i: number): string => `ev-${String(i).padStart(7, '0')}`

/**
 * Streams numbered lines (from `from`) to a netcat source until `ackTarget` lines were answered OK, then
 * SIGKILLs the agent. Keeps a bounded number of lines in flight, so the kill lands mid-stream.
 */
export async function feedThenKill(
  agent: AgentProcess,
  port: number,
  from: number,
  ackTarget: number,
): Promise<{ client: LineClient; next: number }> {
  const client = await LineClient.open(port)
  let i = from
  const feeding = (async () => {
    while (!client.isClosed) {
      await client.send(Array.from({ length: 100 }, () => numberedLine(i++)))
      await client.waitReplies(client.sent.length - 2000)
    }
  })()
  await client.waitReplies(ackTarget)
  agent.child.kill('SIGKILL')
  await agent.exited
  await client.closed
  await feeding
  return { client, next: i }
}

/** Every non-empty line of every file in `dir` (file_roll output). */
export function outputLines(dir: string): string[] {
  const out: string[] = []
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8')
    for (const l of text.split('\n')) if (l.length > 0) out.push(l)
  }
  return out
}
