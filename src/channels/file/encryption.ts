/**
 * Encryption of event payloads at rest (Flume's `encryption.*` keys), with AES-GCM.
 *
 * Each event payload is sealed on its own, so a take can decrypt exactly the events it reads: nonce =
 * the file's 4-byte random salt ‖ the event's 8-byte sequence number (unique within a file; the salt
 * changes at every start, so a sequence number reused after the checkpoint and logs were wiped still gets a
 * fresh nonce), additional data = the sequence number (an event cannot be moved to another slot), and a
 * 16-byte tag, which also detects any damage.
 *
 * Flume compat: Flume's only cipher is AES/CTR/NoPadding (`cipherProvider = AESCTRNOPADDING`), without
 * authentication. flumen accepts that value and writes AES-GCM instead (`AESGCM` also names it): the log
 * format is flumen's own either way, and GCM adds integrity. The key size follows the key (16, 24 or 32
 * bytes: AES-128/192/256).
 *
 * Keys come from a key provider:
 * - `JCEKSFILE` (Flume's): a Java JCEKS keystore, `keyStoreFile` + `keyStorePasswordFile`, aliases in
 *   `keys`, per-key passwords in `keys.<alias>.passwordFile` (default: the keystore password). The same
 *   keystore a Flume agent used works unchanged (see ./jceks.ts).
 * - `ENV` (flumen): each alias's key, hex or base64, in an environment variable: `keys.<alias>.envVar`
 *   names it, default `FLUMEN_FILE_CHANNEL_KEY_<ALIAS>` (upper case, other characters as `_`).
 * The active key encrypts new files; the other listed keys decrypt files written before a key rotation.
 */

import { createCipheriv, createDecipheriv } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { ChannelError } from '../../core/errors.ts'
import type { PayloadCipher } from './format.ts'
import { readJceksSecretKeys } from './jceks.ts'

export const GCM_TAG = 16

export interface EncryptionConfig {
  readonly activeKey: string
  readonly cipherProvider: string
  readonly keyProvider: string
  /** `encryption.keyProvider.*` properties, keys relative to that prefix. */
  readonly providerProps: ReadonlyMap<string, string>
}

export const CIPHER_PROVIDERS = ['AESCTRNOPADDING', 'AESGCM']
export const KEY_PROVIDERS = ['JCEKSFILE', 'ENV']

function algorithm(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm'
  if (key.length === 24) return 'aes-192-gcm'
  if (key.length === 32) return 'aes-256-gcm'
  throw new Error(`an AES key must be 16, 24 or 32 bytes, this one has ${key.length}`)
}

export class GcmCipher implements PayloadCipher {
  readonly overhead = GCM_TAG
  readonly #key: Buffer
  readonly #algo: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'
  readonly #nonce = Buffer.alloc(12)

  constructor(key: Buffer) {
    this.#algo = algorithm(key)
    this.#key = key
  }

  #setNonce(seq: number, salt: number): Buffer {
    this.#nonce.writeUInt32LE(salt >>> 0, 0)
    this.#nonce.writeDoubleLE(seq, 4)
    return this.#nonce
  }

  seal(plain: Buffer, seq: number, salt: number): Buffer {
    const nonce = this.#setNonce(seq, salt)
    const c = createCipheriv(this.#algo, this.#key, nonce, { authTagLength: GCM_TAG })
    c.setAAD(nonce.subarray(4))
    const a = c.update(plain)
    const b = c.final()
    return Buffer.concat([a, b, c.getAuthTag()], plain.length + GCM_TAG)
  }

  open(sealed: Buffer, seq: number, salt: number): Buffer {
    if (sealed.length < GCM_TAG) throw new Error('encrypted payload shorter than its tag')
    const nonce = this.#setNonce(seq, salt)
    const d = createDecipheriv(this.#algo, this.#key, nonce, { authTagLength: GCM_TAG })
    d.setAAD(nonce.subarray(4))
    d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG))
    const a = d.update(sealed.subarray(0, sealed.length - GCM_TAG))
    const b = d.final()
    return b.length === 0 ? a : Buffer.concat([a, b])
  }
}

/** Parses a key written as hex (32/48/64 digits) or base64. */
export function parseKeyText(text: string): Buffer | undefined {
  const t = text.trim()
  if (/^[0-9a-fA-F]+$/.test(t) && (t.length === 32 || t.length === 48 || t.length === 64)) {
    return Buffer.from(t, 'hex')
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const b = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64')
    if (b.length === 16 || b.length === 24 || b.length === 32) return b
  }
  return undefined
}

export function defaultEnvVar(alias: string): string {
  return `FLUMEN_FILE_CHANNEL_KEY_${alias.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

async function readPassword(file: string, what: string): Promise<string> {
  try {
    // Flume reads the whole file as the password (Files.toString, trimmed of nothing): keep a trailing
    // newline from being part of it, as editors add one.
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
  } catch (e) {
    throw new Error(`cannot read the ${what} ${file}: ${(e as Error).message}`)
  }
}

/** Loads every key the provider lists; the active key must be among them. */
export async function loadKeys(
  cfg: EncryptionConfig,
  env: NodeJS.ProcessEnv,
  channel: string,
): Promise<Map<string, Buffer>> {
  const fail = (msg: string) =>
    new ChannelError(`File channel ${channel}: encryption: ${msg}`, { component: `CHANNEL.${channel}` })
  const p = cfg.providerProps
  const aliases = (p.get('keys') ?? '').split(/\s+/).filter((s) => s.length > 0)
  if (!aliases.includes(cfg.activeKey)) aliases.unshift(cfg.activeKey)
  const keys = new Map<string, Buffer>()
  const provider = cfg.keyProvider.toUpperCase()
  if (provider === 'ENV') {
    for (const alias of aliases) {
      const name = p.get(`keys.${alias}.envVar`) ?? defaultEnvVar(alias)
      const text = env[name]
      if (text === undefined || text.trim() === '') {
        throw fail(`the key '${alias}' is not set: put it (hex or base64, 16/24/32 bytes) in $${name}`)
      }
      const key = parseKeyText(text)
      if (key === undefined) {
        throw fail(`$${name} (key '${alias}') is not a 16, 24 or 32-byte key in hex or base64`)
      }
      keys.set(alias, key)
    }
    return keys
  }
  if (provider === 'JCEKSFILE') {
    const storeFile = p.get('keyStoreFile')
    const passFile = p.get('keyStorePasswordFile')
    if (storeFile === undefined) throw fail('encryption.keyProvider.keyStoreFile is required for JCEKSFILE')
    if (passFile === undefined) {
      throw fail('encryption.keyProvider.keyStorePasswordFile is required for JCEKSFILE')
    }
    try {
      const storePassword = await readPassword(passFile, 'keystore password file')
      const keyPasswords = new Map<string, string>()
      for (const alias of aliases) {
        const f = p.get(`keys.${alias}.passwordFile`)
        keyPasswords.set(alias, f === undefined ? storePassword : await readPassword(f, 'key password file'))
      }
      const store = await readFile(storeFile).catch((e: Error) => {
        throw new Error(`cannot read the keystore ${storeFile}: ${e.message}`)
      })
      const found = readJceksSecretKeys(store, storePassword, keyPasswords)
      for (const alias of aliases) {
        const k = found.get(alias)
        if (k === undefined) throw new Error(`the keystore ${storeFile} has no secret key '${alias}'`)
        algorithm(k)
        keys.set(alias, k)
      }
    } catch (e) {
      if (e instanceof ChannelError) throw e
      throw fail((e as Error).message)
    }
    return keys
  }
  throw fail(`unknown key provider '${cfg.keyProvider}' (${KEY_PROVIDERS.join(' or ')})`)
}
