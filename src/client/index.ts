/**
 * flumen's RPC client SDK — Flume's RpcClient for Node: send events to any Flume-compatible avro or
 * thrift source (Java Flume or flumen) with Flume's client properties.
 *
 * ```ts
 * import { RpcClient } from 'flumen'
 *
 * const client = await RpcClient.create({ 'client.type': 'default_loadbalance', hosts: 'h1 h2',
 *   'hosts.h1': 'collector1:41414', 'hosts.h2': 'collector2:41414', backoff: 'true' })
 * await client.appendBatch([{ headers: { host: 'web1' }, body: 'hello' }])
 * await client.close()
 * ```
 *
 * `RpcClient.create` takes Flume properties (a Map or a plain object of strings, keys as in Flume's
 * RpcClientConfigurationConstants) or typed options ({ type, hosts: ['host:port'], batchSize, ssl, … }).
 */

import { readFile } from 'node:fs/promises'
import { parseProperties } from '../config/properties.ts'
import { AvroRpcClient } from './avro-client.ts'
import {
  type ClientLogger,
  type HostAddress,
  optionsFromProperties,
  type ResolvedClientConfig,
  type RpcClientOptions,
  resolveOptions,
} from './config.ts'
import { FailoverRpcClient } from './failover.ts'
import { LoadBalancingRpcClient } from './load-balancing.ts'
import { ThriftRpcClient } from './thrift-client.ts'
import type { RpcClient as RpcClientContract, RpcEvent } from './types.ts'

export type { ClientLogger, HostAddress, RpcClientOptions, RpcEvent }
export { AvroRpcClient, FailoverRpcClient, LoadBalancingRpcClient, ThriftRpcClient }

export type RpcClient = RpcClientContract

type Properties = ReadonlyMap<string, string> | Readonly<Record<string, string>>

function isOptions(x: RpcClientOptions | Properties): x is RpcClientOptions {
  return !(x instanceof Map) && Array.isArray((x as { hosts?: unknown }).hosts)
}

/** Builds the client a resolved configuration describes (no I/O). */
export function buildRpcClient(cfg: ResolvedClientConfig): RpcClientContract {
  const single = (h: HostAddress): RpcClientContract =>
    cfg.transport === 'thrift' ? new ThriftRpcClient(h, cfg) : new AvroRpcClient(h, cfg)
  switch (cfg.type) {
    case 'failover':
      return new FailoverRpcClient(cfg, single)
    case 'loadbalance':
      return new LoadBalancingRpcClient(cfg, single)
    default:
      return single(cfg.hosts[0] as HostAddress)
  }
}

export const RpcClient = {
  /**
   * A client from Flume properties or typed options. Reads the truststore if TLS is on; does not connect
   * (the first call, or `connect()`, does). Throws ConfigError for invalid settings.
   */
  async create(
    config: RpcClientOptions | Properties,
    options: { logger?: ClientLogger; sys?: ReadonlyMap<string, string> } = {},
  ): Promise<RpcClientContract> {
    const o = isOptions(config) ? config : optionsFromProperties(config, options.logger)
    const withLogger =
      options.logger !== undefined && o.logger === undefined ? { ...o, logger: options.logger } : o
    return buildRpcClient(
      await resolveOptions(withLogger, { env: process.env, ...(options.sys ? { sys: options.sys } : {}) }),
    )
  },

  /** A client from a Flume RpcClient properties file (as `flume-ng avro-client -P`). */
  async fromPropertiesFile(
    path: string,
    options: { logger?: ClientLogger } = {},
  ): Promise<RpcClientContract> {
    const parsed = parseProperties(await readFile(path), path)
    const m = new Map<string, string>()
    for (const [k, e] of parsed.properties) m.set(k, e.value.trim())
    return RpcClient.create(m, options)
  },

  /** Flume's RpcClientFactory.getDefaultInstance: Avro to one host; batch size 0 means 100. */
  getDefaultInstance(host: string, port: number, batchSize = 0): Promise<RpcClientContract> {
    return RpcClient.create({
      type: 'avro',
      hosts: [{ host, port }],
      ...(batchSize > 0 ? { batchSize } : {}),
    })
  },

  /** Flume's RpcClientFactory.getThriftInstance. */
  getThriftInstance(host: string, port: number, batchSize = 0): Promise<RpcClientContract> {
    return RpcClient.create({
      type: 'thrift',
      hosts: [{ host, port }],
      ...(batchSize > 0 ? { batchSize } : {}),
    })
  },
}
