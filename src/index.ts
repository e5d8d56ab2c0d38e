/**
 * flumen as a library. The agent runs from the CLI (`flumen agent`); what applications import is the RPC
 * client SDK, to send events to Flume-compatible sources:
 *
 * ```ts
 * import { RpcClient } from 'flumen'
 * ```
 */

export {
  AvroRpcClient,
  type ClientLogger,
  FailoverRpcClient,
  type HostAddress,
  LoadBalancingRpcClient,
  RpcClient,
  type RpcClientOptions,
  type RpcEvent,
  ThriftRpcClient,
} from './client/index.ts'
export { EventDeliveryError, FlumeError } from './core/errors.ts'
