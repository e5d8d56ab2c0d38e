/**
 * PostgreSQL backend of the JDBC channel (`driver.url = jdbc:postgresql://host:port/db`), with `pg`.
 *
 * A pool of `maximum.connections` connections serves commits and fetches; each connection's session uses
 * `transaction.isolation`. One more connection holds a session advisory lock on the channel name for as
 * long as the channel is open, so a second agent with the same channel on the same database refuses to
 * start (and gets it as soon as the first one's connection closes, even after kill -9).
 */

import pg from 'pg'
import {
  ISOLATION_SQL,
  type IsolationLevel,
  type JdbcBackend,
  type NewRow,
  type SchemaOptions,
  type StoredEvent,
  TABLE,
} from './backend.ts'

export interface PostgresOptions {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string | undefined
  readonly password: string | undefined
  readonly maxConnections: number
  readonly isolation: IsolationLevel
  /** Extra driver settings from the URL query or connection.properties.file (ssl, application_name…). */
  readonly extra: Readonly<Record<string, string>>
}

export class PostgresBackend implements JdbcBackend {
  readonly description: string
  readonly #o: PostgresOptions
  #pool: pg.Pool | undefined
  #lockClient: pg.Client | undefined

  constructor(o: PostgresOptions) {
    this.#o = o
    this.description = `PostgreSQL ${o.host}:${o.port}/${o.database}`
  }

  #config(): pg.ClientConfig {
    const o = this.#o
    const c: pg.ClientConfig = { host: o.host, port: o.port, database: o.database }
    if (o.user !== undefined) c.user = o.user
    if (o.password !== undefined) c.password = o.password
    if (o.extra.application_name !== undefined) c.application_name = o.extra.application_name
    const ssl = o.extra.ssl ?? o.extra.sslmode
    if (ssl !== undefined && ssl !== 'false' && ssl !== 'disable')
      c.ssl = { rejectUnauthorized: ssl !== 'require' }
    return c
  }

  async open(channel: string, schema: SchemaOptions): Promise<void> {
    const lock = new pg.Client(this.#config())
    lock.on('error', () => {})
    await lock.connect()
    this.#lockClient = lock
    const r = await lock.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
      [`flumen-jdbc-channel:${channel}`],
    )
    if (r.rows[0]?.ok !== true) {
      await this.close()
      throw new Error(
        `channel ${channel} in ${this.description} is in use by another agent (its advisory lock is held)`,
      )
    }
    const exists = await lock.query('SELECT to_regclass($1) IS NOT NULL AS ok', [TABLE])
    if ((exists.rows[0] as { ok: boolean }).ok !== true) {
      if (!schema.createSchema) {
        await this.close()
        throw new Error(`table ${TABLE} does not exist in ${this.description} and create.schema is false`)
      }
      await lock.query(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (channel VARCHAR(255) NOT NULL, id BIGINT NOT NULL, headers TEXT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (channel, id))`,
      )
    }
    // The isolation level is a startup parameter of every pooled session (no extra round trip).
    const iso = ISOLATION_SQL[this.#o.isolation].toLowerCase().replace(' ', '\\ ')
    const pool = new pg.Pool({
      ...this.#config(),
      max: this.#o.maxConnections,
      options: `-c default_transaction_isolation=${iso}`,
    })
    pool.on('error', () => {})
    this.#pool = pool
  }

  async loadIds(channel: string): Promise<number[]> {
    const r = await (this.#pool as pg.Pool).query<{ id: string }>(
      `SELECT id FROM ${TABLE} WHERE channel = $1 ORDER BY id`,
      [channel],
    )
    return r.rows.map((x) => Number(x.id))
  }

  async commit(channel: string, puts: readonly NewRow[], takes: readonly number[]): Promise<void> {
    const client = await (this.#pool as pg.Pool).connect()
    let broken = false
    try {
      await client.query('BEGIN')
      if (puts.length > 0) {
        await client.query(
          `INSERT INTO ${TABLE} (channel, id, headers, body) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bytea[])`,
          [channel, puts.map((p) => p.id), puts.map((p) => p.headers), puts.map((p) => p.body)],
        )
      }
      if (takes.length > 0) {
        await client.query(`DELETE FROM ${TABLE} WHERE channel = $1 AND id = ANY($2::bigint[])`, [
          channel,
          takes,
        ])
      }
      await client.query('COMMIT')
    } catch (e) {
      try {
        await client.query('ROLLBACK')
      } catch {
        broken = true
      }
      throw e
    } finally {
      client.release(broken)
    }
  }

  async fetch(channel: string, ids: readonly number[]): Promise<StoredEvent[]> {
    const r = await (this.#pool as pg.Pool).query<{ id: string; headers: string; body: Buffer }>(
      `SELECT id, headers, body FROM ${TABLE} WHERE channel = $1 AND id = ANY($2::bigint[])`,
      [channel, ids],
    )
    return r.rows.map((x) => ({ id: Number(x.id), headers: x.headers, body: x.body }))
  }

  async close(): Promise<void> {
    const pool = this.#pool
    const lock = this.#lockClient
    this.#pool = undefined
    this.#lockClient = undefined
    await pool?.end().catch(() => {})
    await lock?.end().catch(() => {})
  }
}
