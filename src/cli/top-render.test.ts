import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StatusFrame } from '../monitoring/status.ts'
import { cut, fmtRate, fmtRunway, renderTop } from './top-render.ts'

const frame: StatusFrame = {
  time: 0,
  intervalSec: 1,
  agent: {
    name: 'a1',
    version: '0.1.0',
    pid: 42,
    state: 'running',
    ready: false,
    uptimeSec: 3725,
    rssBytes: 50 * 1048576,
    heapUsedBytes: 0,
  },
  reload: {
    watching: true,
    pollIntervalSec: 30,
    count: 2,
    failures: 1,
    last: { at: 0, trigger: 'signal', result: 'rejected', message: '1 configuration error (a.conf:3)' },
  },
  components: [
    {
      id: 'SOURCE.r1',
      kind: 'source',
      name: 'r1',
      type: 'org.apache.flume.source.StressSource',
      state: 'running',
      inRate: 2000,
      outRate: 1999.6,
      failRate: 0,
      recentFailures: 0,
      counters: {},
      channels: ['c1'],
    },
    {
      id: 'CHANNEL.c1',
      kind: 'channel',
      name: 'c1',
      type: 'memory',
      state: 'running',
      inRate: 2000,
      outRate: 0,
      failRate: null,
      recentFailures: null,
      counters: {},
      size: 500,
      capacity: 1000,
      fill: 0.5,
      runwaySec: 0.25,
    },
    {
      id: 'SINK.k1',
      kind: 'sink',
      name: 'k1',
      type: 'file_roll',
      state: 'retrying',
      error: 'ENOTDIR',
      inRate: 0,
      outRate: 0,
      failRate: 3.25,
      recentFailures: 3,
      counters: {},
      channels: ['c1'],
    },
  ],
  edges: [],
  sinkGroups: [],
  backpressure: [
    {
      origin: 'SINK.k1',
      channel: 'CHANNEL.c1',
      severity: 'filling',
      reason: 'SINK.k1 is retrying: ENOTDIR; CHANNEL.c1 fills up (50% full)',
      fill: 0.5,
      runwaySec: 0.25,
    },
  ],
  errors: [{ time: 0, level: 'error', component: 'SINK.k1', msg: 'Sink failed', error: 'ENOTDIR' }],
}

describe('flumen top rendering', () => {
  it('formats rates and runways', () => {
    assert.equal(fmtRate(null), '—')
    assert.equal(fmtRate(3.25), '3.3')
    assert.equal(fmtRate(12345.6), '12,346')
    assert.equal(fmtRunway(null), '∞')
    assert.equal(fmtRunway(0), 'full')
    assert.equal(fmtRunway(42.4), '42 s')
    assert.equal(fmtRunway(600), '10 min')
    assert.equal(fmtRunway(9000), '2.5 h')
  })

  it('shows the header, the backpressure origin, every component with its figures, and recent errors', () => {
    const lines = renderTop(frame, { width: 200, color: false, url: 'http://h:1' })
    const text = lines.join('\n')
    assert.match(lines[0] ?? '', /^flumen top — a1 @ http:\/\/h:1 .* up 1h2m .* RSS 50 MB · NOT READY$/)
    assert.equal(
      lines[1],
      'Backpressure starts at SINK.k1: SINK.k1 is retrying: ENOTDIR; CHANNEL.c1 fills up (50% full)',
    )
    assert.match(
      text,
      /Reloads: watching every 30 s · 2 reloads, 1 refused · last 00:00:00 rejected \(signal\): 1 configuration error \(a\.conf:3\)/,
    )
    const row = (id: string) => lines.find((l) => l.startsWith(id)) ?? ''
    assert.match(row('SOURCE.r1'), /^SOURCE\.r1\s+StressSource\s+running\s+2,000\s+2,000\s+0\.0$/)
    assert.match(
      row('CHANNEL.c1'),
      /^CHANNEL\.c1\s+memory\s+running\s+2,000\s+0\.0\s+\[#####\.\.\.\.\.\]\s+50\.0%\s+0 s$/,
    )
    assert.match(row('SINK.k1 <'), /retrying\s+0\.0\s+0\.0\s+3\.3/)
    assert.match(text, /00:00:00 ERROR SINK\.k1 {2}Sink failed: ENOTDIR/)
  })

  it('cuts lines to the terminal width without breaking colors', () => {
    const lines = renderTop(frame, { width: 40, color: true, url: 'http://h:1' })
    for (const l of lines) assert.ok(l.replace(/\x1b\[[0-9;]*m/g, '').length <= 40, l)
    assert.equal(cut('\x1b[31mabcdef\x1b[0m', 3), '\x1b[31mabc\x1b[0m')
  })
})
