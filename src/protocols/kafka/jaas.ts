/**
 * The part of Java's JAAS configuration syntax Kafka clients use for SASL credentials, as written in
 * `sasl.jaas.config` or in the `KafkaClient { ... };` section of the file named by
 * `-Djava.security.auth.login.config`:
 *
 *   org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr3t";
 *
 * One login module, a control flag, then `key=value` options (values quoted or bare), ended by `;`.
 * Comments (`//`, `/* *\/`) are skipped in files. Quoted values keep everything between the quotes;
 * `\"` and `\\` are unescaped as Java's ConfigFile tokenizer does.
 */

import { readFileSync } from 'node:fs'

export interface JaasEntry {
  readonly loginModule: string
  readonly flag: string
  readonly options: ReadonlyMap<string, string>
}

type Token = { kind: 'word' | 'string' | 'punct'; text: string }

function tokenize(text: string): Token[] | { error: string } {
  const out: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) {
      i++
    } else if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i)
      i = nl < 0 ? text.length : nl + 1
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2)
      if (end < 0) return { error: 'unterminated comment' }
      i = end + 2
    } else if (c === '"' || c === "'") {
      let s = ''
      let j = i + 1
      for (; j < text.length && text[j] !== c; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++
        s += text[j]
      }
      if (j >= text.length) return { error: 'unterminated quoted value' }
      out.push({ kind: 'string', text: s })
      i = j + 1
    } else if ('{};='.includes(c)) {
      out.push({ kind: 'punct', text: c })
      i++
    } else {
      let j = i
      while (j < text.length && !/[\s{};="']/.test(text[j] as string)) j++
      out.push({ kind: 'word', text: text.slice(i, j) })
      i = j
    }
  }
  return out
}

function parseEntry(tokens: Token[], at: number): { entry: JaasEntry; next: number } | { error: string } {
  const mod = tokens[at]
  const flag = tokens[at + 1]
  if (mod?.kind !== 'word') return { error: 'expected a login module class name' }
  if (flag?.kind !== 'word' || !/^(required|requisite|sufficient|optional)$/i.test(flag.text)) {
    return { error: `expected a control flag (required, requisite, sufficient, optional) after ${mod.text}` }
  }
  const options = new Map<string, string>()
  let i = at + 2
  for (;;) {
    const t = tokens[i]
    if (t === undefined) return { error: "missing ';' at the end of the login module entry" }
    if (t.kind === 'punct' && t.text === ';')
      return { entry: { loginModule: mod.text, flag: flag.text, options }, next: i + 1 }
    const eq = tokens[i + 1]
    const v = tokens[i + 2]
    if (t.kind !== 'word' || eq?.text !== '=' || v === undefined || v.kind === 'punct') {
      return { error: `expected key=value, found '${t.text}'` }
    }
    options.set(t.text, v.text)
    i += 3
  }
}

/** Parses a `sasl.jaas.config` value: exactly one login module entry. */
export function parseJaas(text: string): JaasEntry | { error: string } {
  const tokens = tokenize(text)
  if (!Array.isArray(tokens)) return tokens
  const r = parseEntry(tokens, 0)
  if ('error' in r) return r
  if (r.next !== tokens.length) return { error: 'only one login module can be given' }
  return r.entry
}

/** Reads the first login module of a section (default `KafkaClient`) of a JAAS configuration file. */
export function parseJaasFile(path: string, section = 'KafkaClient'): JaasEntry | { error: string } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    return { error: `cannot read the JAAS file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }
  }
  const tokens = tokenize(text)
  if (!Array.isArray(tokens)) return tokens
  let i = 0
  while (i < tokens.length) {
    const name = tokens[i]
    if (name?.kind !== 'word' || tokens[i + 1]?.text !== '{')
      return { error: 'expected a section name and {' }
    let j = i + 2
    const entries: JaasEntry[] = []
    while (tokens[j] !== undefined && tokens[j]?.text !== '}') {
      const r = parseEntry(tokens, j)
      if ('error' in r) return { error: `section ${name.text}: ${r.error}` }
      entries.push(r.entry)
      j = r.next
    }
    if (tokens[j]?.text !== '}') return { error: `section ${name.text} is not closed` }
    j++
    if (tokens[j]?.text === ';') j++
    if (name.text === section) {
      const first = entries[0]
      return first ?? { error: `section ${section} has no login module` }
    }
    i = j
  }
  return { error: `no ${section} section` }
}
