import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import { newHeaders } from '../../core/event.ts'
import {
  checkTimeZone,
  compileEscape,
  EscapeError,
  roundDownTimestamp,
  safePathValue,
  zoneOffsetMs,
} from './bucket-path.ts'

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

  it('formats in a configured time zone (hdfs.timeZone), including %z and DST', async () => {
    process.env.TZ = 'UTC'
    const ts = Date.UTC(2024, 6, 1, 23, 30, 0) // 2024-07-01 23:30 UTC
    const la = await compileEscape('%Y-%m-%d %H:%M %z', { timeZone: 'America/Los_Angeles' })
    assert.equal(la(h({ timestamp: String(ts) })), '2024-07-01 16:30 -0700')
    const winter = Date.UTC(2024, 0, 15, 3, 0, 0)
    assert.equal(la(h({ timestamp: String(winter) })), '2024-01-14 19:00 -0800')
    const ist = await compileEscape('%Y%m%d/%H%M %z', { timeZone: 'Asia/Kolkata' })
    assert.equal(ist(h({ timestamp: String(ts) })), '20240702/0500 +0530')
    assert.equal(zoneOffsetMs('Asia/Kolkata', ts), 5.5 * 3_600_000)
    assert.equal(checkTimeZone('Europe/Paris'), undefined)
    assert.match(checkTimeZone('Mars/Olympus') ?? '', /unknown time zone/)
  })

  it('rounds down like TimestampRoundDownUtil (seconds, minutes, hours; in the zone; %t unrounded)', async () => {
    process.env.TZ = 'UTC'
    const ts = Date.UTC(2024, 2, 1, 13, 47, 38, 123)
    assert.equal(roundDownTimestamp(ts, { unit: 'second', value: 15 }), Date.UTC(2024, 2, 1, 13, 47, 30))
    assert.equal(roundDownTimestamp(ts, { unit: 'minute', value: 10 }), Date.UTC(2024, 2, 1, 13, 40))
    assert.equal(roundDownTimestamp(ts, { unit: 'hour', value: 6 }), Date.UTC(2024, 2, 1, 12))
    // in +05:30, 13:47 UTC is 19:17: rounding to 6 hours gives 18:00 local = 12:30 UTC
    assert.equal(
      roundDownTimestamp(ts, { unit: 'hour', value: 6 }, 'Asia/Kolkata'),
      Date.UTC(2024, 2, 1, 12, 30),
    )
    const f = await compileEscape('%H%M%S-%s-%t', { round: { unit: 'minute', value: 15 } })
    assert.equal(f(h({ timestamp: String(ts) })), `134500-${Date.UTC(2024, 2, 1, 13, 45) / 1000}-${ts}`)
  })

  it('uses a timestamp passed by the caller instead of the header (useLocalTimeStamp, fallback)', async () => {
    process.env.TZ = 'UTC'
    const f = await compileEscape('%Y/%t/%%')
    const ts = Date.UTC(2030, 0, 1)
    assert.equal(f(h({}), ts), `2030/${ts}/%`)
    assert.throws(() => f(h({})), EscapeError)
  })

  it('keeps header values inside the directory with safeHeaders (hdfs.path / filePrefix)', async () => {
    assert.equal(safePathValue('web'), 'web')
    assert.equal(safePathValue('a/b'), 'a/b')
    assert.equal(safePathValue('../../etc'), '__/__/etc')
    assert.equal(safePathValue('/etc/passwd'), 'etc/passwd')
    assert.equal(safePathValue('./x//y/.'), '_/x/y/_')
    assert.equal(safePathValue('c:\\x\n'), 'c_\\x_')
    assert.equal(safePathValue('v1.2..3'), 'v1.2..3')
    const f = await compileEscape('/logs/%{dir}/x', { safeHeaders: true })
    assert.equal(f(h({ dir: '../../..' })), '/logs/__/__/__/x')
    assert.equal(f(h({ dir: '/' })), '/logs//x')
    // the Kafka sink's topics are not paths: unchanged there
    assert.equal((await compileEscape('t-%{dir}'))(h({ dir: '../a' })), 't-../a')
  })
})
