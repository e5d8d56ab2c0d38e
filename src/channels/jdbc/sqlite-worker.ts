/**
 * The SQLite side of the JDBC channel, in a worker thread: node:sqlite is synchronous, and a commit with
 * `synchronous = FULL` waits for an fsync, which must not block the agent's event loop. The main thread
 * (sqlite.ts) sends one request at a time; while one runs, commits from every channel on this database are
 * queued there and arrive here as one request, committed in one SQLite transaction (group commit).
 *
 * Requests: { id, op: 'open' | 'load' | 'commit' | 'fetch' | 'close', ... }; replies: { id, ok, result }
 * or { id, ok: false, error, code }.
 */

import { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'

const TABLE = 'flumen_channel_events'

interface CommitItem {
  channel: string
  /** Encoded rows: u32 count, then per row f64 id, u32 header length, headers (UTF-8), u32 body length, body. */
  rows: Uint8Array
  takes: Float64Array
}

type Request =
  | { id: number; op: 'open'; createSchema: boolean }
  | { id: number; op: 'load'; channel: string }
  | { id: number; op: 'commit'; items: CommitItem[] }
  | { id: number; op: 'fetch'; channel: string; ids: Float64Array }
  | { id: number; op: 'close' }

const port = parentPort
if (port === null) throw new Error('sqlite-worker must run in a worker thread')
const path = (workerData as { path: string }).path
let db: DatabaseSync | undefined

function open(createSchema: boolean): void {
  db = new DatabaseSync(path, { timeout: 0 })
  // Exclusive locking: once the first write transaction below has run, no other process can use the
  // database until this one closes it (a second agent gets "database is locked" at once).
  db.exec('PRAGMA locking_mode = EXCLUSIVE')
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('BEGIN EXCLUSIVE')
  try {
    const exists = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLE)
    if (exists === undefined) {
      if (!createSchema) {
        throw Object.assign(new Error(`table ${TABLE} does not exist and create.schema is false`), {
          code: 'NO_SCHEMA',
        })
      }
      db.exec(
        `CREATE TABLE ${TABLE} (channel TEXT NOT NULL, id INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (channel, id)) WITHOUT ROWID`,
      )
    }
    db.exec('COMMIT')
  } catch (e) {
    db.exec('ROLLBACK')
    throw e
  }
}

function requireDb(): DatabaseSync {
  if (db === undefined) throw new Error('database not open')
  return db
}

function load(channel: string): Float64Array {
  const rows = requireDb().prepare(`SELECT id FROM ${TABLE} WHERE channel = ? ORDER BY id`).all(channel)
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = Number((rows[i] as { id: number | bigint }).id)
  return out
}

function commit(items: CommitItem[]): void {
  const d = requireDb()
  const insert = d.prepare(`INSERT INTO ${TABLE} (channel, id, headers, body) VALUES (?, ?, ?, ?)`)
  const del = d.prepare(`DELETE FROM ${TABLE} WHERE channel = ? AND id = ?`)
  d.exec('BEGIN IMMEDIATE')
  try {
    for (const it of items) {
      const b = Buffer.from(it.rows.buffer, it.rows.byteOffset, it.rows.byteLength)
      const n = b.readUInt32LE(0)
      let off = 4
      for (let i = 0; i < n; i++) {
        const id = b.readDoubleLE(off)
        const hl = b.readUInt32LE(off + 8)
        const headers = b.toString('utf8', off + 12, off + 12 + hl)
        off += 12 + hl
        const bl = b.readUInt32LE(off)
        const body = b.subarray(off + 4, off + 4 + bl)
        off += 4 + bl
        insert.run(it.channel, id, headers, body)
      }
      for (let i = 0; i < it.takes.length; i++) del.run(it.channel, it.takes[i] as number)
    }
    d.exec('COMMIT')
  } catch (e) {
    d.exec('ROLLBACK')
    throw e
  }
}

function fetch(channel: string, ids: Float64Array): Uint8Array {
  const d = requireDb()
  const get = d.prepare(`SELECT headers, body FROM ${TABLE} WHERE channel = ? AND id = ?`)
  const parts: Buffer[] = []
  let count = 0
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number
    const row = get.get(channel, id) as { headers: string; body: Uint8Array } | undefined
    if (row === undefined) continue
    const h = Buffer.from(row.headers, 'utf8')
    const head = Buffer.allocUnsafe(16)
    head.writeDoubleLE(id, 0)
    head.writeUInt32LE(h.length, 8)
    head.writeUInt32LE(row.body.length, 12)
    parts.push(head, h, Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength))
    count++
  }
  const countBuf = Buffer.alloc(4)
  countBuf.writeUInt32LE(count, 0)
  return Buffer.concat([countBuf, ...parts])
}

port.on('message', (req: Request) => {
  try {
    let result: unknown
    let transfer: ArrayBuffer[] = []
    switch (req.op) {
      case 'open':
        open(req.createSchema)
        break
      case 'load': {
        const ids = load(req.channel)
        result = ids
        transfer = [ids.buffer as ArrayBuffer]
        break
      }
      case 'commit':
        commit(req.items)
        break
      case 'fetch': {
        const out = fetch(req.channel, req.ids)
        // A fresh buffer (Buffer.concat never returns a pooled slice for > 4 KB; copy small ones).
        const copy = new Uint8Array(out.byteLength)
        copy.set(out)
        result = copy
        transfer = [copy.buffer]
        break
      }
      case 'close':
        db?.close()
        db = undefined
        break
    }
    port.postMessage({ id: req.id, ok: true, result }, transfer)
  } catch (e) {
    const err = e as Error & { code?: string; errcode?: number }
    port.postMessage({
      id: req.id,
      ok: false,
      error: err.message,
      code: err.code ?? String(err.errcode ?? ''),
    })
  }
})
