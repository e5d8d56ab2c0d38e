/**
 * `thrift` sink (org.apache.flume.sink.ThriftSink): sends batches to a thrift source (Java Flume or
 * flumen) over Flume's ThriftSourceProtocol — framed transport, compact protocol by default or `binary` —
 * with optional TLS (reference §6.5). One connection (Flume forces the pool to 1). A FAILED, ERROR or
 * UNKNOWN status rolls the batch back. Lifecycle and failure handling: util/rpc-sink.ts.
 *
 * Flume compat: only the exact text `binary` selects the binary protocol (anything else, `BINARY`
 * included, is compact — with a warning); an invalid value falls back to compact with a warning. The key
 * is `reset-connection-interval` (Flume's guide says `connection-reset-interval`; flumen accepts both).
 * `kerberos = true` is refused (no SASL/GSSAPI transport in flumen).
 */

import { type ResolvedClientConfig, SILENT_LOGGER } from '../client/config.ts'
import { ThriftRpcClient } from '../client/thrift-client.ts'
import { SinkCounter } from '../core/counters.ts'
import { bool, defineSink, int, long, str } from '../core/spec.ts'
import { RpcSink, rpcSinkFields } from './util/rpc-sink.ts'
import { sinkTls, sslClientFields } from './util/ssl-fields.ts'

const fields = {
  ...rpcSinkFields(),
  resetConnectionInterval: int({
    key: 'reset-connection-interval',
    aliases: ['connection-reset-interval'],
    default: 0,
    min: 0,
    doc: 'Seconds after which the connection is closed and reopened (0: never).',
  }),
  connectTimeout: long({
    key: 'connect-timeout',
    default: 20_000,
    min: 1000,
    invalid: 'default',
    doc: 'flumen: ms allowed to open the connection (Flume uses the OS default).',
  }),
  protocol: str({ key: 'protocol', default: 'compact', doc: '`compact` or `binary`.' }),
  kerberos: bool({ key: 'kerberos', default: false, doc: 'SASL/GSSAPI transport: not supported by flumen.' }),
  clientPrincipal: str({ key: 'client-principal', doc: 'Kerberos (accepted; not supported).' }),
  clientKeytab: str({ key: 'client-keytab', doc: 'Kerberos (accepted; not supported).' }),
  serverPrincipal: str({ key: 'server-principal', doc: 'Kerberos (accepted; not supported).' }),
  ...sslClientFields({ trustAllCerts: false }),
}

export const spec = defineSink({
  type: 'thrift',
  classNames: ['org.apache.flume.sink.ThriftSink'],
  summary: "Sends events to a thrift source (the next agent) over Flume's Thrift RPC.",
  fields,
  batchSize: (cfg) => cfg.batchSize,
  validate: (cfg) =>
    cfg.kerberos
      ? [
          {
            key: 'kerberos',
            message:
              'Kerberos (SASL/GSSAPI) Thrift transport is not supported by flumen; use ssl = true instead',
          },
        ]
      : [],
  async build(cfg, ctx) {
    const lower = cfg.protocol.trim().toLowerCase()
    if (lower !== 'binary' && lower !== 'compact') {
      ctx.logger.warn(
        { protocol: cfg.protocol },
        "'binary' or 'compact' are the only valid Thrift protocol types to choose from. Defaulting to 'compact'.",
      )
    } else if (lower === 'binary' && cfg.protocol !== 'binary') {
      ctx.logger.warn(
        { protocol: cfg.protocol },
        "Flume compat: only the exact text 'binary' selects the binary protocol; this sink speaks compact, like Flume's",
      )
    }
    const tls = await sinkTls(cfg, ctx, 'Thrift')
    const counter = ctx.metrics.register(new SinkCounter(ctx.name))
    const host = { name: 'h1', host: cfg.hostname, port: cfg.port }
    const clientCfg: ResolvedClientConfig = {
      type: 'thrift',
      transport: 'thrift',
      hosts: [host],
      batchSize: cfg.batchSize,
      connectTimeoutMs: cfg.connectTimeout,
      requestTimeoutMs: cfg.requestTimeout,
      compressionLevel: undefined,
      tls,
      thriftProtocol: cfg.protocol === 'binary' ? 'binary' : 'compact',
      maxConnections: 1,
      maxAttempts: 1,
      hostSelector: 'round_robin',
      backoff: false,
      maxBackoffMs: 30_000,
      logger: SILENT_LOGGER,
    }
    return new RpcSink({
      name: ctx.name,
      label: `Thrift sink ${ctx.name}`,
      peer: `${cfg.hostname}:${cfg.port}`,
      channel: ctx.channel,
      counter,
      logger: ctx.logger,
      batchSize: cfg.batchSize,
      resetConnectionInterval: cfg.resetConnectionInterval,
      makeClient: () => new ThriftRpcClient(host, clientCfg),
    })
  },
})
