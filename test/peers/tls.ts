// Throwaway TLS material for peers and for our own TLS sources/sinks: one self-signed RSA key for 127.0.0.1 in a
// PKCS12 keystore, and a PKCS12 truststore holding its certificate. PKCS12 suits both sides: Flume's sources and
// RpcClient take it with keystore-type/truststore-type=PKCS12, and node:tls takes the keystore as `pfx`.
// Made with the JDK's keytool, once per test process, in a temp dir.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PeerError, tempDir } from './java.ts'

export interface TestKeystores {
  /** PKCS12 with the private key and its self-signed certificate (CN and SAN 127.0.0.1, alias "flume"). */
  readonly keystore: string
  /** PKCS12 with only the certificate. */
  readonly truststore: string
  /** DER certificate (keytool -exportcert). */
  readonly certificate: string
  /** Password of both stores and of the key. */
  readonly password: string
  readonly type: 'PKCS12'
}

let memo: Promise<TestKeystores> | undefined

/** Creates (once per process) a keystore/truststore pair for TLS on 127.0.0.1. */
export function testKeystores(): Promise<TestKeystores> {
  memo ??= make()
  return memo
}

async function make(): Promise<TestKeystores> {
  const dir = tempDir('tls')
  const ks: TestKeystores = {
    keystore: join(dir, 'keystore.p12'),
    truststore: join(dir, 'truststore.p12'),
    certificate: join(dir, 'cert.der'),
    password: 'flumen-test',
    type: 'PKCS12',
  }
  const bin = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'keytool') : 'keytool'
  const keytool = async (args: readonly string[]): Promise<void> => {
    try {
      await promisify(execFile)(bin, args)
    } catch (e) {
      throw new PeerError(`keytool ${args[0]} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`)
    }
  }
  await keytool([
    ...['-genkeypair', '-alias', 'flume', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '7'],
    ...['-dname', 'CN=127.0.0.1', '-ext', 'SAN=ip:127.0.0.1', '-storetype', 'PKCS12'],
    ...['-keystore', ks.keystore, '-storepass', ks.password, '-keypass', ks.password],
  ])
  await keytool([
    ...['-exportcert', '-alias', 'flume', '-keystore', ks.keystore, '-storepass', ks.password],
    ...['-file', ks.certificate],
  ])
  await keytool([
    ...['-importcert', '-noprompt', '-alias', 'flume', '-file', ks.certificate, '-storetype', 'PKCS12'],
    ...['-keystore', ks.truststore, '-storepass', ks.password],
  ])
  return ks
}
