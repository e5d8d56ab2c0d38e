/**
 * Flume's Avro RPC protocol, `AvroSourceProtocol` (flume-ng-sdk/src/main/avro/flume.avdl), as the exact
 * JSON text Java hashes for the IPC handshake (reference §1.2).
 *
 * Java's handshake compares the 16-byte MD5 of `Protocol.toString()`. The text must therefore match Avro
 * 1.11.0's rendering byte for byte: compact JSON, keys in Avro's order, and — the trap — a `doc` holding
 * the .avdl's license header, because the 1.11.0 IDL compiler attaches the leading comment to the
 * protocol (doc = the text between the opening and closing comment markers, `String.trim()`ed, the
 * ` * ` line prefixes kept). With this exact text (1334 bytes, MD5 86aadae2c45474c0fe93ffd0f2350a65) a
 * Java peer answers BOTH on the first round trip; any other text still works, one round trip later
 * (NONE, then the protocol text is exchanged).
 */

/** The license header of flume.avdl as Avro 1.11.0's IDL compiler stores it in the protocol's `doc`. */
const DOC = [
  '* Licensed to the Apache Software Foundation (ASF) under one',
  ' * or more contributor license agreements.  See the NOTICE file',
  ' * distributed with this work for additional information',
  ' * regarding copyright ownership.  The ASF licenses this file',
  ' * to you under the Apache License, Version 2.0 (the',
  ' * "License"); you may not use this file except in compliance',
  ' * with the License.  You may obtain a copy of the License at',
  ' *',
  ' * http://www.apache.org/licenses/LICENSE-2.0',
  ' *',
  ' * Unless required by applicable law or agreed to in writing,',
  ' * software distributed under the License is distributed on an',
  ' * "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY',
  ' * KIND, either express or implied.  See the License for the',
  ' * specific language governing permissions and limitations',
  ' * under the License.',
].join('\n')

/**
 * `AvroSourceProtocol.PROTOCOL.toString()` of Flume 1.11.0. JSON.stringify escapes the doc exactly as
 * Jackson does here (only `"` and newlines need escaping; the rest is plain ASCII).
 */
export const FLUME_PROTOCOL_JSON: string =
  '{"protocol":"AvroSourceProtocol","namespace":"org.apache.flume.source.avro","doc":' +
  JSON.stringify(DOC) +
  ',"types":[{"type":"enum","name":"Status","symbols":["OK","FAILED","UNKNOWN"]},' +
  '{"type":"record","name":"AvroFlumeEvent","fields":[{"name":"headers","type":{"type":"map","values":"string"}},' +
  '{"name":"body","type":"bytes"}]}],' +
  '"messages":{"append":{"request":[{"name":"event","type":"AvroFlumeEvent"}],"response":"Status"},' +
  '"appendBatch":{"request":[{"name":"events","type":{"type":"array","items":"AvroFlumeEvent"}}],"response":"Status"}}}'

/**
 * MD5 of the protocol text: what both sides put in clientHash/serverHash. A constant rather than computed
 * at load time, so an agent does not load node:crypto for it (3.5 MB); avro-ipc.test.ts checks that it is
 * the MD5 of FLUME_PROTOCOL_JSON.
 */
export const FLUME_PROTOCOL_HASH: Buffer = Buffer.from('86aadae2c45474c0fe93ffd0f2350a65', 'hex')

/** Avro `Status` enum of the protocol (index order). Thrift's Status is different: see protocols/thrift. */
export type AvroStatus = 'OK' | 'FAILED' | 'UNKNOWN'
export const AVRO_STATUS: readonly AvroStatus[] = ['OK', 'FAILED', 'UNKNOWN']

export type FlumeMessageName = 'append' | 'appendBatch'

/**
 * Checks that a peer's protocol text describes the same messages with the same wire layout as ours
 * (docs, properties and type names aside): only then can its calls be read with our decoder (Java would
 * run schema resolution; for Flume's protocol every real peer sends the same shapes with a different
 * doc). Returns a reason when it is not compatible.
 */
export function checkPeerProtocol(text: string): string | undefined {
  let p: unknown
  try {
    p = JSON.parse(text)
  } catch (e) {
    return `protocol text is not JSON: ${(e as Error).message}`
  }
  if (typeof p !== 'object' || p === null) return 'protocol text is not a JSON object'
  const proto = p as { types?: unknown; messages?: unknown }
  const named = new Map<string, unknown>()
  if (Array.isArray(proto.types)) {
    for (const t of proto.types) {
      if (typeof t === 'object' && t !== null && typeof (t as { name?: unknown }).name === 'string') {
        const name = (t as { name: string }).name
        named.set(name, t)
        named.set(name.slice(name.lastIndexOf('.') + 1), t)
      }
    }
  }
  const shape = (s: unknown, depth = 0): string => {
    if (depth > 16) return '?'
    if (typeof s === 'string') {
      const n = named.get(s) ?? named.get(s.slice(s.lastIndexOf('.') + 1))
      return n === undefined ? s : shape(n, depth + 1)
    }
    if (Array.isArray(s)) return `[${s.map((x) => shape(x, depth + 1)).join(',')}]`
    if (typeof s !== 'object' || s === null) return '?'
    const o = s as Record<string, unknown>
    switch (o.type) {
      case 'record':
      case 'error': {
        const fields = Array.isArray(o.fields) ? o.fields : []
        return `{${fields.map((f) => shape((f as { type?: unknown }).type, depth + 1)).join(',')}}`
      }
      case 'enum':
        return `enum(${Array.isArray(o.symbols) ? o.symbols.join(',') : ''})`
      case 'array':
        return `array<${shape(o.items, depth + 1)}>`
      case 'map':
        return `map<${shape(o.values, depth + 1)}>`
      case 'fixed':
        return `fixed(${String(o.size)})`
      default:
        return shape(o.type, depth + 1)
    }
  }
  const messages = proto.messages
  if (typeof messages !== 'object' || messages === null) return 'protocol has no messages'
  const ev = '{map<string>,bytes}'
  const want: Record<FlumeMessageName, string> = {
    append: `[${ev}]->enum(OK,FAILED,UNKNOWN)`,
    appendBatch: `[array<${ev}>]->enum(OK,FAILED,UNKNOWN)`,
  }
  for (const name of ['append', 'appendBatch'] as const) {
    const m = (messages as Record<string, unknown>)[name] as
      | { request?: unknown; response?: unknown; 'one-way'?: unknown }
      | undefined
    if (m === undefined) continue // a client may use a subset; calls it does not make need no check
    const req = Array.isArray(m.request) ? m.request.map((f) => shape((f as { type?: unknown }).type)) : []
    const got = `[${req.join(',')}]->${shape(m.response)}`
    if (got !== want[name]) return `message '${name}' has the layout ${got}, expected ${want[name]}`
  }
  return undefined
}
