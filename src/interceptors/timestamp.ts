/**
 * `timestamp` interceptor (org.apache.flume.interceptor.TimestampInterceptor): sets a header (default
 * `timestamp`) to the current time in epoch milliseconds. Replaces an existing value unless
 * `preserveExisting = true`. Note the key is `headerName`, not `header`. One clock read per batch.
 */

import { bool, defineInterceptor, str } from '../core/spec.ts'

export const spec = defineInterceptor({
  type: 'timestamp',
  classNames: ['org.apache.flume.interceptor.TimestampInterceptor$Builder'],
  summary: 'Adds the current time (epoch ms) as a header.',
  fields: {
    headerName: str({ key: 'headerName', default: 'timestamp', doc: 'Header to set.' }),
    preserveExisting: bool({
      key: 'preserveExisting',
      default: false,
      doc: 'Keep an existing header value.',
    }),
  },
  build: (cfg) => ({
    intercept(events) {
      const now = String(Date.now())
      const h = cfg.headerName
      for (const e of events) {
        if (cfg.preserveExisting && e.headers[h] !== undefined) continue
        e.headers[h] = now
      }
      return events
    },
  }),
})
