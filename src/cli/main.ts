/**
 * `flumen` / `flume-ng` command line.
 *
 *   flumen agent -n a1 -f conf/x.conf [-f more.conf] [-Dflume.root.logger=INFO,console] [--strict]
 *   flumen check -f conf/x.conf [-n a1]
 *   flumen top [--url http://host:port] [--once]
 *   flumen version
 *
 * Exit codes: 0 success (and after a graceful stop), 1 configuration error or fatal start failure (for
 * `top`: the agent cannot be reached), 2 usage error, 130/143 when a second SIGINT/SIGTERM forces an
 * immediate exit. Signals of `agent`: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the configuration.
 */

import { UsageError } from './args.ts'
import { runAgentCommand } from './commands/agent.ts'
import { runCheckCommand } from './commands/check.ts'
import { VERSION } from './version.ts'

const HELP = `flumen ${VERSION} — a Flume-compatible event collection agent

Usage: flumen <command> [options]      (flume-ng is the same program)

Commands:
  agent      run an agent:   flumen agent -n a1 -f conf/example.conf
  check      validate config: flumen check -f conf/example.conf [-n a1]
  top        live view of a running agent: flumen top --url http://127.0.0.1:41414
  version    print the version
  help       this text; 'flumen <command> --help' for a command's options
`

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'agent':
      case 'node':
        return await runAgentCommand(rest)
      case 'check':
        return await runCheckCommand(rest)
      case 'top':
        // Loaded on demand: the agent never needs it.
        return await (await import('./commands/top.ts')).runTopCommand(rest)
      case 'version':
      case '--version':
      case '-v':
        process.stdout.write(
          `flumen ${VERSION}\nCompatible with Apache Flume 1.11.0 configurations and RPC\n`,
        )
        return 0
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP)
        return command === undefined ? 2 : 0
      default:
        process.stderr.write(`flumen: unknown command '${command}'\n\n${HELP}`)
        return 2
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`flumen ${command}: ${e.message} (see 'flumen ${command} --help')\n`)
      return 2
    }
    throw e
  }
}

const code = await main(process.argv.slice(2))
if (code !== 0 || process.argv[2] !== 'agent') process.exitCode = code
