// TypeScript face of test/peers/provision.sh: resolves a peer's jars (Maven Central -> ~/.m2) and returns its
// classpath. The shell script owns the cache layout, the pom-hash stamp and the flock, so parallel test files and
// hand-run `provision.sh` calls share one implementation; a warm call costs one ~20 ms bash run per peer and process.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PeerError } from './java.ts'

export type PeerName = 'flume' | 'kafka' | 'hdfs'

export const peersDir: string = import.meta.dirname

export interface Provisioned {
  readonly peer: PeerName
  /** ~/.cache/flumen-peers/<peer>/<key>: classpath file, stamp, compiled helper classes. */
  readonly dir: string
  /** Absolute jar paths inside the Maven repository (plus <dir>/classes when the peer has Java helpers). */
  readonly classpath: string
  readonly jars: readonly string[]
}

const memo = new Map<PeerName, Promise<Provisioned>>()

/** Makes sure the peer's jars are present (downloading on first use) and returns its classpath. */
export function provision(peer: PeerName): Promise<Provisioned> {
  let p = memo.get(peer)
  if (!p) {
    p = run(peer)
    memo.set(peer, p)
    p.catch(() => memo.delete(peer)) // a failure is not cached: the next caller retries
  }
  return p
}

function run(peer: PeerName): Promise<Provisioned> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [join(peersDir, 'provision.sh'), peer],
      { maxBuffer: 16 << 20, timeout: 30 * 60_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new PeerError(`provisioning ${peer} failed (exit ${err.code}):\n${stderr.trim() || err.message}`),
          )
          return
        }
        const line = stdout.trim().split('\n').at(-1) ?? ''
        const dir = line.slice(peer.length + 1)
        if (!line.startsWith(`${peer} `) || !existsSync(join(dir, 'classpath'))) {
          reject(
            new PeerError(`provisioning ${peer}: unexpected output ${JSON.stringify(stdout)}\n${stderr}`),
          )
          return
        }
        const jars = readFileSync(join(dir, 'classpath'), 'utf8').trim().split(':')
        const classes = join(dir, 'classes')
        const classpath = [...(existsSync(classes) ? [classes] : []), ...jars].join(':')
        resolve({ peer, dir, classpath, jars })
      },
    )
  })
}
