/**
 * Helpers for file channel tests: channels on temp directories, and quick put/take transactions.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import type { Channel } from '../../../core/channel.ts'
import { Event } from '../../../core/event.ts'
import { type ResolvedFileChannelConfig, resolveConfig } from '../config.ts'
import { FileChannel, type FileChannelOptions } from '../index.ts'

export const silent: Logger = pino({ level: 'silent' })

/** A logger that keeps its lines, for asserting on what the channel reported. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        lines.push(JSON.parse(s) as Record<string, unknown>)
      },
    },
  )
  return { logger, lines }
}

export function tempRoot(prefix = 'flumen-fc-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true })
}

export interface ChannelDirs {
  readonly checkpointDir: string
  readonly dataDirs: readonly string[]
  readonly backupCheckpointDir?: string
}

export function dirsIn(root: string, dataDirs = 1, backup = false): ChannelDirs {
  return {
    checkpointDir: join(root, 'checkpoint'),
    dataDirs: Array.from({ length: dataDirs }, (_, i) => join(root, `data${i + 1}`)),
    ...(backup ? { backupCheckpointDir: join(root, 'backup') } : {}),
  }
}

export function fileConfig(
  dirs: ChannelDirs,
  o: Partial<ResolvedFileChannelConfig> = {},
): ResolvedFileChannelConfig {
  const base = resolveConfig(
    {
      capacity: 1000,
      keepAlive: 0,
      checkpointDir: dirs.checkpointDir,
      useDualCheckpoints: dirs.backupCheckpointDir !== undefined,
      backupCheckpointDir: dirs.backupCheckpointDir,
      compressBackupCheckpoint: false,
      dataDirs: dirs.dataDirs,
      transactionCapacity: 100,
      checkpointInterval: 3_600_000,
      maxFileSize: 1623195647,
      minimumRequiredSpace: 1048576,
      useLogReplayV1: false,
      useFastReplay: false,
      checkpointOnClose: true,
      fsyncPerTransaction: true,
      fsyncInterval: 5,
      encryptionActiveKey: undefined,
      encryptionCipherProvider: undefined,
      encryptionKeyProvider: undefined,
      encryptionKeyProviderProps: new Map(),
    },
    new Map(),
  )
  return { ...base, ...o }
}

export function fileChannel(
  dirs: ChannelDirs,
  o: Partial<ResolvedFileChannelConfig> = {},
  opts: FileChannelOptions & { logger?: Logger; name?: string } = {},
): FileChannel {
  return new FileChannel(opts.name ?? 'c1', fileConfig(dirs, o), opts.logger ?? silent, opts)
}

export const ev = (s: string, headers: Record<string, string> = { n: s }) => Event.fromString(s, headers)

export async function putCommit(ch: Channel, items: readonly string[]): Promise<void> {
  const tx = ch.begin()
  try {
    tx.put(items.map((s) => ev(s)))
    await tx.commit()
  } finally {
    if (tx.state === 'open') await tx.rollback()
    tx.close()
  }
}

export async function takeCommit(ch: Channel, n: number): Promise<string[]> {
  const tx = ch.begin()
  try {
    const got = await tx.take(n)
    await tx.commit()
    return got.map((e) => e.body.toString())
  } finally {
    if (tx.state === 'open') await tx.rollback()
    tx.close()
  }
}

export async function drain(ch: Channel, batch = 100): Promise<string[]> {
  const out: string[] = []
  for (;;) {
    const got = await takeCommit(ch, batch)
    if (got.length === 0) return out
    out.push(...got)
  }
}
