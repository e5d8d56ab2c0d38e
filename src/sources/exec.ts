/**
 * `exec` source (org.apache.flume.source.ExecSource): runs a command and turns each line of its standard
 * output into an event (reference §3.3). The typical use is `command = tail -F /var/log/app.log`.
 *
 * - Without `shell` the command is split on whitespace and run directly (no quoting, as Flume); with
 *   `shell = /bin/sh -c` the shell words are followed by the whole command as one argument.
 * - Lines end at `\n`, `\r` or `\r\n` (Java's readLine); the terminator is removed. Lines are decoded with
 *   `charset`; malformed input becomes U+FFFD.
 * - Lines are committed in batches of `batchSize`, or earlier once `batchTimeout` ms passed since the last
 *   commit (checked by a timer and on every line). At the end of the output the partial batch is committed.
 * - When the command exits it is run again after `restartThrottle` ms if `restart = true`.
 * - Standard error is always drained; with `logStdErr = true` each line is logged.
 *
 * Deliberate difference: when the channel refuses a batch, Flume kills the command and loses the batch.
 * flumen keeps the batch, stops reading the command's output (the pipe fills and the command blocks,
 * which `tail -F` tolerates) and retries with a back-off of 250 ms doubling up to 5 s, so nothing the
 * command printed is lost while the agent runs.
 *
 * The command is killed with the agent: on stop its whole process group gets SIGTERM (SIGKILL after 5 s),
 * and a tiny shell watchdog holding a pipe from the agent kills the group if the agent itself dies
 * (even by SIGKILL), so no orphaned `tail -F` survives an agent.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../core/channel-processor.ts'
import { SourceCounter } from '../core/counters.ts'
import { ChannelError, describeError } from '../core/errors.ts'
import { Event } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { sleep } from '../core/runners.ts'
import { bool, defineSource, int, long, str } from '../core/spec.ts'
import { charsetField } from './netcat.ts'
import { toUtf8 } from './util/charset.ts'

/**
 * Runs "$@" in the background, holds the agent's stdin pipe on fd 3 in a watchdog subshell, and kills the
 * whole process group when that pipe reaches EOF (the agent is gone). Exits with the command's status.
 */
const WRAPPER = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'c=$!',
  '( read _ <&3; kill -TERM 0 ) </dev/null &',
  'w=$!',
  'exec 3<&-',
  'wait "$c"; s=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n')

const fields = {
  command: str({
    key: 'command',
    required: true,
    doc: 'The command to run (split on whitespace unless shell is set).',
  }),
  shell: str({ key: 'shell', doc: 'Shell to run the command with, e.g. `/bin/sh -c`.' }),
  restart: bool({ key: 'restart', default: false, doc: 'Run the command again when it exits.' }),
  restartThrottle: long({
    key: 'restartThrottle',
    default: 10_000,
    min: 0,
    doc: 'Milliseconds to wait before a restart.',
  }),
  logStdErr: bool({ key: 'logStdErr', default: false, doc: "Log the command's standard error lines." }),
  batchSize: int({ key: 'batchSize', default: 20, min: 1, doc: 'Lines per channel transaction.' }),
  batchTimeout: long({
    key: 'batchTimeout',
    default: 3000,
    min: 1,
    doc: 'Commit a partial batch after this many ms.',
  }),
  charset: charsetField('charset', 'utf-8', 'Charset of the command output.'),
  maxLineLength: int({
    key: 'maxLineLength',
    default: 16 * 1024 * 1024,
    min: 1,
    doc: 'flumen safety limit: a line longer than this many bytes is split into several events (Flume has no limit).',
  }),
}

type ExecConfig = {
  readonly command: string
  readonly shell: string | undefined
  readonly restart: boolean
  readonly restartThrottle: number
  readonly logStdErr: boolean
  readonly batchSize: number
  readonly batchTimeout: number
  readonly charset: string
  readonly maxLineLength: number
}

export function commandArgv(cfg: { command: string; shell: string | undefined }): string[] {
  if (cfg.shell !== undefined) return [...cfg.shell.split(/\s+/).filter((s) => s.length > 0), cfg.command]
  return cfg.command.split(/\s+/).filter((s) => s.length > 0)
}

/** Splits a byte stream into lines at \n, \r or \r\n, across chunk boundaries. */
export class LineSplitter {
  #carry: Buffer = Buffer.alloc(0)
  #skipLF = false
  readonly #max: number

  constructor(maxLineLength: number) {
    this.#max = maxLineLength
  }

  /** Appends complete lines (without terminators) found in `chunk` to `out`. */
  push(chunk: Buffer, out: Buffer[]): void {
    let data = chunk
    if (this.#skipLF && data.length > 0) {
      if (data[0] === 0x0a) data = data.subarray(1)
      this.#skipLF = false
    }
    if (this.#carry.length > 0) data = Buffer.concat([this.#carry, data])
    let start = 0
    for (let i = 0; i < data.length; i++) {
      const b = data[i]
      if (b === 0x0a || b === 0x0d) {
        out.push(data.subarray(start, i))
        if (b === 0x0d) {
          if (i + 1 < data.length) {
            if (data[i + 1] === 0x0a) i++
          } else {
            this.#skipLF = true
          }
        }
        start = i + 1
      } else if (i - start + 1 >= this.#max) {
        out.push(data.subarray(start, i + 1))
        start = i + 1
      }
    }
    this.#carry = start < data.length ? Buffer.from(data.subarray(start)) : Buffer.alloc(0)
  }

  /** The unterminated last line, if any (Java's readLine returns it at EOF). */
  end(out: Buffer[]): void {
    if (this.#carry.length > 0) out.push(this.#carry)
    this.#carry = Buffer.alloc(0)
  }
}

export class ExecSource {
  readonly counter: SourceCounter
  readonly #cfg: ExecConfig
  readonly #processor: ChannelProcessor
  readonly #log: Logger
  readonly #errors: RateLimitedLog
  #abort = new AbortController()
  #loop: Promise<void> | undefined
  #child: ChildProcess | undefined
  #batch: Event[] = []
  #lastPush = Date.now()
  #flushing: Promise<void> | undefined

  constructor(name: string, cfg: ExecConfig, processor: ChannelProcessor, logger: Logger) {
    this.counter = new SourceCounter(name)
    this.#cfg = cfg
    this.#processor = processor
    this.#log = logger
    this.#errors = new RateLimitedLog(logger)
  }

  async start(): Promise<void> {
    this.counter.start()
    this.#abort = new AbortController()
    this.#loop = this.#run(this.#abort.signal)
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    this.#killGroup('SIGTERM')
    await this.#loop
    this.counter.stop()
  }

  #killGroup(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid
    if (pid === undefined || this.#child?.exitCode !== null || this.#child.signalCode !== null) return
    try {
      process.kill(-pid, signal)
    } catch {
      // Already gone.
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    do {
      const code = await this.#runOnce(signal)
      if (signal.aborted) break
      if (this.#cfg.restart) {
        this.#log.info(
          { exit: code, restartInMs: this.#cfg.restartThrottle },
          'Command exited; restarting it',
        )
        await sleep(this.#cfg.restartThrottle, signal)
      } else {
        this.#log.info({ exit: code, command: this.#cfg.command }, 'Command exited')
      }
    } while (this.#cfg.restart && !signal.aborted)
  }

  async #runOnce(signal: AbortSignal): Promise<string> {
    const argv = commandArgv(this.#cfg)
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'flumen-exec', ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    })
    this.#child = child
    const exited = new Promise<string>((resolve) => {
      child.once('error', (e) => resolve(`spawn error: ${describeError(e)}`))
      child.once('close', (code, sig) => resolve(code !== null ? String(code) : `signal ${sig}`))
    })
    let killTimer: NodeJS.Timeout | undefined
    const onAbort = () => {
      killTimer = setTimeout(() => this.#killGroup('SIGKILL'), 5000)
      killTimer.unref()
    }
    signal.addEventListener('abort', onAbort, { once: true })

    const stderrTail: string[] = []
    const errSplit = new LineSplitter(64 * 1024)
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines: Buffer[] = []
      errSplit.push(chunk, lines)
      for (const l of lines) {
        const text = l.toString('utf8')
        if (this.#cfg.logStdErr) this.#log.info({ stderr: text }, 'Command wrote to standard error')
        stderrTail.push(text)
        if (stderrTail.length > 5) stderrTail.shift()
      }
    })

    const timer = setInterval(() => {
      if (this.#batch.length > 0 && Date.now() - this.#lastPush >= this.#cfg.batchTimeout)
        void this.#flush(child, signal)
    }, this.#cfg.batchTimeout)
    timer.unref()

    const split = new LineSplitter(this.#cfg.maxLineLength)
    const stdout = child.stdout
    if (stdout !== null) {
      await new Promise<void>((resolve) => {
        stdout.on('data', (chunk: Buffer) => {
          const lines: Buffer[] = []
          split.push(chunk, lines)
          this.#addLines(lines)
          // Bound what piles up while a commit is in flight: the command blocks on its pipe instead.
          if (this.#batch.length >= this.#cfg.batchSize * 4) stdout.pause()
          if (
            this.#batch.length >= this.#cfg.batchSize ||
            Date.now() - this.#lastPush >= this.#cfg.batchTimeout
          ) {
            void this.#flush(child, signal)
          }
        })
        stdout.once('close', () => resolve())
      })
      const rest: Buffer[] = []
      split.end(rest)
      this.#addLines(rest)
    }
    clearInterval(timer)
    while (this.#flushing !== undefined) await this.#flushing
    if (this.#batch.length > 0) await this.#flush(child, signal)
    const code = await exited
    signal.removeEventListener('abort', onAbort)
    if (killTimer !== undefined) clearTimeout(killTimer)
    child.stdin?.destroy()
    this.#child = undefined
    if (code !== '0' && !signal.aborted && stderrTail.length > 0) {
      this.#log.warn({ exit: code, stderr: stderrTail }, 'Command failed')
    }
    return code
  }

  #addLines(lines: Buffer[]): void {
    for (const l of lines) this.#batch.push(new Event(toUtf8(Buffer.from(l), this.#cfg.charset)))
    this.counter.eventReceivedCount += lines.length
  }

  /** Commits the current batch; on a channel failure pauses the output and retries with back-off. */
  #flush(child: ChildProcess, signal: AbortSignal): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing
    this.#flushing = (async () => {
      let backoff = 250
      while (this.#batch.length > 0) {
        const n = Math.min(this.#batch.length, this.#cfg.batchSize, this.#processor.maxBatch)
        const events = this.#batch.slice(0, n)
        try {
          await this.#processor.processEventBatch(events)
          this.#batch = this.#batch.slice(n)
          this.counter.eventAcceptedCount += n
          this.#lastPush = Date.now()
          backoff = 250
          if (this.#batch.length < this.#cfg.batchSize) break
        } catch (e) {
          if (!(e instanceof ChannelError)) this.counter.genericProcessingFail++
          this.counter.channelWriteFail += n
          child.stdout?.pause()
          if (signal.aborted) {
            this.#errors.error(
              { error: describeError(e), lost: this.#batch.length },
              'Agent stopping with command output the channel would not take',
            )
            this.#batch = []
            break
          }
          this.#errors.warn(
            { error: describeError(e), retryInMs: backoff },
            'Channel refused command output; pausing the command and retrying',
          )
          await sleep(backoff, signal)
          backoff = Math.min(backoff * 2, 5000)
        }
      }
      child.stdout?.resume()
    })().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }
}

export const spec = defineSource({
  type: 'exec',
  classNames: ['org.apache.flume.source.ExecSource'],
  summary: 'Runs a command and turns each line of its output into an event.',
  fields,
  batchSize: (cfg) => cfg.batchSize,
  build(cfg, ctx) {
    const s = new ExecSource(ctx.name, cfg, ctx.processor, ctx.logger)
    ctx.metrics.register(s.counter)
    return s
  },
})
