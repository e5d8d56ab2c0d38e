/**
 * What the JDBC channel needs from a database, whichever it is (SQLite, PostgreSQL, MariaDB/MySQL): the
 * channel keeps the queue of row ids in memory and uses the database as its durable store, one database
 * transaction per channel commit.
 *
 * Table (created when `create.schema` is true, the default):
 *
 *   flumen_channel_events (
 *     channel  VARCHAR(255) NOT NULL,   -- the channel's name: several channels can share a database
 *     id       BIGINT NOT NULL,         -- assigned by the channel, increasing in commit order
 *     headers  TEXT NOT NULL,           -- JSON object of string values
 *     body     BLOB NOT NULL,
 *     PRIMARY KEY (channel, id))
 *
 * A put commit inserts its rows, a take commit deletes them, in the same transaction when both. Each
 * backend also takes an exclusive lock for the channel (an advisory lock, or SQLite's exclusive locking
 * mode), so a second agent using the same channel name on the same database refuses to start.
 */

export const TABLE = 'flumen_channel_events'

export interface StoredEvent {
  readonly id: number
  readonly headers: string
  readonly body: Buffer
}

export interface NewRow {
  readonly id: number
  readonly headers: string
  readonly body: Buffer
}

export interface SchemaOptions {
  readonly createSchema: boolean
  readonly createIndex: boolean
}

export interface JdbcBackend {
  /** For log lines and errors: "SQLite /var/lib/flume/x.sqlite", "PostgreSQL 127.0.0.1:5432/test". */
  readonly description: string
  /** Connects, locks the channel, creates or checks the table. */
  open(channel: string, schema: SchemaOptions): Promise<void>
  /** Ids of the channel's rows, ascending. */
  loadIds(channel: string): Promise<number[]>
  /** One transaction: insert `puts`, delete `takes`. */
  commit(channel: string, puts: readonly NewRow[], takes: readonly number[]): Promise<void>
  /** The rows with these ids (any order; missing ones are simply absent). */
  fetch(channel: string, ids: readonly number[]): Promise<StoredEvent[]>
  close(): Promise<void>
}

export type IsolationLevel = 'READ_UNCOMMITTED' | 'READ_COMMITTED' | 'REPEATABLE_READ' | 'SERIALIZABLE'

export const ISOLATION_SQL: Record<IsolationLevel, string> = {
  READ_UNCOMMITTED: 'READ UNCOMMITTED',
  READ_COMMITTED: 'READ COMMITTED',
  REPEATABLE_READ: 'REPEATABLE READ',
  SERIALIZABLE: 'SERIALIZABLE',
}
