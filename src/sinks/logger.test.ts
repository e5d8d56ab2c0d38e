import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Event } from '../core/event.ts'
import { dumpEvent } from './logger.ts'

describe('logger sink format (Flume EventHelper.dumpEvent)', () => {
  it('prints headers, then hex pairs padded to 16 columns and the printable text', () => {
    // Reference output from Flume's user guide example: "Hello world!\r" sent with netcat.
    const e = Event.fromString('Hello world!\r')
    assert.equal(
      dumpEvent(e),
      '{ headers:{} body: 48 65 6C 6C 6F 20 77 6F 72 6C 64 21 0D          Hello world!. }',
    )
  })

  it('shows at most 16 bytes and dots for bytes outside printable ASCII', () => {
    const e = new Event(Buffer.from([0x00, 0x7f, 0x80, 0xff, ...Buffer.from('abcdefghijklmnopq')]))
    e.headers.k1 = 'v1'
    e.headers.k2 = 'v2'
    assert.equal(
      dumpEvent(e),
      '{ headers:{k1=v1, k2=v2} body: 00 7F 80 FF 61 62 63 64 65 66 67 68 69 6A 6B 6C ....abcdefghijkl }',
    )
  })

  it('prints nothing after body: for an empty body', () => {
    assert.equal(dumpEvent(new Event(Buffer.alloc(0))), '{ headers:{} body: }')
  })
})
