/**
 * Reads the certificates of a PKCS#12 file (RFC 7292) — what a Java truststore is today (keytool's default
 * store type since Java 9). Node can load a PKCS#12 *keystore* (`pfx`, key + chain) itself, but not a
 * truststore: it has certificates and no key, and `createSecureContext({ pfx })` insists on a key. This
 * module extracts the certificate bags so they can be given as `ca`.
 *
 * Supported protections (what keytool and OpenSSL write): unencrypted bags; PBES2 (PBKDF2 with
 * HMAC-SHA1/224/256/384/512, then AES-128/192/256-CBC or DES-EDE3-CBC) — keytool's default since JDK
 * 11.0.12/17 and OpenSSL 3's; and the legacy pbeWithSHAAnd3-KeyTripleDES-CBC. The older
 * pbeWithSHAAnd40BitRC2-CBC (JDK 8 keytool's choice for certificates) needs RC2, which OpenSSL 3 no
 * longer offers: such files are refused with the keytool command that rewrites them. The file's MAC is
 * not checked (a wrong password shows up as a decryption failure instead).
 *
 * Input is untrusted: every length is checked against its enclosing element.
 */

import { createDecipheriv, createHash, pbkdf2Sync } from 'node:crypto'

export class Pkcs12Error extends Error {
  override readonly name = 'Pkcs12Error'
  readonly code: 'FLUME_ERR_PKCS12_FORMAT' | 'FLUME_ERR_PKCS12_PASSWORD' | 'FLUME_ERR_PKCS12_UNSUPPORTED'

  constructor(code: Pkcs12Error['code'], message: string) {
    super(message)
    this.code = code
  }
}

// ---------------------------------------------------------------------------------------------------------
// DER

interface Tlv {
  readonly tag: number
  readonly start: number
  readonly end: number
  readonly next: number
}

function malformed(what: string): never {
  throw new Pkcs12Error('FLUME_ERR_PKCS12_FORMAT', `not a valid PKCS#12 file (${what})`)
}

function tlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) malformed('truncated element')
  const tag = buf[pos] as number
  let len = buf[pos + 1] as number
  let p = pos + 2
  if (len === 0x80) malformed('indefinite length')
  if (len > 0x80) {
    const n = len & 0x7f
    if (n > 4 || p + n > limit) malformed('bad length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] as number)
    p += n
  }
  if (p + len > limit) malformed('element longer than its container')
  return { tag, start: p, end: p + len, next: p + len }
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let p = parent.start; p < parent.end; ) {
    const t = tlv(buf, p, parent.end)
    out.push(t)
    p = t.next
  }
  return out
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined || t.tag !== tag) malformed(`expected ${what}`)
  return t
}

function oid(buf: Buffer, t: Tlv): string {
  expect(t, 0x06, 'an object identifier')
  const parts: number[] = []
  let v = 0
  for (let p = t.start; p < t.end; p++) {
    const b = buf[p] as number
    v = v * 128 + (b & 0x7f)
    if (b < 0x80) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

function integer(buf: Buffer, t: Tlv): number {
  expect(t, 0x02, 'an integer')
  let v = 0
  for (let p = t.start; p < t.end; p++) v = v * 256 + (buf[p] as number)
  return v
}

/** An OCTET STRING's bytes (primitive, or BER-constructed from pieces). */
function octets(buf: Buffer, t: Tlv): Buffer {
  if (t.tag === 0x04) return buf.subarray(t.start, t.end)
  if (t.tag === 0x24) return Buffer.concat(children(buf, t).map((c) => octets(buf, c)))
  malformed('expected an octet string')
}

// ---------------------------------------------------------------------------------------------------------
// PKCS#12

const OID_DATA = '1.2.840.113549.1.7.1'
const OID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6'
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3'
const OID_X509_CERT = '1.2.840.113549.1.9.22.1'
const OID_PBES2 = '1.2.840.113549.1.5.13'
const OID_PBKDF2 = '1.2.840.113549.1.5.12'
const OID_PBE_SHA_3DES = '1.2.840.113549.1.12.1.3'
const OID_PBE_SHA_RC2_40 = '1.2.840.113549.1.12.1.6'
const OID_PBE_SHA_RC2_128 = '1.2.840.113549.1.12.1.5'

const PRFS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
}
const CIPHERS: Readonly<Record<string, { name: string; keyLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
}

/**
 * Every X.509 certificate (DER) in a PKCS#12 file. `password` may be omitted when the certificates are
 * not encrypted.
 */
export function pkcs12Certificates(data: Buffer, password: string | undefined): Buffer[] {
  const pfx = tlv(data, 0, data.length)
  expect(pfx, 0x30, 'the PFX sequence')
  const [version, authSafe] = children(data, pfx)
  if (integer(data, expect(version, 0x02, 'the version')) !== 3) malformed('version is not 3')
  const safes = contentInfoData(data, expect(authSafe, 0x30, 'the authenticated safe'))
  const certs: Buffer[] = []
  const seq = tlv(safes, 0, safes.length)
  for (const ci of children(safes, expect(seq, 0x30, 'the content infos'))) {
    const [typeT, contentT] = children(safes, ci)
    const type = oid(safes, expect(typeT, 0x06, 'a content type'))
    let bags: Buffer
    if (type === OID_DATA) bags = contentInfoData(safes, ci)
    else if (type === OID_ENCRYPTED_DATA)
      bags = decryptContent(safes, expect(contentT, 0xa0, 'encrypted content'), password)
    else continue // enveloped data and others carry no truststore certificates
    const bagSeq = tlv(bags, 0, bags.length)
    for (const bag of children(bags, expect(bagSeq, 0x30, 'the safe contents'))) {
      const [idT, valueT] = children(bags, bag)
      if (oid(bags, expect(idT, 0x06, 'a bag type')) !== OID_CERT_BAG) continue
      const certBag = expect(
        children(bags, expect(valueT, 0xa0, 'a bag value'))[0],
        0x30,
        'a certificate bag',
      )
      const [certIdT, certValueT] = children(bags, certBag)
      if (oid(bags, expect(certIdT, 0x06, 'a certificate type')) !== OID_X509_CERT) continue
      const inner = expect(
        children(bags, expect(certValueT, 0xa0, 'a certificate value'))[0],
        0x04,
        'the certificate',
      )
      certs.push(Buffer.from(octets(bags, inner)))
    }
  }
  return certs
}

/** The octets of a ContentInfo of type data (`SEQUENCE { OID data, [0] EXPLICIT OCTET STRING }`). */
function contentInfoData(buf: Buffer, ci: Tlv): Buffer {
  const [typeT, contentT] = children(buf, ci)
  if (oid(buf, expect(typeT, 0x06, 'a content type')) !== OID_DATA) malformed('expected data content')
  const inner = children(buf, expect(contentT, 0xa0, 'the content'))[0]
  if (inner === undefined) malformed('empty content')
  return octets(buf, inner)
}

function decryptContent(buf: Buffer, wrapper: Tlv, password: string | undefined): Buffer {
  // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE { contentType, algorithm, [0] IMPLICIT data } }
  const ed = expect(children(buf, wrapper)[0], 0x30, 'encrypted data')
  const eci = expect(children(buf, ed)[1], 0x30, 'encrypted content info')
  const [, algT, contentT] = children(buf, eci)
  if (contentT === undefined || (contentT.tag !== 0x80 && contentT.tag !== 0xa0))
    malformed('missing encrypted bytes')
  const encrypted =
    contentT.tag === 0x80
      ? buf.subarray(contentT.start, contentT.end)
      : Buffer.concat(children(buf, contentT).map((c) => octets(buf, c)))
  if (password === undefined) {
    throw new Pkcs12Error(
      'FLUME_ERR_PKCS12_PASSWORD',
      'the certificates are encrypted: a password is needed (truststore-password)',
    )
  }
  const [algOidT, paramsT] = children(buf, expect(algT, 0x30, 'an algorithm'))
  const alg = oid(buf, expect(algOidT, 0x06, 'an algorithm id'))
  let key: Buffer
  let iv: Buffer
  let cipher: string
  if (alg === OID_PBES2) {
    const [kdfT, encT] = children(buf, expect(paramsT, 0x30, 'PBES2 parameters'))
    const [kdfOidT, kdfParamsT] = children(buf, expect(kdfT, 0x30, 'a key derivation function'))
    if (oid(buf, expect(kdfOidT, 0x06, 'a KDF id')) !== OID_PBKDF2)
      unsupported('a key derivation other than PBKDF2')
    const kp = children(buf, expect(kdfParamsT, 0x30, 'PBKDF2 parameters'))
    const salt = octets(buf, expect(kp[0], 0x04, 'a salt'))
    const iterations = integer(buf, expect(kp[1], 0x02, 'an iteration count'))
    let prf = 'sha1'
    for (const p of kp.slice(2)) {
      if (p.tag === 0x30) {
        const name = PRFS[oid(buf, expect(children(buf, p)[0], 0x06, 'a PRF id'))]
        if (name === undefined) unsupported('this PBKDF2 hash')
        prf = name
      }
    }
    const [encOidT, ivT] = children(buf, expect(encT, 0x30, 'an encryption scheme'))
    const enc = CIPHERS[oid(buf, expect(encOidT, 0x06, 'a cipher id'))]
    if (enc === undefined) unsupported('this cipher')
    if (iterations < 1 || iterations > 10_000_000) malformed('unreasonable iteration count')
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, enc.keyLength, prf)
    iv = Buffer.from(octets(buf, expect(ivT, 0x04, 'an IV')))
    cipher = enc.name
  } else if (alg === OID_PBE_SHA_3DES) {
    const [saltT, iterT] = children(buf, expect(paramsT, 0x30, 'PBE parameters'))
    const salt = octets(buf, expect(saltT, 0x04, 'a salt'))
    const iterations = integer(buf, expect(iterT, 0x02, 'an iteration count'))
    if (iterations < 1 || iterations > 10_000_000) malformed('unreasonable iteration count')
    key = pkcs12Kdf(password, salt, iterations, 1, 24)
    iv = pkcs12Kdf(password, salt, iterations, 2, 8)
    cipher = 'des-ede3-cbc'
  } else if (alg === OID_PBE_SHA_RC2_40 || alg === OID_PBE_SHA_RC2_128) {
    unsupported('RC2 encryption (JDK 8 keytool)')
  } else {
    unsupported(`encryption ${alg}`)
  }
  try {
    const d = createDecipheriv(cipher, key, iv)
    return Buffer.concat([d.update(encrypted), d.final()])
  } catch {
    throw new Pkcs12Error('FLUME_ERR_PKCS12_PASSWORD', 'cannot decrypt the certificates: wrong password?')
  }
}

function unsupported(what: string): never {
  throw new Pkcs12Error(
    'FLUME_ERR_PKCS12_UNSUPPORTED',
    `the file uses ${what}, which Node's OpenSSL cannot read; rewrite it with a current keytool: ` +
      'keytool -importkeystore -srckeystore <file> -srcstoretype PKCS12 -destkeystore <new.p12> -deststoretype PKCS12',
  )
}

/** RFC 7292 appendix B key derivation (SHA-1), used by the legacy pbeWithSHAAnd… algorithms. */
function pkcs12Kdf(password: string, salt: Buffer, iterations: number, id: number, n: number): Buffer {
  const u = 20
  const v = 64
  const pw = Buffer.alloc((password.length + 1) * 2)
  for (let i = 0; i < password.length; i++) pw.writeUInt16BE(password.charCodeAt(i), i * 2)
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0)
    const out = Buffer.alloc(v * Math.ceil(src.length / v))
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length] as number
    return out
  }
  const D = Buffer.alloc(v, id)
  let I = Buffer.concat([fill(salt), fill(pw)])
  const out = Buffer.alloc(n)
  for (let done = 0; done < n; ) {
    let A = createHash('sha1').update(D).update(I).digest()
    for (let i = 1; i < iterations; i++) A = createHash('sha1').update(A).digest()
    A.copy(out, done, 0, Math.min(u, n - done))
    done += u
    if (done >= n) break
    const B = fill(A)
    const next = Buffer.alloc(I.length)
    for (let j = 0; j < I.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const s = (I[j + k] as number) + (B[k] as number) + carry
        next[j + k] = s & 0xff
        carry = s >> 8
      }
    }
    I = next
  }
  return out
}

/** DER certificates as one PEM text (what node:tls takes as `ca`). */
export function certificatesToPem(certs: readonly Buffer[]): string {
  return certs
    .map((c) => {
      const b64 = c.toString('base64').replace(/.{64}/g, '$&\n')
      return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`
    })
    .join('')
}
