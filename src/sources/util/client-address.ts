/**
 * Client address headers (`clientIPHeader`, `clientHostnameHeader` of the syslog sources), written the way
 * Java writes them so header values match Flume's:
 * - the IP as `InetAddress.getHostAddress()` prints it: IPv4 dotted (also for IPv4-mapped IPv6 peers of a
 *   dual-stack listener), IPv6 as eight hex groups without leading zeros (`0:0:0:0:0:0:0:1`);
 * - the host name from a reverse lookup through the system resolver (getnameinfo: /etc/hosts, DNS...), or
 *   the IP when there is none — `getHostName()`'s result.
 *
 * Lookups are asynchronous (Flume blocks a worker thread on each) and cached for 30 s (the JVM's
 * positive-lookup cache time), in a bounded cache so spoofed UDP senders cannot grow it without limit.
 */

import { lookupService } from 'node:dns/promises'
import { isIP, isIPv6 } from 'node:net'

export function javaIp(address: string | undefined): string {
  if (address === undefined) return ''
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7)
  if (!isIPv6(address.split('%')[0] as string)) return address
  const [addr, scope] = address.split('%') as [string, string | undefined]
  const halves = addr.split('::')
  const parse = (s: string): string[] => (s === '' ? [] : s.split(':'))
  let groups: string[]
  if (halves.length === 2) {
    const head = parse(halves[0] as string)
    const tail = parse(halves[1] as string)
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail]
  } else {
    groups = parse(addr)
  }
  // An embedded IPv4 tail (::1.2.3.4 forms other than mapped) becomes two groups.
  const last = groups[groups.length - 1]
  if (last?.includes('.')) {
    const o = last.split('.').map(Number) as [number, number, number, number]
    groups.splice(groups.length - 1, 1, ((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16))
  }
  const text = groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':')
  return scope === undefined ? text : `${text}%${scope}`
}

const TTL_MS = 30_000
const MAX_ENTRIES = 10_000

export class HostnameResolver {
  readonly #cache = new Map<string, { name: string; until: number }>()
  readonly #pending = new Map<string, Promise<string>>()

  /** The cached name for `ip`, or undefined when a lookup is needed. */
  cached(ip: string): string | undefined {
    const hit = this.#cache.get(ip)
    if (hit === undefined) return undefined
    if (hit.until < Date.now()) {
      this.#cache.delete(ip)
      return undefined
    }
    return hit.name
  }

  /** Resolves `ip` (as written by the socket) to a host name, or to the Java-style IP when there is none. */
  resolve(ip: string): Promise<string> {
    const hit = this.cached(ip)
    if (hit !== undefined) return Promise.resolve(hit)
    let p = this.#pending.get(ip)
    if (p === undefined) {
      p = lookupService(ip, 9).then(
        (r) => (isIP(r.hostname) === 0 ? r.hostname : javaIp(r.hostname)),
        () => javaIp(ip),
      )
      p = p.then((name) => {
        this.#pending.delete(ip)
        if (this.#cache.size >= MAX_ENTRIES) {
          const oldest = this.#cache.keys().next()
          if (oldest.done !== true) this.#cache.delete(oldest.value)
        }
        this.#cache.set(ip, { name, until: Date.now() + TTL_MS })
        return name
      })
      this.#pending.set(ip, p)
    }
    return p
  }
}
