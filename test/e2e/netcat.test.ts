// Flume's own first example, unchanged: netcat → memory → logger. Lines are acknowledged with OK and the
// logger sink prints them in Flume's format. Then the bad inputs a public listener gets.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type AgentProcess, fetchJson, freePort, ROOT, startAgent } from '../helpers/cli.ts'
import { lineClient } from '../helpers/net.ts'

describe('netcat → memory → logger (Flume user guide example)', () => {
  let agent: AgentProcess
  let port: number
  let mon: number

  before(async () => {
    port = await freePort()
    mon = await freePort()
    const example = readFileSync(join(ROOT, 'conf/example.conf'), 'utf8').replaceAll('44444', String(port))
    agent = await startAgent(example, {
      sys: { 'flume.monitoring.type': 'http', 'flume.monitoring.port': String(mon) },
    })
  })
  after(async () => {
    const r = await agent.stop()
    assert.equal(r.code, 0, 'a graceful stop exits 0')
  })

  it("answers OK per line and logs the event in Flume's format, keeping \\r in the body", async () => {
    const c = await lineClient(port)
    c.send('Hello world!\r\nsecond line\n')
    assert.deepEqual(await c.waitReplies(2), ['OK', 'OK'])
    await agent.waitFor(
      /Event: \{ headers:\{\} body: 48 65 6C 6C 6F 20 77 6F 72 6C 64 21 0D {10}Hello world!\. \}/,
    )
    await agent.waitFor(/Event: \{ headers:\{\} body: 73 65 63 6F 6E 64 20 6C 69 6E 65 {16}second line \}/)
    c.end()
  })

  it("rejects an over-long line with Flume's message and closes that connection only", async () => {
    const c = await lineClient(port)
    c.send(`short\n${'x'.repeat(600)}\n`)
    assert.deepEqual(await c.waitReplies(2), [
      'OK',
      'FAILED: Event exceeds the maximum length (512 chars, including newline)',
    ])
    await c.closed
    // 511 characters plus the newline is exactly the limit and is accepted.
    const d = await lineClient(port)
    d.send(`${'y'.repeat(511)}\n`)
    assert.deepEqual(await d.waitReplies(1), ['OK'])
    d.end()
  })

  it('survives garbage: binary bytes, invalid UTF-8, NULs, a partial last line and an abrupt reset', async () => {
    const c = await lineClient(port)
    c.send(Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x0a, 0x80, 0x0a]))
    assert.deepEqual(await c.waitReplies(2), ['OK', 'OK'])
    c.send('no newline at the end')
    c.socket.resetAndDestroy()
    // Invalid sequences become U+FFFD (EF BF BD), as Java's decoder does.
    await agent.waitFor(/body: 00 EF BF BD EF BF BD EF BF BD 28/)
    const d = await lineClient(port)
    d.send('still alive\n')
    assert.deepEqual(await d.waitReplies(1), ['OK'])
    d.end()
  })

  it('handles many concurrent clients', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => lineClient(port)))
    for (const [i, c] of clients.entries())
      c.send(Array.from({ length: 10 }, (_, j) => `c${i}-${j}\n`).join(''))
    for (const c of clients) assert.equal((await c.waitReplies(10)).filter((r) => r === 'OK').length, 10)
    for (const c of clients) c.end()
  })

  it('exposes a source counter for netcat (Flume has none) with the real counts', async () => {
    const m = await fetchJson(`http://127.0.0.1:${mon}/metrics`)
    const src = m['SOURCE.r1']
    assert.ok(src !== undefined)
    assert.equal(src.Type, 'SOURCE')
    // 2 + 1 (+1 over-long refused) + 1 + 2 + 1 + 200 lines accepted above.
    assert.equal(src.EventAcceptedCount, '207')
    assert.equal(src.EventReadFail, '1')
  })
})
