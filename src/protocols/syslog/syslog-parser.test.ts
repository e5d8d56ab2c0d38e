// Vectors from shared/reference/flume-wire-protocols.md §4.3 (Flume 1.11 SyslogParser, as used by
// multiport_syslogtcp), with the documented RFC 3164 year bug fixed, plus property tests.
process.env.TZ = 'Asia/Kolkata' // multiport reads zone-less stamps in UTC whatever the local zone is

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { parseKeepFields } from './keep-fields.ts'
import { frameCharset, SyslogParser } from './syslog-parser.ts'

const NOW = Date.UTC(2023, 5, 15, 12, 0, 0)

function parse(line: string | Buffer, keep = 'none', incomplete = false, charset = 'UTF-8') {
  const p = new SyslogParser({ keepFields: parseKeepFields(keep), now: () => NOW })
  const headers: Record<string, string> = {}
  const cs = frameCharset(charset)
  assert.ok(cs)
  const raw = p.parseFrame(
    typeof line === 'string' ? Buffer.from(line, 'utf8') : line,
    incomplete,
    headers,
    cs,
  )
  return { headers, body: raw.toString('utf8'), raw }
}

const INVALID = { 'flume.syslog.status': 'Invalid' }

describe('SyslogParser (multiport_syslogtcp)', () => {
  it('uses capitalised Priority/Version and always a timestamp', () => {
    assert.deepEqual(
      parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed"),
      {
        headers: {
          Priority: '34',
          Facility: '4',
          Severity: '2',
          Version: '1',
          timestamp: '1065910455003',
          host: 'mymachine.example.com',
        },
        body: "su - ID47 - 'su root' failed",
        raw: Buffer.from("su - ID47 - 'su root' failed"),
      },
    )
    assert.equal(parse('<13>1 - host app msg').headers.timestamp, String(NOW))
  })

  it('scales fractions and honours offsets', () => {
    assert.equal(parse('<13>1 2023-06-15T10:00:00.5+02:00 h m').headers.timestamp, '1686816000500')
    assert.equal(parse('<13>1 2003-08-24T05:14:15.000003-07:00 h m').headers.timestamp, '1061727255000')
    // No zone after the seconds: UTC (not the local zone).
    assert.equal(parse('<13>1 2023-06-15T10:00:00x h m').headers.timestamp, '1686823200000')
    // Flume crashes on a fraction with nothing after it; we read it as UTC.
    assert.equal(parse('<13>1 2023-06-15T10:00:00.25 h m').headers.timestamp, '1686823200250')
  })

  it('reads RFC 3164 in UTC with the year in the rolling window (Flume: 1999/2001)', () => {
    const a = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed")
    assert.equal(a.headers.timestamp, String(Date.UTC(2022, 9, 11, 22, 14, 15)))
    assert.equal(a.headers.host, 'mymachine')
    assert.equal(a.headers.Version, undefined)
    assert.equal(a.body, "su: 'su root' failed")
    assert.equal(
      parse('<13>Jun  5 09:08:07 host1 x').headers.timestamp,
      String(Date.UTC(2023, 5, 5, 9, 8, 7)),
    )
    // An unparseable 15-char stamp: receive time (Flume: 0); the fixed width still decides the hostname.
    const b = parse('<13>Jun 5 09:08:07 host1 x')
    assert.equal(b.headers.timestamp, String(NOW))
    assert.equal(b.headers.host, 'ost1')
  })

  it('takes Version only from "1 "', () => {
    assert.equal(parse('<13>2 - h m').headers.Version, undefined)
    assert.deepEqual(parse('<13>2 - h m').headers, INVALID) // "2" is read as an RFC 5424 stamp and fails
  })

  it('keeps the whole line when nothing follows the hostname, or with keepFields=all', () => {
    assert.equal(parse('<13>1 - host ').body, '<13>1 - host ')
    assert.equal(parse('<13>1 - host m', 'all').body, '<13>1 - host m')
    assert.equal(parse('<13>1 - host m', 'priority version timestamp hostname').body, '<13>1 - host m')
    assert.equal(parse('<13>Jun  5 09:08:07 host1 x', 'timestamp').body, 'Jun  5 09:08:07 x')
  })

  it('marks layout failures Invalid with no parsed headers and the whole line as body', () => {
    for (const l of [
      'hello',
      '<13>',
      '<1234567>x y z',
      '<ab>1 - h m',
      '<13>1 - h',
      '<13>1 2023-06-15T10:00:00',
      '<13>1 2023-13-15T10:00:00Z h m',
      '<13>1 2023-06-15T10:00:00+0200 h m',
      '<13>Jun  5 09:08:07',
    ]) {
      const r = parse(l)
      assert.deepEqual(r.headers, INVALID, l)
      assert.equal(r.body, l)
    }
  })

  it('writes half a surrogate pair cut off by the layout as ? (Java encodes it so)', () => {
    // "Jun 5" is one char short of a 3164 stamp, so the host starts inside the pair, as in Flume.
    assert.equal(parse('<13>Jun 5 10:00:00 \u{10000} ').headers.host, '?')
    assert.equal(parse('<13>Jun  5 10:00:00 h\u{10000} m').headers.host, 'h\u{10000}')
  })

  it('accepts what Java parseInt accepts between the brackets (Flume compat)', () => {
    assert.equal(parse('<0013>1 - h m').headers.Priority, '0013')
    assert.equal(parse('<+13>1 - h m').headers.Facility, '1')
  })

  it('marks frames invalid in the port charset Invalid and keeps their raw bytes', () => {
    const bad = Buffer.concat([Buffer.from('<13>1 - h caf'), Buffer.from([0xe9])])
    assert.deepEqual(parse(bad).headers, INVALID)
    assert.deepEqual(parse(bad).raw, bad)
    // The same bytes are fine in ISO-8859-1, and the body stays in that charset.
    const latin = parse(bad, 'none', false, 'ISO-8859-1')
    assert.equal(latin.headers.host, 'h')
    assert.deepEqual(latin.raw, Buffer.from([0x63, 0x61, 0x66, 0xe9]))
    assert.equal(
      parse(Buffer.from('<13>1 - h caf\xe9', 'latin1'), 'none', false, 'US-ASCII').headers[
        'flume.syslog.status'
      ],
      'Invalid',
    )
  })

  it('accepts UTF-8, US-ASCII and single-byte charsets only', () => {
    assert.equal(frameCharset('UTF-16'), undefined)
    assert.equal(frameCharset('utf-32le'), undefined)
    assert.equal(frameCharset('no-such-charset'), undefined)
    assert.equal(frameCharset('Shift_JIS'), undefined)
    assert.ok(frameCharset('windows-1252'))
    assert.ok(frameCharset('KOI8-R'))
  })

  it('counts positions in Java chars: a multi-byte char inside the fixed 15-char RFC 3164 window', () => {
    // Flume takes 15 chars for the stamp, then skips one: with "é" (2 bytes) at the 15th position the
    // hostname starts at the right char only when counting chars, not bytes.
    const r = parse('<13>Jun 5 10:00:00é host msg')
    assert.equal(r.headers.host, 'host')
    assert.equal(r.body, 'msg')
    assert.equal(parse('<13>1 - hôst mèssage ☃', 'hostname').body, 'hôst mèssage ☃')
  })

  it('adds Incomplete only to frames that parsed', () => {
    assert.equal(parse('<13>1 - h m', 'none', true).headers['flume.syslog.status'], 'Incomplete')
    assert.deepEqual(parse('<13>1 - h', 'none', true).headers, INVALID)
  })

  it('never throws; an Invalid result has exactly one header and the raw frame', () => {
    const p = new SyslogParser({ keepFields: parseKeepFields('none'), now: () => NOW })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 120 }),
          fc
            .tuple(
              fc.constantFrom('<13>', '<1>1 ', '<34>Oct 11 22:14:15 ', '<1>1 2023-06-15T10:00:00'),
              fc.string({ maxLength: 60 }),
            )
            .map(([a, b]) => Buffer.from(a + b)),
        ),
        fc.boolean(),
        (bytes, incomplete) => {
          const frame = Buffer.from(bytes)
          const h: Record<string, string> = {}
          const body = p.parseFrame(frame, incomplete, h)
          if (h['flume.syslog.status'] === 'Invalid') {
            assert.deepEqual(Object.keys(h), ['flume.syslog.status'])
            assert.equal(body, frame)
          } else {
            assert.ok(h.Priority !== undefined && h.timestamp !== undefined && h.host !== undefined)
            assert.ok(/^-?\d+$/.test(h.timestamp))
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('recovers every field of generated RFC 5424 messages', () => {
    const p = new SyslogParser({ keepFields: parseKeepFields('none'), now: () => NOW })
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 191 }),
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2080, 0, 1) }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        fc.stringMatching(/^[^ \n]{1,30}$/),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
        (pri, ms, off, host, msg) => {
          const wall = new Date(ms + off * 60_000).toISOString().slice(0, 23)
          const oz = `${off < 0 ? '-' : '+'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`
          const line = `<${pri}>1 ${wall}${oz} ${host} ${msg}`
          const h: Record<string, string> = {}
          const body = p.parseFrame(Buffer.from(line, 'utf8'), false, h)
          assert.equal(h.timestamp, String(ms), line)
          assert.equal(h.Priority, String(pri))
          assert.equal(h.host, host)
          assert.equal(body.toString('utf8'), msg)
        },
      ),
      { numRuns: 1000 },
    )
  })
})
