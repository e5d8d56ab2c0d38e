/**
 * Avro codec throughput: 100k Flume events (3 headers, 500-byte log-like bodies).
 * Run: `npx node --expose-gc bench/avro/encode.bench.ts` (Node 24). Prints min and median of N runs;
 * a GC is forced before each run when --expose-gc is given so runs do not pay for each other's garbage.
 * Results from the author's run are in docs/avro.md.
 */

import {
  AvroReader,
  AvroWriter,
  ContainerReader,
  ContainerWriter,
  decodeContainer,
  encodeFlumeEvents,
  FLUME_AVRO_EVENT_SYNC_INTERVAL_BYTES,
  FLUME_EVENT_SCHEMA_JSON,
  type FlumeEventLike,
  readFlumeEvent,
  SUPPORTED_CODECS,
  writeFlumeEvent,
} from '../../src/protocols/avro/index.ts'

const N = 100_000
const RUNS = Number(process.env.RUNS ?? 15)
const gc = (globalThis as { gc?: () => void }).gc

function makeEvents(): FlumeEventLike[] {
  const events: FlumeEventLike[] = []
  for (let i = 0; i < N; i++) {
    const headers = Object.create(null) as Record<string, string>
    headers.timestamp = String(1_700_000_000_000 + i)
    headers.host = 'web-01.example.com'
    headers.topic = 'logs'
    const line = `2026-11-20T22:31:${String(i % 60).padStart(2, '0')}Z INFO request id=${i} path=/api/v1/items/${i % 977} status=200 `
    events.push({ headers, body: Buffer.from(line.repeat(Math.ceil(500 / line.length)).slice(0, 500)) })
  }
  return events
}

function measure(name: string, bytes: number, f: () => void): void {
  f() // warm-up
  const times: number[] = []
  for (let r = 0; r < RUNS; r++) {
    gc?.()
    const t = performance.now()
    f()
    times.push(performance.now() - t)
  }
  report(name, bytes, times)
}

function report(name: string, bytes: number, times: number[]): void {
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)] as number
  const mbps = bytes / 1e6 / (median / 1000)
  console.log(
    `${name.padEnd(48)} min ${(times[0] as number).toFixed(1).padStart(6)} ms  median ${median.toFixed(1).padStart(6)} ms  ${mbps.toFixed(0).padStart(5)} MB/s`,
  )
}

async function measureAsync(name: string, bytes: number, f: () => Promise<void>): Promise<void> {
  await f()
  const times: number[] = []
  for (let r = 0; r < RUNS; r++) {
    gc?.()
    const t = performance.now()
    await f()
    times.push(performance.now() - t)
  }
  report(name, bytes, times)
}

const events = makeEvents()
const bodyBytes = events.reduce((n, e) => n + e.body.length, 0)
console.log(`${N} events, ${bodyBytes / 1e6} MB of bodies, Node ${process.version}, ${RUNS} runs`)

measure('encodeFlumeEvents (one fresh buffer)', bodyBytes, () => {
  encodeFlumeEvents(events)
})

measure('encodeFlumeEvents, 100 batches of 1000', bodyBytes, () => {
  for (let i = 0; i < N; i += 1000) encodeFlumeEvents(events.slice(i, i + 1000))
})

const reused = new AvroWriter(64 << 20)
measure('writeFlumeEvent into a reused writer', bodyBytes, () => {
  reused.reset()
  for (const e of events) writeFlumeEvent(reused, e)
})

for (const codec of SUPPORTED_CODECS) {
  measure(`ContainerWriter.append, ${codec}, 2048000-byte blocks`, bodyBytes, () => {
    let n = 0
    const w = new ContainerWriter(
      { write: (c) => (n += c.length) },
      { schema: FLUME_EVENT_SCHEMA_JSON, codec, syncIntervalBytes: FLUME_AVRO_EVENT_SYNC_INTERVAL_BYTES },
    )
    w.append(events)
    w.close()
  })
}

const datums = encodeFlumeEvents(events)
measure('readFlumeEvent x100k (zero-copy bodies)', bodyBytes, () => {
  const r = new AvroReader(datums)
  while (!r.atEnd()) readFlumeEvent(r)
})

for (const codec of SUPPORTED_CODECS) {
  const chunks: Buffer[] = []
  const w = new ContainerWriter(
    { write: (c) => chunks.push(c) },
    { schema: FLUME_EVENT_SCHEMA_JSON, codec, syncIntervalBytes: FLUME_AVRO_EVENT_SYNC_INTERVAL_BYTES },
  )
  w.append(events)
  w.close()
  const file = Buffer.concat(chunks)
  measure(`decodeContainer + events(), ${codec}`, bodyBytes, () => {
    for (const b of decodeContainer(file).blocks) b.events()
  })
  if (codec === 'null') {
    await measureAsync('ContainerReader.readDatums(100) to EOF, null', bodyBytes, async () => {
      const r = await ContainerReader.open(file)
      while ((await r.readDatums(100)).length > 0) {}
    })
  }
}
