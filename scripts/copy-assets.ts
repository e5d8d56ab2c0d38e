// Copies the files tsc does not emit (the dashboard's page and script) from src/ to dist/, next to the
// modules that read them. Run by `npm run build`.
import { cpSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
for (const dir of ['monitoring/dashboard']) {
  cpSync(join(root, 'src', dir), join(root, 'dist', dir), { recursive: true })
}
