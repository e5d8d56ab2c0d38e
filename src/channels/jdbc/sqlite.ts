/**
 * SQLite backend of the JDBC channel (the default: Flume's embedded Derby becomes embedded SQLite). The
 * database lives in a worker thread (sqlite-worker.ts); this side queues requests, sends one at a time,
 * and merges the commits that wait into one request (group commit: one SQLite transaction, one fsync).
 *
 * Channels of one agent that use the same database file share one worker; another process using the file
 * gets "database is locked" and the channel refuses to start, naming the file.
 */

import { mkdir } from 'node:fs/promises'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { JdbcBackend, NewRow, SchemaOptions, StoredEvent } from './backend.ts'

interface Pending {
  readonly resolve: (v: unknown) => void
  readonly reject: (e: Error) => void
}

interface QueuedCommit {
  readonly channel: string
  readonly rows: Uint8Array
  readonly takes: Float64Array
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

class SqliteDatabase {
  readonly path: string
  readonly #worker: Worker
  #nextId = 1
  readonly #pending = new Map<number, Pending>()
  #busy = false
  readonly #queue: (() => void)[] = []
  #commits: QueuedCommit[] = []
  refs = 0
  #opened: Promise<void> | undefined
  #dead: Error | undefined

  constructor(path: string) {
    this.path = path
    const here = fileURLToPath(import.meta.url)
    const file = new URL(`./sqlite-worker${extname(here)}`, import.meta.url)
    this.#worker = new Worker(file, { workerData: { path } })
    this.#worker.on(
      'message',
      (m: { id: number; ok: boolean; result?: unknown; error?: string; code?: string }) => {
        const p = this.#pending.get(m.id)
        if (p === undefined) return
        this.#pending.delete(m.id)
        if (m.ok) p.resolve(m.result)
        else p.reject(Object.assign(new Error(m.error ?? 'SQLite error'), { code: m.code }))
      },
    )
    this.#worker.on('error', (e) => this.#fail(e))
    this.#worker.on('exit', (code) => {
      if (code !== 0) this.#fail(new Error(`SQLite worker exited with code ${code}`))
    })
  }

  #fail(e: Error): void {
    this.#dead = e
    for (const p of this.#pending.values()) p.reject(e)
    this.#pending.clear()
  }

  /** Sends one request, after the one under way (requests are serialized). */
  #request<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const send = () => {
        if (this.#dead !== undefined) {
          reject(this.#dead)
          this.#next()
          return
        }
        const id = this.#nextId++
        this.#pending.set(id, {
          resolve: (v) => {
            resolve(v as T)
            this.#next()
          },
          reject: (e) => {
            reject(e)
            this.#next()
          },
        })
        this.#worker.postMessage({ ...msg, id }, transfer)
      }
      if (this.#busy) this.#queue.push(send)
      else {
        this.#busy = true
        send()
      }
    })
  }

  #next(): void {
    // Commits that queued up while the worker was busy go first, as one group.
    if (this.#commits.length > 0) {
      const group = this.#commits
      this.#commits = []
      this.#sendCommits(group)
      return
    }
    const n = this.#queue.shift()
    if (n === undefined) this.#busy = false
    else n()
  }

  #sendCommits(group: QueuedCommit[]): void {
    if (this.#dead !== undefined) {
      for (const c of group) c.reject(this.#dead)
      this.#next()
      return
    }
    const id = this.#nextId++
    this.#pending.set(id, {
      resolve: () => {
        for (const c of group) c.resolve()
        this.#next()
      },
      reject: (e) => {
        for (const c of group) c.reject(e)
        this.#next()
      },
    })
    const items = group.map((c) => ({ channel: c.channel, rows: c.rows, takes: c.takes }))
    this.#worker.postMessage({ op: 'commit', items, id }, [
      ...group.map((c) => c.rows.buffer as ArrayBuffer),
      ...group.map((c) => c.takes.buffer as ArrayBuffer),
    ])
  }

  open(createSchema: boolean): Promise<void> {
    this.#opened ??= this.#request<void>({ op: 'open', createSchema })
    return this.#opened
  }

  async load(channel: string): Promise<number[]> {
    const ids = await this.#request<Float64Array>({ op: 'load', channel })
    return Array.from(ids)
  }

  commit(channel: string, rows: Uint8Array, takes: Float64Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const c: QueuedCommit = { channel, rows, takes, resolve, reject }
      if (this.#busy) this.#commits.push(c)
      else {
        this.#busy = true
        this.#sendCommits([c])
      }
    })
  }

  async fetch(channel: string, ids: readonly number[]): Promise<StoredEvent[]> {
    const arr = Float64Array.from(ids)
    const res = await this.#request<Uint8Array>({ op: 'fetch', channel, ids: arr }, [arr.buffer])
    const b = Buffer.from(res.buffer, res.byteOffset, res.byteLength)
    const n = b.readUInt32LE(0)
    const out: StoredEvent[] = []
    let off = 4
    for (let i = 0; i < n; i++) {
      const id = b.readDoubleLE(off)
      const hl = b.readUInt32LE(off + 8)
      const bl = b.readUInt32LE(off + 12)
      off += 16
      const headers = b.toString('utf8', off, off + hl)
      off += hl
      out.push({ id, headers, body: b.subarray(off, off + bl) })
      off += bl
    }
    return out
  }

  async close(): Promise<void> {
    if (this.#dead === undefined) await this.#request<void>({ op: 'close' }).catch(() => {})
    await this.#worker.terminate()
  }
}

/** Databases open in this process, shared by the channels that name the same file. */
const open = new Map<string, SqliteDatabase>()

export function encodeRows(rows: readonly NewRow[]): Uint8Array {
  let size = 4
  const heads: Buffer[] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as NewRow
    const h = Buffer.from(r.headers, 'utf8')
    heads[i] = h
    size += 16 + h.length + r.body.length
  }
  const b = Buffer.alloc(size)
  b.writeUInt32LE(rows.length, 0)
  let off = 4
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as NewRow
    const h = heads[i] as Buffer
    b.writeDoubleLE(r.id, off)
    b.writeUInt32LE(h.length, off + 8)
    h.copy(b, off + 12)
    off += 12 + h.length
    b.writeUInt32LE(r.body.length, off)
    r.body.copy(b, off + 4)
    off += 4 + r.body.length
  }
  return b
}

export class SqliteBackend implements JdbcBackend {
  readonly description: string
  readonly #path: string
  readonly #dir: string
  #db: SqliteDatabase | undefined

  constructor(path: string, dir: string) {
    this.#path = path
    this.#dir = dir
    this.description = `SQLite ${path}`
  }

  async open(_channel: string, schema: SchemaOptions): Promise<void> {
    await mkdir(this.#dir, { recursive: true })
    let db = open.get(this.#path)
    if (db === undefined) {
      db = new SqliteDatabase(this.#path)
      open.set(this.#path, db)
    }
    db.refs++
    this.#db = db
    try {
      await db.open(schema.createSchema)
    } catch (e) {
      await this.close()
      const err = e as Error & { code?: string }
      if (/locked|busy/i.test(err.message)) {
        throw new Error(
          `the SQLite database ${this.#path} is in use by another process (another agent with the same driver.url?)`,
        )
      }
      throw err
    }
  }

  loadIds(channel: string): Promise<number[]> {
    return (this.#db as SqliteDatabase).load(channel)
  }

  commit(channel: string, puts: readonly NewRow[], takes: readonly number[]): Promise<void> {
    return (this.#db as SqliteDatabase).commit(channel, encodeRows(puts), Float64Array.from(takes))
  }

  fetch(channel: string, ids: readonly number[]): Promise<StoredEvent[]> {
    return (this.#db as SqliteDatabase).fetch(channel, ids)
  }

  async close(): Promise<void> {
    const db = this.#db
    this.#db = undefined
    if (db === undefined) return
    db.refs--
    if (db.refs <= 0) {
      open.delete(this.#path)
      await db.close()
    }
  }
}
