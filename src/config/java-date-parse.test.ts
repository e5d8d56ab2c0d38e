import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileDateParser, DatePatternError } from './java-date-parse.ts'

describe('Java date pattern parsing', () => {
  it('parses the regex_extractor user-guide pattern in a given zone and with explicit offsets', () => {
    assert.equal(
      compileDateParser('yyyy-MM-dd HH:mm', 'UTC').parse('2012-10-18 18:47'),
      Date.UTC(2012, 9, 18, 18, 47),
    )
    assert.equal(
      compileDateParser('yyyy-MM-dd HH:mm', 'America/Los_Angeles').parse('2012-10-18 18:47'),
      Date.UTC(2012, 9, 19, 1, 47),
    )
    assert.equal(
      compileDateParser("yyyy-MM-dd'T'HH:mm:ss.SSSZ").parse('2024-02-29T23:59:58.123+0130'),
      Date.UTC(2024, 1, 29, 22, 29, 58, 123),
    )
    assert.equal(
      compileDateParser('yyyyMMddHHmmss', 'UTC').parse('20240102030405'),
      Date.UTC(2024, 0, 2, 3, 4, 5),
    )
    assert.equal(
      compileDateParser('dd/MMM/yyyy:HH:mm:ss Z').parse('10/Oct/2000:13:55:36 -0700'),
      Date.UTC(2000, 9, 10, 20, 55, 36),
    )
    assert.equal(
      compileDateParser('EEE MMM d h:mm a yyyy', 'UTC').parse('Tue Oct 3 1:05 PM 2023'),
      Date.UTC(2023, 9, 3, 13, 5),
    )
  })

  it('requires the whole text to match and rejects impossible fields', () => {
    const p = compileDateParser('yyyy-MM-dd', 'UTC')
    assert.equal(p.parse('2012-10-18 extra'), undefined)
    assert.equal(p.parse('2012-13-01'), undefined)
    assert.equal(p.parse('twelve'), undefined)
  })

  it('refuses patterns it cannot parse with', () => {
    assert.throws(() => compileDateParser("yyyy-MM-dd'T"), DatePatternError)
    assert.throws(() => compileDateParser('yyyy-ww'), DatePatternError)
  })
})
