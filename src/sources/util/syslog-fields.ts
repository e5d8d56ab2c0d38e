/**
 * Properties shared by the syslog sources (syslogtcp, syslogudp, multiport_syslogtcp), parsed as Flume's
 * SyslogSourceConfigurationConstants / SyslogUtils read them.
 */

import { custom, Invalid, oneOf, parseJavaInteger, prefixed, str } from '../../core/spec.ts'
import { KEEP_NONE, type KeepFields, parseKeepFields } from '../../protocols/syslog/keep-fields.ts'
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

/** Flume's undocumented custom layouts (`format.regex`, `format.search`...), which flumen does not support. */
export function customFormatField() {
  return prefixed({
    prefix: 'format.',
    doc: 'Flume’s undocumented custom layouts (format.regex, format.search, format.replace, format.dateFormat): not supported.',
  })
}

export function customFormatProblems(format: ReadonlyMap<string, string>): string[] {
  return format.size > 0
    ? [
        `custom syslog layouts (${[...format.keys()].map((k) => `format.${k}`).join(', ')}) are not supported by flumen; remove them (RFC 3164 and RFC 5424 are parsed without them)`,
      ]
    : []
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
