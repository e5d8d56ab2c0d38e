// Run a real peer by hand, with the same code the tests use, until Ctrl-C:
//
//   npx node test/peers/cli.ts kafka
//   npx node test/peers/cli.ts hdfs
//   npx node test/peers/cli.ts flume path/to/agent.properties [agentName]
//
// Prints the addresses and the log files, then waits; Ctrl-C stops the peer gracefully and removes its temp dir
// (FLUMEN_PEERS_KEEP=1 keeps it).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { startFlumeAgent, startHdfs, startKafka } from './index.ts'

const [peer, ...rest] = process.argv.slice(2)
let stop: () => Promise<unknown>

if (peer === 'kafka') {
  const k = await startKafka()
  console.log(
    `kafka ready in ${Math.round(k.readyMs)} ms: bootstrap ${k.bootstrap}\n  log: ${k.process.logFile}`,
  )
  stop = () => k.stop()
} else if (peer === 'hdfs') {
  const h = await startHdfs()
  console.log(
    `hdfs ready in ${Math.round(h.readyMs)} ms: ${h.nameNodeRpc}  ${h.webHdfs}  (user.name=${h.user})`,
  )
  console.log(`  conf: ${h.confDir}\n  logs: ${h.nameNode?.logFile}  ${h.dataNode?.logFile}`)
  stop = () => h.stop()
} else if (peer === 'flume' && rest[0]) {
  const a = await startFlumeAgent({ config: readFileSync(resolve(rest[0]), 'utf8'), name: rest[1] ?? 'a1' })
  console.log(`flume agent ${a.agentName} ready in ${Math.round(a.readyMs)} ms (pid ${a.pid})`)
  console.log(`  metrics: http://127.0.0.1:${a.monitoringPort}/metrics\n  log: ${a.logFile}`)
  stop = () => a.stop()
} else {
  console.error('usage: npx node test/peers/cli.ts kafka | hdfs | flume <agent.properties> [agentName]')
  process.exit(2)
}

console.log('Ctrl-C to stop')
const keepAlive = setInterval(() => {}, 1 << 30)
process.once('SIGINT', () => {
  clearInterval(keepAlive)
  stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
