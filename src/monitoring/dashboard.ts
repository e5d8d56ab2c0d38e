/**
 * The dashboard on the monitoring port: the page (`/`), its script (`/dashboard.js`), one status frame as
 * JSON (`/api/status`) and the live stream (`/api/events`, server-sent events, one frame per second).
 *
 * Loaded by ./routes.ts on the first dashboard request; the page and script are read from disk then and
 * kept (about 30 kB). They are plain files (./dashboard/), no build step, no CDN: the page works on a
 * machine without internet access and behind a reverse proxy (all its URLs are relative).
 *
 * Sampling runs only while someone watches: the stream's timer starts with the first client and stops with
 * the last. Streams are bounded: at most MAX_STREAMS clients, and a client that does not read its stream
 * (more than MAX_BUFFERED bytes waiting) is disconnected.
 */

import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type StatusFrame, type StatusProvider, StatusSampler } from './status.ts'

export const MAX_STREAMS = 32
const MAX_BUFFERED = 1 << 20
const TICK_MS = 1000

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html;charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html;charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript;charset=utf-8' },
}

export interface Dashboard {
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean>
  close(): void
}

export function createDashboard(provider: StatusProvider): Dashboard {
  const cache = new Map<string, Buffer>()
  const streams = new Set<ServerResponse>()
  const streamSampler = new StatusSampler(provider)
  const pollSampler = new StatusSampler(provider)
  let timer: NodeJS.Timeout | undefined
  let latest: StatusFrame | undefined

  const asset = async (file: string): Promise<Buffer> => {
    let b = cache.get(file)
    if (b === undefined) {
      b = await readFile(new URL(`./dashboard/${file}`, import.meta.url))
      cache.set(file, b)
    }
    return b
  }

  const send = (res: ServerResponse, frame: StatusFrame) => {
    if (res.writableLength > MAX_BUFFERED) {
      res.destroy()
      return
    }
    res.write(`data: ${JSON.stringify(frame)}\n\n`)
  }

  const tick = () => {
    latest = streamSampler.frame()
    for (const res of streams) send(res, latest)
  }

  const drop = (res: ServerResponse) => {
    streams.delete(res)
    if (streams.size === 0 && timer !== undefined) {
      clearInterval(timer)
      timer = undefined
    }
  }

  return {
    async handle(req, res, path, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end()
        return true
      }
      const a = ASSETS[path]
      if (a !== undefined) {
        const body = await asset(a.file)
        res.writeHead(200, {
          'content-type': a.type,
          'content-length': body.length,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          'content-security-policy':
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
        })
        res.end(req.method === 'HEAD' ? undefined : body)
        return true
      }
      if (path === '/api/status') {
        // A poller (curl, scripts) gets rates against its previous request, as long as it asks again
        // within a minute; while a live stream runs, its last frame is returned.
        const frame = timer !== undefined && latest !== undefined ? latest : pollSampler.frame()
        const pretty = url.searchParams.has('pretty')
        res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(frame, null, pretty ? 2 : 0)}\n`)
        return true
      }
      if (path === '/api/events') {
        if (streams.size >= MAX_STREAMS) {
          res.writeHead(503, { 'retry-after': '10', 'content-type': 'text/plain;charset=utf-8' })
          res.end(`at most ${MAX_STREAMS} live views at a time\n`)
          return true
        }
        res.writeHead(200, {
          'content-type': 'text/event-stream;charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        })
        if (req.method === 'HEAD') {
          res.end()
          return true
        }
        res.write('retry: 2000\n\n')
        streams.add(res)
        res.on('close', () => drop(res))
        if (timer === undefined) {
          // First watcher: take a first sample now (rates need two) and tick from here.
          latest = streamSampler.frame()
          timer = setInterval(tick, TICK_MS)
        }
        send(res, latest ?? streamSampler.frame())
        return true
      }
      return false
    },
    close() {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      for (const res of streams) res.end()
      streams.clear()
    },
  }
}
