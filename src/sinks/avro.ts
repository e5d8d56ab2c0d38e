/**
 * `avro` sink (org.apache.flume.sink.AvroSink): sends batches to the next hop's avro source — Java Flume
 * or flumen — over Flume's Avro RPC (the default RpcClient), with optional deflate and TLS (reference §6.4).
 * The take is committed only after the peer answered OK; see util/rpc-sink.ts for the connection
 * lifecycle and failure handling.
 *
 * Flume compat: `batch-size` below 1 and timeouts below 1000 ms fall back to the defaults with a warning;
 * `maxIoWorkers` is accepted and ignored with Flume's warning. Host names are not checked against the
 * server certificate (Flume's client does not either).
 *
 * Deliberate difference: Flume hands every sink property to the RpcClient factory, so `client.type` or
 * `hosts` could turn an avro sink into a failover client; flumen does not (use a failover sink group).
 */

import { AvroRpcClient } from '../client/avro-client.ts'
import { type ResolvedClientConfig, SILENT_LOGGER } from '../client/config.ts'
import { SinkCounter } from '../core/counters.ts'
import { defineSink, int, long, str } from '../core/spec.ts'
import { RpcSink, rpcSinkFields } from './util/rpc-sink.ts'
import { sinkTls, sslClientFields } from './util/ssl-fields.ts'

const fields = {
  ...rpcSinkFields(),
  connectTimeout: long({
    key: 'connect-timeout',
    default: 20_000,
    min: 1000,
    invalid: 'default',
    doc: 'ms allowed to connect and complete the first call, handshake included (< 1000 → 20000).',
  }),
  compressionType: str({
    key: 'compression-type',
    default: 'none',
    doc: '`deflate` to compress the connection (must match the source).',
  }),
  compressionLevel: int({
    key: 'compression-level',
    default: 6,
    min: 0,
    max: 9,
    invalid: 'default',
    doc: 'Deflate level 0–9.',
  }),
  maxIoWorkers: str({ key: 'maxIoWorkers', doc: 'Ignored (as in Flume 1.11).' }),
  ...sslClientFields({ trustAllCerts: true }),
}

export const spec = defineSink({
  type: 'avro',
  classNames: ['org.apache.flume.sink.AvroSink'],
  summary: "Sends events to an avro source (the next agent) over Flume's Avro RPC.",
  fields,
  batchSize: (cfg) => cfg.batchSize,
  async build(cfg, ctx) {
    if (cfg.maxIoWorkers !== undefined)
      ctx.logger.warn({}, 'Specifying the number of workers is no longer supported')
    const ct = cfg.compressionType.trim().toLowerCase()
    if (ct !== 'none' && ct !== 'deflate') {
      ctx.logger.warn(
        { compressionType: cfg.compressionType },
        "compression-type is neither 'none' nor 'deflate'; no compression",
      )
    }
    const tls = await sinkTls(cfg, ctx, 'Avro')
    const counter = ctx.metrics.register(new SinkCounter(ctx.name))
    const host = { name: 'h1', host: cfg.hostname, port: cfg.port }
    const clientCfg: ResolvedClientConfig = {
      type: 'avro',
      transport: 'avro',
      hosts: [host],
      batchSize: cfg.batchSize,
      connectTimeoutMs: cfg.connectTimeout,
      requestTimeoutMs: cfg.requestTimeout,
      compressionLevel: ct === 'deflate' ? cfg.compressionLevel : undefined,
      tls,
      thriftProtocol: 'compact',
      maxConnections: 1,
      maxAttempts: 1,
      hostSelector: 'round_robin',
      backoff: false,
      maxBackoffMs: 30_000,
      logger: SILENT_LOGGER,
    }
    return new RpcSink({
      name: ctx.name,
      label: `Avro sink ${ctx.name}`,
      peer: `${cfg.hostname}:${cfg.port}`,
      channel: ctx.channel,
      counter,
      logger: ctx.logger,
      batchSize: cfg.batchSize,
      resetConnectionInterval: cfg.resetConnectionInterval,
      makeClient: () => new AvroRpcClient(host, clientCfg),
    })
  },
})
