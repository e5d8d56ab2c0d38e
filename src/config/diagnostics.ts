// Configuration diagnostics: plain, serializable findings that `flumen check` prints and `agent` logs. The
// code is the API (tests and tools branch on it), the message is for people: it names the key and says
// what happens to it.

/**
 * Codes shared with Flume keep Flume's `FlumeConfigurationErrorType` names (PROPERTY_VALUE_NULL,
 * AGENT_NAME_MISSING, PROPERTY_NAME_NULL); the others are flumen's own.
 */
export type ConfigDiagnosticCode =
  /** Value empty after trimming (and substitution): Flume ignores the property. */
  | 'PROPERTY_VALUE_NULL'
  /** Key has no `.` or nothing before the first `.`: Flume ignores the property. */
  | 'AGENT_NAME_MISSING'
  /** Key is `<agent>.` with nothing after the dot: Flume ignores the property. */
  | 'PROPERTY_NAME_NULL'
  /** Key defined more than once; the last definition is used (Flume does the same, silently). */
  | 'DUPLICATE_KEY'
  /** `${...}` names nothing that can be resolved; left as is (Commons Text behaviour). */
  | 'SUBSTITUTION_UNRESOLVED'
  /** `${...}` references loop; the value is left unsubstituted (Flume refuses to start). */
  | 'SUBSTITUTION_CYCLE'
  /** A lookup flumen does not provide (`${java:...}`, some date letters); left as is. */
  | 'SUBSTITUTION_UNSUPPORTED'
  /** `${date:...}` with a pattern Java rejects; left as is (Flume refuses to start). */
  | 'SUBSTITUTION_INVALID_DATE_FORMAT'

export type DiagnosticSeverity = 'error' | 'warning'

export interface ConfigDiagnostic {
  readonly code: ConfigDiagnosticCode
  readonly severity: DiagnosticSeverity
  /** File (or URI) the key was read from. */
  readonly file: string
  /** 1-based line where the key's definition starts. */
  readonly line: number
  readonly key: string
  readonly message: string
}
