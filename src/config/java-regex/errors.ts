// The one error type of the Java regex translator. Callers branch on `code`:
//   FLUME_ERR_REGEX_SYNTAX      Java itself rejects the pattern (or the replacement string);
//   FLUME_ERR_REGEX_UNSUPPORTED Java accepts it, but flumen cannot reproduce Java's behaviour in JavaScript.
// Both are raised at config time, so a bad pattern never reaches the event path.

export type JavaRegexErrorCode = 'FLUME_ERR_REGEX_UNSUPPORTED' | 'FLUME_ERR_REGEX_SYNTAX'

export class JavaRegexError extends Error {
  override readonly name = 'JavaRegexError'
  readonly code: JavaRegexErrorCode
  /** The pattern (or replacement string) as written. */
  readonly pattern: string
  /** UTF-16 offset of the offending construct in `pattern`, or -1 when it is the pattern as a whole. */
  readonly index: number
  /** What java.util.regex reports: PatternSyntaxException.getIndex() for syntax errors, else -1. */
  readonly javaIndex: number
  /** Java's own description (PatternSyntaxException.getDescription()) for syntax errors. */
  readonly javaDescription: string | undefined

  constructor(
    code: JavaRegexErrorCode,
    message: string,
    pattern: string,
    index: number,
    extra?: { javaIndex?: number; javaDescription?: string },
  ) {
    super(message)
    this.code = code
    this.pattern = pattern
    this.index = index
    this.javaIndex = extra?.javaIndex ?? -1
    this.javaDescription = extra?.javaDescription
  }
}

/** The error for a construct Java accepts but flumen cannot reproduce: what it is, and what to write instead. */
export function unsupportedError(
  pattern: string,
  index: number,
  what: string,
  instead: string,
): JavaRegexError {
  const where = index >= 0 ? ` at index ${index}` : ''
  return new JavaRegexError(
    'FLUME_ERR_REGEX_UNSUPPORTED',
    `Java regular expression ${JSON.stringify(pattern)} uses ${what}${where}, which flumen cannot reproduce ` +
      `in JavaScript${instead === '' ? '.' : `: ${instead}.`}`,
    pattern,
    index,
  )
}
