/**
 * The most recent warning, error and fatal log entries, kept in memory for the dashboard and `flumen top`
 * ("recent errors, with their component"). Bounded: the oldest entry goes when the ring is full. The
 * logger feeds it (src/cli/logging.ts) with entries it has already serialized, so nothing is parsed for
 * info and debug lines.
 */

export interface LogEntry {
  /** Epoch ms. */
  readonly time: number
  readonly level: 'warn' | 'error' | 'fatal'
  /** `SINK.k1`, `CHANNEL.c1`... when the entry belongs to a component. */
  readonly component?: string
  readonly msg: string
  /** The `error` field of the entry, if any (one line). */
  readonly error?: string
}

const LEVELS: Record<number, LogEntry['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' }

/** pino's JSON lines start with the level: `{"level":50,...`. */
const LEVEL_PREFIX = /^\{"level":(\d+)/

export class LogRing {
  readonly #entries: LogEntry[] = []
  readonly #max: number
  /** Entries seen since start, by level (the ring keeps only the last `max`). */
  readonly totals = { warn: 0, error: 0, fatal: 0 }

  constructor(max = 200) {
    this.#max = max
  }

  /** Level of a pino JSON line if it is a warning or worse, without parsing it. */
  static levelOf(line: string): LogEntry['level'] | undefined {
    const m = LEVEL_PREFIX.exec(line)
    return m === null ? undefined : LEVELS[Number(m[1])]
  }

  /** Adds a parsed pino entry if it is a warning or worse. */
  add(o: Record<string, unknown>): void {
    const level = LEVELS[o.level as number]
    if (level === undefined) return
    const err = o.error
    const error =
      typeof err === 'string'
        ? err
        : err !== null &&
            typeof err === 'object' &&
            typeof (err as { message?: unknown }).message === 'string'
          ? (err as { message: string }).message
          : undefined
    const component =
      typeof o.component === 'string'
        ? o.component
        : typeof o.channel === 'string'
          ? `CHANNEL.${o.channel}`
          : undefined
    const entry: { -readonly [K in keyof LogEntry]: LogEntry[K] } = {
      time: typeof o.time === 'number' ? o.time : Date.now(),
      level,
      msg: typeof o.msg === 'string' ? o.msg : '',
    }
    if (component !== undefined) entry.component = component
    if (error !== undefined) entry.error = error.split('\n')[0] as string
    this.totals[level]++
    this.#entries.push(entry)
    if (this.#entries.length > this.#max) this.#entries.shift()
  }

  /** The last `n` entries, oldest first. */
  recent(n = this.#max): LogEntry[] {
    return this.#entries.slice(-n)
  }
}
