import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { channelConformance } from '../../test/helpers/channel-conformance.ts'
import { ChannelError } from '../core/errors.ts'
import { Event } from '../core/event.ts'
import { MemoryChannel, type MemoryChannelConfig } from './memory.ts'

const cfg = (o: Partial<MemoryChannelConfig> = {}): MemoryChannelConfig => ({
  capacity: 100,
  transactionCapacity: 100,
  keepAlive: 0,
  byteCapacityBufferPercentage: 20,
  byteCapacity: undefined,
  ...o,
})

channelConformance('memory', async (o) => ({
  channel: new MemoryChannel(
    'c1',
    cfg({ capacity: o.capacity, transactionCapacity: o.transactionCapacity, keepAlive: o.keepAlive }),
  ),
  cleanup: async () => {},
}))

describe('memory channel specifics', () => {
  it('accounts bodies in 100-byte slots against byteCapacity minus the buffer percentage', async () => {
    // 1000 bytes, 20% headroom → 800 bytes → 8 slots. A 250-byte body costs 3 slots, an empty one 1.
    const ch = new MemoryChannel('c', cfg({ byteCapacity: 1000 }))
    await ch.start()
    const put = async (sizes: number[]) => {
      const tx = ch.begin()
      tx.put(sizes.map((n) => new Event(Buffer.alloc(n))))
      try {
        await tx.commit()
      } finally {
        if (tx.state === 'open') await tx.rollback()
        tx.close()
      }
    }
    await put([250, 250]) // 6 slots
    await put([0, 100]) // 2 slots → 8
    await assert.rejects(
      put([1]),
      (e: unknown) => e instanceof ChannelError && e.code === 'FLUME_ERR_CHANNEL_BYTE_CAPACITY',
    )
    const tx = ch.begin()
    await tx.take(1)
    await tx.commit()
    tx.close()
    await put([200]) // 3 slots freed by the 250-byte take
    assert.equal(ch.size(), 4)
  })

  it('treats byteCapacity 0 as unlimited', async () => {
    assert.equal(MemoryChannel.byteSlots(cfg({ byteCapacity: 0 })), 2 ** 31 - 1)
  })

  it('counts take attempts the way a Flume sink loop would', async () => {
    const ch = new MemoryChannel('c', cfg())
    await ch.start()
    const tx = ch.begin()
    tx.put([Event.fromString('a'), Event.fromString('b')])
    await tx.commit()
    tx.close()
    const t2 = ch.begin()
    assert.equal((await t2.take(10)).length, 2)
    await t2.commit()
    t2.close()
    // Two events then the null take that ends the batch.
    assert.equal(ch.counter.eventTakeAttemptCount, 3)
    assert.equal(ch.counter.eventTakeSuccessCount, 2)
    assert.equal(ch.counter.eventPutSuccessCount, 2)
  })

  it('keeps events and capacity accounting across reconfigure', async () => {
    const ch = new MemoryChannel('c', cfg({ capacity: 10, transactionCapacity: 10 }))
    await ch.start()
    const tx = ch.begin()
    tx.put(Array.from({ length: 5 }, (_, i) => Event.fromString(String(i))))
    await tx.commit()
    tx.close()
    ch.reconfigure(cfg({ capacity: 6, transactionCapacity: 6 }))
    const t2 = ch.begin()
    t2.put([Event.fromString('x')])
    await t2.commit()
    t2.close()
    const t3 = ch.begin()
    t3.put([Event.fromString('y')])
    await assert.rejects(t3.commit())
    await t3.rollback()
    t3.close()
    assert.equal(ch.size(), 6)
    assert.equal(ch.counter.channelCapacity, 6)
  })

  it('shrinks below its fill without losing events: puts wait until sinks drain it under the new capacity', async () => {
    const ch = new MemoryChannel('c', cfg({ capacity: 10, transactionCapacity: 10, keepAlive: 0 }))
    await ch.start()
    const tx = ch.begin()
    tx.put(Array.from({ length: 8 }, (_, i) => Event.fromString(String(i))))
    await tx.commit()
    tx.close()
    assert.equal(ch.reconfigure(cfg({ capacity: 5, transactionCapacity: 5, keepAlive: 0 })), 3)
    assert.equal(ch.size(), 8)
    const full = ch.begin()
    full.put([Event.fromString('over')])
    await assert.rejects(full.commit())
    await full.rollback()
    full.close()
    // Take 4: 4 left, one slot free under the new capacity.
    const take = ch.begin()
    assert.deepEqual(
      (await take.take(4)).map((e) => e.body.toString()),
      ['0', '1', '2', '3'],
    )
    await take.commit()
    take.close()
    const put = ch.begin()
    put.put([Event.fromString('fits')])
    await put.commit()
    put.close()
    const rest = ch.begin()
    assert.deepEqual(
      (await rest.take(5)).map((e) => e.body.toString()),
      ['4', '5', '6', '7', 'fits'],
    )
    await rest.commit()
    rest.close()
  })
})
