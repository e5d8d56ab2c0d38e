/**
 * Flume's Thrift RPC (ThriftSourceProtocol over the framed transport, compact or binary protocol). Pure:
 * no agent imports; the byte stream (TCP or TLS) is the caller's.
 */

export { ByteWriter, MessageType, ThriftError, type ThriftProtocolName, TType } from './codec.ts'
export {
  ThriftRequestor,
  type ThriftRequestorOptions,
  ThriftResponder,
  type ThriftResponderOptions,
  ThriftRpcError,
  type ThriftRpcHandler,
} from './connection.ts'
export {
  AppExceptionType,
  DEFAULT_MAX_THRIFT_FRAME,
  type DecodedReply,
  type DecodedThriftEvent,
  decodeCall,
  decodeReply,
  encodeCall,
  encodeException,
  encodeReply,
  THRIFT_STATUS,
  type ThriftEventLike,
  ThriftFrameDecoder,
  type ThriftStatus,
} from './flume.ts'
