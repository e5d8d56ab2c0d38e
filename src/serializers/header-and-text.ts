/**
 * `header_and_text` serializer (org.apache.flume.serialization.HeaderAndBodyTextEventSerializer): Java's
 * `Map.toString()` of the headers (`{k1=v1, k2=v2}`), a space, the body, then `\n` unless
 * `appendNewline = false`. Header order is the order the headers were set (Java prints HashMap order).
 */

import { type Event, headersToJavaString } from '../core/event.ts'
import { bool, defineSerializer } from '../core/spec.ts'
import { encodeBodies } from './text.ts'

const headerPrefix = (e: Event) => Buffer.from(`${headersToJavaString(e.headers)} `, 'utf8')

export const spec = defineSerializer({
  type: 'header_and_text',
  classNames: ['org.apache.flume.serialization.HeaderAndBodyTextEventSerializer$Builder'],
  summary: 'Writes the headers as {k=v, ...}, a space, the body and a newline.',
  fields: {
    appendNewline: bool({ key: 'appendNewline', default: true, doc: 'Write `\\n` after each event.' }),
  },
  build: (cfg) => () => ({
    supportsReopen: true,
    header: () => undefined,
    write: (events) => encodeBodies(events, cfg.appendNewline, headerPrefix),
    flush: () => undefined,
    footer: () => undefined,
  }),
})
