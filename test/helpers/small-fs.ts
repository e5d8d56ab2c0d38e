/**
 * A small, real filesystem for disk-full tests: a tmpfs of the requested size, or, where tmpfs cannot be
 * mounted, an ext4 image on a loop device. Both need root (CI runs as root). If neither can be mounted the
 * caller gets an error saying why: disk-full tests fail rather than skip.
 *
 *   const fs = await mountSmallFs(16 * 1024 * 1024)
 *   try { ... fs.dir ... } finally { await fs.unmount() }
 */

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface SmallFs {
  readonly dir: string
  readonly kind: 'tmpfs' | 'ext4-loop'
  unmount(): Promise<void>
}

export async function mountSmallFs(bytes: number): Promise<SmallFs> {
  const base = mkdtempSync(join(tmpdir(), 'flumen-smallfs-'))
  const dir = join(base, 'mnt')
  await run('mkdir', ['-p', dir])
  const errors: string[] = []
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0777`, 'tmpfs', dir])
    return {
      dir,
      kind: 'tmpfs',
      unmount: async () => {
        await run('umount', [dir]).catch(() => run('umount', ['-l', dir]))
        rmSync(base, { recursive: true, force: true })
      },
    }
  } catch (e) {
    errors.push(`tmpfs: ${(e as Error).message.trim()}`)
  }
  const image = join(base, 'fs.img')
  try {
    await run('truncate', ['-s', String(bytes), image])
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', image])
    await run('mount', ['-o', 'loop', image, dir])
    return {
      dir,
      kind: 'ext4-loop',
      unmount: async () => {
        await run('umount', [dir]).catch(() => run('umount', ['-l', dir]))
        rmSync(base, { recursive: true, force: true })
      },
    }
  } catch (e) {
    errors.push(`ext4 loop image: ${(e as Error).message.trim()}`)
  }
  rmSync(base, { recursive: true, force: true })
  throw new Error(
    `Cannot mount a small filesystem for the disk-full test (needs root, or a kernel allowing mounts): ${errors.join('; ')}`,
  )
}

/** Fills the filesystem at `dir` with a file so that about `leaveFree` bytes stay available. */
export async function fillTo(dir: string, leaveFree: number, name = 'filler'): Promise<string> {
  const { statfs, open } = await import('node:fs/promises')
  const st = await statfs(dir)
  const free = Number(st.bavail) * Number(st.bsize)
  const size = Math.max(0, free - leaveFree)
  const path = join(dir, name)
  const fh = await open(path, 'w')
  try {
    const chunk = Buffer.alloc(1024 * 1024, 0x55)
    let written = 0
    while (written < size) {
      const n = Math.min(chunk.length, size - written)
      try {
        await fh.write(chunk, 0, n, written)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break
        throw e
      }
      written += n
    }
  } finally {
    await fh.close()
  }
  return path
}
