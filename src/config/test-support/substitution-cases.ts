// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} in plain strings is what is under test
// The documented substitution cases (docs/config-substitution.md): inputs with the results Commons Text
// 1.10.0 gives them under Flume's MapResolver setup. substitute.test.ts checks our engine against these
// expectations; substitute.differential.test.ts checks the expectations themselves against the real jar.

/** Config keys visible to `${NAME}` in every case. */
export const caseConfig: Readonly<Record<string, string>> = {
  A: 'aval',
  B: '${A}-b',
  EMPTY: '',
  ESC: '$${A}',
  DELIM: 'x:-y',
  bar: 'BAR',
  prod_BIND: '1.2.3.4',
  UNSET: 'from-config-UNSET',
  SELF: '${SELF}',
  X: '${Y}',
  Y: '${X}',
  NAME_LOOP: '${${NAME_LOOP}}',
}

/** The whole environment (the oracle JVM gets exactly this plus PATH). */
export const caseEnv: Readonly<Record<string, string>> = {
  HOME: '/home/flume',
  EMPTY_VAR: '',
}

export const caseSystemProperties: Readonly<Record<string, string>> = { env: 'prod' }

/** `null`: a reference loop; Commons Text throws (Flume does not start), flumen reports SUBSTITUTION_CYCLE. */
export const substitutionCases: readonly (readonly [input: string, expected: string | null])[] = [
  ['plain text', 'plain text'],
  ['${A}', 'aval'],
  ['x${A}y${A}', 'xavalyaval'],
  ['${B}', 'aval-b'],
  ['${env:HOME}', '/home/flume'],
  ['${ENV:HOME}', '/home/flume'],
  ['${env:EMPTY_VAR}', ''],
  ['${env:NOPE_NOPE}', '${env:NOPE_NOPE}'],
  ['${env:UNSET}', 'from-config-UNSET'],
  ['${sys:env}', 'prod'],
  ['${Sys:env}', 'prod'],
  ['${${sys:env}_BIND}', '1.2.3.4'],
  ['${foo:bar}', 'BAR'],
  ['${NOPE:-d}', 'd'],
  ['${NOPE:-}', ''],
  ['${a:-}', ''],
  ['${A:-}', 'aval'],
  ['${NOPE:-${A}}', 'aval'],
  ['${NOPE:-${NOPE2}}', '${NOPE2}'],
  ['${A:-b:-c}', 'aval'],
  ['${:-x}', 'x'],
  ['${env:-x}', 'x'],
  ['${EMPTY}', ''],
  ['${EMPTY:-d}', ''],
  ['${${NOPE}:-z}', 'z'],
  ['${${A}}', '${${A}}'],
  ['${${NOPE}}', '${${NOPE}}'],
  ['$${A}', '${A}'],
  ['$$${A}', '$${A}'],
  ['$$$${A}', '$$${A}'],
  ['$${NOPE:-${A}}', '${NOPE:-aval}'],
  ['$${${A}}', '${aval}'],
  ['${ESC}', '${A}'],
  ['${DELIM}', 'x:-y'],
  ['$$', '$$'],
  ['$', '$'],
  ['${', '${'],
  ['${A', '${A'],
  ['${A ${A}', '${A ${A}'],
  ['${A}${', 'aval${'],
  ['}${A}}', '}aval}'],
  ['${A}}', 'aval}'],
  ['{${A}}', '{aval}'],
  ['${}', '${}'],
  ["${f1['KEY']}", "${f1['KEY']}"],
  ['${f1["K"]}', '${f1["K"]}'],
  ['${f1[K]}', '${f1[K]}'],
  ['${SELF}', null],
  ['${X}', null],
  ['${NAME_LOOP}', null],
]
