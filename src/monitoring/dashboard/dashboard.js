// flumen dashboard: renders the status frames of /api/events (see src/monitoring/status.ts for their
// shape). Plain browser JavaScript, no dependencies, no build step. Everything coming from the agent
// (component names, log messages) is inserted as text, never as HTML.

const SVG = 'http://www.w3.org/2000/svg'
const HISTORY = 120 // samples kept for sparklines and the chart (one per second)

const history = new Map() // component id → out rates
const totals = { in: [], out: [] }

const $ = (id) => document.getElementById(id)

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  if (text !== undefined) e.textContent = text
  return e
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

export function fmtRate(r) {
  if (r === null || r === undefined) return '—'
  if (r < 10) return r.toFixed(1)
  return Math.round(r).toLocaleString('en-US')
}

export function fmtRunway(s) {
  if (s === null || s === undefined) return '∞'
  if (s <= 0) return 'full'
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`
  return `${Math.round(s / 86400)} d`
}

function fmtBytes(n) {
  return `${(n / 1048576).toFixed(0)} MB`
}

function fmtUptime(s) {
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`
}

const fmtTime = (t) => new Date(t).toLocaleTimeString('en-GB', { hour12: false })

function push(arr, v) {
  arr.push(v)
  if (arr.length > HISTORY) arr.shift()
}

function renderHeader(f) {
  document.title = `flumen · ${f.agent.name}`
  $('agent-name').textContent = f.agent.name
  const ready = $('ready')
  const stopping = f.agent.state === 'stopping' || f.agent.state === 'stopped'
  ready.textContent = stopping ? f.agent.state : f.agent.ready ? 'ready' : 'not ready'
  ready.className = `badge ${f.agent.ready ? 'ok' : stopping ? 'warn' : 'bad'}`
  $('agent-meta').textContent =
    `flumen ${f.agent.version} · pid ${f.agent.pid} · up ${fmtUptime(f.agent.uptimeSec)} · RSS ${fmtBytes(f.agent.rssBytes)}`
}

function renderPressure(f) {
  const box = $('pressure')
  const body = $('pressure-body')
  body.replaceChildren()
  body.className = ''
  const p = f.backpressure
  if (f.intervalSec === null && p.length === 0) {
    body.className = 'empty'
    body.textContent = 'measuring rates…'
    box.className = ''
    return
  }
  if (p.length === 0) {
    box.className = ''
    body.textContent = 'No backpressure: every channel drains at least as fast as it fills.'
    return
  }
  box.className = p[0].severity === 'filling' ? 'filling' : 'active'
  const first = el('p')
  first.append('Backpressure starts at ', el('span', { class: 'origin', id: 'pressure-origin' }, p[0].origin))
  first.append(`: ${p[0].reason}.`)
  if (p[0].runwaySec !== null && p[0].runwaySec > 0)
    first.append(` ${p[0].channel} is full in ${fmtRunway(p[0].runwaySec)}.`)
  body.append(first)
  for (const q of p.slice(1)) body.append(el('p', { class: 'meta' }, `Also: ${q.origin} — ${q.reason}.`))
}

/** Sources, channels and sinks in three columns, edges from each source to its channels and each channel to its sinks. */
function renderTopology(f) {
  const g = $('topology')
  const W = Math.max(g.clientWidth || 900, 640)
  const colW = 220
  const boxH = 64
  const rowH = 84
  const gap = (W - 3 * colW) / 2
  const x = [0, colW + gap, 2 * (colW + gap)]
  const origin = f.backpressure[0]?.origin
  const byKind = { source: [], channel: [], sink: [] }
  for (const c of f.components) byKind[c.kind].push(c)
  // Sinks of one group stay together, then by channel order.
  const chanOrder = new Map(byKind.channel.map((c, i) => [c.name, i]))
  const groupOf = new Map()
  for (const gr of f.sinkGroups) for (const s of gr.sinks) groupOf.set(s, gr.name)
  byKind.sink.sort(
    (a, b) =>
      (chanOrder.get(a.channels?.[0]) ?? 0) - (chanOrder.get(b.channels?.[0]) ?? 0) ||
      String(groupOf.get(a.name) ?? '').localeCompare(String(groupOf.get(b.name) ?? '')),
  )
  const rows = Math.max(byKind.source.length, byKind.channel.length, byKind.sink.length, 1)
  const H = rows * rowH + 16
  g.setAttribute('height', H)
  g.setAttribute('viewBox', `0 0 ${W} ${H}`)
  g.replaceChildren()
  const pos = new Map()
  ;['source', 'channel', 'sink'].forEach((kind, col) => {
    const list = byKind[kind]
    const offset = ((rows - list.length) * rowH) / 2
    list.forEach((c, i) => {
      pos.set(c.id, { x: x[col], y: 8 + offset + i * rowH, c })
    })
  })
  const edges = svg('g')
  for (const e of f.edges) {
    const a = pos.get(e.from)
    const b = pos.get(e.to)
    if (a === undefined || b === undefined) continue
    const rate = a.c.kind === 'source' ? a.c.outRate : b.c.inRate
    const w = rate ? Math.min(8, 1.5 + Math.log10(1 + rate)) : 1.5
    const x1 = a.x + colW
    const y1 = a.y + boxH / 2
    const x2 = b.x
    const y2 = b.y + boxH / 2
    const mx = (x1 + x2) / 2
    edges.append(
      svg('path', {
        class: rate ? 'edge' : 'edge idle',
        d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`,
        'stroke-width': w.toFixed(1),
        'data-from': e.from,
        'data-to': e.to,
      }),
    )
  }
  g.append(edges)
  for (const gr of f.sinkGroups) {
    const ps = gr.sinks.map((s) => pos.get(`SINK.${s}`)).filter(Boolean)
    if (ps.length === 0) continue
    const top = Math.min(...ps.map((p) => p.y)) - 6
    const bottom = Math.max(...ps.map((p) => p.y)) + boxH + 6
    g.append(
      svg('rect', { class: 'group', x: x[2] - 6, y: top, width: colW + 12, height: bottom - top, rx: 8 }),
    )
    g.append(
      svg(
        'text',
        { class: 'sub', x: x[2] + colW - 4, y: top + 11, 'text-anchor': 'end' },
        `group ${gr.name} (${gr.processor})`,
      ),
    )
  }
  for (const { x: nx, y: ny, c } of pos.values()) {
    const node = svg('g', {
      class: `node ${c.kind} ${c.state}${c.id === origin ? ' origin' : ''}`,
      'data-id': c.id,
      transform: `translate(${nx},${ny})`,
    })
    node.append(svg('rect', { class: 'box', width: colW, height: boxH, rx: 6 }))
    node.append(svg('title', {}, `${c.id} (${c.type}) — ${c.state}${c.error ? `: ${c.error}` : ''}`))
    node.append(svg('text', { class: 'title', x: 10, y: 18 }, c.name))
    // Class-name types (org.apache.flume.source.StressSource) show their simple name; the tooltip has it all.
    node.append(
      svg(
        'text',
        { class: 'sub', x: colW - 10, y: 18, 'text-anchor': 'end' },
        `${c.kind} · ${shortType(c.type)}`,
      ),
    )
    if (c.kind === 'channel') {
      const fill = c.fill ?? 0
      node.append(svg('rect', { class: 'bar-bg', x: 10, y: 27, width: colW - 20, height: 9, rx: 3 }))
      node.append(
        svg('rect', {
          class: fill >= 0.8 ? 'bar high' : 'bar',
          x: 10,
          y: 27,
          width: Math.max(0, (colW - 20) * fill),
          height: 9,
          rx: 3,
        }),
      )
      const pct =
        c.fill === null || c.fill === undefined
          ? 'fill ?'
          : `${(c.fill * 100).toFixed(c.fill < 0.1 ? 1 : 0)}% full`
      node.append(
        svg(
          'text',
          { class: 'sub fill-text', x: 10, y: 54 },
          `${pct} · ${c.size}/${c.capacity} · runway ${fmtRunway(c.runwaySec)}`,
        ),
      )
    } else {
      const line =
        c.kind === 'source' ? `${fmtRate(c.outRate)} ev/s accepted` : `${fmtRate(c.outRate)} ev/s delivered`
      node.append(svg('text', { class: 'sub rate-text', x: 10, y: 38 }, line))
      if (c.failRate)
        node.append(svg('text', { class: 'alert', x: 10, y: 55 }, `${fmtRate(c.failRate)} failures/s`))
      else if (c.state !== 'running') node.append(svg('text', { class: 'alert', x: 10, y: 55 }, c.state))
    }
    if (c.id === origin)
      node.append(
        svg('text', { class: 'alert', x: colW - 10, y: boxH - 8, 'text-anchor': 'end' }, '⚠ backpressure'),
      )
    g.append(node)
  }
}

function shortType(t) {
  const simple = t.includes('.') ? t.slice(t.lastIndexOf('.') + 1) : t
  return simple.length > 18 ? `${simple.slice(0, 17)}…` : simple
}

function sparkline(values) {
  const s = svg('svg', { class: 'spark', viewBox: `0 0 ${HISTORY} 22`, preserveAspectRatio: 'none' })
  if (values.length > 1) {
    const max = Math.max(1, ...values)
    const start = HISTORY - values.length
    const pts = values.map((v, i) => `${start + i},${(21 - (v / max) * 20).toFixed(1)}`).join(' ')
    s.append(svg('polyline', { points: pts }))
  }
  return s
}

function renderTable(f) {
  const tbody = $('components').tBodies[0]
  tbody.replaceChildren()
  for (const c of f.components) {
    const tr = el('tr', { 'data-id': c.id })
    tr.append(el('td', {}, c.id), el('td', {}, c.type))
    const st = el('td', { class: `state-${c.state}` }, c.state)
    if (c.error) st.title = c.error
    tr.append(st)
    tr.append(el('td', { class: 'num in' }, fmtRate(c.inRate)))
    tr.append(el('td', { class: 'num out' }, fmtRate(c.outRate)))
    tr.append(el('td', { class: 'num fail' }, c.kind === 'channel' ? '' : fmtRate(c.failRate)))
    tr.append(
      el(
        'td',
        { class: 'num fill' },
        c.kind === 'channel' && c.fill !== null && c.fill !== undefined
          ? `${(c.fill * 100).toFixed(1)}%`
          : '',
      ),
    )
    tr.append(el('td', { class: 'num runway' }, c.kind === 'channel' ? fmtRunway(c.runwaySec) : ''))
    const sp = el('td')
    sp.append(sparkline(history.get(c.id) ?? []))
    tr.append(sp)
    tbody.append(tr)
  }
}

function renderChart() {
  const c = $('chart')
  c.replaceChildren()
  const max = Math.max(1, ...totals.in, ...totals.out)
  $('chart-max').textContent = `max ${fmtRate(max)}/s`
  c.append(svg('line', { class: 'axis', x1: 0, y1: 159, x2: 600, y2: 159 }))
  for (const key of ['in', 'out']) {
    const v = totals[key]
    if (v.length < 2) continue
    const step = 600 / (HISTORY - 1)
    const start = HISTORY - v.length
    const pts = v
      .map((y, i) => `${((start + i) * step).toFixed(1)},${(158 - (y / max) * 150).toFixed(1)}`)
      .join(' ')
    c.append(svg('polyline', { class: key, points: pts }))
  }
}

function renderErrors(f) {
  const tbody = $('errors').tBodies[0]
  tbody.replaceChildren()
  const list = [...f.errors].reverse().slice(0, 30)
  if (list.length === 0) {
    const tr = el('tr')
    tr.append(el('td', { colspan: '4', class: 'empty' }, 'none'))
    tbody.append(tr)
    return
  }
  for (const e of list) {
    const tr = el('tr', { class: `level-${e.level}` })
    tr.append(el('td', {}, fmtTime(e.time)), el('td', {}, e.level.toUpperCase()))
    tr.append(el('td', { class: 'component' }, e.component ?? ''))
    tr.append(el('td', { class: 'msg' }, e.error ? `${e.msg}: ${e.error}` : e.msg))
    tbody.append(tr)
  }
}

function renderReload(f) {
  const r = f.reload
  const watch = r.watching
    ? `watching the configuration every ${r.pollIntervalSec} s`
    : 'not watching the configuration (--no-reload-conf); SIGHUP reloads'
  const last = r.last
    ? ` · last: ${fmtTime(r.last.at)} ${r.last.result} (${r.last.trigger}) — ${r.last.message}`
    : ''
  $('reload').textContent = `${watch} · ${r.count} reloads, ${r.failures} refused${last}`
}

function render(f) {
  if (f.intervalSec !== null) {
    let tin = 0
    let tout = 0
    for (const c of f.components) {
      if (!history.has(c.id)) history.set(c.id, [])
      push(history.get(c.id), c.outRate ?? 0)
      if (c.kind === 'channel') tin += c.inRate ?? 0
      if (c.kind === 'sink') tout += c.outRate ?? 0
    }
    push(totals.in, tin)
    push(totals.out, tout)
  }
  renderHeader(f)
  renderPressure(f)
  renderTopology(f)
  renderChart()
  renderTable(f)
  renderErrors(f)
  renderReload(f)
  document.body.dataset.frames = String(Number(document.body.dataset.frames ?? 0) + 1)
}

function connect() {
  const es = new EventSource('./api/events')
  es.onopen = () => {
    $('conn').textContent = '● live'
  }
  es.onerror = () => {
    $('conn').textContent = '○ reconnecting…'
  }
  es.onmessage = (m) => {
    try {
      render(JSON.parse(m.data))
    } catch (e) {
      $('conn').textContent = `render error: ${e}`
    }
  }
}

connect()
