/**
 * `text` serializer (org.apache.flume.serialization.BodyTextEventSerializer): the raw body bytes, then
 * `\n` unless `appendNewline = false`. Headers are not written. Files can be appended to after a restart.
 */

import type { Event } from '../core/event.ts'
import { bool, defineSerializer } from '../core/spec.ts'

/** Concatenates bodies (and newlines) into one buffer: one allocation per batch. */
export function encodeBodies(
  events: readonly Event[],
  newline: boolean,
  prefix?: (e: Event) => Buffer,
): Buffer {
  const prefixes = prefix === undefined ? undefined : events.map(prefix)
  let size = 0
  for (let i = 0; i < events.length; i++) {
    size += (events[i] as Event).body.length + (newline ? 1 : 0) + (prefixes?.[i]?.length ?? 0)
  }
  const out = Buffer.allocUnsafe(size)
  let off = 0
  for (let i = 0; i < events.length; i++) {
    const p = prefixes?.[i]
    if (p !== undefined) off += p.copy(out, off)
    off += (events[i] as Event).body.copy(out, off)
    if (newline) out[off++] = 0x0a
  }
  return out
}

export const spec = defineSerializer({
  type: 'text',
  classNames: ['org.apache.flume.serialization.BodyTextEventSerializer$Builder'],
  summary: 'Writes each body, followed by a newline.',
  fields: {
    appendNewline: bool({ key: 'appendNewline', default: true, doc: 'Write `\\n` after each body.' }),
  },
  build: (cfg) => () => ({
    supportsReopen: true,
    header: () => undefined,
    write: (events) => encodeBodies(events, cfg.appendNewline),
    flush: () => undefined,
    footer: () => undefined,
  }),
})
