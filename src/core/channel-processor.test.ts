import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildContext, memoryChannel, silentLogger } from '../../test/helpers/fakes.ts'
import { spec as loadBalancing } from '../selectors/load-balancing.ts'
import { spec as multiplexing } from '../selectors/multiplexing.ts'
import { spec as replicating } from '../selectors/replicating.ts'
import type { Channel } from './channel.ts'
import { ChannelProcessor } from './channel-processor.ts'
import { ChannelError, ChannelFullError } from './errors.ts'
import { Event } from './event.ts'
import type { Interceptor } from './spec.ts'

async function drain(ch: Channel): Promise<string[]> {
  const tx = ch.begin()
  const got = await tx.take(1000)
  await tx.commit()
  tx.close()
  return got.map((e) => e.body.toString())
}

describe('ChannelProcessor', () => {
  it('replicates to every channel and runs interceptors in order, dropping filtered events', async () => {
    const [a, b] = [await memoryChannel('a'), await memoryChannel('b')]
    const ctx = { ...buildContext(), channels: [a, b] }
    const sel = replicating.build({ optional: [] } as never, ctx)
    const upper: Interceptor = {
      intercept: (es) => es.map((e) => new Event(Buffer.from(e.body.toString().toUpperCase()))),
    }
    const dropX: Interceptor = { intercept: (es) => es.filter((e) => e.body.toString() !== 'X') }
    const p = new ChannelProcessor(sel, [upper, dropX], silentLogger, [a, b])
    await p.processEventBatch([Event.fromString('x'), Event.fromString('y')])
    assert.deepEqual(await drain(a), ['Y'])
    assert.deepEqual(await drain(b), ['Y'])
    assert.equal(p.interceptorDrops, 1)
  })

  it('fails the batch on a required channel failure, leaving earlier required channels committed', async () => {
    const ok = await memoryChannel('ok')
    const full = await memoryChannel('full', 1, 1, 0)
    const sel = replicating.build({ optional: [] } as never, { ...buildContext(), channels: [ok, full] })
    const p = new ChannelProcessor(sel, [], silentLogger, [ok, full])
    await assert.rejects(
      p.processEventBatch([Event.fromString('1'), Event.fromString('2')]),
      (e: unknown) => e instanceof ChannelError,
    )
    // Flume compat: the first channel already committed; a retry would duplicate there.
    assert.deepEqual(await drain(ok), ['1', '2'])
    assert.deepEqual(await drain(full), [])
  })

  it('swallows optional channel failures and counts them', async () => {
    const req = await memoryChannel('req')
    const opt = await memoryChannel('opt', 1, 1, 0)
    const sel = replicating.build({ optional: ['opt'] } as never, { ...buildContext(), channels: [req, opt] })
    const p = new ChannelProcessor(sel, [], silentLogger, [req, opt])
    await p.processEventBatch([Event.fromString('1'), Event.fromString('2')])
    assert.deepEqual(await drain(req), ['1', '2'])
    assert.equal(p.optionalChannelFailures, 1)
  })

  it('multiplexes on an exact, case-sensitive header value with default and optional channels', async () => {
    const [us, eu, def, audit] = await Promise.all(['us', 'eu', 'def', 'audit'].map((n) => memoryChannel(n)))
    const cfg = {
      header: 'region',
      defaultChannels: 'def',
      mapping: new Map([
        ['us', 'us'],
        ['eu', 'eu def'],
      ]),
      optional: new Map([['eu', 'audit def']]),
    }
    const sel = multiplexing.build(cfg as never, {
      ...buildContext(),
      channels: [us, eu, def, audit] as Channel[],
    })
    const p = new ChannelProcessor(sel, [], silentLogger)
    const e = (body: string, region?: string) =>
      Event.fromString(body, region === undefined ? {} : { region })
    await p.processEventBatch([e('1', 'us'), e('2', 'eu'), e('3', 'US'), e('4'), e('5', '  ')])
    assert.deepEqual(await drain(us as Channel), ['1'])
    assert.deepEqual(await drain(eu as Channel), ['2'])
    // 'US' has no mapping (case-sensitive), no header and a blank header go to default; 'def' is
    // required for eu so it is removed from eu's optional list.
    assert.deepEqual(await drain(def as Channel), ['2', '3', '4', '5'])
    assert.deepEqual(await drain(audit as Channel), ['2'])
  })

  it('drops events multiplexing sends nowhere, and the source sees success', async () => {
    const a = await memoryChannel('a')
    const sel = multiplexing.build(
      {
        header: 'h',
        defaultChannels: undefined,
        mapping: new Map([['x', 'a']]),
        optional: new Map(),
      } as never,
      { ...buildContext(), channels: [a] },
    )
    const p = new ChannelProcessor(sel, [], silentLogger)
    await p.processEventBatch([Event.fromString('lost', { h: 'y' }), Event.fromString('kept', { h: 'x' })])
    assert.deepEqual(await drain(a), ['kept'])
  })

  it('load-balances one channel per event, round robin', async () => {
    const chans = await Promise.all(['a', 'b', 'c'].map((n) => memoryChannel(n)))
    const sel = loadBalancing.build({ policy: 'round_robin' } as never, {
      ...buildContext(),
      channels: chans,
    })
    const p = new ChannelProcessor(sel, [], silentLogger)
    await p.processEventBatch(['1', '2', '3', '4', '5'].map((s) => Event.fromString(s)))
    assert.deepEqual(await drain(chans[0] as Channel), ['1', '4'])
    assert.deepEqual(await drain(chans[1] as Channel), ['2', '5'])
    assert.deepEqual(await drain(chans[2] as Channel), ['3'])
  })

  it('reports the smallest transactionCapacity as the batch limit', async () => {
    const a = await memoryChannel('a', 1000, 50)
    const b = await memoryChannel('b', 1000, 20)
    const sel = replicating.build({ optional: [] } as never, { ...buildContext(), channels: [a, b] })
    assert.equal(new ChannelProcessor(sel, [], silentLogger, [a, b]).maxBatch, 20)
  })

  it('surfaces a full channel as ChannelFullError', async () => {
    const a = await memoryChannel('a', 2, 2, 0)
    const sel = replicating.build({ optional: [] } as never, { ...buildContext(), channels: [a] })
    const p = new ChannelProcessor(sel, [], silentLogger, [a])
    await p.processEventBatch([Event.fromString('1'), Event.fromString('2')])
    await assert.rejects(p.processEvent(Event.fromString('3')), ChannelFullError)
  })
})

describe('header maps', () => {
  it('store any key, including __proto__ and constructor, and read missing keys as undefined', async () => {
    const { newHeaders } = await import('./event.ts')
    const h = newHeaders()
    const [proto, ctor, str] = ['__proto__', 'constructor', 'toString']
    assert.equal(h[ctor], undefined)
    assert.equal(h[str], undefined)
    h[proto] = 'p'
    h[ctor] = 'c'
    assert.deepEqual(Object.keys(h), ['__proto__', 'constructor'])
    assert.equal(h[proto], 'p')
    assert.deepEqual(Object.keys(newHeaders({ a: '1', b: '2' })), ['a', 'b'])
  })
})
