/**
 * Reads secret keys from a Java JCEKS keystore, the format Flume's `JCEKSFILE` key provider uses (created
 * with `keytool -genseckey -storetype JCEKS`), so a Flume user's keystore and password files work as they
 * are. Facts (from the JDK's JceKeyStore / KeyProtector / PBES1Core, re-derived here):
 *
 *   u32 0xcececece, u32 version (1 or 2), u32 entry count, entries, then a 20-byte SHA-1 of
 *   (password as UTF-16BE ‖ "Mighty Aphrodite" ‖ everything before the digest).
 *   entry: u32 tag (1 private key, 2 trusted certificate, 3 secret key), modified-UTF-8 alias (u16 length),
 *   u64 date, then per tag: private key = u32 length + bytes, u32 cert count (v2), certs (v2: type string,
 *   u32 length + bytes); certificate = (v2: type string) u32 length + bytes; secret key = one Java-serialized
 *   `SealedObject` (its own 0xaced stream header).
 *   The sealed object holds `encodedParams` (DER: salt, iteration count) and `encryptedContent`: the
 *   Java-serialized `SecretKeySpec` encrypted with PBEWithMD5AndTripleDES (DES-EDE3-CBC, key and IV from
 *   MD5 iterated over each salt half and the password's low bytes).
 *
 * Only what is needed is parsed: a small reader for the Java serialization grammar (objects, class
 * descriptors, strings, arrays, block data, references), enough for these two objects. Anything else in
 * the stream is reported as an unsupported keystore, never guessed at.
 */

import { createDecipheriv, createHash } from 'node:crypto'

const JCEKS_MAGIC = 0xcececece

class Reader {
  readonly b: Buffer
  pos: number
  constructor(b: Buffer, pos = 0) {
    this.b = b
    this.pos = pos
  }
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new Error('keystore truncated')
  }
  u8(): number {
    this.need(1)
    return this.b[this.pos++] as number
  }
  u16(): number {
    this.need(2)
    const v = this.b.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }
  i32(): number {
    this.need(4)
    const v = this.b.readInt32BE(this.pos)
    this.pos += 4
    return v
  }
  u32(): number {
    this.need(4)
    const v = this.b.readUInt32BE(this.pos)
    this.pos += 4
    return v
  }
  bytes(n: number): Buffer {
    if (n < 0) throw new Error('negative length in keystore')
    this.need(n)
    const v = this.b.subarray(this.pos, this.pos + n)
    this.pos += n
    return v
  }
  /** Java's modified UTF-8 with a u16 length (DataInput.readUTF). ASCII aliases decode the same. */
  utf(): string {
    return decodeModifiedUtf8(this.bytes(this.u16()))
  }
}

function decodeModifiedUtf8(b: Buffer): string {
  let s = ''
  for (let i = 0; i < b.length; ) {
    const c = b[i] as number
    if (c < 0x80) {
      s += String.fromCharCode(c)
      i++
    } else if ((c & 0xe0) === 0xc0) {
      s += String.fromCharCode(((c & 0x1f) << 6) | ((b[i + 1] as number) & 0x3f))
      i += 2
    } else {
      s += String.fromCharCode(
        ((c & 0x0f) << 12) | (((b[i + 1] as number) & 0x3f) << 6) | ((b[i + 2] as number) & 0x3f),
      )
      i += 3
    }
  }
  return s
}

// --- Java serialization, the subset keystores use -----------------------------------------------------

const TC_NULL = 0x70
const TC_REFERENCE = 0x71
const TC_CLASSDESC = 0x72
const TC_OBJECT = 0x73
const TC_STRING = 0x74
const TC_ARRAY = 0x75
const TC_BLOCKDATA = 0x77
const TC_ENDBLOCKDATA = 0x78
const TC_BLOCKDATALONG = 0x7a
const TC_LONGSTRING = 0x7c
const SC_WRITE_METHOD = 0x01
const SC_SERIALIZABLE = 0x02
const BASE_HANDLE = 0x7e0000

interface ClassDesc {
  readonly name: string
  readonly flags: number
  readonly fields: readonly { type: string; name: string }[]
  readonly superDesc: ClassDesc | null
}

export interface JavaObject {
  readonly className: string
  readonly fields: Map<string, unknown>
}

class JavaStream {
  readonly r: Reader
  readonly handles: unknown[] = []
  constructor(r: Reader) {
    this.r = r
    if (r.u16() !== 0xaced || r.u16() !== 5) throw new Error('not a Java serialization stream')
  }

  content(): unknown {
    const tc = this.r.u8()
    switch (tc) {
      case TC_NULL:
        return null
      case TC_REFERENCE: {
        const h = this.r.i32() - BASE_HANDLE
        if (h < 0 || h >= this.handles.length) throw new Error('bad back-reference in serialized key')
        return this.handles[h]
      }
      case TC_STRING: {
        const s = this.r.utf()
        this.handles.push(s)
        return s
      }
      case TC_LONGSTRING: {
        const hi = this.r.u32()
        const lo = this.r.u32()
        if (hi !== 0) throw new Error('string too long in serialized key')
        const s = decodeModifiedUtf8(this.r.bytes(lo))
        this.handles.push(s)
        return s
      }
      case TC_CLASSDESC:
        return this.classDescBody()
      case TC_OBJECT:
        return this.object()
      case TC_ARRAY:
        return this.array()
      default:
        throw new Error(`unsupported element 0x${tc.toString(16)} in a serialized key`)
    }
  }

  classDesc(): ClassDesc | null {
    const v = this.content()
    if (v === null) return null
    if (typeof v === 'object' && v !== null && 'flags' in v) return v as ClassDesc
    throw new Error('expected a class descriptor in a serialized key')
  }

  classDescBody(): ClassDesc {
    const name = this.r.utf()
    this.r.bytes(8) // serialVersionUID
    const slot = this.handles.length
    this.handles.push(undefined)
    const flags = this.r.u8()
    const n = this.r.u16()
    const fields: { type: string; name: string }[] = []
    for (let i = 0; i < n; i++) {
      const type = String.fromCharCode(this.r.u8())
      const fname = this.r.utf()
      if (type === '[' || type === 'L') this.content() // the field's class name, as a string
      fields.push({ type, name: fname })
    }
    this.skipAnnotation()
    const desc: ClassDesc = { name, flags, fields, superDesc: null }
    this.handles[slot] = desc
    ;(desc as { superDesc: ClassDesc | null }).superDesc = this.classDesc()
    return desc
  }

  skipAnnotation(): void {
    for (;;) {
      const tc = this.r.b[this.r.pos]
      if (tc === TC_ENDBLOCKDATA) {
        this.r.pos++
        return
      }
      if (tc === TC_BLOCKDATA) {
        this.r.pos++
        this.r.bytes(this.r.u8())
      } else if (tc === TC_BLOCKDATALONG) {
        this.r.pos++
        this.r.bytes(this.r.i32())
      } else this.content()
    }
  }

  object(): JavaObject {
    const desc = this.classDesc()
    if (desc === null) throw new Error('object without a class in a serialized key')
    const obj: JavaObject = { className: desc.name, fields: new Map() }
    this.handles.push(obj)
    const chain: ClassDesc[] = []
    for (let d: ClassDesc | null = desc; d !== null; d = d.superDesc) chain.unshift(d)
    for (const d of chain) {
      if ((d.flags & SC_SERIALIZABLE) === 0) throw new Error(`class ${d.name} is not serializable-only`)
      for (const f of d.fields) obj.fields.set(f.name, this.value(f.type))
      if ((d.flags & SC_WRITE_METHOD) !== 0) this.skipAnnotation()
    }
    return obj
  }

  value(type: string): unknown {
    const r = this.r
    switch (type) {
      case 'B':
        return r.bytes(1).readInt8(0)
      case 'Z':
        return r.u8() !== 0
      case 'C':
      case 'S':
        return r.u16()
      case 'I':
        return r.i32()
      case 'F':
        return r.bytes(4).readFloatBE(0)
      case 'J':
        return r.bytes(8).readBigInt64BE(0)
      case 'D':
        return r.bytes(8).readDoubleBE(0)
      default:
        return this.content()
    }
  }

  array(): unknown {
    const desc = this.classDesc()
    if (desc === null) throw new Error('array without a class in a serialized key')
    const n = this.r.i32()
    if (desc.name === '[B') {
      const v = Buffer.from(this.r.bytes(n))
      this.handles.push(v)
      return v
    }
    const slot = this.handles.length
    const out: unknown[] = []
    this.handles.push(out)
    const elem = desc.name.slice(1, 2)
    for (let i = 0; i < n; i++) out.push(this.value(elem))
    this.handles[slot] = out
    return out
  }
}

/** Reads one serialized object at the reader's position (a fresh ObjectInputStream, as JceKeyStore uses). */
export function readJavaObject(r: Reader): unknown {
  return new JavaStream(r).content()
}

// --- PBEWithMD5AndTripleDES ---------------------------------------------------------------------------

function derEncodedPbeParams(der: Buffer): { salt: Buffer; iterations: number } {
  // SEQUENCE { OCTET STRING salt, INTEGER iterationCount }
  const r = new Reader(der)
  const len = (): number => {
    const first = r.u8()
    if (first < 0x80) return first
    let n = 0
    for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + r.u8()
    return n
  }
  if (r.u8() !== 0x30) throw new Error('PBE parameters are not a DER sequence')
  len()
  if (r.u8() !== 0x04) throw new Error('PBE salt is not an octet string')
  const salt = Buffer.from(r.bytes(len()))
  if (r.u8() !== 0x02) throw new Error('PBE iteration count is not an integer')
  const ib = r.bytes(len())
  let iterations = 0
  for (const x of ib) iterations = iterations * 256 + x
  return { salt, iterations }
}

function pbeMd5TripleDesDecrypt(data: Buffer, password: string, salt0: Buffer, iterations: number): Buffer {
  if (salt0.length !== 8) throw new Error('PBEWithMD5AndTripleDES needs an 8-byte salt')
  const salt = Buffer.from(salt0)
  // Sun's variant: if both salt halves are equal, reverse the first half.
  if (salt.subarray(0, 4).equals(salt.subarray(4, 8))) {
    for (let i = 0; i < 2; i++) {
      const t = salt[i] as number
      salt[i] = salt[3 - i] as number
      salt[3 - i] = t
    }
  }
  const pw = Buffer.alloc(password.length)
  for (let i = 0; i < password.length; i++) pw[i] = password.charCodeAt(i) & 0xff
  const result = Buffer.alloc(32)
  for (let half = 0; half < 2; half++) {
    let h: Buffer = salt.subarray(half * 4, half * 4 + 4)
    for (let i = 0; i < iterations; i++) h = createHash('md5').update(h).update(pw).digest()
    h.copy(result, half * 16)
  }
  const d = createDecipheriv('des-ede3-cbc', result.subarray(0, 24), result.subarray(24, 32))
  return Buffer.concat([d.update(data), d.final()])
}

// --- keystore ----------------------------------------------------------------------------------------

/**
 * Returns the secret keys (raw bytes) of the aliases in `keyPasswords`, each unsealed with its password.
 * Throws with a readable reason: wrong keystore password, wrong key password, not a JCEKS file.
 */
export function readJceksSecretKeys(
  store: Buffer,
  storePassword: string,
  keyPasswords: ReadonlyMap<string, string>,
): Map<string, Buffer> {
  if (store.length < 32) throw new Error('the keystore file is too short to be a JCEKS keystore')
  const magic = store.readUInt32BE(0)
  if (magic !== JCEKS_MAGIC) {
    throw new Error(
      magic === 0xfeedfeed
        ? 'the keystore is a JKS keystore, which cannot hold secret keys; Flume needs -storetype JCEKS'
        : 'the keystore is not a JCEKS keystore',
    )
  }
  // Integrity first: a wrong password must say so, not fail later in a confusing way.
  const body = store.subarray(0, store.length - 20)
  const pw16 = Buffer.alloc(storePassword.length * 2)
  for (let i = 0; i < storePassword.length; i++) pw16.writeUInt16BE(storePassword.charCodeAt(i), i * 2)
  const digest = createHash('sha1').update(pw16).update('Mighty Aphrodite', 'utf8').update(body).digest()
  if (!digest.equals(store.subarray(store.length - 20))) {
    throw new Error('the keystore password is wrong, or the keystore was tampered with')
  }
  const r = new Reader(body, 4)
  const version = r.u32()
  if (version !== 1 && version !== 2) throw new Error(`unsupported JCEKS version ${version}`)
  const count = r.i32()
  const out = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    const tag = r.i32()
    const alias = r.utf()
    r.bytes(8) // date
    if (tag === 1) {
      r.bytes(r.i32())
      const certs = version === 2 ? r.i32() : 1
      for (let c = 0; c < certs; c++) {
        if (version === 2) r.utf()
        r.bytes(r.i32())
      }
    } else if (tag === 2) {
      if (version === 2) r.utf()
      r.bytes(r.i32())
    } else if (tag === 3) {
      const sealed = readJavaObject(r) as JavaObject | null
      // JCEKS aliases are stored lower-case; keytool lower-cases them too.
      const pw = keyPasswords.get(alias) ?? keyPasswords.get(alias.toLowerCase())
      const wanted = [...keyPasswords.keys()].find((k) => k.toLowerCase() === alias.toLowerCase())
      if (wanted === undefined || pw === undefined || sealed === null) continue
      const params = sealed.fields.get('encodedParams')
      const content = sealed.fields.get('encryptedContent')
      const sealAlg = sealed.fields.get('sealAlg')
      if (!Buffer.isBuffer(params) || !Buffer.isBuffer(content)) {
        throw new Error(`the secret key '${alias}' is not a sealed object this reader knows`)
      }
      if (typeof sealAlg === 'string' && sealAlg.toUpperCase() !== 'PBEWITHMD5ANDTRIPLEDES') {
        throw new Error(`the secret key '${alias}' is sealed with ${sealAlg}, which is not supported`)
      }
      const { salt, iterations } = derEncodedPbeParams(params)
      let keyObj: JavaObject | null
      try {
        // A wrong password fails the padding check, or (1 time in 256) decrypts to garbage that is not a
        // serialization stream: both mean the same thing.
        const plain = pbeMd5TripleDesDecrypt(content, pw, salt, iterations)
        keyObj = readJavaObject(new Reader(plain)) as JavaObject | null
      } catch {
        throw new Error(`the password for key '${alias}' is wrong`)
      }
      const raw = keyObj?.fields.get('key')
      if (!Buffer.isBuffer(raw)) throw new Error(`the secret key '${alias}' does not hold raw key bytes`)
      out.set(wanted, raw)
    } else {
      throw new Error(`unknown keystore entry type ${tag}`)
    }
  }
  return out
}
