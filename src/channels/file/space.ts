/**
 * Free-space watch for the file channel's directories (Flume's minimumRequiredSpace check).
 *
 * Flume calls statfs on every put, take, commit and rollback. Here the free space of each directory is
 * read with an async statfs at start, then estimated: every byte the channel appends is subtracted, and a
 * fresh statfs runs whenever the estimate nears the threshold, every `refreshMs` otherwise (other
 * processes write to the same disk), and every `lowRefreshMs` while space is low, so the channel notices
 * by itself when space comes back. Puts are refused while any directory is below the minimum (or a commit
 * would take it below); takes and checkpoints go on, since they are what frees space. Once refused, puts
 * resume when the refused commit would fit again with a margin to spare (hysteresis: no flapping around
 * the threshold).
 */

import { statfs } from 'node:fs/promises'

export interface SpaceState {
  readonly dir: string
  /** Bytes available to unprivileged users, as of the last statfs minus what was written since. */
  free: number
}

export class DiskSpace {
  readonly #dirs: SpaceState[]
  readonly #minimum: number
  readonly #refreshMs: number
  readonly #lowRefreshMs: number
  readonly #onChange: (low: boolean, state: SpaceState) => void
  #timer: NodeJS.Timeout | undefined
  #refreshing: Promise<void> | undefined
  #low = false
  #lowDir: SpaceState | undefined
  /** Size of the largest commit refused since space got low: puts resume when it fits again. */
  #need = 0
  #stopped = false

  constructor(
    dirs: readonly string[],
    minimum: number,
    onChange: (low: boolean, state: SpaceState) => void,
    opts: { refreshMs?: number; lowRefreshMs?: number } = {},
  ) {
    this.#dirs = [...new Set(dirs)].map((dir) => ({ dir, free: Number.MAX_SAFE_INTEGER }))
    this.#minimum = minimum
    this.#onChange = onChange
    this.#refreshMs = opts.refreshMs ?? 2000
    this.#lowRefreshMs = opts.lowRefreshMs ?? 500
  }

  get minimum(): number {
    return this.#minimum
  }

  /** True while some directory has less than the minimum free. */
  get low(): boolean {
    return this.#low
  }

  /** The directory that is short of space (for messages). */
  get lowDir(): SpaceState | undefined {
    return this.#lowDir
  }

  async start(): Promise<void> {
    this.#stopped = false
    await this.refresh()
    this.#schedule()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Whether `bytes` more can be written to `dir` and still leave the minimum free. */
  hasRoomFor(dir: string, bytes: number): boolean {
    const s = this.#dirs.find((d) => d.dir === dir)
    return s === undefined || s.free - bytes >= this.#minimum
  }

  /** Accounts bytes written to `dir`; triggers a statfs when the estimate gets near the minimum. */
  written(dir: string, bytes: number): void {
    const s = this.#dirs.find((d) => d.dir === dir)
    if (s === undefined) return
    s.free -= bytes
    if (s.free < this.#minimum * 1.5 + 64 * 1024 * 1024) void this.refresh()
  }

  /** Reads the free space of every directory now (coalesced if one is already running). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined))
    return this.#refreshing
  }

  async #refresh(): Promise<void> {
    for (const s of this.#dirs) {
      try {
        const st = await statfs(s.dir)
        s.free = Number(st.bavail) * Number(st.bsize)
      } catch {
        // The directory vanished or the filesystem is unreachable: writes will report the real error.
      }
    }
    // Hysteresis: once low, puts resume only with room for the refused commit plus a margin (1 MiB or 5%
    // of the minimum), so a disk hovering at the threshold does not flap between refusing and accepting.
    const margin = Math.max(this.#need, 1024 * 1024, Math.floor(this.#minimum * 0.05))
    const threshold = this.#minimum + (this.#low ? margin : 0)
    const short = this.#dirs.find((d) => d.free < threshold)
    const low = short !== undefined
    const was = this.#low
    this.#low = low
    this.#lowDir = short
    if (!low) this.#need = 0
    if (low !== was) this.#onChange(low, short ?? (this.#dirs[0] as SpaceState))
  }

  /**
   * A commit of `bytes` does not fit in `dir` (or failed with ENOSPC: `exhausted`): refuse puts from now on,
   * and re-check often until it would fit.
   */
  refuse(dir: string, bytes: number, exhausted = false): void {
    const s = this.#dirs.find((d) => d.dir === dir) ?? this.#dirs[0]
    if (s === undefined) return
    if (exhausted) s.free = 0
    this.#need = Math.max(this.#need, bytes)
    if (!this.#low) {
      this.#low = true
      this.#lowDir = s
      this.#onChange(true, s)
    }
    this.#schedule()
  }

  #schedule(): void {
    if (this.#stopped) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        void this.refresh().finally(() => this.#schedule())
      },
      this.#low ? this.#lowRefreshMs : this.#refreshMs,
    )
    this.#timer.unref()
  }
}
