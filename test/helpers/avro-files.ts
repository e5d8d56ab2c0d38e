/** Reading events back from `file_roll` sinks that use the `avro_event` serializer (Java Flume's or ours). */

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AvroReader } from '../../src/protocols/avro/binary.ts'
import { decodeContainer } from '../../src/protocols/avro/container.ts'
import { readFlumeEvent } from '../../src/protocols/avro/flume-event.ts'
import { rolledFiles } from './files.ts'

export interface StoredEvent {
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * Every event in the avro_event container files of `dir`, in file order. A file still being written
 * (a partial block at its end) is read up to its last complete block.
 */
export function avroEventsIn(dir: string): StoredEvent[] {
  if (!existsSync(dir)) return []
  const out: StoredEvent[] = []
  for (const f of rolledFiles(dir)) {
    const buf = readFileSync(join(dir, f))
    if (buf.length === 0) continue
    let blocks: ReturnType<typeof decodeContainer>['blocks']
    try {
      blocks = decodeContainer(buf).blocks
    } catch {
      // Written concurrently: retry on a shorter view until the complete blocks decode.
      blocks = []
      for (let end = buf.length - 1; end > 0; end--) {
        try {
          blocks = decodeContainer(buf.subarray(0, end)).blocks
          break
        } catch {}
      }
    }
    for (const b of blocks) {
      const r = new AvroReader(b.data)
      for (let i = 0; i < b.count; i++) {
        const e = readFlumeEvent(r)
        out.push({ headers: { ...e.headers }, body: e.body.toString('utf8') })
      }
    }
  }
  return out
}
