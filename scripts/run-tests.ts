// Runs the whole test suite with node's built-in runner: unit tests beside the code (src/**/*.test.ts),
// end-to-end and interop tests under test/. Kept as a script so `npm test` stays one command.
import { spawnSync } from 'node:child_process'

const args = [
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.FLUMEN_TEST_CONCURRENCY ?? '3'}`,
  'src/**/*.test.ts',
  'test/**/*.test.ts',
  ...process.argv.slice(2),
]
const r = spawnSync(process.execPath, args, { stdio: 'inherit' })
process.exit(r.status ?? 1)
