/**
 * Watches the configuration files and reloads the agent when they change (Flume's PollingPropertiesFile-
 * ConfigurationProvider), or at once when asked (SIGHUP).
 *
 * Watching: every `pollIntervalMs` (Flume: 30 s; `-i <seconds>`) each file is stat'ed; a change of its
 * modification time, size or inode since the last load triggers a reload. A file that disappears is
 * ignored until it comes back (Flume does the same). Deliberate difference: Flume reloads only when the
 * mtime *increases*; flumen reloads on any change, so restoring an older copy (`cp -p`, `mv`) is seen too.
 *
 * A reload re-reads and re-compiles every file. If the result has any error (a file that cannot be read,
 * a syntax error, an invalid component — anything `flumen check` would report as an error), the reload is
 * refused: every problem is logged with its file and line, counted (`ReloadFailures`, `ConfigErrors`),
 * and the running topology stays exactly as it is. Otherwise the agent applies the difference
 * (Agent.reload). Requests that arrive while a reload runs are merged into one more reload after it.
 */

import { stat } from 'node:fs/promises'
import type { Logger } from 'pino'
import { compileAgent } from '../config/compile.ts'
import { loadConfig } from '../config/load.ts'
import type { MetricsRegistry } from '../core/counters.ts'
import { describeError } from '../core/errors.ts'
import { type Diagnostic, formatDiagnostic } from '../core/spec.ts'
import type { Registry } from '../registry.ts'
import type { Agent, ReloadReport } from './agent.ts'

export type ReloadTrigger = 'signal' | 'watch' | 'api'

export interface ReloadOutcome {
  /** Epoch ms when the reload finished. */
  readonly at: number
  readonly trigger: ReloadTrigger
  /** `applied`: the new configuration runs; `unchanged`: nothing to do; `rejected`: the old one stays. */
  readonly result: 'applied' | 'unchanged' | 'rejected'
  readonly errors: number
  readonly warnings: number
  readonly message: string
  readonly report?: ReloadReport
}

export interface ConfigReloaderOptions {
  readonly agent: Agent
  readonly files: readonly string[]
  readonly sys: ReadonlyMap<string, string>
  readonly env: NodeJS.ProcessEnv
  readonly registry: Registry
  readonly logger: Logger
  readonly metrics: MetricsRegistry
  /** 0 or undefined: no watching (SIGHUP and `reload()` still work). */
  readonly pollIntervalMs?: number
}

export function logDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const fields = { code: d.code, file: d.file, line: d.line, path: d.path, component: d.component }
    if (d.severity === 'warning') logger.warn(fields, formatDiagnostic(d))
    else logger.error(fields, formatDiagnostic(d))
  }
}

/** What identifies a file's version: mtime, size and inode, or `missing`. */
export async function fileStamps(files: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const f of files) {
    try {
      const s = await stat(f, { bigint: true })
      out.set(f, `${s.mtimeNs}:${s.size}:${s.ino}`)
    } catch {
      out.set(f, 'missing')
    }
  }
  return out
}

export class ConfigReloader {
  readonly #o: ConfigReloaderOptions
  #stamps = new Map<string, string>()
  #timer: NodeJS.Timeout | undefined
  #running: Promise<ReloadOutcome> | undefined
  #again: { trigger: ReloadTrigger; promise: Promise<ReloadOutcome> } | undefined
  #stopped = false
  /** The most recent outcomes, newest last (bounded). */
  readonly history: ReloadOutcome[] = []

  constructor(opts: ConfigReloaderOptions) {
    this.#o = opts
  }

  get watching(): boolean {
    return (this.#o.pollIntervalMs ?? 0) > 0
  }

  get pollIntervalMs(): number {
    return this.#o.pollIntervalMs ?? 0
  }

  get last(): ReloadOutcome | undefined {
    return this.history.at(-1)
  }

  /**
   * Starts watching, from the file versions `baseline` (taken before the running configuration was read,
   * so a change made while it was being loaded is not missed).
   */
  start(baseline: Map<string, string>): void {
    this.#stamps = baseline
    if (!this.watching) return
    const poll = async () => {
      this.#timer = undefined
      if (this.#stopped) return
      try {
        const now = await fileStamps(this.#o.files)
        const changed = [...now].filter(([f, s]) => s !== 'missing' && s !== this.#stamps.get(f))
        if (changed.length > 0 && !this.#stopped) {
          this.#o.logger.info({ files: changed.map(([f]) => f) }, 'Configuration file changed; reloading')
          await this.reload('watch')
        }
      } catch (e) {
        this.#o.logger.error({ error: describeError(e) }, 'Configuration watch failed')
      }
      if (!this.#stopped) this.#timer = setTimeout(poll, this.pollIntervalMs).unref()
    }
    this.#timer = setTimeout(poll, this.pollIntervalMs).unref()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Re-reads the files and applies them. Concurrent requests share one follow-up reload. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (this.#running === undefined) {
      this.#running = this.#reload(trigger).finally(() => {
        this.#running = undefined
      })
      return this.#running
    }
    if (this.#again === undefined) {
      const after = this.#running
      const promise = after.then(() => {
        this.#again = undefined
        return this.reload(trigger)
      })
      this.#again = { trigger, promise }
    }
    return this.#again.promise
  }

  #record(o: ReloadOutcome): ReloadOutcome {
    this.history.push(o)
    if (this.history.length > 20) this.history.shift()
    return o
  }

  async #reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { logger, metrics, agent } = this.#o
    if (this.#stopped) {
      return {
        at: Date.now(),
        trigger,
        result: 'rejected',
        errors: 0,
        warnings: 0,
        message: 'agent stopping',
      }
    }
    metrics.addAgent('Reloads')
    const stamps = await fileStamps(this.#o.files)
    // Whatever the outcome, this version of the files has been looked at: do not retry it every poll.
    for (const [f, s] of stamps) if (s !== 'missing') this.#stamps.set(f, s)

    const loaded = await loadConfig({ files: this.#o.files, sys: this.#o.sys, env: this.#o.env })
    const diagnostics: Diagnostic[] = [...loaded.diagnostics]
    let compiled: Awaited<ReturnType<typeof compileAgent>> | undefined
    if (!loaded.fatal) {
      try {
        compiled = await compileAgent({
          agentName: agent.name,
          properties: loaded.properties,
          registry: this.#o.registry,
          env: this.#o.env,
          sys: this.#o.sys,
        })
        diagnostics.push(...compiled.diagnostics)
      } catch (e) {
        diagnostics.push({
          code: 'CONFIG_ERROR',
          severity: 'fatal',
          message: `configuration could not be compiled: ${describeError(e)}`,
        })
      }
    }
    const errors = diagnostics.filter((d) => d.severity !== 'warning').length
    const warnings = diagnostics.length - errors
    if (errors > 0 || compiled === undefined || compiled.fatal) {
      logDiagnostics(logger, diagnostics)
      metrics.addAgent('ReloadFailures')
      metrics.addAgent('ConfigErrors', errors)
      const where = diagnostics
        .filter((d) => d.severity !== 'warning' && d.file !== undefined)
        .map((d) => `${d.file}${d.line === undefined ? '' : `:${d.line}`}`)
      const message = `${errors} configuration error${errors === 1 ? '' : 's'}${where.length > 0 ? ` (${[...new Set(where)].slice(0, 5).join(', ')})` : ''}; the running configuration stays in place`
      logger.error({ trigger, errors, warnings, files: this.#o.files }, `Reload refused: ${message}`)
      return this.#record({ at: Date.now(), trigger, result: 'rejected', errors, warnings, message })
    }
    // Warnings do not block a reload, but are worth seeing again.
    logDiagnostics(logger, diagnostics)
    metrics.addAgent('ConfigWarnings', warnings)
    let report: ReloadReport
    try {
      report = await agent.reload(compiled)
    } catch (e) {
      metrics.addAgent('ReloadFailures')
      const message = `reload failed: ${describeError(e)}`
      logger.error({ trigger, error: describeError(e) }, 'Reload failed')
      return this.#record({ at: Date.now(), trigger, result: 'rejected', errors: 1, warnings, message })
    }
    const changed =
      report.added.length + report.removed.length + report.restarted.length + report.reconfigured.length
    if (changed === 0) {
      logger.info({ trigger }, 'Configuration reloaded: no component changed')
      return this.#record({
        at: Date.now(),
        trigger,
        result: 'unchanged',
        errors: 0,
        warnings,
        message: 'no component changed',
        report,
      })
    }
    const parts = [
      report.added.length > 0 ? `added ${report.added.join(' ')}` : '',
      report.removed.length > 0 ? `removed ${report.removed.join(' ')}` : '',
      report.restarted.length > 0 ? `restarted ${report.restarted.join(' ')}` : '',
      report.reconfigured.length > 0 ? `changed in place ${report.reconfigured.join(' ')}` : '',
    ].filter((p) => p !== '')
    logger.info(
      {
        trigger,
        added: report.added,
        removed: report.removed,
        restarted: report.restarted,
        reconfigured: report.reconfigured,
        unchanged: report.unchanged,
        movedEvents: report.movedEvents,
        lostEvents: report.lostEvents,
        ms: report.ms,
      },
      'Configuration reloaded',
    )
    return this.#record({
      at: Date.now(),
      trigger,
      result: 'applied',
      errors: 0,
      warnings,
      message: parts.join('; '),
      report,
    })
  }
}
