/** Real socket clients for tests (no mocks): a netcat-like TCP line client and a UDP sender. */

import { createSocket } from 'node:dgram'
import { connect, type Socket } from 'node:net'

export interface LineClient {
  readonly socket: Socket
  /** Every reply line received so far. */
  readonly replies: string[]
  send(data: string | Buffer): void
  /** Resolves when `n` reply lines have arrived. */
  waitReplies(n: number, timeoutMs?: number): Promise<string[]>
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>
  end(): void
}

export function lineClient(port: number, host = '127.0.0.1'): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host)
    const replies: string[] = []
    let carry = ''
    const waiters: { n: number; resolve: () => void }[] = []
    socket.on('data', (d: Buffer) => {
      carry += d.toString('utf8')
      const parts = carry.split('\n')
      carry = parts.pop() ?? ''
      replies.push(...parts)
      for (const w of [...waiters]) if (replies.length >= w.n) w.resolve()
    })
    const closed = new Promise<void>((r) => socket.on('close', () => r()))
    socket.on('error', () => {})
    socket.once('connect', () =>
      resolve({
        socket,
        replies,
        closed,
        send: (data) => {
          socket.write(data)
        },
        end: () => socket.end(),
        waitReplies: (n, timeoutMs = 10_000) =>
          new Promise((res, rej) => {
            if (replies.length >= n) {
              res(replies.slice())
              return
            }
            const t = setTimeout(
              () => rej(new Error(`got ${replies.length}/${n} replies: ${JSON.stringify(replies)}`)),
              timeoutMs,
            )
            waiters.push({
              n,
              resolve: () => {
                clearTimeout(t)
                res(replies.slice())
              },
            })
          }),
      }),
    )
    socket.once('error', reject)
  })
}

export async function sendUdp(
  port: number,
  messages: readonly (string | Buffer)[],
  host = '127.0.0.1',
): Promise<void> {
  const s = createSocket('udp4')
  for (const m of messages) await new Promise<void>((r, j) => s.send(m, port, host, (e) => (e ? j(e) : r())))
  s.close()
}
