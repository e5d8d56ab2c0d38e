/**
 * MariaDB / MySQL backend of the JDBC channel (`driver.url = jdbc:mysql://…` or `jdbc:mariadb://…`; Flume's
 * `db.type = MYSQL`), with `mysql2`.
 *
 * A pool of `maximum.connections` connections serves commits and fetches, each session at
 * `transaction.isolation`. One more connection holds `GET_LOCK('flumen-jdbc:<channel>')` while the channel
 * is open, so a second agent with the same channel on the same database refuses to start (the lock goes
 * with the connection, also after kill -9).
 */

import { createHash } from 'node:crypto'
import mysql from 'mysql2/promise'
import {
  ISOLATION_SQL,
  type IsolationLevel,
  type JdbcBackend,
  type NewRow,
  type SchemaOptions,
  type StoredEvent,
  TABLE,
} from './backend.ts'

export interface MariaDbOptions {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string | undefined
  readonly password: string | undefined
  readonly maxConnections: number
  readonly isolation: IsolationLevel
  readonly extra: Readonly<Record<string, string>>
}

/** MariaDB lock names are limited to 64 characters. */
function lockName(channel: string): string {
  const name = `flumen-jdbc:${channel}`
  return name.length <= 64 ? name : `flumen-jdbc:${createHash('sha1').update(channel).digest('hex')}`
}

export class MariaDbBackend implements JdbcBackend {
  readonly description: string
  readonly #o: MariaDbOptions
  #pool: mysql.Pool | undefined
  #lock: mysql.Connection | undefined

  constructor(o: MariaDbOptions) {
    this.#o = o
    this.description = `MariaDB/MySQL ${o.host}:${o.port}/${o.database}`
  }

  #config(): mysql.ConnectionOptions {
    const o = this.#o
    const c: mysql.ConnectionOptions = {
      host: o.host,
      port: o.port,
      database: o.database,
      supportBigNumbers: true,
      charset: 'utf8mb4',
    }
    if (o.user !== undefined) c.user = o.user
    if (o.password !== undefined) c.password = o.password
    return c
  }

  async open(channel: string, schema: SchemaOptions): Promise<void> {
    const lock = await mysql.createConnection(this.#config())
    lock.on('error', () => {})
    this.#lock = lock
    const [rows] = await lock.query('SELECT GET_LOCK(?, 0) AS ok', [lockName(channel)])
    if ((rows as { ok: number }[])[0]?.ok !== 1) {
      await this.close()
      throw new Error(
        `channel ${channel} in ${this.description} is in use by another agent (its lock is held)`,
      )
    }
    const [tables] = await lock.query('SHOW TABLES LIKE ?', [TABLE])
    if ((tables as unknown[]).length === 0) {
      if (!schema.createSchema) {
        await this.close()
        throw new Error(`table ${TABLE} does not exist in ${this.description} and create.schema is false`)
      }
      await lock.query(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (channel VARCHAR(255) NOT NULL, id BIGINT NOT NULL, headers MEDIUMTEXT NOT NULL, body LONGBLOB NOT NULL, PRIMARY KEY (channel, id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      )
    }
    const iso = ISOLATION_SQL[this.#o.isolation]
    const pool = mysql.createPool({ ...this.#config(), connectionLimit: this.#o.maxConnections })
    pool.pool.on('connection', (conn) => {
      conn.query(`SET SESSION TRANSACTION ISOLATION LEVEL ${iso}`)
    })
    this.#pool = pool
  }

  async loadIds(channel: string): Promise<number[]> {
    const [rows] = await (this.#pool as mysql.Pool).query(
      `SELECT id FROM ${TABLE} WHERE channel = ? ORDER BY id`,
      [channel],
    )
    return (rows as { id: number | string }[]).map((r) => Number(r.id))
  }

  async commit(channel: string, puts: readonly NewRow[], takes: readonly number[]): Promise<void> {
    const conn = await (this.#pool as mysql.Pool).getConnection()
    try {
      await conn.beginTransaction()
      if (puts.length > 0) {
        await conn.query(`INSERT INTO ${TABLE} (channel, id, headers, body) VALUES ?`, [
          puts.map((p) => [channel, p.id, p.headers, p.body]),
        ])
      }
      if (takes.length > 0) {
        await conn.query(`DELETE FROM ${TABLE} WHERE channel = ? AND id IN (?)`, [channel, takes])
      }
      await conn.commit()
    } catch (e) {
      await conn.rollback().catch(() => {})
      throw e
    } finally {
      conn.release()
    }
  }

  async fetch(channel: string, ids: readonly number[]): Promise<StoredEvent[]> {
    if (ids.length === 0) return []
    const [rows] = await (this.#pool as mysql.Pool).query(
      `SELECT id, headers, body FROM ${TABLE} WHERE channel = ? AND id IN (?)`,
      [channel, ids],
    )
    return (rows as { id: number | string; headers: string; body: Buffer }[]).map((r) => ({
      id: Number(r.id),
      headers: r.headers,
      body: r.body,
    }))
  }

  async close(): Promise<void> {
    const pool = this.#pool
    const lock = this.#lock
    this.#pool = undefined
    this.#lock = undefined
    await pool?.end().catch(() => {})
    await lock?.end().catch(() => {})
  }
}
