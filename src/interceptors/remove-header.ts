/**
 * `remove_header` interceptor (org.apache.flume.interceptor.RemoveHeaderInterceptor): removes the header
 * `withName`, then every header named in `fromList` (split by the Java regex `fromListSeparator`, default
 * `\s*,\s*`) or whose whole name matches the Java regex `matching`. Nothing configured → no-op.
 */

import { defineInterceptor, str } from '../core/spec.ts'
import { defaultRegex, optionalRegex } from './util/regex-field.ts'

export const spec = defineInterceptor({
  type: 'remove_header',
  classNames: ['org.apache.flume.interceptor.RemoveHeaderInterceptor$Builder'],
  summary: 'Removes headers by name, list or regex.',
  fields: {
    withName: str({ key: 'withName', doc: 'Header to remove.' }),
    fromList: str({ key: 'fromList', doc: 'Headers to remove, separated by fromListSeparator.' }),
    fromListSeparator: defaultRegex('fromListSeparator', '\\s*,\\s*', 'Java regex separating fromList.'),
    matching: optionalRegex('matching', 'Java regex; headers whose whole name matches are removed.'),
  },
  build(cfg) {
    const list = cfg.fromList === undefined ? undefined : new Set(cfg.fromListSeparator.split(cfg.fromList))
    const matching = cfg.matching
    return {
      intercept(events) {
        for (const e of events) {
          const h = e.headers
          if (cfg.withName !== undefined) delete h[cfg.withName]
          if (list === undefined && matching === undefined) continue
          for (const k of Object.keys(h)) {
            if (list?.has(k) === true || matching?.matches(k) === true) delete h[k]
          }
        }
        return events
      },
    }
  },
})
