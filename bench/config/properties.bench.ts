// Micro-bench for parseProperties on a realistic large agent config (comments, blank lines, CRLF, a few
// continuations and escapes). Run: node bench/config/properties.bench.ts [lines]
import { parseProperties } from '../../src/config/properties.ts'

function makeConfig(targetLines: number): Buffer {
  const out: string[] = []
  let i = 0
  while (out.length < targetLines) {
    const n = i++
    out.push(`# source ${n}: netcat listener`)
    out.push(`a1.sources.r${n}.type = netcat`)
    out.push(`a1.sources.r${n}.bind = 0.0.0.0`)
    out.push(`a1.sources.r${n}.port = ${40000 + n}`)
    out.push(`a1.sources.r${n}.channels = c${n % 7} c${(n + 1) % 7}`)
    out.push(`a1.sources.r${n}.interceptors.i1.regex = ^\\\\d+\\\\s+\\u00e9`)
    out.push(`a1.sinks.k${n}.hdfs.path = /flume/events/%Y-%m-%d/%H%M/${n} \\`)
    out.push(`    /continued`)
    out.push('')
    out.push(`a1.sinks.k${n}.hdfs.filePrefix : events-${n}\r`)
  }
  return Buffer.from(out.join('\n'), 'latin1')
}

const lines = Number(process.argv[2] ?? 3000)
const data = makeConfig(lines)
for (let i = 0; i < 200; i++) parseProperties(data, 'bench.conf') // warm up
const samples: number[] = []
for (let i = 0; i < 500; i++) {
  const start = process.hrtime.bigint()
  parseProperties(data, 'bench.conf')
  samples.push(Number(process.hrtime.bigint() - start) / 1e6)
}
samples.sort((a, b) => a - b)
const q = (p: number): string => (samples[Math.floor(p * (samples.length - 1))] ?? 0).toFixed(3)
const entries = parseProperties(data, 'bench.conf').entries.length
console.log(
  `parseProperties: ${lines} lines (${data.length} bytes, ${entries} entries): ` +
    `median ${q(0.5)} ms, p90 ${q(0.9)} ms, min ${q(0)} ms`,
)

// Guards the cached searches: a big file with no backslash must stay linear.
const plain = Buffer.from(
  Array.from({ length: 20_000 }, (_, i) => `a1.sources.r${i}.type = netcat`).join('\n'),
  'latin1',
)
for (let i = 0; i < 20; i++) parseProperties(plain, 'plain.conf')
const start = process.hrtime.bigint()
for (let i = 0; i < 50; i++) parseProperties(plain, 'plain.conf')
console.log(
  `parseProperties: 20000 lines without backslashes (${plain.length} bytes): ` +
    `mean ${(Number(process.hrtime.bigint() - start) / 50e6).toFixed(3)} ms`,
)
