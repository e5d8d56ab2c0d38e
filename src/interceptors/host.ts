/**
 * `host` interceptor (org.apache.flume.interceptor.HostInterceptor): sets a header (default `host`) to this
 * machine's address — its IP (`useIP = true`, default) or its canonical host name — computed once when the
 * interceptor is built, as Java's InetAddress.getLocalHost() does (the host name resolved through the
 * system resolver, so on Debian often 127.0.1.1). When the lookup fails the header is not set.
 */

import { lookup, reverse } from 'node:dns/promises'
import { hostname } from 'node:os'
import { bool, defineInterceptor, str } from '../core/spec.ts'

export async function localHostAddress(): Promise<string | undefined> {
  try {
    return (await lookup(hostname())).address
  } catch {
    return undefined
  }
}

export async function canonicalHostName(): Promise<string | undefined> {
  const ip = await localHostAddress()
  if (ip === undefined) return undefined
  try {
    const names = await reverse(ip)
    return names[0] ?? ip
  } catch {
    // Java falls back to the textual IP when the reverse lookup fails; a host name is more useful.
    return hostname()
  }
}

export const spec = defineInterceptor({
  type: 'host',
  classNames: ['org.apache.flume.interceptor.HostInterceptor$Builder'],
  summary: "Adds this machine's IP address or host name as a header.",
  fields: {
    hostHeader: str({ key: 'hostHeader', default: 'host', doc: 'Header to set.' }),
    useIP: bool({
      key: 'useIP',
      default: true,
      doc: 'Use the IP address (true) or the canonical host name.',
    }),
    preserveExisting: bool({
      key: 'preserveExisting',
      default: false,
      doc: 'Keep an existing header value.',
    }),
  },
  async build(cfg, ctx) {
    const host = cfg.useIP ? await localHostAddress() : await canonicalHostName()
    if (host === undefined)
      ctx.logger.warn('Could not determine the local host address; the host header will not be set')
    return {
      intercept(events) {
        if (host === undefined) return events
        const h = cfg.hostHeader
        for (const e of events) {
          if (cfg.preserveExisting && e.headers[h] !== undefined) continue
          e.headers[h] = host
        }
        return events
      },
    }
  },
})
