import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { TaildirMatcher } from './matcher.ts'

const names = async (m: TaildirMatcher) => (await m.list()).map((f) => f.path.slice(m.dir.length + 1))

describe('taildir matcher', () => {
  it('directory literal, file name a whole-name Java regex, oldest mtime first, no dirs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flumen-match-'))
    writeFileSync(join(dir, 'app.log'), '')
    writeFileSync(join(dir, 'app.log.1'), '')
    writeFileSync(join(dir, 'xapp.log'), '')
    writeFileSync(join(dir, '.hidden.log'), '')
    mkdirSync(join(dir, 'sub.log'))
    utimesSync(join(dir, 'app.log'), 2000, 2000)
    utimesSync(join(dir, 'app.log.1'), 1000, 1000)
    const m = new TaildirMatcher('g', `${dir}/app\\.log.*`, false)
    assert.deepEqual(await names(m), ['app.log.1', 'app.log'])
    const all = new TaildirMatcher('g', `${dir}/.*\\.log`, false)
    assert.deepEqual((await names(all)).sort(), ['.hidden.log', 'app.log', 'xapp.log'])
    // The regex part is never normalised as a path: '..' is a regex here.
    const two = new TaildirMatcher('g', `${dir}/..`, false)
    assert.equal(two.dir, dir)
    rmSync(dir, { recursive: true })
  })

  it('rejects an invalid regex', () => {
    assert.throws(() => new TaildirMatcher('g', '/tmp/app(', true))
  })

  it('caches the listing until the directory mtime moves (cachePatternMatching)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flumen-match-'))
    writeFileSync(join(dir, 'a.log'), '')
    const past = Date.now() / 1000 - 100
    utimesSync(dir, past, past)
    const cached = new TaildirMatcher('g', `${dir}/.*\\.log`, true)
    const uncached = new TaildirMatcher('g', `${dir}/.*\\.log`, false)
    assert.deepEqual(await names(cached), ['a.log'])
    await names(uncached)
    // A new file, with the directory mtime forced back: only the uncached matcher sees it.
    writeFileSync(join(dir, 'b.log'), '')
    utimesSync(dir, past, past)
    assert.deepEqual(await names(cached), ['a.log'])
    assert.deepEqual((await names(uncached)).sort(), ['a.log', 'b.log'])
    // Once the directory mtime moves, the cache is refreshed.
    utimesSync(dir, past + 50, past + 50)
    assert.deepEqual((await names(cached)).sort(), ['a.log', 'b.log'])
    rmSync(dir, { recursive: true })
  })

  it('a missing directory lists as empty with an error, and is picked up when it appears', async () => {
    const root = mkdtempSync(join(tmpdir(), 'flumen-match-'))
    const m = new TaildirMatcher('g', `${root}/later/.*`, true)
    assert.deepEqual(await names(m), [])
    assert.equal(m.error, 'ENOENT')
    mkdirSync(join(root, 'later'))
    writeFileSync(join(root, 'later', 'x'), '')
    assert.deepEqual(await names(m), ['x'])
    assert.equal(m.error, undefined)
    rmSync(root, { recursive: true })
  })
})
