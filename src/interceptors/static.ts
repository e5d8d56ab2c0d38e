/**
 * `static` interceptor (org.apache.flume.interceptor.StaticInterceptor): sets one fixed header `key` =
 * `value` (defaults `key`/`value`). Keeps an existing value by default (`preserveExisting = true`); chain
 * several interceptors for several headers.
 */

import { bool, defineInterceptor, str } from '../core/spec.ts'

export const spec = defineInterceptor({
  type: 'static',
  classNames: ['org.apache.flume.interceptor.StaticInterceptor$Builder'],
  summary: 'Adds a fixed header.',
  fields: {
    key: str({ key: 'key', default: 'key', doc: 'Header name.' }),
    value: str({ key: 'value', default: 'value', doc: 'Header value.' }),
    preserveExisting: bool({ key: 'preserveExisting', default: true, doc: 'Keep an existing header value.' }),
  },
  build: (cfg) => ({
    intercept(events) {
      for (const e of events) {
        if (cfg.preserveExisting && e.headers[cfg.key] !== undefined) continue
        e.headers[cfg.key] = cfg.value
      }
      return events
    },
  }),
})
