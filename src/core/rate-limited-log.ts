/**
 * Repeated error lines are rate-limited: the first occurrence is logged, further ones within the window
 * are counted and summarised by the next line that gets through (`suppressed: n`). A flood of identical
 * failures (a full channel, a dead peer) must not drown the log or cost more CPU than the work itself.
 */

import type { Logger } from 'pino'

export class RateLimitedLog {
  readonly #logger: Logger
  readonly #windowMs: number
  #last = 0
  #suppressed = 0

  constructor(logger: Logger, windowMs = 5_000) {
    this.#logger = logger
    this.#windowMs = windowMs
  }

  #pass(): number | undefined {
    const now = Date.now()
    if (now - this.#last < this.#windowMs) {
      this.#suppressed++
      return undefined
    }
    this.#last = now
    const s = this.#suppressed
    this.#suppressed = 0
    return s
  }

  warn(fields: Record<string, unknown>, msg: string): void {
    const s = this.#pass()
    if (s !== undefined) this.#logger.warn(s > 0 ? { ...fields, suppressed: s } : fields, msg)
  }

  error(fields: Record<string, unknown>, msg: string): void {
    const s = this.#pass()
    if (s !== undefined) this.#logger.error(s > 0 ? { ...fields, suppressed: s } : fields, msg)
  }
}
