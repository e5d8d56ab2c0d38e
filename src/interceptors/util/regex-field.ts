/** Config fields holding a Java regular expression, compiled (and checked) when the config is read. */

import { compileJavaRegex, type JavaRegex, JavaRegexError } from '../../config/java-regex.ts'
import { custom, type Field, Invalid } from '../../core/spec.ts'

function parse(raw: string, report: (msg: string) => void): JavaRegex | typeof Invalid {
  try {
    return compileJavaRegex(raw)
  } catch (e) {
    report(e instanceof JavaRegexError ? e.message : `invalid regex '${raw}': ${(e as Error).message}`)
    return Invalid
  }
}

export function requiredRegex(key: string, doc: string): Field<JavaRegex> {
  return custom<JavaRegex, { key: string; doc: string; required: true }>({
    key,
    doc,
    required: true,
    typeName: 'Java regex',
    parse,
  })
}

export function defaultRegex(key: string, dflt: string, doc: string): Field<JavaRegex> {
  return custom<JavaRegex, { key: string; doc: string; default: JavaRegex }>({
    key,
    doc,
    default: compileJavaRegex(dflt),
    defaultText: dflt,
    typeName: 'Java regex',
    parse,
  })
}

export function optionalRegex(key: string, doc: string): Field<JavaRegex | undefined> {
  return custom<JavaRegex, { key: string; doc: string }>({ key, doc, typeName: 'Java regex', parse })
}
