/**
 * `syslogudp` source (org.apache.flume.source.SyslogUDPSource): one syslog message per datagram, parsed by
 * Flume's SyslogUtils rules (lower-case `priority`/`version`). Leading newlines of a datagram are skipped
 * and the message ends at the next newline; the rest of the datagram is ignored (Flume compat). Datagrams
 * up to the UDP maximum (65,507 bytes) are read whole.
 *
 * UDP cannot push back: events are grouped into channel batches while the previous batch commits (at most
 * 100,000 waiting), and when the channel refuses a batch its events are dropped — counted in
 * ChannelWriteFail (per failed batch, as Flume counts per failed event), EventDropCount (per event) and
 * logged (rate-limited). An empty datagram counts as EventReadFail.
 */

import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { SourceCounter } from '../core/counters.ts'
import { ChannelError, describeError } from '../core/errors.ts'
import { Event, newHeaders } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { defineSource, str } from '../core/spec.ts'
import { datagramFrame } from '../protocols/syslog/framing.ts'
import { SyslogUtilsParser } from '../protocols/syslog/syslog-utils.ts'
import { portField } from './netcat.ts'
import { resolveBindAddress } from './util/bind.ts'
import { HostnameResolver, javaIp } from './util/client-address.ts'
import { MicroBatcher } from './util/micro-batcher.ts'
import { clientHeaderFields, customFormatField, keepFieldsField } from './util/syslog-fields.ts'
import { DROP_COUNT } from './util/syslog-tcp-ingest.ts'

const MAX_BATCH = 1000
const MAX_PENDING = 100_000

export const spec = defineSource({
  type: 'syslogudp',
  classNames: ['org.apache.flume.source.SyslogUDPSource'],
  summary: 'Syslog (RFC 3164 / RFC 5424) over UDP, one event per datagram.',
  fields: {
    host: str({ key: 'host', doc: 'Address to listen on (default 0.0.0.0; use :: for IPv6).' }),
    port: portField('port', 'UDP port to listen on.'),
    keepFields: keepFieldsField(),
    ...clientHeaderFields(),
    format: customFormatField,
  },
  build(cfg, ctx) {
    const counter = ctx.metrics.register(new SourceCounter(ctx.name))
    counter.extra.set(DROP_COUNT, 0)
    const errors = new RateLimitedLog(ctx.logger)
    const parser = new SyslogUtilsParser({ keepFields: cfg.keepFields, custom: cfg.format })
    const ipHeader = cfg.clientIPHeader
    const hostHeader = cfg.clientHostnameHeader
    const resolver = hostHeader === undefined ? undefined : new HostnameResolver()
    let socket: Socket | undefined
    const batcher = new MicroBatcher(ctx.processor, {
      maxBatch: Math.max(1, Math.min(ctx.processor.maxBatch, MAX_BATCH)),
      maxPending: MAX_PENDING,
      onAccepted: (n) => {
        counter.eventAcceptedCount += n
      },
      onDrop: (n, err) => {
        if (err instanceof ChannelError) counter.channelWriteFail++
        counter.add(DROP_COUNT, n)
        errors.error(
          { error: describeError(err), events: n },
          'Channel refused syslog UDP events; they were dropped',
        )
      },
    })
    const onMessage = (msg: Buffer, address: string) => {
      const frame = datagramFrame(msg)
      if (frame === undefined) {
        counter.eventReadFail++
        return
      }
      const headers = newHeaders()
      const body = parser.parse(frame, false, headers)
      if (ipHeader !== undefined) headers[ipHeader] = javaIp(address)
      const e = new Event(body, headers)
      counter.eventReceivedCount++
      if (hostHeader === undefined || resolver === undefined) {
        batcher.push(e)
        return
      }
      const name = resolver.cached(address)
      if (name !== undefined) {
        headers[hostHeader] = name
        batcher.push(e)
      } else {
        // Datagrams from one sender wait on the same lookup and are pushed in arrival order.
        void resolver.resolve(address).then((n) => {
          headers[hostHeader] = n
          batcher.push(e)
        })
      }
    }
    return {
      async start() {
        counter.start()
        const host = await resolveBindAddress(cfg.host ?? '0.0.0.0')
        const s = createSocket({
          type: isIPv6(host) ? 'udp6' : 'udp4',
          reuseAddr: false,
          recvBufferSize: 4 << 20,
        })
        s.on('message', (msg, rinfo) => onMessage(msg, rinfo.address))
        return new Promise<void>((resolve, reject) => {
          s.once('error', (e) => {
            // A socket that failed to bind still holds a handle: close it, or the process never exits.
            s.close()
            reject(new Error(`cannot bind UDP ${host}:${cfg.port}: ${describeError(e)}`))
          })
          s.bind(cfg.port, host, () => {
            s.removeAllListeners('error')
            s.on('error', (e) => errors.error({ error: describeError(e) }, 'Syslog UDP socket error'))
            socket = s
            ctx.logger.info({ host, port: s.address().port }, 'Syslog UDP source listening')
            resolve()
          })
        })
      },
      async stop() {
        const s = socket
        socket = undefined
        if (s !== undefined) await new Promise<void>((r) => s.close(() => r()))
        await batcher.drain()
        counter.stop()
      },
    }
  },
})
