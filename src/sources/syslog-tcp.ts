/**
 * `syslogtcp` source (org.apache.flume.source.SyslogTcpSource): syslog over TCP, parsed by Flume's
 * SyslogUtils rules (src/protocols/syslog/syslog-utils.ts: lower-case `priority`/`version` headers).
 *
 * Framing: newline (Flume's) and, unless `framing = newline`, RFC 6587 octet counting; a line of eventSize
 * bytes or more is cut and flagged Incomplete. TLS with `ssl = true` (src/sources/util/tls-server.ts).
 * Flume's undocumented custom layout keys (`format.regex`, `format.search`, `format.replace`,
 * `format.dateFormat`) are supported (src/sources/util/syslog-fields.ts).
 *
 * Differences from Flume, deliberate (docs/network-sources.md):
 * - events of one read are committed in batches instead of one transaction per event;
 * - a full channel pushes back on the sender (socket paused, batch retried) instead of dropping events;
 * - without `host` the source listens on every interface (Flume 1.11 fails to bind);
 * - a last line without `\n` before a clean close becomes an event (Flume drops it);
 * - SourceCounter also has OpenConnectionCount and EventDropCount.
 */

import { SourceCounter } from '../core/counters.ts'
import { Event, newHeaders } from '../core/event.ts'
import { defineSource, str } from '../core/spec.ts'
import { SyslogUtilsParser } from '../protocols/syslog/syslog-utils.ts'
import { portField } from './netcat.ts'
import { HostnameResolver } from './util/client-address.ts'
import {
  clientHeaderFields,
  customFormatField,
  eventSizeField,
  framingField,
  keepFieldsField,
} from './util/syslog-fields.ts'
import { DROP_COUNT, TcpIngest } from './util/syslog-tcp-ingest.ts'
import { buildTlsServerOptions, tlsServerFields } from './util/tls-server.ts'

/** Events per transaction: syslogtcp has no batchSize property, so the channel's transactionCapacity caps it. */
const MAX_BATCH = 1000

export const spec = defineSource({
  type: 'syslogtcp',
  classNames: ['org.apache.flume.source.SyslogTcpSource'],
  summary: 'Syslog (RFC 3164 / RFC 5424) over TCP, newline or octet-counted framing, optional TLS.',
  fields: {
    host: str({ key: 'host', doc: 'Address to listen on (default: all interfaces).' }),
    port: portField('port', 'TCP port to listen on.'),
    eventSize: eventSizeField(),
    keepFields: keepFieldsField(),
    ...clientHeaderFields(),
    framing: framingField(),
    format: customFormatField,
    ...tlsServerFields(),
  },
  async build(cfg, ctx) {
    const tls = await buildTlsServerOptions(cfg, {
      sys: ctx.sys,
      env: process.env,
      logger: ctx.logger,
      component: `SOURCE.${ctx.name}`,
    })
    const counter = ctx.metrics.register(new SourceCounter(ctx.name))
    counter.extra.set(DROP_COUNT, 0)
    const parser = new SyslogUtilsParser({ keepFields: cfg.keepFields, custom: cfg.format })
    const parse = (frame: Buffer, incomplete: boolean): Event => {
      const headers = newHeaders()
      const body = parser.parse(frame, incomplete, headers)
      return new Event(body, headers)
    }
    const ingest = new TcpIngest({
      logger: ctx.logger,
      counter,
      processor: ctx.processor,
      maxBatch: Math.max(1, Math.min(ctx.processor.maxBatch, MAX_BATCH)),
      maxFrame: cfg.eventSize,
      octetCounting: cfg.framing === 'auto',
      clientIPHeader: cfg.clientIPHeader,
      clientHostnameHeader: cfg.clientHostnameHeader,
      resolver: cfg.clientHostnameHeader === undefined ? undefined : new HostnameResolver(),
      tls,
      parserFor: () => parse,
    })
    return {
      async start() {
        counter.start()
        ingest.reset()
        const port = await ingest.listen(cfg.host, cfg.port)
        ctx.logger.info(
          { host: cfg.host ?? '*', port, tls: tls !== undefined, framing: cfg.framing },
          'Syslog TCP source listening',
        )
      },
      async stop() {
        await ingest.stop()
        counter.stop()
      },
    }
  },
})
