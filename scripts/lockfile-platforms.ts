// The registry this project installs from mirrors only the Linux builds of @biomejs/biome's platform
// packages, so `npm install` writes a lockfile without the other platforms and `npm ci` then refuses it as
// out of sync. This adds lockfile entries for the missing platforms (os/cpu/libc, no integrity): npm ci
// skips optional packages for other platforms before fetching them, so the entries are only bookkeeping.
// Run after `npm install` changes the lockfile: `node scripts/lockfile-platforms.ts`.
import { readFileSync, writeFileSync } from 'node:fs'

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'))
const packages: Record<string, Record<string, unknown>> = lock.packages
const platform = (name: string) => {
  const [os, cpu, libc] = name.replace(/^cli-/, '').split('-') as [string, string, string | undefined]
  return {
    os: [os],
    cpu: [cpu],
    ...(libc === 'musl' ? { libc: ['musl'] } : os === 'linux' ? { libc: ['glibc'] } : {}),
  }
}
let added = 0
for (const [path, meta] of Object.entries(packages)) {
  const optional = meta.optionalDependencies as Record<string, string> | undefined
  if (optional === undefined || !path.endsWith('@biomejs/biome')) continue
  for (const [dep, version] of Object.entries(optional)) {
    const key = `node_modules/${dep}`
    if (packages[key] !== undefined) continue
    packages[key] = {
      version,
      dev: true,
      license: 'MIT OR Apache-2.0',
      optional: true,
      ...platform(dep.split('/')[1] as string),
    }
    added++
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
)
lock.packages = sorted
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`)
console.log(`added ${added} platform entries`)
