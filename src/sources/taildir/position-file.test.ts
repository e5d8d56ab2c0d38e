import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  formatPositions,
  PositionFileError,
  PositionStore,
  parsePositions,
  readPositionFile,
  writePositionFile,
} from './position-file.ts'

describe('taildir position file', () => {
  it('reads what Flume 1.11 writes (Gson, compact, escaped)', () => {
    // Shape and escapes as written by TaildirSource.toPosInfoJson (reference §6.2).
    const text =
      '[{"inode":2496001,"pos":1024,"file":"/var/log/app/a.log"},{"inode":18446744073709551615,"pos":0,"file":"/var/log/a\\u003db\\u0027s\\u003cx\\u003e\\u0026.log"}]'
    assert.deepEqual(parsePositions(text), [
      { inode: '2496001', pos: 1024, file: '/var/log/app/a.log' },
      { inode: '18446744073709551615', pos: 0, file: "/var/log/a=b's<x>&.log" },
    ])
  })

  it('writes exactly what Gson writes', () => {
    assert.equal(
      formatPositions([
        { inode: '2496001', pos: 12, file: '/var/log/app.log' },
        { inode: '7', pos: 0, file: "/var/log/a=b's<x>&.log" },
      ]),
      '[{"inode":2496001,"pos":12,"file":"/var/log/app.log"},{"inode":7,"pos":0,"file":"/var/log/a\\u003db\\u0027s\\u003cx\\u003e\\u0026.log"}]',
    )
    assert.equal(
      formatPositions([{ inode: '1', pos: 1, file: '/t/é\t"\\x' }]),
      '[{"inode":1,"pos":1,"file":"/t/é\\t\\"\\\\x"}]',
    )
  })

  it('an empty set is a 0-byte file, and a 0-byte or blank file reads as empty', () => {
    assert.equal(formatPositions([]), '')
    assert.deepEqual(parsePositions(''), [])
    assert.deepEqual(parsePositions(' \n'), [])
    assert.deepEqual(parsePositions('[]'), [])
  })

  it('rejects what Flume rejects, with a reason', () => {
    for (const bad of [
      '{',
      '{"inode":1}',
      '[{"inode":1,"pos":2}]',
      '[{"pos":2,"file":"/x"}]',
      '[{"inode":"1","pos":2,"file":"/x"}]',
      '[{"inode":1,"pos":-2,"file":"/x"}]',
      '[{"inode":1,"pos":2,"file":3}]',
      '[1]',
      '[{"inode":1,"pos":2,"file":"/x"}',
    ]) {
      assert.throws(() => parsePositions(bad), PositionFileError, bad)
    }
  })

  it('round-trips any entries (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            inode: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
            pos: fc.maxSafeNat(),
            file: fc.string({ unit: 'grapheme' }),
          }),
        ),
        (generated) => {
          const entries = generated.map((e) => ({ ...e }))
          assert.deepEqual(parsePositions(formatPositions(entries)), entries)
        },
      ),
    )
  })

  it('writes atomically and reads back; a missing file is empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flumen-pos-'))
    const p = join(dir, 'taildir_position.json')
    assert.deepEqual(await readPositionFile(p), [])
    await writePositionFile(p, formatPositions([{ inode: '5', pos: 9, file: '/a' }]))
    assert.equal(readFileSync(p, 'utf8'), '[{"inode":5,"pos":9,"file":"/a"}]')
    writeFileSync(p, 'garbage')
    await assert.rejects(readPositionFile(p), PositionFileError)
  })

  it('PositionStore: padded layout read by both parsers, 20-byte updates in place, compact on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flumen-pos-'))
    const p = join(dir, 'taildir_position.json')
    const store = new PositionStore(p)
    const files = [
      { inode: '11', pos: 0, file: '/logs/a.log' },
      { inode: '18446744073709551615', pos: 7, file: "/logs/é=b's.log" },
    ]
    await store.rewrite(files)
    const laid = readFileSync(p, 'utf8')
    assert.match(laid, /^\[\{"inode":11,"pos":0 {19},"file":"\/logs\/a\.log"\},/)
    assert.deepEqual(parsePositions(laid), files)
    const size = readFileSync(p).length
    await Promise.all([store.setPos('11', 123456789012345), store.setPos('18446744073709551615', 42)])
    await store.setPos('99', 5) // not in the layout: ignored
    await store.sync()
    const updated = readFileSync(p, 'utf8')
    assert.equal(Buffer.byteLength(updated), size, 'updates are in place')
    assert.deepEqual(parsePositions(updated), [
      { inode: '11', pos: 123456789012345, file: '/logs/a.log' },
      { inode: '18446744073709551615', pos: 42, file: "/logs/é=b's.log" },
    ])
    await store.close([{ inode: '11', pos: 5, file: '/logs/a.log' }])
    assert.equal(readFileSync(p, 'utf8'), '[{"inode":11,"pos":5,"file":"/logs/a.log"}]')
    await store.rewrite([])
    assert.equal(readFileSync(p, 'utf8'), '')
    await store.close([])
  })
})
