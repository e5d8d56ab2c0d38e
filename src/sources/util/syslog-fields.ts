/**
 * Properties shared by the syslog sources (syslogtcp, syslogudp, multiport_syslogtcp), parsed as Flume's
 * SyslogSourceConfigurationConstants / SyslogUtils read them.
 */

import { compileDateParser } from '../../config/java-date-parse.ts'
import { compileJavaRegex } from '../../config/java-regex.ts'
import { describeError } from '../../core/errors.ts'
import { custom, type Field, Invalid, oneOf, parseJavaInteger, str } from '../../core/spec.ts'
import { KEEP_NONE, type KeepFields, parseKeepFields } from '../../protocols/syslog/keep-fields.ts'
import type { CustomLayout } from '../../protocols/syslog/syslog-utils.ts'
import { documentedDefault } from './fields.ts'

export const MIN_EVENT_SIZE = 10
export const DEFAULT_EVENT_SIZE = 2500

export function keepFieldsField() {
  const f = custom<KeepFields, { key: string; default: KeepFields; doc: string }>({
    key: 'keepFields',
    default: KEEP_NONE,
    typeName: 'none | all | list of priority version timestamp hostname',
    doc:
      'Header fields kept in the body: none/false (default), all/true (the whole line), or a list of ' +
      'priority, version, timestamp, hostname.',
    parse: (raw) => parseKeepFields(raw),
  })
  return documentedDefault(f, 'none')
}

export function eventSizeField() {
  return custom<number, { key: string; default: number; doc: string }>({
    key: 'eventSize',
    default: DEFAULT_EVENT_SIZE,
    typeName: 'int',
    doc:
      'Largest event in bytes, `<PRI>` included; a longer line is cut into events flagged ' +
      '`flume.syslog.status=Incomplete`. Values under 10 mean 10.',
    parse(raw, report) {
      const n = parseJavaInteger(raw, 32)
      if (n === undefined) {
        report(`'${raw}' is not a valid int`)
        return Invalid
      }
      // Flume compat: SyslogUtils raises anything below its minimum to the minimum.
      return Math.max(MIN_EVENT_SIZE, n)
    },
  })
}

export function clientHeaderFields() {
  return {
    clientIPHeader: str({
      key: 'clientIPHeader',
      doc: "Header that receives the sender's IP address (Java text form).",
    }),
    clientHostnameHeader: str({
      key: 'clientHostnameHeader',
      doc: "Header that receives the sender's host name (reverse lookup; the IP when there is none).",
    }),
  }
}

const FORMAT_KEYS = ['regex', 'search', 'replace', 'dateFormat']

/**
 * Flume's undocumented custom layout for syslogtcp/syslogudp: `format.regex` (a Java regular expression
 * matched against the whole line; groups 1–5 are priority, version, timestamp, hostname, message),
 * `format.search` + `format.replace` (a Java replaceAll on the timestamp group) and `format.dateFormat`
 * (a Java date pattern for it, read in the local zone). Without `format.regex` the other keys do nothing,
 * as in Flume. Every pattern is compiled here, so a bad one is an error at its file:line.
 */
export const customFormatField: Field<CustomLayout | undefined> = {
  key: 'format.*',
  aliases: [],
  doc:
    'Custom layout tried before RFC 5424/3164 (undocumented in Flume): format.regex (Java regex, groups: priority, ' +
    'version, timestamp, hostname, message), format.search + format.replace (applied to the timestamp), ' +
    'format.dateFormat (Java date pattern for the timestamp).',
  typeName: 'map',
  defaultText: undefined,
  required: false,
  consumes: ['format.'],
  read(r) {
    const props = r.prefixed('format.')
    if (props.size === 0) return undefined
    for (const k of props.keys()) {
      if (!FORMAT_KEYS.includes(k))
        r.warn(`format.${k}`, 'unknown custom-layout key; ignored', 'UNKNOWN_PROPERTY')
    }
    const regexText = props.get('regex')?.value
    if (regexText === undefined) {
      r.warn('format', 'format.* keys without format.regex do nothing (as in Flume)', 'INVALID_PROPERTY')
      return undefined
    }
    let ok = true
    const compile = <T>(key: string, f: () => T): T | undefined => {
      try {
        return f()
      } catch (e) {
        ok = false
        r.error(`format.${key}`, describeError(e), 'INVALID_VALUE')
        return undefined
      }
    }
    // Matcher.matches(): the whole line. Non-capturing, so the user's group numbers stay as written.
    const whole = compile('regex', () => compileJavaRegex(`\\A(?:${regexText})\\z`))
    const searchText = props.get('search')?.value
    const replaceText = props.get('replace')?.value
    if (searchText !== undefined && replaceText === undefined) {
      // Flume compat: Flume fails on every matching line (IndexOutOfBoundsException); refuse it up front.
      r.error('format.search', 'format.search needs format.replace', 'MISSING_REQUIRED')
      ok = false
    }
    if (searchText === undefined && replaceText !== undefined) {
      r.warn(
        'format.replace',
        'format.replace without format.search does nothing (as in Flume)',
        'INVALID_PROPERTY',
      )
    }
    const search =
      searchText === undefined || replaceText === undefined
        ? undefined
        : compile('search', () => {
            const re = compileJavaRegex(searchText)
            return { re, replacement: re.compileReplacement(replaceText) }
          })
    const dateText = props.get('dateFormat')?.value
    const date = dateText === undefined ? undefined : compile('dateFormat', () => compileDateParser(dateText))
    if (!ok || whole === undefined) return Invalid
    return {
      match(line) {
        const m = whole.find(line)
        if (m === null) return null
        const out: (string | null)[] = []
        for (let g = 0; g <= m.groupCount; g++) out.push(m.group(g))
        return out
      },
      timestamp(text) {
        if (date === undefined) return undefined
        const t = search === undefined ? text : search.re.replaceAll(text, search.replacement)
        return date.parse(t)
      },
    }
  },
}

export function framingField() {
  return oneOf({
    key: 'framing',
    values: ['auto', 'newline'],
    default: 'auto',
    doc:
      'flumen: auto (default) accepts RFC 6587 octet-counted frames (`<len> <msg>`) next to newline-' +
      'terminated ones; newline reads only newline framing, exactly like Flume.',
  })
}
