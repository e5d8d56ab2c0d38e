import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ChannelCounter, MetricsRegistry } from '../core/counters.ts'
import { MAX_STREAMS } from './dashboard.ts'
import { LogRing } from './log-ring.ts'
import { type OperatorRoutes, operatorRoutes } from './routes.ts'
import { MonitoringServer } from './server.ts'
import type { StatusFrame, StatusProvider } from './status.ts'

describe('operator routes on the monitoring server', () => {
  const metrics = new MetricsRegistry()
  const c1 = metrics.register(new ChannelCounter('c1'))
  c1.channelCapacity = 100
  const state = { agent: 'running', sink: 'running' }
  const provider: StatusProvider = {
    agentName: 'a1',
    version: 'test',
    metrics,
    agentState: () => state.agent,
    ready: () => state.agent === 'running' && state.sink === 'running',
    topology: () => ({
      sources: [],
      channels: [{ name: 'c1', type: 'memory', durable: false }],
      sinks: [{ name: 'k1', type: 'null', channel: 'c1' }],
      sinkGroups: [],
    }),
    componentStates: () => [
      { id: 'CHANNEL.c1', state: 'running' },
      state.sink === 'running'
        ? { id: 'SINK.k1', state: 'running' }
        : { id: 'SINK.k1', state: state.sink, error: 'port in use' },
    ],
    recentLogs: () => new LogRing().recent(),
    reloads: () => ({ watching: false, pollIntervalSec: 0, count: 0, failures: 0 }),
  }
  let routes: OperatorRoutes
  let server: MonitoringServer
  let base = ''

  before(async () => {
    routes = operatorRoutes(provider)
    server = new MonitoringServer({
      port: 0,
      host: '127.0.0.1',
      metrics: () => metrics,
      routes: (req, res, path) => routes.handle(req, res, path),
    })
    await server.start()
    base = `http://127.0.0.1:${server.port}`
  })
  after(async () => {
    routes.close()
    await server.stop()
  })

  it('answers /health and /ready without loading the dashboard', async () => {
    let r = await fetch(`${base}/health`)
    assert.equal(r.status, 200)
    assert.equal(((await r.json()) as { status: string }).status, 'UP')
    r = await fetch(`${base}/ready`)
    assert.equal(r.status, 200)
    state.sink = 'retrying'
    r = await fetch(`${base}/ready`)
    assert.equal(r.status, 503)
    assert.deepEqual(((await r.json()) as { notReady: unknown }).notReady, [
      { id: 'SINK.k1', state: 'retrying', error: 'port in use' },
    ])
    state.sink = 'running'
    state.agent = 'stopping'
    assert.equal((await fetch(`${base}/ready`)).status, 503)
    r = await fetch(`${base}/health`)
    assert.equal(r.status, 200, 'alive while draining')
    assert.equal(((await r.json()) as { status: string }).status, 'STOPPING')
    state.agent = 'running'
    assert.equal((await fetch(`${base}/health`, { method: 'HEAD' })).status, 200)
    assert.equal((await fetch(`${base}/health`, { method: 'POST' })).status, 405)
    assert.equal((await fetch(`${base}/metrics`)).status, 200, 'Flume JSON still served')
    assert.equal(routes.dashboardLoaded, false)
  })

  it('serves the page and its script on the first request, with a strict content policy', async () => {
    const page = await fetch(`${base}/`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /text\/html/)
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    const html = await page.text()
    assert.match(html, /<script type="module" src="\.\/dashboard\.js"><\/script>/)
    assert.doesNotMatch(html, /https?:\/\//, 'nothing loaded from elsewhere')
    assert.equal(routes.dashboardLoaded, true)
    const js = await fetch(`${base}/dashboard.js`)
    assert.match(js.headers.get('content-type') ?? '', /javascript/)
    assert.match(await js.text(), /new EventSource\('\.\/api\/events'\)/)
  })

  it('streams a frame per second over server-sent events, and bounds the number of streams', async () => {
    const ac = new AbortController()
    const r = await fetch(`${base}/api/events`, { signal: ac.signal })
    assert.equal(r.headers.get('content-type'), 'text/event-stream;charset=utf-8')
    const reader = (r.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    const frames: StatusFrame[] = []
    while (frames.length < 2) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
      let i = text.indexOf('\n\n')
      while (i >= 0) {
        const block = text.slice(0, i)
        text = text.slice(i + 2)
        if (block.startsWith('data: ')) frames.push(JSON.parse(block.slice(6)) as StatusFrame)
        i = text.indexOf('\n\n')
      }
    }
    assert.equal(frames[0]?.agent.name, 'a1')
    assert.equal(frames[0]?.intervalSec, null)
    assert.ok((frames[1]?.intervalSec ?? 0) > 0.5, 'the second frame has rates')
    assert.deepEqual(
      frames[1]?.components.map((c) => c.id),
      ['CHANNEL.c1', 'SINK.k1'],
    )
    const status = (await (await fetch(`${base}/api/status`)).json()) as StatusFrame
    assert.equal(status.agent.name, 'a1')
    // Fill the remaining stream slots; one more is refused.
    const extra: AbortController[] = []
    for (let i = 1; i < MAX_STREAMS; i++) {
      const a = new AbortController()
      extra.push(a)
      const x = await fetch(`${base}/api/events`, { signal: a.signal })
      assert.equal(x.status, 200)
    }
    const refused = await fetch(`${base}/api/events`)
    assert.equal(refused.status, 503)
    await refused.text()
    for (const a of extra) a.abort()
    ac.abort()
  })
})
