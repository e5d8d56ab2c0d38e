/**
 * `search_replace` interceptor (org.apache.flume.interceptor.SearchAndReplaceInterceptor): decodes the body
 * with `charset`, replaces every match of the Java regex `searchPattern` with `replaceString` (Java
 * replacement syntax: `$1`, `${name}`, `\$`), and re-encodes it.
 */

import { defineInterceptor, str } from '../core/spec.ts'
import { charsetField } from '../sources/netcat.ts'
import { decode, encode } from '../sources/util/charset.ts'
import { requiredRegex } from './util/regex-field.ts'

export const spec = defineInterceptor({
  type: 'search_replace',
  classNames: ['org.apache.flume.interceptor.SearchAndReplaceInterceptor$Builder'],
  summary: 'Rewrites event bodies with a regex search and replace.',
  fields: {
    searchPattern: requiredRegex('searchPattern', 'Java regex to search for.'),
    replaceString: str({
      key: 'replaceString',
      default: '',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Java replacement syntax, not a template
      doc: 'Replacement in Java syntax: $1 for group 1, ${name} for a named group.',
    }),
    charset: charsetField('charset', 'utf-8', 'Charset of the body.'),
  },
  validate(cfg) {
    try {
      cfg.searchPattern.compileReplacement(cfg.replaceString)
      return []
    } catch (e) {
      return [`replaceString '${cfg.replaceString}': ${(e as Error).message}`]
    }
  },
  build(cfg) {
    const replacement = cfg.searchPattern.compileReplacement(cfg.replaceString)
    return {
      intercept(events) {
        for (const e of events) {
          const text = decode(e.body, cfg.charset)
          const out = cfg.searchPattern.replaceAll(text, replacement)
          if (out !== text) e.body = encode(out, cfg.charset)
        }
        return events
      },
    }
  },
})
