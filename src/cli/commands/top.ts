/**
 * `flumen top [--url http://host:port] [--once] [--no-color]`: a live terminal view of a running agent —
 * the same frames the dashboard shows (rates, channel fill and runway, where backpressure starts, recent
 * errors), read from the agent's monitoring port (`/api/events`).
 *
 * On a terminal it redraws in place (alternate screen) until `q` or Ctrl-C; piped, it prints a frame per
 * second. `--once` prints one frame with measured rates (about a second after connecting) and exits.
 *
 * Exit codes: 0 after `q`/Ctrl-C or a `--once` frame; 1 when the agent cannot be reached (with `--once`,
 * or at the first connection); 2 usage error. A live view that loses its agent keeps retrying.
 */

import type { StatusFrame } from '../../monitoring/status.ts'
import { type OptionSpec, parseArgs, UsageError, usage } from '../args.ts'
import { renderTop } from '../top-render.ts'

export const TOP_OPTIONS: readonly OptionSpec[] = [
  {
    names: ['--url'],
    key: 'url',
    value: true,
    help: 'the agent monitoring address (default http://127.0.0.1:41414)',
    placeholder: 'url',
  },
  { names: ['--once'], key: 'once', value: false, help: 'print one frame and exit' },
  { names: ['--no-color'], key: 'noColor', value: false, help: 'no ANSI colors' },
  { names: ['-h', '--help'], key: 'help', value: false, help: 'show this help' },
]

/** Bounded SSE frame size: a frame is a few kB; anything much larger is not ours. */
const MAX_EVENT_BYTES = 4 << 20

/** Reads server-sent events from a response body, yielding each `data:` payload. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buf = ''
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true })
    if (buf.length > MAX_EVENT_BYTES) throw new Error('event stream frame too large')
    let end = buf.indexOf('\n\n')
    while (end >= 0) {
      const block = buf.slice(0, end)
      buf = buf.slice(end + 2)
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5))
        .join('\n')
      if (data !== '') yield data
      end = buf.indexOf('\n\n')
    }
  }
}

function normalizeUrl(u: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(u) ? u : `http://${u}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new UsageError(`--url '${u}' is not a URL (http://host:port)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must be http:// or https://, not ${url.protocol}`)
  return url.href.replace(/\/$/, '')
}

export async function runTopCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, TOP_OPTIONS)
  if (args.flags.has('help')) {
    process.stdout.write(usage('top', 'Live view of a running agent (its monitoring port).', TOP_OPTIONS))
    return 0
  }
  if (args.positional.length > 0) throw new UsageError(`unexpected argument '${args.positional[0]}'`)
  const base = normalizeUrl(args.values.get('url') ?? 'http://127.0.0.1:41414')
  const once = args.flags.has('once')
  const tty = process.stdout.isTTY === true && !once
  const color =
    !args.flags.has('noColor') && process.stdout.isTTY === true && process.env.NO_COLOR === undefined
  const out = process.stdout

  const abort = new AbortController()
  let quit: (code: number) => void = () => {}
  const finished = new Promise<number>((r) => {
    quit = r
  })
  const onSignal = () => quit(0)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const restoreScreen = () => {
    if (tty) out.write('\x1b[?25h\x1b[?1049l')
  }
  if (tty) {
    out.write('\x1b[?1049h\x1b[?25l')
    if (process.stdin.isTTY === true) {
      process.stdin.setRawMode(true)
      process.stdin.resume()
      process.stdin.on('data', (d: Buffer) => {
        const k = d.toString()
        if (k === 'q' || k === 'Q' || k === '\x03' || k === '\x1b') quit(0)
      })
    }
  }

  const draw = (frame: StatusFrame) => {
    const lines = renderTop(frame, {
      width: tty ? (out.columns ?? 120) : 200,
      ...(tty && out.rows !== undefined ? { height: out.rows } : {}),
      color,
      url: base,
    })
    if (tty) out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`)
    else out.write(`${lines.join('\n')}\n${once ? '' : '\n'}`)
  }

  const status = (msg: string) => {
    if (tty) out.write(`\x1b[H\x1b[2J${msg}\n`)
    else process.stderr.write(`${msg}\n`)
  }

  const loop = async (): Promise<void> => {
    let connectedOnce = false
    while (!abort.signal.aborted) {
      try {
        const res = await fetch(`${base}/api/events`, {
          signal: abort.signal,
          headers: { accept: 'text/event-stream' },
        })
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status} from ${base}/api/events`)
        connectedOnce = true
        for await (const data of sseData(res.body)) {
          const frame = JSON.parse(data) as StatusFrame
          if (once && frame.intervalSec === null) continue
          draw(frame)
          if (once) {
            quit(0)
            return
          }
        }
        throw new Error('the agent closed the stream')
      } catch (e) {
        if (abort.signal.aborted) return
        const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)
        if (once || !connectedOnce) {
          process.stderr.write(`flumen top: cannot read ${base}/api/events: ${why}\n`)
          process.stderr.write(
            'Is the agent running with -Dflume.monitoring.type=http -Dflume.monitoring.port=<port>?\n',
          )
          quit(1)
          return
        }
        status(`flumen top: lost ${base} (${why}); retrying…`)
        await new Promise((r) => setTimeout(r, 2000))
      }
    }
  }

  const timeout = once
    ? setTimeout(() => {
        process.stderr.write(`flumen top: no frame with rates from ${base} within 10 s\n`)
        quit(1)
      }, 10_000)
    : undefined
  void loop()
  const code = await finished
  if (timeout !== undefined) clearTimeout(timeout)
  abort.abort()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  if (tty && process.stdin.isTTY === true) {
    process.stdin.setRawMode(false)
    process.stdin.pause()
  }
  restoreScreen()
  return code
}
