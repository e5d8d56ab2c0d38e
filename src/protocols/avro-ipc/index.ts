/**
 * Avro IPC as Flume speaks it: Avro's Netty framing, the stateful handshake, and the two calls of
 * `AvroSourceProtocol`, with the exact protocol text Java hashes. Pure: no agent imports; the byte stream
 * (TCP, TLS, zlib) is the caller's. Datum encoding comes from ../avro (AvroFlumeEvent fast paths).
 */

export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  type FrameDecoderOptions,
  FrameError,
  writeFrameHeader,
} from './frame.ts'
export {
  type CallOutcome,
  type DecodedCall,
  type DecodedResponse,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type HandshakeMatch,
  type HandshakeRequest,
  type HandshakeResponse,
  readCall,
  readHandshakeRequest,
  readHandshakeResponse,
  writeHandshakeRequest,
  writeHandshakeResponse,
} from './messages.ts'
export {
  AVRO_STATUS,
  type AvroStatus,
  checkPeerProtocol,
  FLUME_PROTOCOL_HASH,
  FLUME_PROTOCOL_JSON,
  type FlumeMessageName,
} from './protocol.ts'
export { AvroRequestor, AvroRpcError, type RequestorOptions, resetLearntServerHashes } from './requestor.ts'
export { AvroResponder, type AvroRpcHandler, type ResponderOptions } from './responder.ts'
export { ZlibDuplex } from './zlib-stream.ts'
