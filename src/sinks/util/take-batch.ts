/**
 * The body of almost every sink's `process()` (Flume's AbstractSink pattern, reference §2): one
 * transaction, take up to `batchSize`, deliver, commit only after delivery succeeded. Nothing taken →
 * commit and BACKOFF. Any failure rolls the batch back (the events return to the head of the channel, in
 * order) and surfaces as EventDeliveryError, which the sink runner answers with its 5 s pause.
 *
 * Counters follow Flume's SinkCounter conventions: BatchEmpty/Underflow/Complete per take,
 * EventDrainAttempt before delivery, EventDrainSuccess after commit, ChannelReadFail when the channel
 * itself failed, EventWriteFail when delivery failed.
 */

import type { Channel } from '../../core/channel.ts'
import type { SinkCounter } from '../../core/counters.ts'
import { ChannelError, describeError, EventDeliveryError } from '../../core/errors.ts'
import type { Event } from '../../core/event.ts'
import type { Status } from '../../core/spec.ts'

export async function takeAndDeliver(
  channel: Channel,
  batchSize: number,
  counter: SinkCounter,
  sinkName: string,
  deliver: (events: Event[]) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<Status> {
  const tx = channel.begin()
  let taken = 0
  try {
    let events: Event[]
    try {
      events = await tx.take(batchSize, signal)
    } catch (e) {
      counter.channelReadFail++
      throw e
    }
    taken = events.length
    counter.countBatch(taken, batchSize)
    if (taken === 0) {
      await tx.commit()
      return 'backoff'
    }
    counter.eventDrainAttemptCount += taken
    try {
      await deliver(events)
    } catch (e) {
      counter.eventWriteFail += taken
      throw e
    }
    await tx.commit()
    counter.eventDrainSuccessCount += taken
    return 'ready'
  } catch (e) {
    if (tx.state === 'open') await tx.rollback()
    if (e instanceof EventDeliveryError) throw e
    const what = e instanceof ChannelError ? 'channel failure' : 'delivery failure'
    throw new EventDeliveryError(
      `Sink ${sinkName}: ${what} with ${taken} event(s) taken; rolled back to the channel: ${describeError(e)}`,
      { cause: e, component: `SINK.${sinkName}` },
    )
  } finally {
    tx.close()
  }
}
