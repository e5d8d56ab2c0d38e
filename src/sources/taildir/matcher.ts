/**
 * One TAILDIR file group: a directory (taken literally) and a Java regex that must match a whole file name
 * in it (Flume's TaildirMatcher, `FileSystems.getPathMatcher("regex:" + name)`). No recursion; directories
 * are skipped; symbolic links are followed; hidden files are not special (Flume's filter does not skip them).
 *
 * Listing cache (`cachePatternMatching`, Flume's logic): the directory is listed again only when its mtime
 * moved past the last one seen, or when the last listing happened in the same (whole) second as that mtime
 * (a change later in that second would not move a one-second mtime). Otherwise the cached list is returned,
 * so a quiet directory costs one stat per poll. Matches are sorted by file mtime, oldest first, when listed.
 *
 * Unlike Flume, a directory that does not exist (yet) is not fatal: it lists as empty, the problem is
 * logged by the caller, and files are picked up once it appears.
 */

import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { compileJavaRegex, type JavaRegex } from '../../config/java-regex.ts'

export interface MatchedFile {
  readonly path: string
  readonly mtimeMs: number
}

export class TaildirMatcher {
  readonly group: string
  readonly pattern: string
  readonly dir: string
  readonly regex: JavaRegex
  readonly #cache: boolean
  #lastSeenDirMtime = -1
  #lastCheckedTime = -1
  #last: MatchedFile[] = []
  /** Last listing error (code), so the caller can report a change once. */
  error: string | undefined

  /** Throws (JavaRegexError) when the file-name part is not a valid Java regex. */
  constructor(group: string, pattern: string, cachePatternMatching: boolean) {
    this.group = group
    this.pattern = pattern
    // Split at the last '/' like java.io.File (trailing slashes dropped); never normalise the regex part.
    const p = pattern.replace(/\/+$/, '')
    const cut = p.lastIndexOf('/')
    this.dir = resolve(cut < 0 ? '.' : cut === 0 ? '/' : p.slice(0, cut))
    this.regex = compileJavaRegex(p.slice(cut + 1))
    this.#cache = cachePatternMatching
  }

  /** Whether a bare file name matches this group's regex (whole-name match). */
  matches(name: string): boolean {
    return this.regex.matches(name)
  }

  /** Matching regular files, oldest mtime first (possibly served from the cache). */
  async list(): Promise<readonly MatchedFile[]> {
    const now = Math.floor(Date.now() / 1000) * 1000
    let dirMtime: number
    try {
      dirMtime = (await stat(this.dir)).mtimeMs
    } catch (e) {
      this.error = (e as NodeJS.ErrnoException).code ?? String(e)
      this.#last = []
      this.#lastSeenDirMtime = -1
      return this.#last
    }
    if (!this.#cache || this.#lastSeenDirMtime < dirMtime || !(dirMtime < this.#lastCheckedTime)) {
      this.#last = await this.#listNoCache()
      this.#lastSeenDirMtime = dirMtime
      this.#lastCheckedTime = now
    }
    return this.#last
  }

  async #listNoCache(): Promise<MatchedFile[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
      this.error = undefined
    } catch (e) {
      this.error = (e as NodeJS.ErrnoException).code ?? String(e)
      return []
    }
    const out: MatchedFile[] = []
    for (const name of names) {
      if (!this.regex.matches(name)) continue
      const path = join(this.dir, name)
      try {
        const st = await stat(path)
        if (st.isDirectory()) continue
        out.push({ path, mtimeMs: st.mtimeMs })
      } catch {
        // deleted in the meantime
      }
    }
    out.sort((a, b) => a.mtimeMs - b.mtimeMs)
    return out
  }
}
