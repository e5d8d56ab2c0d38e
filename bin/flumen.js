#!/usr/bin/env node
// Entry point for both `flumen` and `flume-ng`. Checks the runtime before loading anything else so that an
// old Node prints a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 24 || (major === 24 && minor < 11)) {
  process.stderr.write(
    `flumen needs Node.js >= 24.11, but this is ${process.version} (${process.execPath}).\n` +
      'Run it through npm (`npx flumen ...`), which uses the project-pinned Node 24, or install Node 24.\n',
  )
  process.exit(1)
}
await import('../dist/cli/main.js')
