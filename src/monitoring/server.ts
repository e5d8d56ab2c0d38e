/**
 * The monitoring HTTP server (`-Dflume.monitoring.type=http`, port `flume.monitoring.port`, default
 * 41414, all interfaces like Flume's; `flume.monitoring.host` — a flumen addition — restricts the bind).
 *
 * - `GET /metrics` (path case-insensitive): Flume's JSON, `application/json;charset=utf-8`.
 * - `GET /metrics?format=prometheus` and `GET /prometheus`: the same counters as Prometheus text.
 * - `GET /`: a small page linking to them. TRACE and OPTIONS: 403, as Flume's Jetty. Anything else: 404.
 *
 * Requests have no body and responses are small; the server keeps no state between requests.
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { http } from '../core/builtin-modules.ts'
import type { MetricsRegistry } from '../core/counters.ts'
import { flumeJson } from './flume-json.ts'
import { prometheusText } from './prometheus.ts'

export interface MonitoringOptions {
  readonly port: number
  readonly host?: string
  readonly metrics: () => MetricsRegistry
  /** Extra routes (dashboard, health) added by other modules; return true when handled. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean | Promise<boolean>
}

function processGauges(): Record<string, number> {
  const m = process.memoryUsage()
  return {
    process_resident_memory_bytes: m.rss,
    nodejs_heap_used_bytes: m.heapUsed,
    process_uptime_seconds: Math.round(process.uptime()),
  }
}

export class MonitoringServer {
  readonly #opts: MonitoringOptions
  #server: Server | undefined

  constructor(opts: MonitoringOptions) {
    this.#opts = opts
  }

  get port(): number | undefined {
    const a = this.#server?.address()
    return a !== null && typeof a === 'object' ? a.port : undefined
  }

  start(): Promise<void> {
    const server = http().createServer((req, res) => {
      void this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      const onListen = () => {
        server.removeListener('error', reject)
        this.#server = server
        resolve()
      }
      if (this.#opts.host === undefined) server.listen(this.#opts.port, onListen)
      else server.listen(this.#opts.port, this.#opts.host, onListen)
    })
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'TRACE' || req.method === 'OPTIONS') {
      res.writeHead(403).end()
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname.toLowerCase()
    if (this.#opts.routes !== undefined && (await this.#opts.routes(req, res, path))) return
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if ((path === '/metrics' && url.searchParams.get('format') === 'prometheus') || path === '/prometheus') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(prometheusText(this.#opts.metrics(), processGauges()))
      return
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' })
      res.end(JSON.stringify(flumeJson(this.#opts.metrics())))
      return
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' })
      res.end(
        '<html><body><a href="./metrics">metrics</a> · <a href="./prometheus">prometheus</a></body></html>',
      )
      return
    }
    res.writeHead(404).end()
  }

  stop(): Promise<void> {
    const s = this.#server
    this.#server = undefined
    if (s === undefined) return Promise.resolve()
    s.closeAllConnections()
    return new Promise((r) => s.close(() => r()))
  }
}
