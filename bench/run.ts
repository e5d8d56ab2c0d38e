/**
 * `npm run bench [-- <name filter>...] [-- --flumen-only]`: runs every scenario in bench/scenarios/ on
 * flumen and on Java Flume 1.11 in the same run and prints a table with the ratios. Results are also
 * written to bench/results/latest.json. Nothing here is a test: figures vary with the machine.
 */

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Result, ROOT, type Scenario } from './lib/harness.ts'

const args = process.argv.slice(2)
const flumenOnly = args.includes('--flumen-only')
const filters = args.filter((a) => !a.startsWith('--'))

const scenarios: Scenario[] = []
for (const f of readdirSync(join(ROOT, 'bench/scenarios'))
  .filter((x) => x.endsWith('.ts'))
  .sort()) {
  const mod = (await import(pathToFileURL(join(ROOT, 'bench/scenarios', f)).href)) as {
    scenarios?: Scenario[]
  }
  for (const s of mod.scenarios ?? [])
    if (filters.length === 0 || filters.some((x) => s.name.includes(x) || s.area.includes(x)))
      scenarios.push(s)
}

const results: Result[] = []
for (const s of scenarios) {
  for (const impl of flumenOnly ? (['flumen'] as const) : (['flumen', 'java'] as const)) {
    process.stdout.write(`${s.name} [${impl}] … `)
    try {
      const r = await s.run(impl)
      results.push(r)
      process.stdout.write(
        `${Math.round(r.eventsPerSec).toLocaleString('en-US')} ev/s, ${r.mbPerSec.toFixed(1)} MB/s, peak RSS ${r.peakRssMb.toFixed(0)} MB, ready ${r.readyMs.toFixed(0)} ms${r.note ? ` (${r.note})` : ''}\n`,
      )
    } catch (e) {
      process.stdout.write(`FAILED: ${(e as Error).message}\n`)
    }
  }
}

const pad = (s: string, n: number) => s.padEnd(n)
const num = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
console.log(
  `\n${pad('scenario', 44)} ${pad('impl', 7)} ${'events/s'.padStart(12)} ${'MB/s'.padStart(8)} ${'peak RSS'.padStart(9)} ${'ready ms'.padStart(9)}`,
)
for (const r of results) {
  console.log(
    `${pad(r.scenario, 44)} ${pad(r.impl, 7)} ${num(r.eventsPerSec).padStart(12)} ${num(r.mbPerSec, 1).padStart(8)} ${num(r.peakRssMb).padStart(9)} ${num(r.readyMs).padStart(9)}`,
  )
}
console.log('\nflumen / Java (throughput ×, memory ×, ready ×):')
for (const s of scenarios) {
  const f = results.find((r) => r.scenario === s.name && r.impl === 'flumen')
  const j = results.find((r) => r.scenario === s.name && r.impl === 'java')
  if (f === undefined || j === undefined) continue
  console.log(
    `  ${pad(s.name, 44)} ${(f.eventsPerSec / j.eventsPerSec).toFixed(2)}× faster, ${(f.peakRssMb / j.peakRssMb).toFixed(2)}× the RSS, ${(f.readyMs / j.readyMs).toFixed(2)}× the ready time`,
  )
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(
  join(ROOT, 'bench/results/latest.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
)
