// flumen's escape formatter (src/sinks/util/bucket-path.ts: hdfs.path, hdfs.filePrefix, the Kafka sink's
// topic) against Flume 1.11's own BucketPath.escapeString (test/peers/flume/BucketPathEscape.java), on
// generated templates, timestamps, time zones and rounding settings.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { newHeaders } from '../../src/core/event.ts'
import { compileEscape, EscapeError, type RoundUnit } from '../../src/sinks/util/bucket-path.ts'
import { runFlumeTool } from '../peers/index.ts'

interface Case {
  readonly template: string
  readonly zone: string
  readonly unit: '' | RoundUnit
  readonly value: number
  readonly headers: Record<string, string>
}

const ESCAPES = [
  '%Y',
  '%y',
  '%m',
  '%n',
  '%d',
  '%e',
  '%H',
  '%k',
  '%I',
  '%l',
  '%M',
  '%S',
  '%s',
  '%j',
  '%p',
  '%D',
  '%b',
  '%B',
  '%a',
  '%A',
  '%c',
  '%z',
  '%t',
  '%%',
  '%{host}',
  '%{missing}',
  '/',
  '-',
  'x',
]
const ZONES = ['', 'UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Europe/Berlin', 'Australia/Lord_Howe']

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    parts: fc.array(fc.constantFrom(...ESCAPES), { minLength: 1, maxLength: 6 }),
    zone: fc.constantFrom(...ZONES),
    unit: fc.constantFrom('', 'second', 'minute', 'hour'),
    value: fc.integer({ min: 1, max: 60 }),
    // 2001..2037, including DST edges by chance
    ts: fc.integer({ min: 978_307_200_000, max: 2_114_380_800_000 }),
    host: fc.constantFrom('web-1', 'db', ''),
  })
  .map(({ parts, zone, unit, value, ts, host }) => ({
    template: parts.join(''),
    zone,
    unit: unit as Case['unit'],
    value: unit === 'hour' ? ((value - 1) % 24) + 1 : value,
    headers: { timestamp: String(ts), ...(host === '' ? {} : { host }) },
  }))

async function flumen(c: Case): Promise<string> {
  const f = await compileEscape(c.template, {
    ...(c.zone === '' ? {} : { timeZone: c.zone }),
    ...(c.unit === '' ? {} : { round: { unit: c.unit, value: c.value } }),
  })
  try {
    return f(newHeaders(c.headers))
  } catch (e) {
    if (e instanceof EscapeError) return 'ERR'
    throw e
  }
}

describe('BucketPath differential test against Flume 1.11', () => {
  it('matches Java on generated templates, zones and rounding', { timeout: 120_000 }, async () => {
    process.env.TZ = 'UTC'
    const cases = fc.sample(caseArb, { numRuns: 400, seed: 8 })
    cases.push(
      { template: '%Y%m%d', zone: '', unit: '', value: 1, headers: {} },
      {
        template: '/logs/%{host}/%H',
        zone: 'UTC',
        unit: 'hour',
        value: 6,
        headers: { timestamp: 'x', host: 'a' },
      },
    )
    const input = cases
      .map((c) =>
        [
          c.template,
          c.zone,
          c.unit,
          String(c.value),
          ...Object.entries(c.headers).map(([k, v]) => `${k}=${v}`),
        ].join('\t'),
      )
      .join('\n')
    const r = await runFlumeTool('BucketPathEscape', [], {
      input: `${input}\n`,
      jvm: ['-Duser.timezone=UTC', '-Duser.language=en', '-Duser.country=US'],
      timeoutMs: 60_000,
    })
    const java = r.stdout.split('\n').slice(0, cases.length)
    assert.equal(java.length, cases.length)
    let mismatches = 0
    const report: string[] = []
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i] as Case
      const j = (java[i] as string).startsWith('ERR ') ? 'ERR' : (java[i] as string)
      const ours = await flumen(c)
      if (ours !== j) {
        mismatches++
        if (report.length < 10) report.push(`${JSON.stringify(c)}\n  java:   ${j}\n  flumen: ${ours}`)
      }
    }
    assert.equal(mismatches, 0, report.join('\n'))
  })
})
