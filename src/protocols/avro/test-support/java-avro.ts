/**
 * Provisions and runs the Java side of the Avro differential test.
 *
 * Jars: `src/protocols/avro/fixtures/java/pom.xml` lists Avro 1.11.0 (+ snappy-java, zstd-jni, xz) and the
 * few Flume 1.11.0 jars the tool needs. Maven resolves them through the default local repository
 * (~/.m2) and copy-dependencies puts them in `.peers/avro-lib/` (git-ignored). A stamp file holding the
 * pom's SHA-256 makes this idempotent: a warm run costs one hash and one stat. The new directory is
 * filled under a temporary name and renamed into place, so an interrupted run never leaves a half
 * filled lib/ that looks valid.
 *
 * There is deliberately no skip path: if Java or Maven is missing or Maven Central is unreachable, the
 * caller's test fails with the reason (CI provisions through this same code).
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const FIXTURES = path.join(ROOT, 'src/protocols/avro/fixtures/java')
const POM = path.join(FIXTURES, 'pom.xml')
export const AVRO_TOOL = path.join(FIXTURES, 'AvroTool.java')
const PEERS = path.join(ROOT, '.peers')
const LIB = path.join(PEERS, 'avro-lib')
const STAMP = path.join(PEERS, 'avro-lib.stamp')
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1'

function run(cmd: string, args: string[], timeoutMs: number): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 })
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`
  return { ok: r.status === 0, output }
}

/** Makes sure `.peers/avro-lib/` holds the jars for the current pom; returns the directory. */
export function provisionAvroLib(): string {
  const want = createHash('sha256').update(readFileSync(POM)).digest('hex')
  if (existsSync(LIB) && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === want) return LIB

  const java = run('java', ['-version'], 60_000)
  if (!java.ok) {
    throw new Error(`Avro interop test needs Java 17+ on PATH ("java -version" failed):\n${java.output}`)
  }
  const tmp = `${LIB}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const mvn = run(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      POM,
      `${DEPENDENCY_PLUGIN}:copy-dependencies`,
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ],
    15 * 60_000,
  )
  if (!mvn.ok) {
    rmSync(tmp, { recursive: true, force: true })
    throw new Error(
      `Could not provision the Avro interop jars with Maven (pom: ${path.relative(ROOT, POM)}). ` +
        'Maven 3 on PATH and access to Maven Central (or a warm ~/.m2) are required; this test does not skip.\n' +
        mvn.output,
    )
  }
  rmSync(LIB, { recursive: true, force: true })
  renameSync(tmp, LIB)
  writeFileSync(STAMP, `${want}\n`)
  return LIB
}

/** Runs AvroTool once over a commands file (one JVM for the whole test run). */
export function runAvroTool(lib: string, commandsFile: string): string {
  const r = run('java', ['-cp', `${lib}${path.sep}*`, AVRO_TOOL, commandsFile], 10 * 60_000)
  if (!r.ok) throw new Error(`AvroTool failed:\n${r.output}`)
  return r.output
}
