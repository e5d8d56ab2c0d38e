// Shared set-up for the HDFS sink's end-to-end suites: one real HDFS (test/peers/hdfs.ts) per test file, a
// WebHDFS client to read it back, and agents killed when the file ends.

import { after, before } from 'node:test'
import { WebHdfsClient } from '../../src/sinks/hdfs/webhdfs.ts'
import { type HdfsCluster, startHdfs } from '../peers/index.ts'
import type { AgentProcess } from './cli.ts'

export interface HdfsEntry {
  readonly path: string
  readonly name: string
  readonly length: number
}

export interface HdfsFixture {
  readonly hdfs: HdfsCluster
  readonly fs: WebHdfsClient
  /** Agents to SIGKILL at the end of the file if a test left them running. */
  readonly agents: AgentProcess[]
  /** Every file under `dir`, recursively, sorted by path (WebHDFS LISTSTATUS). */
  files(dir: string): Promise<HdfsEntry[]>
}

/**
 * Registers before/after hooks that start HDFS for this test file and stop it (and stray agents) after;
 * `onStart` receives the cluster and client once they are up (for module-level variables).
 */
export function useHdfs(onStart?: (hdfs: HdfsCluster, fs: WebHdfsClient) => void): HdfsFixture {
  let hdfs: HdfsCluster | undefined
  let fs: WebHdfsClient | undefined
  const agents: AgentProcess[] = []
  before(async () => {
    hdfs = await startHdfs()
    fs = new WebHdfsClient({ baseUrl: hdfs.webHdfs, user: hdfs.user, timeoutMs: 20_000 })
    onStart?.(hdfs, fs)
  })
  after(async () => {
    for (const a of agents)
      if (a.child.exitCode === null && a.child.signalCode === null) await a.stop('SIGKILL')
    fs?.close()
    await hdfs?.stop()
  })
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('HDFS is not started yet (use the fixture inside tests)')
    return v
  }
  const fixture: HdfsFixture = {
    get hdfs() {
      return started(hdfs)
    },
    get fs() {
      return started(fs)
    },
    agents,
    async files(dir) {
      const out: HdfsEntry[] = []
      for (const st of (await started(fs).list(dir)) ?? []) {
        const p = `${dir}/${st.pathSuffix}`
        if (st.type === 'DIRECTORY') out.push(...(await fixture.files(p)))
        else out.push({ path: p, name: st.pathSuffix, length: st.length })
      }
      return out.sort((a, b) => a.path.localeCompare(b.path))
    },
  }
  return fixture
}

/** Files still under an in-use name (`.tmp` suffix or `_` prefix, as the suites configure them). */
export const inUse = (es: readonly HdfsEntry[]): HdfsEntry[] => es.filter((e) => /\.tmp$|^_/.test(e.name))
