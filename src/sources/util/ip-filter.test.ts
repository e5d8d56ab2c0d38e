import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileIpFilter, IpFilterRuleError, parseIpFilterRules } from './ip-filter.ts'

describe('ipFilterRules (Flume PatternRule + Netty RuleBasedIpFilter)', () => {
  it('first matching rule decides; a client no rule matches is accepted', async () => {
    const f = await compileIpFilter('allow:ip:10.1.*,deny:ip:10.*')
    assert.deepEqual(await f.check('10.1.2.3'), { allowed: true, rule: 'allow:ip:10.1.*' })
    assert.deepEqual(await f.check('10.2.2.3'), { allowed: false, rule: 'deny:ip:10.*' })
    assert.deepEqual(await f.check('192.168.0.1'), { allowed: true, rule: undefined })
  })

  it('translates only * and ?, dots are literal, the whole address must match', async () => {
    const f = await compileIpFilter('deny:ip:192.168.?.1, allow:ip:*')
    assert.equal((await f.check('192.168.5.1')).allowed, false)
    assert.equal((await f.check('192.168.55.1')).allowed, true) // ? is one character
    assert.equal((await f.check('192x168.5.1')).allowed, true) // . is not a wildcard
    const g = await compileIpFilter('deny:ip:10.0.0.1')
    assert.equal((await g.check('110.0.0.12')).allowed, true) // whole-text match, not find
  })

  it('name:localhost matches the loopback address; IPv4-mapped addresses are seen as IPv4', async () => {
    const f = await compileIpFilter('allow:name:localhost,deny:ip:*')
    assert.equal((await f.check('127.0.0.1')).allowed, true)
    assert.equal((await f.check('::ffff:127.0.0.1')).allowed, true)
    assert.equal((await f.check('10.0.0.1')).allowed, false)
    const g = await compileIpFilter('deny:ip:127.*')
    assert.equal((await g.check('::ffff:127.0.0.1')).allowed, false)
  })

  it('name rules use the reverse-DNS name (the system resolver, /etc/hosts first)', async () => {
    const f = await compileIpFilter('allow:name:local*,deny:ip:*')
    assert.equal((await f.check('127.0.0.1')).allowed, true)
  })

  it("refuses malformed rules with Flume's message", () => {
    for (const bad of ['allow', 'permit:ip:1.2.3.4', 'allow:host:x', 'deny:ip']) {
      assert.throws(
        () => parseIpFilterRules(bad),
        (e: Error) => e instanceof IpFilterRuleError && /should look like/.test(e.message),
      )
    }
    assert.throws(() => parseIpFilterRules('  '), /ipFilterRules is not defined/)
    assert.equal(parseIpFilterRules('allow:ip:1.*, deny:name:*').length, 2)
  })
})
