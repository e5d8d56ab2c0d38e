/** Syslog codecs with no agent knowledge: framing, Flume's two parsers, timestamps, keepFields. */
export { datagramFrame, type FrameSink, SyslogFrameDecoder } from './framing.ts'
export { KEEP_NONE, type KeepFields, keepsSome, parseKeepFields } from './keep-fields.ts'
export { type FrameCharset, frameCharset, SyslogParser, UTF8_CHARSET } from './syslog-parser.ts'
export { STATUS_INCOMPLETE, STATUS_INVALID, SYSLOG_STATUS, SyslogUtilsParser } from './syslog-utils.ts'
export { parseRfc3164Timestamp, parseRfc5424Timestamp, resolveYearlessTime } from './timestamp.ts'
