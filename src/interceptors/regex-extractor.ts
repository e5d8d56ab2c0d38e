/**
 * `regex_extractor` interceptor (org.apache.flume.interceptor.RegexExtractorInterceptor): runs the Java
 * regex `regex` over the body (UTF-8, first match anywhere); capture group i goes to the header named by
 * the i-th serializer of `serializers` (extra groups are ignored; existing headers are overwritten).
 *
 * Serializers: `serializers.<s>.name` (required) and `serializers.<s>.type`: omitted or exactly `DEFAULT`
 * (pass-through), or `org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer` with
 * `serializers.<s>.pattern` (a Joda date pattern; the value becomes epoch ms in the local time zone).
 * Flume compat: `type = default` (lower case, as the user guide shows) fails in Flume because the check is
 * case-sensitive; flumen reports it as the same configuration error, with the fix.
 *
 * Deliberate differences: a group that did not participate in the match leaves the header unset (Flume
 * stores a null value, which later breaks serialization); a value the millis serializer cannot parse
 * leaves the header unset and is logged (Flume throws out of the interceptor and loses the batch).
 */

import { compileDateParser, DatePatternError, type JavaDateParser } from '../config/java-date-parse.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import type { Field } from '../core/spec.ts'
import { defineInterceptor, Invalid } from '../core/spec.ts'
import { requiredRegex } from './util/regex-field.ts'

const MILLIS = 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer'
const PASS_THROUGH = 'org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer'

interface NamedSerializer {
  readonly header: string
  readonly parse: JavaDateParser | undefined
}

const serializersField: Field<readonly NamedSerializer[]> = {
  key: 'serializers',
  aliases: [],
  doc: 'Space-separated serializer names; each has serializers.<s>.name and optional .type/.pattern.',
  typeName: 'list',
  defaultText: undefined,
  required: true,
  consumes: ['serializers', 'serializers.'],
  read(r) {
    const list = r.get('serializers')
    if (list === undefined || list.value.trim() === '') {
      r.error(undefined, "required property 'serializers' is missing", 'MISSING_REQUIRED')
      return Invalid
    }
    const sub = r.prefixed('serializers.')
    const out: NamedSerializer[] = []
    let ok = true
    for (const s of list.value.trim().split(/\s+/)) {
      const name = sub.get(`${s}.name`)?.value
      const type = sub.get(`${s}.type`)?.value ?? 'DEFAULT'
      if (name === undefined || name === '') {
        r.error(
          `serializers.${s}.name`,
          `serializer '${s}' needs a header name (serializers.${s}.name)`,
          'MISSING_REQUIRED',
        )
        ok = false
        continue
      }
      if (type === 'DEFAULT' || type === PASS_THROUGH) {
        out.push({ header: name, parse: undefined })
      } else if (type === MILLIS) {
        const pattern = sub.get(`${s}.pattern`)?.value
        if (pattern === undefined) {
          r.error(
            `serializers.${s}.pattern`,
            `the millis serializer '${s}' needs a date pattern`,
            'MISSING_REQUIRED',
          )
          ok = false
          continue
        }
        try {
          out.push({ header: name, parse: compileDateParser(pattern) })
        } catch (e) {
          r.error(`serializers.${s}.pattern`, e instanceof DatePatternError ? e.message : String(e))
          ok = false
        }
      } else {
        const hint = type.toLowerCase() === 'default' ? " (Flume only accepts 'DEFAULT' in upper case)" : ''
        r.error(
          `serializers.${s}.type`,
          `unknown regex_extractor serializer type '${type}'${hint}`,
          'UNKNOWN_COMPONENT_TYPE',
        )
        ok = false
      }
    }
    return ok ? out : Invalid
  },
}

export const spec = defineInterceptor({
  type: 'regex_extractor',
  classNames: ['org.apache.flume.interceptor.RegexExtractorInterceptor$Builder'],
  summary: 'Copies regex capture groups from the body into headers.',
  fields: {
    regex: requiredRegex('regex', 'Java regex; its groups are extracted.'),
    serializers: serializersField,
  },
  build(cfg, ctx) {
    const errors = new RateLimitedLog(ctx.logger)
    const sers = cfg.serializers
    return {
      intercept(events) {
        for (const e of events) {
          const m = cfg.regex.find(e.body.toString('utf8'))
          if (m === null) continue
          const n = Math.min(m.groupCount, sers.length)
          for (let g = 0; g < n; g++) {
            const value = m.group(g + 1)
            if (value === null) continue
            const s = sers[g] as NamedSerializer
            if (s.parse === undefined) {
              e.headers[s.header] = value
            } else {
              const ms = s.parse.parse(value)
              if (ms === undefined)
                errors.warn(
                  { header: s.header, value },
                  'Extracted value does not match the date pattern; header not set',
                )
              else e.headers[s.header] = String(ms)
            }
          }
        }
        return events
      },
    }
  },
})
