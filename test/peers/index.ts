// Real Java peers for interop tests: Apache Flume 1.11.0 agents and clients, a Kafka 3.9.1 broker, HDFS 3.4 daemons,
// all provisioned from Maven Central by test/peers/provision.sh (jars stay in ~/.m2; nothing is downloaded twice).
// Every started JVM is killed when the test process ends, and its data lives in a temp dir per start.
// See test/peers/README.md for versions, timings and quirks.
export {
  FlumeAgent,
  type FlumeAgentOptions,
  type FlumeMetrics,
  type FlumeSendOptions,
  type FlumeSendResult,
  type FlumeToolOptions,
  flumeSend,
  flumeStartupFailure,
  parseProperties,
  runFlumeTool,
  startFlumeAgent,
} from './flume.ts'
export { type FsShellOptions, HdfsCluster, type HdfsOptions, startHdfs } from './hdfs.ts'
export {
  type ExitStatus,
  freePort,
  JavaProcess,
  type JavaSpec,
  javaBin,
  javaModuleOpens,
  listensOn,
  PeerError,
  type RunJavaOptions,
  renderTemplate,
  runJava,
  type ToolResult,
  tcpOpen,
  tempDir,
} from './java.ts'
export {
  type ConsumedRecord,
  type ConsumeOptions,
  KafkaBroker,
  type KafkaOptions,
  type KafkaToolOptions,
  type ProducerRecordInput,
  startKafka,
} from './kafka.ts'
export { type PeerName, type Provisioned, peersDir, provision } from './provision.ts'
export { type TestKeystores, testKeystores } from './tls.ts'
