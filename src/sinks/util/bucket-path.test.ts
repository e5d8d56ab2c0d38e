import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import { newHeaders } from '../../core/event.ts'
import { compileEscape, EscapeError } from './bucket-path.ts'

const h = (o: Record<string, string>) => newHeaders(o)

describe('BucketPath escapes', () => {
  it('leaves a template without % alone', async () => {
    assert.equal((await compileEscape('plain-topic'))(h({})), 'plain-topic')
  })

  it('replaces %{header} (missing → empty) and static host names', async () => {
    const f = await compileEscape('logs-%{app}-%{missing}.%[localhost]')
    assert.equal(f(h({ app: 'web' })), `logs-web-.${hostname()}`)
    await assert.rejects(compileEscape('%[nope]'), EscapeError)
  })

  it('formats date escapes from the timestamp header, and needs it for every %x', async () => {
    process.env.TZ = 'UTC'
    const f = await compileEscape('t-%Y%m%d-%H%M%S-%s-%%-%t')
    const ts = String(Date.UTC(2024, 1, 29, 13, 5, 9))
    assert.equal(f(h({ timestamp: ts })), `t-20240229-130509-${Number(ts) / 1000}-%-${ts}`)
    assert.throws(() => f(h({})), /Expected timestamp/)
    assert.throws(() => f(h({ timestamp: 'soon' })), /wasn't able to parse timestamp/)
    // Flume compat: even %% and unknown letters need the header.
    const pct = await compileEscape('a%%b%Qc')
    assert.equal(pct(h({ timestamp: '0' })), 'a%bc')
    assert.throws(() => pct(h({})), EscapeError)
  })
})
