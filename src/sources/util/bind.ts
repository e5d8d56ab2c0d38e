/**
 * Resolves a source's `bind`/`host` setting the way Java does before listening: a host name resolves with
 * IPv4 addresses first (java.net.preferIPv6Addresses defaults to false), so `bind = localhost` listens on
 * 127.0.0.1 as in Flume, where Node's default resolver order could pick ::1 and leave IPv4 clients
 * refused. IP literals pass through unchanged.
 */

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'

export async function resolveBindAddress(host: string): Promise<string> {
  if (isIP(host) !== 0) return host
  try {
    return (await lookup(host, { order: 'ipv4first' })).address
  } catch (e) {
    throw new Error(
      `cannot resolve bind address '${host}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    )
  }
}
