/**
 * What the file channel knows about each data log file while it runs, and how it reads events back from one.
 */

import type { FileHandle } from 'node:fs/promises'
import { open } from 'node:fs/promises'

export interface LogFileState {
  readonly id: number
  readonly dir: string
  readonly path: string
  readonly headerSize: number
  readonly encrypted: boolean
  readonly salt: number
  readonly keyAlias: string
  /** Events of this file in the queue or taken by open transactions. */
  live: number
  /** Every record before this offset is reflected in memory. */
  appliedEnd: number
  /** No more records will be written to it. */
  sealed: boolean
  /** Where the last good record ends, once sealed (−1: not known / still written). */
  validEnd: number
  /** Files whose events this file's take records removed. */
  readonly deps: Set<number>
  /** Opened on the first read; a promise so concurrent first reads share one handle. */
  readFh: Promise<FileHandle> | undefined
  /** Set once deletion is decided; reads of it are a bug. */
  dead: boolean
}

export function newLogFileState(
  init: Pick<LogFileState, 'id' | 'dir' | 'path' | 'headerSize' | 'encrypted' | 'salt' | 'keyAlias'>,
): LogFileState {
  return {
    ...init,
    live: 0,
    appliedEnd: init.headerSize,
    sealed: false,
    validEnd: -1,
    deps: new Set(),
    readFh: undefined,
    dead: false,
  }
}

export function readHandle(f: LogFileState): Promise<FileHandle> {
  if (f.readFh === undefined) {
    const p = open(f.path, 'r')
    f.readFh = p
    // A failed open is not cached: the next read tries again.
    p.catch(() => {
      if (f.readFh === p) f.readFh = undefined
    })
  }
  return f.readFh
}

export async function closeReadHandle(f: LogFileState): Promise<void> {
  const p = f.readFh
  f.readFh = undefined
  if (p === undefined) return
  try {
    await (await p).close()
  } catch {
    // Never opened, or already closed.
  }
}

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got === length ? buf : buf.subarray(0, got)
}
