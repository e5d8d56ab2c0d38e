// Generates docs/components.md from the component specs: every type, its Flume class names, and every
// property with its default and meaning. The specs are the single source of truth; `npm test` fails
// when this file is stale (src/registry.test.ts compares it), so run `npm run docs` after changing one.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderComponentDocs } from '../src/docs/components.ts'

const out = join(import.meta.dirname, '../docs/components.md')
writeFileSync(out, await renderComponentDocs())
console.log(`wrote ${out}`)
