/**
 * The channel and transaction contracts (Flume's Channel / Transaction / BasicTransactionSemantics).
 *
 * A transaction is a value: `const tx = channel.begin()`, then `put(batch)` and/or `take(n)`, then
 * `commit()` or `rollback()`, then `close()`. There is no "current transaction" bound to a thread or an
 * async context; callers pass the transaction object around. `withTransaction` wraps the idiom.
 *
 * State machine (Flume's): OPEN --commit()|rollback()--> COMPLETED --close()--> CLOSED. `put`/`take` only
 * while OPEN; `close()` while OPEN is an error ("you must either commit or rollback first").
 *
 * Guarantees every channel implements:
 * - puts are invisible to takers until commit; rollback discards them;
 * - takes are returned to the head of the channel, in their original order, on rollback;
 * - more puts or takes than `transactionCapacity` in one transaction throw ChannelError immediately;
 * - no space for the puts at commit (after the channel's keep-alive wait) throws ChannelFullError.
 */

import type { ChannelCounter } from './counters.ts'
import { TransactionStateError } from './errors.ts'
import type { Event } from './event.ts'

export type TransactionState = 'open' | 'committed' | 'rolledBack' | 'closed'

export interface Transaction {
  readonly state: TransactionState
  /** Stages events; they become visible to takers at commit. Throws ChannelError past transactionCapacity. */
  put(events: readonly Event[]): void
  /**
   * Takes up to `max` events (never more than the transaction has room for). Resolves at once with what is
   * available; if the channel is empty, waits up to the channel's keep-alive for at least one event, then
   * resolves with what arrived (possibly nothing). `signal` ends the wait early.
   */
  take(max: number, signal?: AbortSignal): Promise<Event[]>
  /** Makes puts visible and takes final. Resolves only once the channel's durability promise holds. */
  commit(): Promise<void>
  /** Discards puts and returns takes to the head of the channel. */
  rollback(): Promise<void>
  close(): void
}

export interface Channel {
  readonly name: string
  readonly counter: ChannelCounter
  /** Maximum puts or takes in one transaction; undefined for channels Flume does not check (kafka, jdbc). */
  readonly transactionCapacity: number | undefined
  begin(): Transaction
  start(): Promise<void>
  stop(): Promise<void>
  /** Events committed and not yet taken (committed takes excluded), for draining and dashboards. */
  size(): number
  /**
   * True when committed events survive `stop()` and a new instance with the same storage settings
   * restores them (file, jdbc; spillablememory with an overflow). A reload that must replace such a channel
   * stops it and opens the new one on the same storage; a channel that is not durable is emptied into its
   * replacement instead.
   */
  readonly durable?: boolean
  /**
   * Applies a changed configuration of the same type in place, keeping the stored events (a reload).
   * Channels without it are replaced when their configuration changes.
   */
  reconfigure?(config: never): unknown
}

/**
 * Shared state-machine checks for transaction implementations. Channels extend it and implement the
 * `do*` hooks; the public methods enforce Flume's state rules so each channel cannot get them wrong.
 */
export abstract class BaseTransaction implements Transaction {
  #state: TransactionState = 'open'
  protected readonly channelName: string

  constructor(channelName: string) {
    this.channelName = channelName
  }

  get state(): TransactionState {
    return this.#state
  }

  protected abstract doPut(events: readonly Event[]): void
  protected abstract doTake(max: number, signal?: AbortSignal): Promise<Event[]>
  protected abstract doCommit(): Promise<void>
  protected abstract doRollback(): Promise<void>

  put(events: readonly Event[]): void {
    this.#require('open', 'put')
    if (events.length > 0) this.doPut(events)
  }

  async take(max: number, signal?: AbortSignal): Promise<Event[]> {
    this.#require('open', 'take')
    return this.doTake(max, signal)
  }

  async commit(): Promise<void> {
    this.#require('open', 'commit')
    // Flume compat: a failed commit leaves the transaction open so the caller can (and must) roll back.
    await this.doCommit()
    this.#state = 'committed'
  }

  async rollback(): Promise<void> {
    this.#require('open', 'rollback')
    this.#state = 'rolledBack'
    await this.doRollback()
  }

  close(): void {
    if (this.#state === 'open') {
      throw new TransactionStateError(
        `Transaction on channel ${this.channelName} closed while open: commit or roll back first`,
        { component: `CHANNEL.${this.channelName}` },
      )
    }
    this.#state = 'closed'
  }

  #require(state: TransactionState, op: string): void {
    if (this.#state !== state) {
      throw new TransactionStateError(
        `Cannot ${op} on channel ${this.channelName}: transaction is ${this.#state}, expected ${state}`,
        { component: `CHANNEL.${this.channelName}` },
      )
    }
  }
}

/**
 * Runs `fn` inside one transaction: commit on success, rollback on any error (re-thrown), always close.
 * A rollback failure is attached to the original error as `cause` context, never hides it.
 */
export async function withTransaction<T>(
  channel: Channel,
  fn: (tx: Transaction) => Promise<T> | T,
): Promise<T> {
  const tx = channel.begin()
  try {
    const result = await fn(tx)
    await tx.commit()
    return result
  } catch (e) {
    if (tx.state === 'open') {
      try {
        await tx.rollback()
      } catch (rollbackError) {
        if (e instanceof Error && e.cause === undefined) e.cause = rollbackError
      }
    }
    throw e
  } finally {
    if (tx.state !== 'open') tx.close()
  }
}
