import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ChannelError } from '../../core/errors.ts'
import { defaultEnvVar, GcmCipher, parseKeyText } from './encryption.ts'
import type { FileChannel } from './index.ts'
import { readJceksSecretKeys } from './jceks.ts'
import { dirsIn, drain, fileChannel, putCommit, removeRoot, tempRoot } from './test-support/harness.ts'

const enc = (activeKey: string, provider: 'ENV' | 'JCEKSFILE', props: Record<string, string>) => ({
  encryption: {
    activeKey,
    cipherProvider: 'AESGCM',
    keyProvider: provider,
    providerProps: new Map(Object.entries(props)),
  },
})

function logBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((n) => n.startsWith('log-'))
      .map((n) => readFileSync(join(dir, n))),
  )
}

describe('file channel encryption', () => {
  it('seals payloads with AES-GCM and detects tampering', () => {
    const c = new GcmCipher(randomBytes(32))
    const sealed = c.seal(Buffer.from('secret body'), 42, 7)
    assert.equal(sealed.length, 'secret body'.length + 16)
    assert.equal(c.open(sealed, 42, 7).toString(), 'secret body')
    assert.throws(() => c.open(sealed, 43, 7), 'another sequence number is another nonce and AAD')
    sealed[0] = (sealed[0] as number) ^ 1
    assert.throws(() => c.open(sealed, 42, 7))
  })

  it('parses keys as hex or base64 and rejects other sizes', () => {
    const k = randomBytes(16)
    assert.deepEqual(parseKeyText(k.toString('hex')), k)
    assert.deepEqual(parseKeyText(` ${k.toString('base64')}\n`), k)
    assert.equal(parseKeyText(randomBytes(20).toString('hex')), undefined)
    assert.equal(defaultEnvVar('key-0'), 'FLUMEN_FILE_CHANNEL_KEY_KEY_0')
  })

  it('keeps bodies and headers off the disk in clear, and reads them back after a restart', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root)
      const env = { FLUMEN_FILE_CHANNEL_KEY_K1: randomBytes(32).toString('hex') }
      const make = () => fileChannel(dirs, enc('k1', 'ENV', {}), { env, cacheBytes: 0 })
      let ch: FileChannel = make()
      await ch.start()
      await putCommit(ch, ['TOP-SECRET-BODY-1', 'TOP-SECRET-BODY-2'])
      await ch.stop()
      const raw = logBytes(dirs.dataDirs[0] as string).toString('latin1')
      assert.ok(!raw.includes('TOP-SECRET'), 'no clear-text body in the log')
      ch = make()
      await ch.start()
      assert.deepEqual(await drain(ch), ['TOP-SECRET-BODY-1', 'TOP-SECRET-BODY-2'])
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('decrypts old files with a rotated-out key and refuses files whose key is gone', async () => {
    const root = tempRoot()
    try {
      const dirs = dirsIn(root)
      const env = {
        FLUMEN_FILE_CHANNEL_KEY_OLD: randomBytes(16).toString('base64'),
        FLUMEN_FILE_CHANNEL_KEY_NEW: randomBytes(32).toString('hex'),
      }
      let ch = fileChannel(dirs, enc('old', 'ENV', {}), { env, cacheBytes: 0 })
      await ch.start()
      await putCommit(ch, ['written-with-old'])
      await ch.stop()
      ch = fileChannel(dirs, enc('new', 'ENV', { keys: 'new old' }), { env, cacheBytes: 0 })
      await ch.start()
      await putCommit(ch, ['written-with-new'])
      await ch.stop()
      const without = fileChannel(dirs, enc('new', 'ENV', { keys: 'new' }), { env, cacheBytes: 0 })
      await assert.rejects(
        without.start(),
        (e: unknown) => e instanceof ChannelError && /encrypted with key 'old'/.test(e.message),
      )
      ch = fileChannel(dirs, enc('new', 'ENV', { keys: 'new old' }), { env, cacheBytes: 0 })
      await ch.start()
      assert.deepEqual(await drain(ch), ['written-with-old', 'written-with-new'])
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })

  it('says which environment variable is missing', async () => {
    const root = tempRoot()
    try {
      const ch = fileChannel(dirsIn(root), enc('k9', 'ENV', { 'keys.k9.envVar': 'MY_KEY' }), { env: {} })
      await assert.rejects(ch.start(), /the key 'k9' is not set: put it .* in \$MY_KEY/)
    } finally {
      removeRoot(root)
    }
  })

  it("reads a Flume user's JCEKS keystore (keytool -genseckey) and its password files", async () => {
    const root = tempRoot()
    try {
      const store = join(root, 'keystore.jceks')
      const keytool = (alias: string, size: number, keypass: string) =>
        execFileSync(
          'keytool',
          [
            '-genseckey',
            '-alias',
            alias,
            '-keyalg',
            'AES',
            '-keysize',
            String(size),
            '-storetype',
            'JCEKS',
            '-keystore',
            store,
            '-storepass',
            'store-pw',
            '-keypass',
            keypass,
          ],
          { stdio: 'pipe' },
        )
      keytool('key-0', 128, 'key0-pw')
      keytool('key-1', 256, 'store-pw')
      writeFileSync(join(root, 'store.pass'), 'store-pw\n')
      writeFileSync(join(root, 'key0.pass'), 'key0-pw')
      // The reference: Java's own reading of the keystore.
      const javaKey = (alias: string, pw: string) =>
        execFileSync(
          'java',
          [join(import.meta.dirname, 'test-support/JceksKey.java'), store, 'store-pw', alias, pw],
          { encoding: 'utf8' },
        ).trim()
      const keys = readJceksSecretKeys(
        readFileSync(store),
        'store-pw',
        new Map([
          ['key-0', 'key0-pw'],
          ['key-1', 'store-pw'],
        ]),
      )
      assert.equal(keys.get('key-0')?.toString('hex'), javaKey('key-0', 'key0-pw'))
      assert.equal(keys.get('key-1')?.toString('hex'), javaKey('key-1', 'store-pw'))
      assert.throws(() => readJceksSecretKeys(readFileSync(store), 'wrong', new Map()), /password is wrong/)

      // The channel, configured the way Flume's user guide shows.
      const dirs = dirsIn(root)
      const cfg = enc('key-0', 'JCEKSFILE', {
        keyStoreFile: store,
        keyStorePasswordFile: join(root, 'store.pass'),
        keys: 'key-0 key-1',
        'keys.key-0.passwordFile': join(root, 'key0.pass'),
      })
      let ch = fileChannel(dirs, cfg, { cacheBytes: 0 })
      await ch.start()
      await putCommit(ch, ['jceks-secret'])
      await ch.stop()
      assert.ok(
        !logBytes(dirs.dataDirs[0] as string)
          .toString('latin1')
          .includes('jceks-secret'),
      )
      ch = fileChannel(dirs, cfg, { cacheBytes: 0 })
      await ch.start()
      assert.deepEqual(await drain(ch), ['jceks-secret'])
      await ch.stop()
    } finally {
      removeRoot(root)
    }
  })
})
