/**
 * UUID interceptor (org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder; flumen also accepts the
 * alias `uuid`): sets a header (default `id`) to `prefix` + a random version-4 UUID. Keeps an existing
 * value by default (`preserveExisting = true`).
 */

import { randomUUID } from 'node:crypto'
import { bool, defineInterceptor, str } from '../core/spec.ts'

export const spec = defineInterceptor({
  type: 'uuid',
  classNames: ['org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder'],
  summary: 'Adds a unique id (UUID v4) header.',
  fields: {
    headerName: str({ key: 'headerName', default: 'id', doc: 'Header to set.' }),
    preserveExisting: bool({ key: 'preserveExisting', default: true, doc: 'Keep an existing header value.' }),
    prefix: str({ key: 'prefix', default: '', doc: 'Text put before the UUID.' }),
  },
  build: (cfg) => ({
    intercept(events) {
      for (const e of events) {
        if (cfg.preserveExisting && e.headers[cfg.headerName] !== undefined) continue
        e.headers[cfg.headerName] = cfg.prefix + randomUUID()
      }
      return events
    },
  }),
})
