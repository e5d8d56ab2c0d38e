/**
 * `regex_filter` interceptor (org.apache.flume.interceptor.RegexFilteringInterceptor): keeps events whose
 * body contains a match of the Java regex `regex` (find, not whole-body match), or with
 * `excludeEvents = true` drops them. Flume decodes the body with the JVM default charset; flumen uses
 * UTF-8, the default of every Flume deployment we know.
 */

import { bool, defineInterceptor } from '../core/spec.ts'
import { defaultRegex } from './util/regex-field.ts'

export const spec = defineInterceptor({
  type: 'regex_filter',
  classNames: ['org.apache.flume.interceptor.RegexFilteringInterceptor$Builder'],
  summary: 'Keeps or drops events whose body matches a regex.',
  fields: {
    regex: defaultRegex('regex', '.*', 'Java regex searched for in the body.'),
    excludeEvents: bool({
      key: 'excludeEvents',
      default: false,
      doc: 'Drop matching events instead of keeping them.',
    }),
  },
  build(cfg) {
    const keepMatches = !cfg.excludeEvents
    return {
      intercept(events) {
        return events.filter((e) => cfg.regex.test(e.body.toString('utf8')) === keepMatches)
      },
    }
  },
})
