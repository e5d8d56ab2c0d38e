/** Reading what file_roll sinks wrote. */

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export function rolledFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort((a, b) => {
      // DEFAULT path manager names: <prefix><startMillis>-<n>; order by n numerically.
      const na = Number(a.split('-').pop()?.split('.')[0])
      const nb = Number(b.split('-').pop()?.split('.')[0])
      return na - nb || a.localeCompare(b)
    })
}

/** All lines of all files in a file_roll directory, in file order. */
export function rolledLines(dir: string): string[] {
  const out: string[] = []
  for (const f of rolledFiles(dir)) {
    const text = readFileSync(join(dir, f), 'utf8')
    if (text.length === 0) continue
    for (const l of text.replace(/\n$/, '').split('\n')) out.push(l)
  }
  return out
}
