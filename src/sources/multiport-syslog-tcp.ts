/**
 * `multiport_syslogtcp` source (org.apache.flume.source.MultiportSyslogTCPSource): syslog over TCP on
 * several ports, parsed by Flume's SyslogParser rules (src/protocols/syslog/syslog-parser.ts: capitalised
 * `Priority`/`Version`, UTC for RFC 3164, a `timestamp` header on every parsed event). Each port may have
 * its own charset (`charset.port.<port>`); `portHeader` names a header that receives the port.
 *
 * Events are committed in transactions of up to `batchSize`. Framing, push back, TLS and per-connection
 * hardening are shared with syslogtcp (src/sources/util/syslog-tcp-ingest.ts).
 *
 * Differences from Flume, deliberate (docs/network-sources.md):
 * - a full channel pushes back on the sender instead of dropping the batch;
 * - empty lines are skipped (Flume's parser throws on them and loses the rest of the read);
 * - a port that cannot be bound is retried every 3 s (Flume logs it and never listens on it);
 * - `readBufferBytes` and `numProcessors` are accepted but have no effect (one event loop reads up to
 *   64 KiB at a time);
 * - charsets are UTF-8, US-ASCII or single-byte ones (Flume also takes UTF-16 and multi-byte legacy
 *   charsets, which no syslog sender uses).
 */

import { SourceCounter } from '../core/counters.ts'
import { describeError } from '../core/errors.ts'
import { Event, newHeaders } from '../core/event.ts'
import { sleep } from '../core/runners.ts'
import {
  batchSizeField,
  custom,
  defineSource,
  Invalid,
  int,
  parseJavaInteger,
  prefixed,
  str,
} from '../core/spec.ts'
import { type FrameCharset, frameCharset, SyslogParser } from '../protocols/syslog/syslog-parser.ts'
import { STATUS_INVALID, SYSLOG_STATUS } from '../protocols/syslog/syslog-utils.ts'
import { HostnameResolver } from './util/client-address.ts'
import { clientHeaderFields, eventSizeField, framingField, keepFieldsField } from './util/syslog-fields.ts'
import { DROP_COUNT, type FrameParser, TcpIngest } from './util/syslog-tcp-ingest.ts'
import { buildTlsServerOptions, tlsServerFields } from './util/tls-server.ts'

const BIND_RETRY_MS = 3000

function charsetProblem(key: string, name: string): string | undefined {
  return frameCharset(name) === undefined
    ? `${key}: charset '${name}' is not supported: use UTF-8, US-ASCII or a single-byte charset (ISO-8859-1, windows-1252, KOI8-R...)`
    : undefined
}

export const spec = defineSource({
  type: 'multiport_syslogtcp',
  classNames: ['org.apache.flume.source.MultiportSyslogTCPSource'],
  summary: 'Syslog (RFC 3164 / RFC 5424) over TCP on several ports, with per-port charsets.',
  fields: {
    ports: custom<readonly number[], { key: string; required: true; doc: string }>({
      key: 'ports',
      required: true,
      typeName: 'list of ports',
      doc: 'Space-separated TCP ports to listen on.',
      parse(raw, report) {
        const ports: number[] = []
        for (const p of raw.trim().split(/\s+/)) {
          const n = parseJavaInteger(p, 32)
          if (n === undefined || n < 0 || n > 65535) {
            report(`'${p}' is not a valid port`)
            return Invalid
          }
          ports.push(n)
        }
        return ports
      },
    }),
    host: str({ key: 'host', doc: 'Address to listen on (default: all interfaces).' }),
    eventSize: eventSizeField(),
    keepFields: keepFieldsField(),
    portHeader: str({ key: 'portHeader', doc: 'Header that receives the port the event arrived on.' }),
    ...clientHeaderFields(),
    charsetDefault: str({
      key: 'charset.default',
      default: 'UTF-8',
      doc: 'Charset of the messages: UTF-8, US-ASCII or a single-byte charset (ISO-8859-1, windows-1252...).',
    }),
    charsetPort: prefixed({ prefix: 'charset.port.', doc: 'charset.port.<port>: charset for one port.' }),
    batchSize: batchSizeField('batchSize', 100, 'Largest number of events per channel transaction.'),
    readBufferBytes: int({
      key: 'readBufferBytes',
      default: 1024,
      min: 1,
      aliases: ['readBufferSize'],
      doc: 'Accepted for compatibility; no effect (Node reads up to 64 KiB at a time).',
    }),
    numProcessors: int({ key: 'numProcessors', min: 1, doc: 'Accepted for compatibility; no effect.' }),
    framing: framingField(),
    ...tlsServerFields(),
  },
  validate(cfg) {
    const problems: string[] = []
    const d = charsetProblem('charset.default', cfg.charsetDefault)
    if (d !== undefined) problems.push(d)
    for (const [port, name] of cfg.charsetPort) {
      const n = parseJavaInteger(port, 32)
      if (n === undefined) problems.push(`charset.port.${port}: '${port}' is not a port number`)
      const p = charsetProblem(`charset.port.${port}`, name)
      if (p !== undefined) problems.push(p)
    }
    return problems
  },
  batchSize: (cfg) => cfg.batchSize,
  async build(cfg, ctx) {
    const tls = await buildTlsServerOptions(cfg, {
      sys: ctx.sys,
      env: process.env,
      logger: ctx.logger,
      component: `SOURCE.${ctx.name}`,
    })
    const counter = ctx.metrics.register(new SourceCounter(ctx.name))
    counter.extra.set(DROP_COUNT, 0)
    const parser = new SyslogParser({ keepFields: cfg.keepFields })
    const defaultCharset = frameCharset(cfg.charsetDefault) as FrameCharset
    const charsets = new Map<number, FrameCharset>()
    for (const [port, name] of cfg.charsetPort) {
      charsets.set(Number(port), frameCharset(name) as FrameCharset)
    }
    const parserFor = (localPort: number): FrameParser => {
      const cs = charsets.get(localPort) ?? defaultCharset
      return (frame, incomplete) => {
        const headers = newHeaders()
        const body = parser.parseFrame(frame, incomplete, headers, cs)
        // Flume compat: frames that do not parse count as read failures.
        if (headers[SYSLOG_STATUS] === STATUS_INVALID) counter.eventReadFail++
        return new Event(body, headers)
      }
    }
    const ingest = new TcpIngest({
      logger: ctx.logger,
      counter,
      processor: ctx.processor,
      maxBatch: Math.max(1, Math.min(cfg.batchSize, ctx.processor.maxBatch)),
      maxFrame: cfg.eventSize,
      octetCounting: cfg.framing === 'auto',
      clientIPHeader: cfg.clientIPHeader,
      clientHostnameHeader: cfg.clientHostnameHeader,
      resolver: cfg.clientHostnameHeader === undefined ? undefined : new HostnameResolver(),
      portHeader: cfg.portHeader,
      tls,
      parserFor,
    })
    let retry: Promise<void> | undefined

    /** Binds each port of `ports`; returns those that failed. */
    const bindAll = async (ports: readonly number[]): Promise<number[]> => {
      const failed: number[] = []
      for (const port of ports) {
        try {
          const bound = await ingest.listen(cfg.host, port)
          ctx.logger.info(
            { host: cfg.host ?? '*', port: bound, tls: tls !== undefined },
            'Multiport syslog TCP source listening',
          )
        } catch (e) {
          failed.push(port)
          ctx.logger.error(
            { port, error: describeError(e) },
            `Cannot listen on port ${port}; retrying every 3 s`,
          )
        }
      }
      return failed
    }

    return {
      async start() {
        counter.start()
        ingest.reset()
        let failed = await bindAll(cfg.ports)
        if (failed.length === cfg.ports.length) {
          throw new Error(`cannot listen on any of the ports ${cfg.ports.join(' ')}`)
        }
        if (failed.length > 0) {
          const signal = ingest.stopSignal
          retry = (async () => {
            while (failed.length > 0 && !signal.aborted) {
              await sleep(BIND_RETRY_MS, signal)
              if (!signal.aborted) failed = await bindAll(failed)
            }
          })()
        }
      },
      async stop() {
        await ingest.stop()
        await retry
        counter.stop()
      },
    }
  },
})
