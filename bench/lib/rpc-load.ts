/**
 * Load generator on flumen's own RpcClient, for benchmarks: `connections` clients (one connection each,
 * one batch outstanding per connection, like Java's RpcClient), `count` events per connection of `bytes`
 * bytes in batches of `batch`. Runs as its own process so it never shares the harness's event loop.
 *
 *   node bench/lib/rpc-load.ts <port> <connections> <countPerConnection> <batch> <bytes>
 *
 * Prints {"sent":N,"ms":T}; exits 1 on a delivery failure.
 */

import { RpcClient } from '../../src/client/index.ts'

const [port, connections, count, batch, bytes] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
]
const body = Buffer.alloc(bytes, 0x78)
const t0 = performance.now()
await Promise.all(
  Array.from({ length: connections }, async (_, id) => {
    const client = await RpcClient.create({ hosts: [`127.0.0.1:${port}`], batchSize: batch })
    const headers = { sender: String(id) }
    const events = Array.from({ length: batch }, () => ({ headers, body }))
    for (let i = 0; i < count; i += batch) {
      await client.appendBatch(i + batch <= count ? events : events.slice(0, count - i))
    }
    await client.close()
  }),
)
process.stdout.write(`${JSON.stringify({ sent: connections * count, ms: performance.now() - t0 })}\n`)
