// Vectors from shared/reference/flume-wire-protocols.md §4.2 (Flume 1.11 SyslogUtils, JVM TZ=UTC, clock
// 2023-06-15T12:00:00Z), with the documented bug fixes applied where noted, plus property tests.
process.env.TZ = 'UTC'

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { KEEP_NONE, parseKeepFields } from './keep-fields.ts'
import { SyslogUtilsParser } from './syslog-utils.ts'

const NOW = Date.UTC(2023, 5, 15, 12, 0, 0)

function parse(line: string | Buffer, keep = 'none', incomplete = false) {
  const p = new SyslogUtilsParser({ keepFields: parseKeepFields(keep), now: () => NOW })
  const headers: Record<string, string> = {}
  const body = p.parse(typeof line === 'string' ? Buffer.from(line, 'utf8') : line, incomplete, headers)
  return { headers, body: body.toString('utf8'), raw: body }
}

const SU = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed"

describe('SyslogUtils parser (syslogtcp / syslogudp)', () => {
  it('parses RFC 5424 into lower-case priority/version, timestamp, host', () => {
    assert.deepEqual(parse(SU), {
      headers: {
        Facility: '4',
        Severity: '2',
        priority: '34',
        version: '1',
        timestamp: '1065910455003',
        host: 'mymachine.example.com',
      },
      body: "su - ID47 - 'su root' failed",
      raw: Buffer.from("su - ID47 - 'su root' failed"),
    })
  })

  it('reads fractions as decimal fractions and honours the offset (Flume bug fixed)', () => {
    // Flume: 1061702055000 (offset ignored); correct instant 2003-08-24T12:14:15Z.
    const a = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - It's time")
    assert.equal(a.headers.timestamp, '1061727255000')
    assert.equal(a.headers.host, '192.0.2.1')
    assert.equal(a.body, "myproc 8710 - - It's time")
    // Flume: 1686823200005 (.5 read as 5 ms, offset ignored).
    assert.equal(
      parse('<13>1 2023-06-15T10:00:00.5+02:00 host app - - - frac5').headers.timestamp,
      '1686816000500',
    )
    assert.equal(
      parse('<13>1 2023-06-15T10:00:00+02:00 host app - - - nofrac').headers.timestamp,
      '1686816000000',
    )
    assert.equal(parse('<13>1 2023-06-15T10:00:00.123456Z h m').headers.timestamp, '1686823200123')
  })

  it('omits the timestamp for a nil stamp and the host for a nil hostname', () => {
    assert.deepEqual(parse('<13>1 - host app - - - nilstamp').headers, {
      Facility: '1',
      Severity: '5',
      priority: '13',
      version: '1',
      host: 'host',
    })
    const nilHost = parse('<13>1 2023-06-15T10:00:00Z - app msg')
    assert.equal(nilHost.headers.host, undefined)
    assert.equal(nilHost.body, 'app msg')
  })

  it('parses RFC 3164 with the year inside the 11-months-back / 1-month-ahead window', () => {
    const a = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed")
    assert.deepEqual(a.headers, {
      Facility: '4',
      Severity: '2',
      priority: '34',
      host: 'mymachine',
      timestamp: String(Date.UTC(2022, 9, 11, 22, 14, 15)),
    })
    assert.equal(a.body, "su: 'su root' failed")
    assert.equal(
      parse('<13>Jun  5 09:08:07 host1 app[123]: hello').headers.timestamp,
      String(Date.UTC(2023, 5, 5, 9, 8, 7)),
    )
    // Within a month ahead: this year; further ahead: last year.
    assert.equal(parse('<13>Jul 10 00:00:00 h m').headers.timestamp, String(Date.UTC(2023, 6, 10)))
    assert.equal(parse('<13>Aug 10 00:00:00 h m').headers.timestamp, String(Date.UTC(2022, 7, 10)))
    // Out-of-range day: no timestamp rather than a rolled-over one.
    assert.equal(parse('<13>Jun 31 00:00:00 h m').headers.timestamp, undefined)
    assert.equal(parse('<13>Jun 31 00:00:00 h m').headers.host, 'h')
  })

  it('keeps the raw line when a valid PRI is followed by an unknown layout', () => {
    assert.deepEqual(parse('<13>hello world'), {
      headers: { Facility: '1', Severity: '5' },
      body: '<13>hello world',
      raw: Buffer.from('<13>hello world'),
    })
  })

  it('marks lines without a valid PRI Invalid with facility and severity 0', () => {
    for (const l of ['hello world', '<abc>hi', '<>hi', '<1234>hi', '<13', '<']) {
      assert.deepEqual(
        parse(l).headers,
        { Facility: '0', Severity: '0', 'flume.syslog.status': 'Invalid' },
        l,
      )
      assert.equal(parse(l).body, l)
    }
  })

  it('flags cut frames Incomplete, Invalid winning', () => {
    const a = parse('<13>Jun  5 09:08:07 ', 'none', true)
    assert.deepEqual(a.headers, { Facility: '1', Severity: '5', 'flume.syslog.status': 'Incomplete' })
    assert.equal(a.body, '<13>Jun  5 09:08:07 ')
    assert.equal(parse('host1 app: a long me', 'none', true).headers['flume.syslog.status'], 'Invalid')
    assert.equal(parse('<13>1 - h app msg', 'none', true).body, 'app msg')
  })

  it('puts kept fields back in syslog order', () => {
    assert.equal(
      parse(SU, 'hostname timestamp').body,
      "2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
    )
    assert.equal(parse(SU, 'priority version').body, "<34>1 su - ID47 - 'su root' failed")
    assert.equal(parse(SU, 'all').body, SU)
    assert.equal(parse(SU, 'true').body, SU)
    assert.equal(parse(SU, 'false').body, "su - ID47 - 'su root' failed")
    // A kept nil field is written as it was sent (Flume writes "null").
    assert.equal(parse('<13>1 - - app msg', 'timestamp,hostname').body, '- - app msg')
  })

  it('keeps the raw line for an empty message (Flume compat)', () => {
    assert.equal(parse('<13>1 2023-06-15T10:00:00Z host ').body, '<13>1 2023-06-15T10:00:00Z host ')
    assert.equal(parse('<13>1 2023-06-15T10:00:00Z host ', 'hostname').body, 'host ')
  })

  it('follows Java regex semantics for line terminators and \\s', () => {
    // `.` stops at \r, U+0085, U+2028, U+2029: no layout matches, the raw line is the body.
    for (const t of ['\r', '\u0085', '\u2028', '\u2029']) {
      const line = `<13>1 - host app msg${t}`
      assert.deepEqual(parse(line).headers, { Facility: '1', Severity: '5' }, JSON.stringify(t))
      assert.equal(parse(line).body, line)
    }
    // \s includes tab and vertical tab.
    assert.equal(parse('<13>1\t-\thost\x0bapp msg').headers.host, 'host')
    assert.equal(parse('<13>1\t-\thost\x0bapp msg').body, 'app msg')
  })

  it('re-encodes invalid UTF-8 in the message like Java (U+FFFD) but keeps raw bytes for keepFields=all', () => {
    const line = Buffer.concat([Buffer.from('<13>1 - host caf'), Buffer.from([0xe9, 0x21])])
    assert.deepEqual(parse(line).raw, Buffer.from('caf\ufffd!', 'utf8'))
    assert.deepEqual(parse(line, 'all').raw, line)
    // Valid UTF-8 goes through untouched.
    assert.equal(parse('<13>1 - host héllo wörld ☃').body, 'héllo wörld ☃')
  })

  it('never throws, always sets Facility/Severity, and keeps the raw frame when Invalid', () => {
    const p = new SyslogUtilsParser({ keepFields: KEEP_NONE, now: () => NOW })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 200 }),
          fc
            .tuple(fc.constantFrom('<13>', '<165>1 ', '<0>', '<34>Oct 11 '), fc.string({ maxLength: 80 }))
            .map(([a, b]) => Buffer.from(a + b)),
        ),
        fc.boolean(),
        (bytes, incomplete) => {
          const frame = Buffer.from(bytes)
          const h: Record<string, string> = {}
          const body = p.parse(frame, incomplete, h)
          assert.ok(h.Facility !== undefined && h.Severity !== undefined)
          if (!/^<\d{1,3}>/.test(frame.toString('latin1'))) {
            assert.equal(h['flume.syslog.status'], 'Invalid')
            assert.equal(body, frame)
          } else if (incomplete) assert.equal(h['flume.syslog.status'], 'Incomplete')
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('recovers every field of generated RFC 5424 messages', () => {
    const p = new SyslogUtilsParser({ keepFields: KEEP_NONE, now: () => NOW })
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.date({
          min: new Date(Date.UTC(1971, 0, 1)),
          max: new Date(Date.UTC(2090, 0, 1)),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 6 }),
        fc.oneof(fc.constant('Z'), fc.integer({ min: -14 * 60, max: 14 * 60 })),
        fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,40}$/),
        fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !/[\r\n\u0085\u2028\u2029]/.test(s)),
        (pri, date, fracDigits, zone, host, msg) => {
          const ms = date.getTime()
          const offsetMin = zone === 'Z' ? 0 : zone
          const wall = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19)
          const frac =
            fracDigits === 0 ? '' : `.${String(ms % 1000).padStart(3, '0')}000`.slice(0, fracDigits + 1)
          const oz =
            zone === 'Z'
              ? 'Z'
              : `${zone < 0 ? '-' : '+'}${String(Math.floor(Math.abs(zone) / 60)).padStart(2, '0')}:${String(Math.abs(zone) % 60).padStart(2, '0')}`
          const line = `<${pri}>1 ${wall}${frac}${oz} ${host} ${msg}`
          const h: Record<string, string> = {}
          const body = p.parse(Buffer.from(line, 'utf8'), false, h)
          const fracMs =
            fracDigits === 0
              ? 0
              : Math.floor((ms % 1000) / 10 ** Math.max(0, 3 - fracDigits)) *
                10 ** Math.max(0, 3 - fracDigits)
          const expected = ms - (ms % 1000) + fracMs
          assert.equal(h.priority, String(pri))
          assert.equal(h.Facility, String(Math.floor(pri / 8)))
          assert.equal(h.Severity, String(pri % 8))
          assert.equal(h.version, '1')
          assert.equal(h.host, host)
          assert.equal(h.timestamp, String(expected), line)
          assert.equal(body.toString('utf8'), msg.length === 0 ? line : msg)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('recovers every field of generated RFC 3164 messages', () => {
    const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
    const p = new SyslogUtilsParser({ keepFields: KEEP_NONE, now: () => NOW })
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        // Any second of the window [now − 11 months, now + 1 month].
        fc.integer({ min: Date.UTC(2022, 6, 15, 12) + 1000, max: Date.UTC(2023, 6, 15, 12) - 1000 }),
        fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,20}$/),
        fc.string({ maxLength: 40 }).filter((s) => s.length > 0 && !/[\r\n\u0085\u2028\u2029]/.test(s)),
        (pri, t, host, msg) => {
          const d = new Date(t - (t % 1000))
          const day = String(d.getUTCDate()).padStart(2, ' ')
          const time = d.toISOString().slice(11, 19)
          const line = `<${pri}>${names[d.getUTCMonth()]} ${day} ${time} ${host} ${msg}`
          const h: Record<string, string> = {}
          const body = p.parse(Buffer.from(line, 'utf8'), false, h)
          assert.equal(h.timestamp, String(d.getTime()), line)
          assert.equal(h.host, host)
          assert.equal(h.priority, String(pri))
          assert.equal(body.toString('utf8'), msg)
        },
      ),
      { numRuns: 1000 },
    )
  })
})
