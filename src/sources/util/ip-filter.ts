/**
 * The avro source's `ipFilter` / `ipFilterRules` (AvroSource.generateRule + Flume's netty PatternRule +
 * Netty's RuleBasedIpFilter): rules are `<allow|deny>:<ip|name>:<pattern>`, comma separated; the first
 * rule that matches the client decides, and a client no rule matches is accepted.
 *
 * Flume compat (PatternRule): a pattern is a Java regex in which only `.`, `*` and `?` are rewritten
 * (`.` literal, `*` any run, `?` one character) and it must match the whole text; `ip` rules test the
 * client's address text, `name` rules its reverse-DNS host name (looked up only when a name rule is
 * reached), and `name:localhost` matches the loopback/local host address itself. IPv4-mapped IPv6
 * addresses (`::ffff:10.0.0.1`) are tested as the IPv4 address Java would see.
 */

import { lookupService } from 'node:dns/promises'
import { hostname } from 'node:os'
import type { JavaRegex } from '../../config/java-regex.ts'

interface Rule {
  readonly text: string
  readonly allow: boolean
  readonly localhost: boolean
  readonly ip: JavaRegex | undefined
  readonly name: JavaRegex | undefined
}

export class IpFilterRuleError extends Error {
  override readonly name = 'IpFilterRuleError'
}

function translate(pattern: string): string {
  return pattern.replace(/\./g, '\\.').replace(/\*/g, '.*').replace(/\?/g, '.')
}

interface RuleText {
  readonly text: string
  readonly allow: boolean
  readonly kind: 'ip' | 'name'
  readonly pattern: string
}

/**
 * Checks the syntax of `ipFilterRules` (no regex compiled: cheap enough for configuration checks); throws
 * IpFilterRuleError with Flume's wording for a malformed rule.
 */
export function parseIpFilterRules(text: string): readonly RuleText[] {
  if (text.trim() === '')
    throw new IpFilterRuleError('ipFilter is configured with true but ipFilterRules is not defined')
  const rules: RuleText[] = []
  for (const raw of text.split(',')) {
    const def = raw.trim()
    const bad = () =>
      new IpFilterRuleError(
        `Invalid ipFilter patternRule '${def}' should look like <'allow'  or 'deny'>:<'ip' or 'name'>:<pattern>`,
      )
    const c1 = def.indexOf(':')
    if (c1 < 0) throw bad()
    const access = def.slice(0, c1)
    const c2 = def.indexOf(':', c1 + 1)
    if ((access !== 'allow' && access !== 'deny') || c2 < 0) throw bad()
    const kind = def.slice(c1 + 1, c2)
    if (kind !== 'ip' && kind !== 'name') throw bad()
    rules.push({ text: def, allow: access === 'allow', kind, pattern: def.slice(c2 + 1).trim() })
  }
  return rules
}

/** Parses and compiles `ipFilterRules` (the Java regex translator is loaded only here, when ipFilter is on). */
export async function compileIpFilter(text: string): Promise<IpFilter> {
  const { compileJavaRegex } = await import('../../config/java-regex.ts')
  const rules: Rule[] = []
  for (const r of parseIpFilterRules(text)) {
    const localhost = r.kind === 'name' && r.pattern === 'localhost'
    let re: JavaRegex | undefined
    if (!localhost && r.pattern !== '') {
      try {
        re = compileJavaRegex(`(${translate(r.pattern)})`)
      } catch (e) {
        throw new IpFilterRuleError(
          `Invalid ipFilter pattern '${r.pattern}' in '${r.text}': ${(e as Error).message}`,
        )
      }
    }
    rules.push({
      text: r.text,
      allow: r.allow,
      localhost,
      ip: r.kind === 'ip' ? re : undefined,
      name: r.kind === 'name' ? re : undefined,
    })
  }
  return new IpFilter(rules)
}

export interface IpFilterDecision {
  readonly allowed: boolean
  /** The rule that decided, or undefined when none matched (accepted). */
  readonly rule: string | undefined
}

export class IpFilter {
  readonly #rules: readonly Rule[]
  readonly #needsNames: boolean

  constructor(rules: readonly Rule[]) {
    this.#rules = rules
    this.#needsNames = rules.some((r) => r.name !== undefined)
  }

  get size(): number {
    return this.#rules.length
  }

  /** Decides for a client address (as Node reports it). Resolves the host name only if a name rule needs it. */
  async check(address: string): Promise<IpFilterDecision> {
    const ip = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
    let name: string | undefined
    for (const r of this.#rules) {
      let match = false
      if (r.localhost) match = isLocalhost(ip)
      else if (r.ip !== undefined) match = r.ip.matches(ip)
      else if (r.name !== undefined) {
        if (name === undefined && this.#needsNames) name = await reverseName(ip)
        match = r.name.matches(name ?? ip)
      }
      if (match) return { allowed: r.allow, rule: r.text }
    }
    return { allowed: true, rule: undefined }
  }
}

function isLocalhost(ip: string): boolean {
  // PatternRule: the local host's address or 127.0.0.1 (InetAddress.getAllByName("127.0.0.1")).
  return ip === '127.0.0.1' || ip === '::1' || ip === localAddress()
}

let local: string | undefined
function localAddress(): string {
  if (local === undefined) {
    // InetAddress.getLocalHost() resolves the host name; the loopback literal is the common answer.
    local = hostname() === 'localhost' ? '127.0.0.1' : ''
  }
  return local
}

/**
 * Java's InetAddress.getHostName(): the system resolver's name for the address (/etc/hosts, then DNS —
 * getnameinfo, as Java), or the address text when there is none.
 */
async function reverseName(ip: string): Promise<string> {
  try {
    return (await lookupService(ip, 0)).hostname
  } catch {
    return ip
  }
}
