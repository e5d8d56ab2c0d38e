/**
 * The operator endpoints of the monitoring server, next to Flume's `/metrics`:
 *
 * - `GET /health` — liveness: 200 `{"status":"UP",...}` whenever the process answers, including while it
 *   reloads or drains at shutdown (`"status":"STOPPING"`): restarting it then would lose the drain.
 * - `GET /ready` — readiness: 200 when every component has started; 503 with the components that have not
 *   (retrying a failed start, being restarted by a reload) and while the agent stops.
 * - `GET /` (the dashboard page), `/dashboard.js`, `/api/status` (one status frame as JSON) and
 *   `/api/events` (a frame per second as server-sent events): served by ./dashboard.ts, which is imported
 *   on the first such request only, so an agent nobody looks at does not carry the page in memory.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { StatusProvider } from './status.ts'

export interface OperatorRoutes {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>
  /** Ends live streams (the monitoring server is stopping). */
  close(): void
  /** Whether the dashboard module has been loaded (tests check it stays unloaded until asked for). */
  readonly dashboardLoaded: boolean
}

interface DashboardModule {
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean>
  close(): void
}

const DASHBOARD_PATHS = new Set(['/', '/index.html', '/dashboard.js', '/api/status', '/api/events'])

function json(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'cache-control': 'no-store' })
  res.end(head ? undefined : text)
}

export function operatorRoutes(provider: StatusProvider): OperatorRoutes {
  let dashboard: Promise<DashboardModule> | undefined
  let loaded = false
  return {
    get dashboardLoaded() {
      return loaded
    },
    async handle(req, res, path) {
      const method = req.method ?? 'GET'
      if (path === '/health' || path === '/ready') {
        if (method !== 'GET' && method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end()
          return true
        }
        const state = provider.agentState()
        const stopping = state === 'stopping' || state === 'stopped'
        if (path === '/health') {
          json(
            res,
            200,
            {
              status: stopping ? 'STOPPING' : 'UP',
              agent: provider.agentName,
              state,
              uptimeSec: Math.round(process.uptime()),
            },
            method === 'HEAD',
          )
          return true
        }
        const ready = provider.ready()
        const notReady = provider.componentStates().filter((c) => c.state !== 'running')
        json(res, ready ? 200 : 503, { ready, agent: provider.agentName, state, notReady }, method === 'HEAD')
        return true
      }
      if (!DASHBOARD_PATHS.has(path)) return false
      if (dashboard === undefined) {
        dashboard = import('./dashboard.ts').then((m) => {
          loaded = true
          return m.createDashboard(provider)
        })
      }
      const url = new URL(req.url ?? '/', 'http://localhost')
      return (await dashboard).handle(req, res, path, url)
    },
    close() {
      void dashboard?.then((d) => d.close())
    },
  }
}
