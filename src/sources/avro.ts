/**
 * `avro` source (org.apache.flume.source.AvroSource): an Avro RPC server speaking Flume's
 * AvroSourceProtocol byte for byte (reference §1, §3.1), so Flume's avro sinks, RpcClients, log4j
 * appenders and `flume-ng avro-client` send to it unchanged.
 *
 * - `append` is one event through the channel processor, `appendBatch` one batch (one transaction per
 *   required channel). A channel failure (full, over transactionCapacity, a required channel failing)
 *   answers FAILED — the client retries, nothing is acknowledged that was not committed. Flume compat:
 *   any other failure answers FAILED for appendBatch and an Avro system error for append.
 * - `compression-type = deflate` wraps each connection in a zlib stream (level 6 towards the client, as
 *   Flume); it must match the client, there is no negotiation. `ssl` serves TLS from a PKCS12 or PEM
 *   keystore; with both, the wire is zlib(TLS(frames)) as in Flume 1.10+.
 * - `ipFilter`/`ipFilterRules` accept or refuse connections before anything else is read.
 *
 * Hardening (flumen keys; Flume has no equivalent): `max-frame-bytes` caps one request, `max-connections`
 * the open connections, `max-requests-per-connection` the requests of one connection processed at once,
 * `stall-timeout` how long a request may stay half-received (or replies unread). A violation closes that
 * connection with a logged reason; the source keeps serving everyone else.
 *
 * Deliberate differences: `threads` is accepted and has no effect (it had none in Flume 1.11 either,
 * Avro's NettyServer fixes its thread counts). OpenConnectionCount is live rather than refreshed every
 * 60 s. Bodies stay views into the request's buffer until their events leave the agent.
 */

import type { Duplex } from 'node:stream'
import type { TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ChannelProcessor } from '../core/channel-processor.ts'
import { SourceCounter } from '../core/counters.ts'
import { ChannelError, ConfigError, describeError } from '../core/errors.ts'
import { Event, newHeaders } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { bool, type ConfigOf, defineSource, int, str } from '../core/spec.ts'
import type { DecodedFlumeEvent } from '../protocols/avro/flume-event.ts'
import type { AvroStatus } from '../protocols/avro-ipc/protocol.ts'
import { AvroResponder } from '../protocols/avro-ipc/responder.ts'
import { compileIpFilter, type IpFilter, IpFilterRuleError, parseIpFilterRules } from './util/ip-filter.ts'
import { RpcServer, rpcServerFields } from './util/rpc-server.ts'
import { buildTlsServerOptions, tlsServerFields } from './util/tls-server.ts'

const fields = {
  ...rpcServerFields(),
  compressionType: str({
    key: 'compression-type',
    default: 'none',
    doc: '`deflate` to compress the connection (zlib stream, must match the client), else none.',
  }),
  maxInFlight: int({
    key: 'max-requests-per-connection',
    default: 16,
    min: 1,
    doc: 'flumen: requests of one connection processed concurrently; more are read once one is answered.',
  }),
  ipFilter: bool({ key: 'ipFilter', default: false, doc: 'Filter client connections with ipFilterRules.' }),
  ipFilterRules: str({
    key: 'ipFilterRules',
    doc: 'Comma-separated `<allow|deny>:<ip|name>:<pattern>` rules, first match wins, e.g. `allow:ip:127.*,deny:ip:*`.',
  }),
  ...tlsServerFields(),
}

type AvroSourceConfig = ConfigOf<typeof fields>

export class AvroSource {
  readonly counter: SourceCounter
  readonly #cfg: AvroSourceConfig
  readonly #processor: ChannelProcessor
  readonly #log: Logger
  readonly #errors: RateLimitedLog
  readonly #tls: TlsOptions | undefined
  readonly #filter: IpFilter | undefined
  readonly #name: string
  #server: RpcServer | undefined

  constructor(
    name: string,
    cfg: AvroSourceConfig,
    processor: ChannelProcessor,
    logger: Logger,
    tlsOptions: TlsOptions | undefined,
    filter: IpFilter | undefined,
  ) {
    this.#name = name
    this.#cfg = cfg
    this.#processor = processor
    this.#log = logger
    this.#errors = new RateLimitedLog(logger)
    this.#tls = tlsOptions
    this.#filter = filter
    this.counter = new SourceCounter(name)
  }

  address(): { address: string; port: number } | undefined {
    return this.#server?.address()
  }

  async start(): Promise<void> {
    const cfg = this.#cfg
    this.counter.start()
    const server = new RpcServer({
      label: `Avro source ${this.#name}`,
      bind: cfg.bind,
      port: cfg.port,
      logger: this.#log,
      counter: this.counter,
      tls: this.#tls,
      // Flume compat: the source always compresses its replies at level 6.
      deflateLevel: cfg.compressionType.trim().toLowerCase() === 'deflate' ? 6 : undefined,
      ipFilter: this.#filter,
      maxConnections: cfg.maxConnections,
      stallTimeoutMs: cfg.stallTimeout,
    })
    await server.start((stream: Duplex, _remote, onClose) => {
      return new AvroResponder(stream, this.#handler, {
        maxFrameBytes: cfg.maxFrameBytes,
        maxInFlight: cfg.maxInFlight,
        onClose,
        newHeaders: () => newHeaders(),
      })
    })
    this.#server = server
    this.#log.info(
      {
        bind: cfg.bind,
        port: server.address()?.port,
        compression: cfg.compressionType,
        ssl: this.#tls !== undefined,
        ipFilter: this.#filter !== undefined,
      },
      'Avro source listening',
    )
  }

  async stop(): Promise<void> {
    const s = this.#server
    this.#server = undefined
    await s?.stop()
    this.counter.stop()
  }

  readonly #handler = {
    append: (e: DecodedFlumeEvent): Promise<AvroStatus> => this.#append(e),
    appendBatch: (events: DecodedFlumeEvent[]): Promise<AvroStatus> => this.#appendBatch(events),
  }

  async #append(e: DecodedFlumeEvent): Promise<AvroStatus> {
    const c = this.counter
    c.appendReceivedCount++
    c.eventReceivedCount++
    try {
      await this.#processor.processEvent(new Event(e.body, e.headers))
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err // Flume compat: a system error for append
      c.channelWriteFail++
      this.#errors.warn(
        { error: describeError(err) },
        'Avro source could not put an event on its channels; answered FAILED',
      )
      return 'FAILED'
    }
    c.appendAcceptedCount++
    c.eventAcceptedCount++
    return 'OK'
  }

  async #appendBatch(decoded: DecodedFlumeEvent[]): Promise<AvroStatus> {
    const c = this.counter
    const n = decoded.length
    c.appendBatchReceivedCount++
    c.eventReceivedCount += n
    const events = new Array<Event>(n)
    for (let i = 0; i < n; i++) {
      const d = decoded[i] as DecodedFlumeEvent
      events[i] = new Event(d.body, d.headers)
    }
    try {
      await this.#processor.processEventBatch(events)
    } catch (err) {
      // Flume compat: any failure of the batch answers FAILED.
      c.channelWriteFail++
      this.#errors.warn(
        { error: describeError(err), events: n },
        'Avro source could not put a batch on its channels; answered FAILED',
      )
      return 'FAILED'
    }
    c.appendBatchAcceptedCount++
    c.eventAcceptedCount += n
    return 'OK'
  }
}

export const spec = defineSource({
  type: 'avro',
  classNames: ['org.apache.flume.source.AvroSource'],
  summary: "Avro RPC server speaking Flume's AvroSourceProtocol (avro sinks, RpcClient, avro-client).",
  fields,
  validate(cfg) {
    const problems: { key: string; message: string }[] = []
    if (cfg.ipFilter) {
      if (cfg.ipFilterRules === undefined || cfg.ipFilterRules.trim() === '') {
        problems.push({
          key: 'ipFilterRules',
          message: 'ipFilter is configured with true but ipFilterRules is not defined',
        })
      } else {
        try {
          parseIpFilterRules(cfg.ipFilterRules)
        } catch (e) {
          problems.push({ key: 'ipFilterRules', message: (e as Error).message })
        }
      }
    }
    return problems
  },
  async build(cfg, ctx) {
    const ct = cfg.compressionType.trim().toLowerCase()
    if (ct !== 'none' && ct !== 'deflate') {
      // Flume compat: anything but deflate means no compression.
      ctx.logger.warn(
        { compressionType: cfg.compressionType },
        "compression-type is neither 'none' nor 'deflate'; no compression",
      )
    }
    const tlsOptions = await buildTlsServerOptions(cfg, {
      sys: ctx.sys,
      env: process.env,
      logger: ctx.logger,
      component: `SOURCE.${ctx.name}`,
    })
    let filter: IpFilter | undefined
    if (cfg.ipFilter) {
      try {
        filter = await compileIpFilter(cfg.ipFilterRules ?? '')
      } catch (e) {
        if (e instanceof IpFilterRuleError)
          throw new ConfigError(e.message, { component: `SOURCE.${ctx.name}` })
        throw e
      }
    }
    const s = new AvroSource(ctx.name, cfg, ctx.processor, ctx.logger, tlsOptions, filter)
    ctx.metrics.register(s.counter)
    return s
  },
})
