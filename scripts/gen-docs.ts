// Generates the reference docs from their single sources of truth; `npm test` fails when they are stale
// (src/registry.test.ts and src/docs/metrics.test.ts compare them), so run `npm run docs` after changing
// a component's spec or the metric tables:
// - docs/components.md from the component specs: every type, its Flume class names, every property with
//   its default and meaning;
// - the metrics reference section of docs/operations.md from src/monitoring/prometheus.ts.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderComponentDocs } from '../src/docs/components.ts'
import { withMetricsReference } from '../src/docs/metrics.ts'

const components = join(import.meta.dirname, '../docs/components.md')
writeFileSync(components, await renderComponentDocs())
console.log(`wrote ${components}`)
const operations = join(import.meta.dirname, '../docs/operations.md')
writeFileSync(operations, withMetricsReference(readFileSync(operations, 'utf8')))
console.log(`updated the metrics reference in ${operations}`)
