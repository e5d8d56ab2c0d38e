/**
 * Directory locks for the file channel (Flume's `in_use.lock`): a channel holds one in its checkpoint
 * directory, each data directory and the backup checkpoint directory, so a second channel or a second agent
 * pointed at the same directories refuses to start instead of corrupting the log.
 *
 * Node has no flock(), so the lock is a file created with O_EXCL holding JSON: the owner's pid, its start
 * time from /proc (so a pid reused by an unrelated process after a crash is not mistaken for the owner), the
 * host name, the channel name and a random token. A lock whose owner is gone (kill -9) is stale and is taken
 * over, atomically: the stale file is renamed away (only one contender can rename it), checked to be the one
 * that was judged stale, and a fresh lock is linked in with O_EXCL semantics. A lock written on another host
 * cannot be checked and is never taken over: the message says which file to delete.
 *
 * Within one process a registry of held paths catches two channels of the same agent sharing a directory
 * (the classic "two file channels with the default directories" mistake).
 */

import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, open, readFile, realpath, rename, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ChannelError } from '../../core/errors.ts'

export const LOCK_FILE = 'in_use.lock'

interface LockInfo {
  readonly pid: number
  readonly start: string | null
  readonly host: string
  readonly channel: string
  readonly token: string
  readonly since: string
}

/** Paths (real paths of lock files) held by this process, with the channel holding each. */
const heldHere = new Map<string, string>()

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), if available. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return rest[19] ?? null
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function parse(text: string): LockInfo | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockInfo>
    if (typeof o.pid !== 'number' || typeof o.host !== 'string') return undefined
    return {
      pid: o.pid,
      start: typeof o.start === 'string' ? o.start : null,
      host: o.host,
      channel: typeof o.channel === 'string' ? o.channel : '?',
      token: typeof o.token === 'string' ? o.token : '',
      since: typeof o.since === 'string' ? o.since : '?',
    }
  } catch {
    return undefined
  }
}

/** Why the lock described by `info` is still held, or undefined when it is stale. */
function heldReason(info: LockInfo | undefined, myToken: string): string | undefined {
  if (info === undefined) return undefined // unreadable or half-written: its writer died while creating it
  if (info.token === myToken) return undefined
  if (info.host !== hostname()) {
    return `it was taken on host ${info.host} by pid ${info.pid} (channel ${info.channel}, since ${info.since}); flumen cannot check a process on another host`
  }
  if (info.pid === process.pid) {
    // Our own pid: another channel of this agent holds it (checked through the registry), or it is left over
    // from an earlier process that had the same pid (containers restart at the same pid).
    return undefined
  }
  if (!isAlive(info.pid)) return undefined
  const start = processStartTime(info.pid)
  if (info.start !== null && start !== null && start !== info.start) return undefined // pid reused
  return `process ${info.pid} holds it (channel ${info.channel}, since ${info.since})`
}

export class DirLock {
  readonly path: string
  readonly #token: string
  #key: string | undefined

  private constructor(path: string, token: string) {
    this.path = path
    this.#token = token
  }

  /** Locks `dir` for `channel`, or throws a ChannelError saying who holds it and what to do. */
  static async acquire(dir: string, channel: string, role: string): Promise<DirLock> {
    const real = await realpath(dir)
    const path = join(real, LOCK_FILE)
    const other = heldHere.get(path)
    if (other !== undefined) {
      throw new ChannelError(
        `File channel ${channel} cannot use ${role} ${dir}: channel ${other} of this agent already uses it. Every file channel needs its own checkpointDir and dataDirs (Flume's defaults are shared: set them explicitly)`,
        { component: `CHANNEL.${channel}` },
      )
    }
    const token = randomBytes(12).toString('hex')
    const lock = new DirLock(path, token)
    const info: LockInfo = {
      pid: process.pid,
      start: processStartTime(process.pid),
      host: hostname(),
      channel,
      token,
      since: new Date().toISOString(),
    }
    const body = `${JSON.stringify(info)}\n`
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await createExclusive(path, body)) {
        lock.#key = path
        heldHere.set(path, channel)
        return lock
      }
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue // released meanwhile: try again
        throw e
      }
      const why = heldReason(parse(text), token)
      if (why !== undefined) {
        throw new ChannelError(
          `File channel ${channel} cannot lock its ${role} ${dir}: ${why}. Another agent (or channel) is using the same directories; stop it or point this channel at other directories. If no such process exists, delete ${path}`,
          { component: `CHANNEL.${channel}` },
        )
      }
      // Stale: move it away atomically; only the contender whose rename succeeds replaces it.
      const aside = `${path}.stale-${process.pid}-${token}`
      try {
        await rename(path, aside)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw e
      }
      const moved = await readFile(aside, 'utf8').catch(() => '')
      if (moved !== text) {
        // Someone replaced the stale lock with a live one between our read and our rename: put it back.
        await rename(aside, path).catch(() => {})
        continue
      }
      await unlink(aside).catch(() => {})
    }
    throw new ChannelError(`File channel ${channel} could not lock ${role} ${dir}: the lock keeps changing`, {
      component: `CHANNEL.${channel}`,
    })
  }

  /** Test hook (simulated kill -9): forgets the lock in this process but leaves the file, as a dead owner does. */
  forget(): void {
    if (this.#key !== undefined) heldHere.delete(this.#key)
    this.#key = undefined
  }

  async release(): Promise<void> {
    if (this.#key === undefined) return
    heldHere.delete(this.#key)
    this.#key = undefined
    try {
      const info = parse(await readFile(this.path, 'utf8'))
      if (info?.token === this.#token) await unlink(this.path)
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/** Writes `body` to a new file at `path` if none exists (write to a temp file, then link: all or nothing). */
async function createExclusive(path: string, body: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fh = await open(tmp, 'wx')
  try {
    await fh.writeFile(body)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await link(tmp, path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    await unlink(tmp).catch(() => {})
  }
}
