/**
 * `netcatudp` source (org.apache.flume.source.NetcatUdpSource): each datagram becomes one event whose body
 * is the datagram's bytes up to (not including) the first `\n`; the rest is discarded.
 *
 * `remoteAddress` names a header that receives the sender as `/ip:port` (Flume compat: the user guide
 * calls the key `remoteAddressHeader`, which Flume never reads; flumen reads both, preferring
 * `remoteAddress`). With neither set, no address header is added.
 *
 * UDP cannot push back: when the channel refuses an event it is dropped, logged (rate-limited) and
 * counted in ChannelWriteFail and EventDropCount.
 */

import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { SourceCounter } from '../core/counters.ts'
import { describeError } from '../core/errors.ts'
import { Event, newHeaders } from '../core/event.ts'
import { RateLimitedLog } from '../core/rate-limited-log.ts'
import { defineSource, str } from '../core/spec.ts'
import { portField } from './netcat.ts'
import { resolveBindAddress } from './util/bind.ts'
import { MicroBatcher } from './util/micro-batcher.ts'

export const spec = defineSource({
  type: 'netcatudp',
  classNames: ['org.apache.flume.source.NetcatUdpSource'],
  summary: 'One event per UDP datagram (up to its first newline).',
  fields: {
    bind: str({ key: 'bind', default: '0.0.0.0', doc: 'Address to listen on.' }),
    port: portField('port', 'UDP port to listen on.'),
    remoteAddress: str({ key: 'remoteAddress', doc: 'Header that receives the sender address (/ip:port).' }),
    remoteAddressHeader: str({ key: 'remoteAddressHeader', doc: "The user guide's name for remoteAddress." }),
  },
  build(cfg, ctx) {
    const counter = ctx.metrics.register(new SourceCounter(ctx.name))
    counter.extra.set('EventDropCount', 0)
    const header = cfg.remoteAddress ?? cfg.remoteAddressHeader
    const errors = new RateLimitedLog(ctx.logger)
    let socket: Socket | undefined
    const batcher = new MicroBatcher(ctx.processor, {
      maxBatch: Math.min(ctx.processor.maxBatch, 1000),
      maxPending: 100_000,
      onAccepted: (n) => {
        counter.eventAcceptedCount += n
      },
      onDrop: (n, err) => {
        counter.channelWriteFail += n
        counter.add('EventDropCount', n)
        errors.error(
          { error: describeError(err), events: n },
          'Channel refused UDP events; they were dropped',
        )
      },
    })
    return {
      async start() {
        counter.start()
        counter.extra.set('EventDropCount', 0)
        const host = await resolveBindAddress(cfg.bind)
        const s = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', reuseAddr: false })
        s.on('message', (msg, rinfo) => {
          const nl = msg.indexOf(0x0a)
          const headers = newHeaders()
          if (header !== undefined) headers[header] = `/${rinfo.address}:${rinfo.port}`
          counter.eventReceivedCount++
          batcher.push(new Event(Buffer.from(nl < 0 ? msg : msg.subarray(0, nl)), headers))
        })
        return new Promise<void>((resolve, reject) => {
          s.once('error', (e) => {
            // A socket that failed to bind still holds a handle: close it, or the process never exits.
            s.close()
            reject(new Error(`cannot bind UDP ${cfg.bind}:${cfg.port}: ${describeError(e)}`))
          })
          s.bind(cfg.port, host, () => {
            s.removeAllListeners('error')
            s.on('error', (e) => ctx.logger.error({ error: describeError(e) }, 'UDP socket error'))
            socket = s
            ctx.logger.info({ bind: cfg.bind, port: s.address().port }, 'Netcat UDP source listening')
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
