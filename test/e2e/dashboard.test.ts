// The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core, looking at a
// running agent with one healthy pipeline and one whose sink cannot write. Asserts on what the page shows
// (topology, rates, fill, runway, where backpressure starts, recent errors, reloads), then fixes the sink
// with a reload and watches the page follow. Screenshots go to test-output/ (git-ignored).
//
// Chromium comes from apt (`chromium`, provisioned by .ci/run); without it this test fails.

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { eventually, freePort, ROOT, startAgent, tempDir } from '../helpers/cli.ts'

const CHROMIUM = '/usr/bin/chromium'
const OUTPUT = join(ROOT, 'test-output')

const conf = (dir: string, k2Dir: string) => `
a1.sources = r1 r2
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = org.apache.flume.source.StressSource
a1.sources.r1.maxEventsPerSecond = 2000
a1.sources.r1.batchSize = 100
a1.sources.r1.size = 20
a1.sources.r1.channels = c1
a1.sources.r2.type = seq
a1.sources.r2.batchSize = 50
a1.sources.r2.totalEvents = 20000
a1.sources.r2.channels = c2
a1.channels.c1.type = memory
a1.channels.c1.capacity = 10000
a1.channels.c2.type = memory
a1.channels.c2.capacity = 1000
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = file_roll
a1.sinks.k2.channel = c2
a1.sinks.k2.sink.directory = ${k2Dir}
a1.sinks.k2.sink.rollInterval = 0
# ${dir}
`

async function launch(): Promise<{ context: BrowserContext; profile: string }> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`)
  const profile = mkdtempSync(join(tmpdir(), 'flumen-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 1000 },
  })
  return { context, profile }
}

const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim()

describe('dashboard in a real browser', () => {
  it('shows topology, rates, fill, runway, the backpressure origin and recent errors, live', async () => {
    const dir = tempDir()
    const blocked = join(dir, 'blocked')
    writeFileSync(blocked, 'a file where the sink wants a directory')
    const out = join(dir, 'out')
    const mon = await freePort()
    const agent = await startAgent(conf(dir, join(blocked, 'sub')), {
      dir,
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
    const { context, profile } = await launch()
    const problems: string[] = []
    try {
      const page = await context.newPage()
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`)
      })
      await page.goto(`http://127.0.0.1:${mon}/`)
      // Polled from here rather than with page-side functions: the page's CSP forbids eval.
      await eventually(async () => Number(await page.getAttribute('body', 'data-frames')) >= 4, 20_000)

      assert.equal(await page.title(), 'flumen · a1')
      assert.equal(await text(page, '#agent-name'), 'a1')
      assert.equal(await text(page, '#ready'), 'not ready')
      assert.match(await text(page, '#conn'), /live/)

      // Topology: six nodes, four edges, the failing sink marked as the origin.
      const ids = await page.$$eval('#topology g.node', (ns) => ns.map((n) => n.getAttribute('data-id')))
      assert.deepEqual([...ids].sort(), [
        'CHANNEL.c1',
        'CHANNEL.c2',
        'SINK.k1',
        'SINK.k2',
        'SOURCE.r1',
        'SOURCE.r2',
      ])
      assert.equal(await page.locator('#topology path.edge').count(), 4)
      assert.match((await page.getAttribute('[data-id="SINK.k2"]', 'class')) ?? '', /\borigin\b/)
      assert.match((await page.getAttribute('[data-id="SINK.k2"]', 'class')) ?? '', /\bretrying\b/)

      // Backpressure: where it starts and why.
      assert.equal(await text(page, '#pressure-origin'), 'SINK.k2')
      assert.match(
        await text(page, '#pressure-body'),
        /SINK\.k2 is retrying: ENOTDIR.*CHANNEL\.c2 fills up \(100% full\)/,
      )

      // Channel fill and runway, in the graph and in the table.
      assert.match(
        await text(page, '[data-id="CHANNEL.c2"] .fill-text'),
        /^100% full · 1000\/1000 · runway full$/,
      )
      assert.match(await text(page, '[data-id="CHANNEL.c1"] .fill-text'), /runway ∞$/)
      assert.equal(await text(page, '#components tr[data-id="CHANNEL.c2"] td.fill'), '100.0%')
      assert.equal(await text(page, '#components tr[data-id="CHANNEL.c1"] td.runway'), '∞')

      // Rates: the healthy pipeline moves about 2000 events/s (paced by the source).
      const rate = async (id: string) =>
        Number((await text(page, `#components tr[data-id="${id}"] td.out`)).replace(/,/g, ''))
      await eventually(async () => (await rate('SINK.k1')) > 1000)
      assert.ok((await rate('SOURCE.r1')) > 1000)
      assert.ok((await rate('SOURCE.r1')) < 3000)
      assert.equal(await rate('SINK.k2'), 0)
      assert.match(await text(page, '[data-id="SINK.k1"] .rate-text'), /ev\/s delivered/)

      // Recent errors, with their component.
      const errorComponents = await page.$$eval('#errors td.component', (tds) =>
        tds.map((t) => t.textContent),
      )
      assert.ok(errorComponents.includes('SINK.k2'), `errors listed: ${errorComponents.join(',')}`)
      assert.match(await text(page, '#errors'), /ENOTDIR/)
      assert.match(await text(page, '#reload'), /not watching the configuration.*0 reloads, 0 refused/)

      mkdirSync(OUTPUT, { recursive: true })
      await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true })

      // Fix the sink by a reload: the page follows.
      writeFileSync(join(dir, 'agent.conf'), conf(dir, out))
      agent.child.kill('SIGHUP')
      await eventually(async () => (await text(page, '#ready')) === 'ready', 20_000)
      await eventually(async () => /No backpressure/.test(await text(page, '#pressure-body')), 20_000)
      assert.match(
        await text(page, '#reload'),
        /1 reloads, 0 refused · last: .* applied \(signal\) — restarted SINK\.k2/,
      )
      assert.doesNotMatch((await page.getAttribute('[data-id="SINK.k2"]', 'class')) ?? '', /origin/)
      await page.screenshot({ path: join(OUTPUT, 'dashboard-after-reload.png'), fullPage: true })
      assert.deepEqual(problems, [])
    } finally {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
      await agent.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
