/**
 * Opens the byte stream an RPC client talks over: TCP (no-delay, keep-alive, like Java's clients), then
 * the zlib layer when compression is on, then TLS — Flume 1.10+'s order, so with both the wire carries
 * zlib(TLS(frames)). Resolves once the stream is usable (TCP connected, TLS handshake done), or rejects
 * within `connectTimeoutMs`.
 */

import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { ConnectionOptions } from 'node:tls'
import { tls } from '../core/builtin-modules.ts'

export interface TransportOptions {
  readonly host: string
  readonly port: number
  readonly connectTimeoutMs: number
  readonly tls?: ConnectionOptions | undefined
  /** zlib layer at this level (avro compression-type = deflate). */
  readonly deflateLevel?: number | undefined
}

export class ConnectError extends Error {
  override readonly name = 'ConnectError'
  readonly code = 'FLUME_ERR_RPC_CONNECT'
}

export async function openTransport(o: TransportOptions): Promise<Duplex> {
  // node:zlib only when compression is on.
  const Zlib =
    o.deflateLevel === undefined
      ? undefined
      : (await import('../protocols/avro-ipc/zlib-stream.ts')).ZlibDuplex
  return new Promise<Duplex>((resolve, reject) => {
    const where = `${o.host}:${o.port}`
    let done = false
    let socket: Socket | undefined
    let stream: Duplex | undefined
    const finish = (err: Error | undefined) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err !== undefined) {
        stream?.destroy()
        socket?.destroy()
        reject(err)
      } else {
        resolve(stream as Duplex)
      }
    }
    const timer = setTimeout(
      () => finish(new ConnectError(`Connection to ${where} timed out after ${o.connectTimeoutMs} ms`)),
      o.connectTimeoutMs,
    )
    socket = netConnect({ host: o.host, port: o.port, noDelay: true, keepAlive: true })
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(new ConnectError(`Cannot connect to ${where}: ${e.code ?? e.message}`, { cause: e })),
    )
    socket.once('connect', () => {
      let s: Duplex = socket as Socket
      if (Zlib !== undefined) s = new Zlib(s, o.deflateLevel)
      if (o.tls === undefined) {
        stream = s
        finish(undefined)
        return
      }
      const t = tls().connect({ ...o.tls, socket: s, ...(isIp(o.host) ? {} : { servername: o.host }) })
      stream = t
      t.once('secureConnect', () => finish(undefined))
      t.once('error', (e: Error) =>
        finish(new ConnectError(`TLS handshake with ${where} failed: ${e.message}`, { cause: e })),
      )
    })
  })
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}
