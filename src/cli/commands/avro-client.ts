/**
 * `flumen avro-client` (`flume-ng avro-client`, Flume's AvroCLIClient, reference §11.4): sends text lines
 * to an avro source, one event per line.
 *
 *   flumen avro-client -H host -p port [-F file | --dirname dir] [-R headerFile]
 *   flumen avro-client -P rpc.properties [-F file | --dirname dir] [-R headerFile]
 *
 * - Input: `-F file`, or standard input; lines end at \n, \r\n or \r (Java's readLine) and the terminator
 *   is not part of the body. `--dirname dir` sends every file of a spooling directory (oldest first;
 *   hidden files and `*.COMPLETED` skipped), renaming each to `<name>.COMPLETED` once all its lines were
 *   acknowledged; lines longer than 2048 characters are cut into several events, as Flume's LINE
 *   deserializer does.
 * - `-R file`: a Java properties file; every entry becomes a header of every event.
 * - `-H/-p` sends with the default Avro client in batches of 5 (Flume compat); `-P` takes a full RpcClient
 *   properties file (client.type, hosts, batch-size, ssl, compression…) and uses its batch size.
 *
 * Deliberate difference: a failure exits with status 1 and a message on stderr; Flume's tool logs the
 * error and exits 0. A `--dirname` run that fails resends the interrupted file from its start next time
 * (Flume resumes it from its tracker file): at-least-once either way.
 */

import { createReadStream, existsSync } from 'node:fs'
import { readdir, readFile, rename, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import pino, { type Logger } from 'pino'
import type { ClientLogger } from '../../client/config.ts'
import { RpcClient } from '../../client/index.ts'
import type { RpcEvent } from '../../client/types.ts'
import { parseProperties } from '../../config/properties.ts'
import { describeError } from '../../core/errors.ts'
import { type OptionSpec, parseArgs, UsageError, usage } from '../args.ts'
import { logSettings, textLine } from '../logging.ts'

const OPTIONS: readonly OptionSpec[] = [
  {
    names: ['-H', '--host'],
    key: 'host',
    value: true,
    help: 'hostname of the avro source',
    placeholder: 'host',
  },
  { names: ['-p', '--port'], key: 'port', value: true, help: 'port of the avro source', placeholder: 'port' },
  {
    names: ['-P', '--rpcProps'],
    key: 'rpcProps',
    value: true,
    help: 'RPC client properties file with server connection params',
    placeholder: 'file',
  },
  {
    names: ['-F', '--filename'],
    key: 'file',
    value: true,
    help: 'file to stream to avro source (default: stdin)',
    placeholder: 'file',
  },
  {
    names: ['--dirname'],
    key: 'dir',
    value: true,
    help: 'directory to stream to avro source (spooling mode)',
    placeholder: 'dir',
  },
  {
    names: ['-R', '--headerFile'],
    key: 'headerFile',
    value: true,
    help: 'file containing headers as key/value pairs on each new line',
    placeholder: 'file',
  },
  { names: ['-h', '--help'], key: 'help', value: false, help: 'display help text' },
]

/** Flume compat: AvroCLIClient.BATCH_SIZE when the client comes from -H/-p. */
const CLI_BATCH_SIZE = 5
/** Flume's LINE deserializer default maxLineLength (spooling mode). */
const SPOOL_MAX_LINE = 2048

function cliLogger(sys: ReadonlyMap<string, string>): Logger {
  const s = logSettings(new Map([['flume.root.logger', 'WARN,console'], ...sys]))
  return pino(
    { level: s.level, base: null },
    {
      write(line: string) {
        process.stderr.write(s.format === 'json' ? line : textLine(line))
      },
    },
  )
}

export async function runAvroClientCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, OPTIONS)
  if (args.flags.has('help')) {
    process.stdout.write(
      usage(
        'avro-client',
        'Send text lines (a file, stdin, or a spooling directory) to an avro source, one event per line.\n' +
          'The --dirname option assumes that a spooling directory exists where immutable log files are dropped.',
        OPTIONS,
      ),
    )
    return 0
  }
  const file = args.values.get('file')
  const dir = args.values.get('dir')
  const props = args.values.get('rpcProps')
  const host = args.values.get('host')
  const portText = args.values.get('port')
  if (file !== undefined && dir !== undefined) {
    throw new UsageError('--filename and --dirname options cannot be used simultaneously')
  }
  if (props === undefined) {
    if (portText === undefined && host === undefined) {
      throw new UsageError('Either --rpcProps or both --host and --port must be specified.')
    }
    if (portText === undefined) throw new UsageError('You must specify a port to connect to with --port')
    if (host === undefined) throw new UsageError('You must specify a hostname to connect to with --host')
  } else if (!existsSync(props)) {
    throw new UsageError(`RPC client properties file ${props} does not exist!`)
  }
  const log = cliLogger(args.sys)
  const clientLog: ClientLogger = { warn: (o, m) => log.warn(o, m), info: (o, m) => log.info(o, m) }

  let headers: Record<string, string> = {}
  const headerFile = args.values.get('headerFile')
  if (headerFile !== undefined) {
    try {
      const parsed = parseProperties(await readFile(headerFile), headerFile)
      headers = Object.create(null) as Record<string, string>
      for (const [k, e] of parsed.properties) headers[k] = e.value
    } catch (e) {
      process.stderr.write(
        `flumen avro-client: cannot read the header file ${headerFile}: ${describeError(e)}\n`,
      )
      return 1
    }
  }

  let client: RpcClient
  try {
    if (props !== undefined) client = await RpcClient.fromPropertiesFile(props, { logger: clientLog })
    else {
      const port = Number(portText)
      if (!/^\d+$/.test(portText ?? '') || port > 65535) throw new UsageError(`invalid port '${portText}'`)
      client = await RpcClient.create({
        type: 'avro',
        hosts: [{ host: host as string, port }],
        batchSize: CLI_BATCH_SIZE,
        logger: clientLog,
      })
    }
  } catch (e) {
    if (e instanceof UsageError) throw e
    process.stderr.write(`flumen avro-client: ${describeError(e)}\n`)
    return 1
  }

  let sent = 0
  const send = async (bodies: string[]): Promise<void> => {
    const events: RpcEvent[] = bodies.map((b) => ({ headers, body: b }))
    await client.appendBatch(events)
    sent += events.length
  }
  try {
    if (dir !== undefined) await sendSpoolDir(dir, client.batchSize, send, log)
    else {
      const input: Readable = file !== undefined ? createReadStream(file) : process.stdin
      await sendLines(input, client.batchSize, send)
    }
    log.info({ events: sent }, 'Finished sending')
    return 0
  } catch (e) {
    process.stderr.write(
      `flumen avro-client: unable to deliver events after ${sent} sent: ${describeError(e)}\n`,
    )
    return 1
  } finally {
    await client.close()
  }
}

/** Sends the lines of a stream in batches; resolves when every batch was acknowledged. */
async function sendLines(
  input: Readable,
  batchSize: number,
  send: (b: string[]) => Promise<void>,
  maxLine = 0,
): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  let batch: string[] = []
  const ready = new Promise<void>((resolve, reject) => {
    input.once('error', reject)
    rl.once('close', resolve)
  })
  for await (const line of rl) {
    if (maxLine > 0 && line.length > maxLine) {
      for (let i = 0; i < line.length; i += maxLine) batch.push(line.slice(i, i + maxLine))
    } else batch.push(line)
    while (batch.length >= batchSize) {
      await send(batch.slice(0, batchSize))
      batch = batch.slice(batchSize)
    }
  }
  await ready
  if (batch.length > 0) await send(batch)
}

async function sendSpoolDir(
  dir: string,
  batchSize: number,
  send: (b: string[]) => Promise<void>,
  log: Logger,
): Promise<void> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && !n.endsWith('.COMPLETED'))
  const files: { path: string; mtime: number }[] = []
  for (const n of names) {
    const p = join(dir, n)
    const st = await stat(p)
    if (st.isFile()) files.push({ path: p, mtime: st.mtimeMs })
  }
  files.sort((a, b) => a.mtime - b.mtime || a.path.localeCompare(b.path))
  for (const f of files) {
    await sendLines(createReadStream(f.path), batchSize, send, SPOOL_MAX_LINE)
    await rename(f.path, `${f.path}.COMPLETED`)
    log.info({ file: f.path }, 'File sent and renamed to .COMPLETED')
  }
}
