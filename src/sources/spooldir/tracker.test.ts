import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { TRANSFER_STATE_FILE_META_SCHEMA_JSON } from '../../protocols/avro/schemas.ts'
import { META_FILE_NAME, PositionTracker, parseMeta, stashName } from './tracker.ts'

const dir = mkdtempSync(join(tmpdir(), 'flumen-tracker-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('spooldir position tracker (.flumespool-main.meta)', () => {
  it("writes Flume's byte layout (reference sample: offsets 0, 5, 12)", async () => {
    const d = mkdtempSync(join(dir, 'a'))
    const t = await PositionTracker.open(d, '/var/spool/in/a.log')
    await t.commit(5)
    await t.commit(12)
    await t.close()
    const buf = readFileSync(join(d, META_FILE_NAME))
    const schema = Buffer.from(TRANSFER_STATE_FILE_META_SCHEMA_JSON)
    assert.equal(schema.length, 136)
    const header = Buffer.concat([
      Buffer.from('4f626a0104', 'hex'),
      Buffer.from([0x16]),
      Buffer.from('avro.schema'),
      Buffer.from([0x90, 0x02]),
      schema,
      Buffer.from([0x08]),
      Buffer.from('file'),
      Buffer.from([0x26]),
      Buffer.from('/var/spool/in/a.log'),
      Buffer.from([0x00]),
    ])
    assert.deepEqual(buf.subarray(0, header.length), header)
    const sync = buf.subarray(header.length, header.length + 16)
    const blocks = Buffer.concat([
      Buffer.from('020200', 'hex'),
      sync,
      Buffer.from('02020a', 'hex'),
      sync,
      Buffer.from('020218', 'hex'),
      sync,
    ])
    assert.deepEqual(buf.subarray(header.length + 16), blocks)
    assert.deepEqual(parseMeta(buf), { target: '/var/spool/in/a.log', offset: 12 })
  })

  it('resumes from the last complete record, ignoring a torn tail, and compacts', async () => {
    const d = mkdtempSync(join(dir, 'b'))
    const t = await PositionTracker.open(d, 'spool/x')
    for (let i = 1; i <= 50; i++) await t.commit(i * 1000)
    await t.close()
    appendFileSync(join(d, META_FILE_NAME), Buffer.from([0x02, 0x04, 0x80])) // a crash mid-write
    const t2 = await PositionTracker.open(d, 'spool/x')
    assert.equal(t2.offset, 50_000)
    await t2.close()
    assert.ok(readFileSync(join(d, META_FILE_NAME)).length < 250)
  })

  it('starts at 0 for another file; a stashed position comes back for its own file', async () => {
    const d = mkdtempSync(join(dir, 'c'))
    const a = await PositionTracker.open(d, 'spool/a')
    await a.commit(77)
    await a.stash(d)
    assert.ok(existsSync(join(d, stashName('spool/a'))))
    const b = await PositionTracker.open(d, 'spool/b')
    assert.equal(b.offset, 0)
    await b.commit(3)
    await b.remove()
    const again = await PositionTracker.open(d, 'spool/a')
    assert.equal(again.offset, 77)
    assert.ok(!existsSync(join(d, stashName('spool/a'))))
    await again.close()
  })
})

describe('spooldir position tracker: switching files', () => {
  it('keeps the position of a half-read file when another file is opened first', async () => {
    const d = mkdtempSync(join(dir, 'd'))
    const a = await PositionTracker.open(d, 'spool/a')
    await a.commit(500)
    await a.close() // a crash: the meta file still names spool/a
    const b = await PositionTracker.open(d, 'spool/b')
    assert.equal(b.offset, 0)
    await b.remove()
    const again = await PositionTracker.open(d, 'spool/a')
    assert.equal(again.offset, 500)
    await again.close()
  })
})
