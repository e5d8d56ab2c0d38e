/**
 * Reads what the `header_and_text` serializer wrote (`{k1=v1, k2=v2} body\n`) back into events, for tests
 * that check an agent's output files (flumen's or Java Flume's). Header values must not contain `, ` or `}`
 * and bodies must not contain newlines — true of the test data that uses it.
 */

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TextEvent {
  readonly headers: Record<string, string>
  readonly body: string
}

export function parseHeaderAndText(text: string): TextEvent[] {
  const out: TextEvent[] = []
  for (const line of text.split('\n')) {
    if (line.length === 0) continue
    const end = line.indexOf('} ')
    if (!line.startsWith('{') || end < 0)
      throw new Error(`not a header_and_text line: ${JSON.stringify(line)}`)
    const headers: Record<string, string> = {}
    const inner = line.slice(1, end)
    if (inner.length > 0) {
      for (const kv of inner.split(', ')) {
        const eq = kv.indexOf('=')
        headers[kv.slice(0, eq)] = kv.slice(eq + 1)
      }
    }
    out.push({ headers, body: line.slice(end + 2) })
  }
  return out
}

/** Every event in every file of a file_roll directory (files in name order). */
export function readRollDir(dir: string): TextEvent[] {
  const files = readdirSync(dir).sort()
  return files.flatMap((f) => parseHeaderAndText(readFileSync(join(dir, f), 'utf8')))
}
