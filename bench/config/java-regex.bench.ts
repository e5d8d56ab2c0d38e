// Per-event cost of compiled Java regexes against the hand-written JavaScript equivalent, for the calls
// the interceptors and sources make: test() (regex_filter), find() + group() (regex_extractor),
// replaceAll() (search_replace), split() (remove_header fromList), matches() (spooldir includePattern).
//   node bench/config/java-regex.bench.ts
import { compileJavaRegex } from '../../src/config/java-regex.ts'

const line =
  '2024-05-17 18:47:57,123 INFO  [pool-3-thread-1] org.apache.flume.sink.hdfs.BucketWriter - Creating ' +
  '/flume/events/2024-05-17/FlumeData.1715964477123.tmp user=alice password=hunter2 took 12 ms'

function bench(name: string, fn: () => unknown): void {
  for (let i = 0; i < 20_000; i++) fn() // warm up
  const n = 200_000
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  console.log(`${name.padEnd(48)} ${(((performance.now() - t0) / n) * 1e6).toFixed(0).padStart(6)} ns/op`)
}

const filter = compileJavaRegex('ERROR|WARN')
const filterJs = /ERROR|WARN/u
bench('test() ERROR|WARN (java-regex)', () => filter.test(line))
bench('test() ERROR|WARN (native)', () => filterJs.test(line))

const extract = compileJavaRegex(String.raw`^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),\d+ (\w+)`)
const extractJs = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),\d+ (\w+)/u
bench('find().group(1..3) (java-regex)', () => {
  const m = extract.find(line)
  return m === null ? null : m.group(1)! + m.group(2)! + m.group(3)!
})
bench('exec()[1..3] (native)', () => {
  const m = extractJs.exec(line)
  return m === null ? null : m[1]! + m[2]! + m[3]!
})

const replace = compileJavaRegex(String.raw`password=\S+`)
const replacement = replace.compileReplacement('password=***')
bench('replaceAll() password=\\S+ (java-regex)', () => replace.replaceAll(line, replacement))
bench('replace() password=\\S+ (native)', () => line.replace(/password=\S+/gu, 'password=***'))

const words = compileJavaRegex(String.raw`\bflume\b`)
bench('test() \\bflume\\b, Java word boundary (java-regex)', () => words.test(line))
bench('test() \\bflume\\b, ASCII word boundary (native)', () => /\bflume\b/u.test(line))

const sep = compileJavaRegex(String.raw`\s*,\s*`)
const list = 'host, user ,password,  token'
bench('split() \\s*,\\s* (java-regex)', () => sep.split(list))
bench('split() \\s*,\\s* (native)', () => list.split(/\s*,\s*/u))

const include = compileJavaRegex(String.raw`^.*\.log$`)
bench('matches() ^.*\\.log$ (java-regex)', () => include.matches('app-2024-05-17.log'))
bench('test() ^.*\\.log$ (native)', () => /^.*\.log$/u.test('app-2024-05-17.log'))
