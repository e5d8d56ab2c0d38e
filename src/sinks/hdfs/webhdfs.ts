/**
 * A small WebHDFS REST client (Hadoop's `/webhdfs/v1` API) on node:http(s), for the HDFS sink.
 *
 * Writes are the two-step protocol: the request goes to the NameNode without a body, the NameNode answers
 * 307 with the DataNode URL in `Location`, and the bytes go to the DataNode. Node's `fetch` cannot do the
 * DataNode step (the DataNode sends an unsolicited `100 Continue` first, which undici rejects), so every
 * call here is plain node:http. A DataNode answers CREATE with 201 and APPEND with 200 only after the data
 * went through the write pipeline and the file was closed (`DFSOutputStream.close()` in WebHdfsHandler):
 * that answer is the acknowledgement the sink commits on.
 *
 * Every response body is size-bounded (JSON answers 1 MiB); every call has a timeout (callTimeout) and
 * errors name the operation, the path and the NameNode or DataNode URL. Hadoop's RemoteException JSON is
 * turned into a WebHdfsError carrying the Java exception class name.
 *
 * Lease recovery: WebHDFS has no recoverLease operation (it is a DistributedFileSystem RPC only). The
 * closest thing is TRUNCATE and APPEND, which make the NameNode recover a lease whose soft limit
 * (60 s) expired; the sink relies on that (see hdfs.ts, recover-and-finalize).
 */

import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { http, https } from '../../core/builtin-modules.ts'

const MAX_JSON = 1 << 20

export class WebHdfsError extends Error {
  override readonly name = 'WebHdfsError'
  /** HTTP status (0 = no answer: connection refused, timeout, reset). */
  readonly status: number
  /** Java exception simple name from a RemoteException (FileNotFoundException, ...), if any. */
  readonly exception: string | undefined
  /** Set on a CREATE/APPEND that failed at the NameNode step: no byte reached a DataNode. */
  beforeData = false
  constructor(message: string, status: number, exception?: string, options?: ErrorOptions) {
    super(message, options)
    this.status = status
    this.exception = exception
  }
}

export interface FileStatus {
  readonly pathSuffix: string
  readonly type: 'FILE' | 'DIRECTORY' | 'SYMLINK'
  readonly length: number
  readonly modificationTime: number
  readonly replication: number
}

export interface WebHdfsOptions {
  /** NameNode HTTP(S) base, e.g. `http://nn:9870`. */
  readonly baseUrl: string
  /** `user.name` (simple authentication); default the OS user running the agent. */
  readonly user?: string
  /** `doas` (hdfs.proxyUser): act as this user; the `user` must be allowed to impersonate. */
  readonly doAs?: string
  /** Per-operation timeout in ms (hdfs.callTimeout). */
  readonly timeoutMs: number
}

interface Answer {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  readonly body: Buffer
}

export class WebHdfsClient {
  readonly baseUrl: string
  readonly #opts: WebHdfsOptions
  readonly #agentHttp: import('node:http').Agent
  #agentHttps: import('node:https').Agent | undefined

  constructor(opts: WebHdfsOptions) {
    this.#opts = opts
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.#agentHttp = new (http().Agent)({ keepAlive: true, maxSockets: 64 })
  }

  close(): void {
    this.#agentHttp.destroy()
    this.#agentHttps?.destroy()
  }

  #url(path: string, op: string, params: Record<string, string> = {}): string {
    const q = new URLSearchParams({ op, ...params })
    if (this.#opts.user !== undefined) q.set('user.name', this.#opts.user)
    if (this.#opts.doAs !== undefined) q.set('doas', this.#opts.doAs)
    const encoded = path
      .split('/')
      .map((s) => encodeURIComponent(s))
      .join('/')
    return `${this.baseUrl}/webhdfs/v1${encoded.startsWith('/') ? '' : '/'}${encoded}?${q}`
  }

  /** One HTTP exchange; the body of the answer is read up to `max` bytes. */
  #request(
    method: string,
    url: string,
    body: Buffer | undefined,
    max: number,
    what: string,
  ): Promise<Answer> {
    const u = new URL(url)
    const mod = u.protocol === 'https:' ? https() : http()
    if (u.protocol === 'https:') this.#agentHttps ??= new (https().Agent)({ keepAlive: true })
    const headers: OutgoingHttpHeaders = {}
    if (body !== undefined) {
      headers['content-type'] = 'application/octet-stream'
      headers['content-length'] = body.length
    } else if (method !== 'GET') {
      headers['content-length'] = 0
    }
    const where = `${u.protocol}//${u.host}`
    return new Promise<Answer>((resolve, reject) => {
      let done = false
      const fail = (msg: string, cause?: unknown) => {
        if (done) return
        done = true
        req.destroy()
        reject(new WebHdfsError(`${what}: ${msg} (${where})`, 0, undefined, { cause }))
      }
      const req = mod.request(
        u,
        {
          method,
          headers,
          agent: u.protocol === 'https:' ? this.#agentHttps : this.#agentHttp,
          timeout: this.#opts.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size > max) {
              fail(`answer larger than ${max} bytes`)
              return
            }
            chunks.push(c)
          })
          res.on('end', () => {
            if (done) return
            done = true
            clearTimeout(timer)
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
          })
          res.on('error', (e) => fail(e.message, e))
        },
      )
      // The whole exchange, not just socket inactivity, is bounded by callTimeout.
      const timer = setTimeout(
        () => fail(`no answer within ${this.#opts.timeoutMs} ms`),
        this.#opts.timeoutMs,
      )
      req.on('timeout', () => fail(`no answer within ${this.#opts.timeoutMs} ms`))
      req.on('error', (e) => {
        clearTimeout(timer)
        fail(e.message, e)
      })
      req.on('close', () => clearTimeout(timer))
      req.end(body)
    })
  }

  /** Turns a non-success answer into a WebHdfsError (RemoteException JSON when present). */
  #error(a: Answer, what: string, where: string): WebHdfsError {
    let exception: string | undefined
    let message = a.body.toString('utf8', 0, Math.min(a.body.length, 500)).trim()
    try {
      const j = JSON.parse(a.body.toString('utf8')) as {
        RemoteException?: { exception?: string; message?: string }
      }
      if (j.RemoteException !== undefined) {
        exception = j.RemoteException.exception
        message = `${exception ?? 'RemoteException'}: ${(j.RemoteException.message ?? '').split('\n')[0]}`
      }
    } catch {
      // not JSON: keep the text
    }
    return new WebHdfsError(`${what}: HTTP ${a.status} ${message} (${where})`, a.status, exception)
  }

  async #json<T>(method: string, path: string, op: string, params?: Record<string, string>): Promise<T> {
    const what = `WebHDFS ${op} ${path}`
    const a = await this.#request(method, this.#url(path, op, params), undefined, MAX_JSON, what)
    if (a.status !== 200) throw this.#error(a, what, this.baseUrl)
    try {
      return JSON.parse(a.body.toString('utf8')) as T
    } catch (e) {
      throw new WebHdfsError(`${what}: the answer is not JSON (${this.baseUrl})`, a.status, undefined, {
        cause: e,
      })
    }
  }

  /** NameNode step then DataNode step of CREATE/APPEND. */
  async #write(
    method: 'PUT' | 'POST',
    path: string,
    op: string,
    params: Record<string, string>,
    data: Buffer,
  ) {
    const what = `WebHDFS ${op} ${path}`
    let nn: Answer
    try {
      nn = await this.#request(method, this.#url(path, op, params), undefined, MAX_JSON, what)
    } catch (e) {
      if (e instanceof WebHdfsError) e.beforeData = true
      throw e
    }
    if (nn.status !== 307 || typeof nn.headers.location !== 'string') {
      const e = this.#error(nn, what, this.baseUrl)
      e.beforeData = true
      throw e
    }
    const dnUrl = nn.headers.location
    const dn = await this.#request(method, dnUrl, data, MAX_JSON, `${what} (DataNode)`)
    const ok = op === 'CREATE' ? 201 : 200
    if (dn.status !== ok) {
      const u = new URL(dnUrl)
      throw this.#error(dn, `${what} (DataNode)`, `${u.protocol}//${u.host}`)
    }
  }

  /** Creates a file with `data` (parents are created); fails if it exists unless overwrite. */
  create(path: string, data: Buffer, overwrite = false): Promise<void> {
    return this.#write('PUT', path, 'CREATE', { overwrite: String(overwrite) }, data)
  }

  /** Appends `data`; the DataNode closes the file before it answers. */
  append(path: string, data: Buffer): Promise<void> {
    return this.#write('POST', path, 'APPEND', {}, data)
  }

  /** Renames; false when HDFS refused (source missing, destination exists). */
  async rename(from: string, to: string): Promise<boolean> {
    const j = await this.#json<{ boolean: boolean }>('PUT', from, 'RENAME', { destination: to })
    return j.boolean === true
  }

  async delete(path: string, recursive = false): Promise<boolean> {
    const j = await this.#json<{ boolean: boolean }>('DELETE', path, 'DELETE', {
      recursive: String(recursive),
    })
    return j.boolean === true
  }

  async mkdirs(path: string): Promise<boolean> {
    const j = await this.#json<{ boolean: boolean }>('PUT', path, 'MKDIRS')
    return j.boolean === true
  }

  /**
   * Truncates to `length`. True when done; false when HDFS started block recovery to finish it (the file
   * is then briefly not appendable). Needs the lease: fails while another writer holds it.
   */
  async truncate(path: string, length: number): Promise<boolean> {
    const j = await this.#json<{ boolean: boolean }>('POST', path, 'TRUNCATE', { newlength: String(length) })
    return j.boolean === true
  }

  /** The status, or undefined when the path does not exist. */
  async status(path: string): Promise<FileStatus | undefined> {
    try {
      const j = await this.#json<{ FileStatus: FileStatus }>('GET', path, 'GETFILESTATUS')
      return j.FileStatus
    } catch (e) {
      if (e instanceof WebHdfsError && e.status === 404) return undefined
      throw e
    }
  }

  /** Directory entries, or undefined when the directory does not exist. */
  async list(path: string): Promise<FileStatus[] | undefined> {
    try {
      const j = await this.#json<{ FileStatuses: { FileStatus: FileStatus[] } }>('GET', path, 'LISTSTATUS')
      return j.FileStatuses.FileStatus
    } catch (e) {
      if (e instanceof WebHdfsError && e.status === 404) return undefined
      throw e
    }
  }

  /** Reads a whole file (tests, small files): OPEN follows the redirect; bounded by `max` bytes. */
  async read(path: string, max = 64 << 20): Promise<Buffer> {
    const what = `WebHDFS OPEN ${path}`
    const nn = await this.#request('GET', this.#url(path, 'OPEN'), undefined, MAX_JSON, what)
    if (nn.status === 200) return nn.body
    if (nn.status !== 307 || typeof nn.headers.location !== 'string')
      throw this.#error(nn, what, this.baseUrl)
    const dn = await this.#request('GET', nn.headers.location, undefined, max, `${what} (DataNode)`)
    if (dn.status !== 200) throw this.#error(dn, `${what} (DataNode)`, new URL(nn.headers.location).host)
    return dn.body
  }
}
