/**
 * `thrift` source (org.apache.flume.source.ThriftSource): Flume's ThriftSourceProtocol over Thrift's
 * framed transport, compact protocol by default or binary (reference §3.2, wire §3), plain or TLS.
 *
 * - `append` / `appendBatch` go through the channel processor like the avro source's. A channel failure
 *   answers FAILED (Flume's behaviour). Any other failure answers ERROR — a deliberate difference: Java
 *   lets the exception escape and its processor sends a TApplicationException; both make the client fail
 *   the batch, ERROR keeps the connection usable and says what happened.
 * - `protocol`: Flume compat: the value is validated case-insensitively but only the exact text `binary`
 *   selects the binary protocol (ThriftSource compares with equals()), so `BINARY` runs compact — with a
 *   warning here, since Flume's own thrift sink has the same quirk and existing flows depend on it.
 * - `kerberos = true` (SASL/GSSAPI transport) is not supported: the component is refused with a clear error.
 *
 * Hardening (flumen keys): `max-frame-bytes` (default Thrift's own 16,384,000), `max-connections`,
 * `stall-timeout`, as for the avro source. `threads` is accepted and has no effect.
 */

import type { Duplex } from 'node:stream'
import type { TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../core/channel-processor.ts'
import { SourceCounter } from '../core/counters.ts'
import { ChannelError, describeError } from '../core/errors.ts'
import { Event, newHeaders } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { bool, type ConfigOf, defineSource, int, str } from '../core/spec.ts'
import {
  DEFAULT_MAX_THRIFT_FRAME,
  type DecodedThriftEvent,
  type ThriftProtocolName,
  ThriftResponder,
  type ThriftStatus,
} from '../protocols/thrift/index.ts'
import { RpcServer, rpcServerFields } from './util/rpc-server.ts'
import { buildTlsServerOptions, tlsServerFields } from './util/tls-server.ts'

const fields = {
  ...rpcServerFields(),
  maxFrameBytes: int({
    key: 'max-frame-bytes',
    default: DEFAULT_MAX_THRIFT_FRAME,
    min: 1024,
    doc: "flumen: largest frame accepted, in bytes (Thrift's own default); a larger one closes its connection.",
  }),
  protocol: str({
    key: 'protocol',
    default: 'compact',
    doc: '`compact` or `binary` (only the exact lower-case `binary` selects binary, as in Flume).',
  }),
  kerberos: bool({ key: 'kerberos', default: false, doc: 'SASL/GSSAPI transport: not supported by flumen.' }),
  agentPrincipal: str({
    key: 'agent-principal',
    doc: 'Kerberos principal (accepted; Kerberos is not supported).',
  }),
  agentKeytab: str({ key: 'agent-keytab', doc: 'Kerberos keytab (accepted; Kerberos is not supported).' }),
  ...tlsServerFields(),
}

type ThriftSourceConfig = ConfigOf<typeof fields>

/** Flume compat: the protocol Flume's ThriftSource/ThriftRpcClient really use for a `protocol` value. */
export function effectiveThriftProtocol(value: string): ThriftProtocolName {
  return value === 'binary' ? 'binary' : 'compact'
}

export class ThriftSource {
  readonly counter: SourceCounter
  readonly #cfg: ThriftSourceConfig
  readonly #protocol: ThriftProtocolName
  readonly #processor: ChannelProcessor
  readonly #log: Logger
  readonly #errors: RateLimitedLog
  readonly #tls: TlsOptions | undefined
  readonly #name: string
  #server: RpcServer | undefined

  constructor(
    name: string,
    cfg: ThriftSourceConfig,
    processor: ChannelProcessor,
    logger: Logger,
    tlsOptions: TlsOptions | undefined,
  ) {
    this.#name = name
    this.#cfg = cfg
    this.#protocol = effectiveThriftProtocol(cfg.protocol)
    this.#processor = processor
    this.#log = logger
    this.#errors = new RateLimitedLog(logger)
    this.#tls = tlsOptions
    this.counter = new SourceCounter(name)
  }

  address(): { address: string; port: number } | undefined {
    return this.#server?.address()
  }

  async start(): Promise<void> {
    const cfg = this.#cfg
    this.counter.start()
    const server = new RpcServer({
      label: `Thrift source ${this.#name}`,
      bind: cfg.bind,
      port: cfg.port,
      logger: this.#log,
      counter: this.counter,
      tls: this.#tls,
      maxConnections: cfg.maxConnections,
      stallTimeoutMs: cfg.stallTimeout,
    })
    await server.start(
      (stream: Duplex, _remote, onClose) =>
        new ThriftResponder(stream, this.#handler, {
          protocol: this.#protocol,
          maxFrameBytes: cfg.maxFrameBytes,
          onClose,
          newHeaders: () => newHeaders(),
        }),
    )
    this.#server = server
    this.#log.info(
      {
        bind: cfg.bind,
        port: server.address()?.port,
        protocol: this.#protocol,
        ssl: this.#tls !== undefined,
      },
      'Thrift source listening',
    )
  }

  async stop(): Promise<void> {
    const s = this.#server
    this.#server = undefined
    await s?.stop()
    this.counter.stop()
  }

  readonly #handler = {
    append: (e: DecodedThriftEvent): Promise<ThriftStatus> => this.#put([e], false),
    appendBatch: (events: DecodedThriftEvent[]): Promise<ThriftStatus> => this.#put(events, true),
  }

  async #put(decoded: DecodedThriftEvent[], batch: boolean): Promise<ThriftStatus> {
    const c = this.counter
    const n = decoded.length
    if (batch) c.appendBatchReceivedCount++
    else c.appendReceivedCount++
    c.eventReceivedCount += n
    const events = new Array<Event>(n)
    for (let i = 0; i < n; i++) {
      const d = decoded[i] as DecodedThriftEvent
      events[i] = new Event(d.body, d.headers)
    }
    try {
      await this.#processor.processEventBatch(events)
    } catch (err) {
      const channel = err instanceof ChannelError
      if (channel) c.channelWriteFail++
      else c.genericProcessingFail++
      this.#errors.warn(
        { error: describeError(err), events: n },
        channel
          ? 'Thrift source could not put events on its channels; answered FAILED'
          : 'Thrift source failed to process events; answered ERROR',
      )
      return channel ? 'FAILED' : 'ERROR'
    }
    if (batch) c.appendBatchAcceptedCount++
    else c.appendAcceptedCount++
    c.eventAcceptedCount += n
    return 'OK'
  }
}

export const spec = defineSource({
  type: 'thrift',
  classNames: ['org.apache.flume.source.ThriftSource'],
  summary: "Thrift RPC server speaking Flume's ThriftSourceProtocol (framed, compact or binary).",
  fields,
  validate(cfg) {
    const p = cfg.protocol.trim().toLowerCase()
    const problems: { key: string; message: string }[] = []
    if (p !== 'compact' && p !== 'binary') {
      problems.push({
        key: 'protocol',
        message: 'binary or compact are the only valid Thrift protocol types to choose from',
      })
    }
    if (cfg.kerberos) {
      problems.push({
        key: 'kerberos',
        message: 'Kerberos (SASL/GSSAPI) Thrift transport is not supported by flumen; use ssl = true instead',
      })
    }
    return problems
  },
  async build(cfg, ctx) {
    if (cfg.protocol !== 'binary' && cfg.protocol.trim().toLowerCase() === 'binary') {
      ctx.logger.warn(
        { protocol: cfg.protocol },
        "Flume compat: only the exact text 'binary' selects the binary protocol; this source speaks compact, like Flume's",
      )
    }
    const tlsOptions = await buildTlsServerOptions(cfg, {
      sys: ctx.sys,
      env: process.env,
      logger: ctx.logger,
      component: `SOURCE.${ctx.name}`,
    })
    const s = new ThriftSource(ctx.name, cfg, ctx.processor, ctx.logger, tlsOptions)
    ctx.metrics.register(s.counter)
    return s
  },
})
