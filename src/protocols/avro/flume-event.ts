/**
 * Fast paths for the one datum shape flumen moves in bulk: Flume's event record, `{ headers: map<string>,
 * body: bytes }`. It is the same binary layout whether the schema is named `Event` (avro_event container
 * files) or `org.apache.flume.source.avro.AvroFlumeEvent` (Avro RPC, Kafka `useFlumeEventFormat`): the
 * header map as one block (count, key/value strings, 0; an empty map is the single byte 0, as Java writes
 * it), then the body as bytes.
 *
 * Encoding writes straight into one growable buffer for a whole batch: no per-event or per-field Buffer.
 * Decoding returns bodies as views into the input (zero copy) and headers as null-prototype objects, the
 * shape flumen's Event uses.
 */

import { AvroReader, AvroWriter } from './binary.ts'
import { AvroLimitError, AvroMalformedError } from './errors.ts'

/** What the encoders accept: any object with string headers and a byte body (flumen's Event fits). */
export interface FlumeEventLike {
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

/** What the decoders produce. `headers` has a null prototype; `body` shares memory with the input. */
export interface DecodedFlumeEvent {
  headers: Record<string, string>
  body: Buffer
}

/** Caps applied while decoding events from untrusted input. */
export interface FlumeEventLimits {
  /** Most headers one event may carry (across all map blocks). */
  readonly maxHeaders: number
  /** Longest header key or value, in UTF-8 bytes. */
  readonly maxHeaderBytes: number
  /** Longest body, in bytes. */
  readonly maxBodyBytes: number
}

/**
 * Generous defaults: the input is already in memory, so these only bound pathological structure, not
 * allocation (bodies are views and every header costs at least two input bytes).
 */
export const DEFAULT_FLUME_EVENT_LIMITS: FlumeEventLimits = Object.freeze({
  maxHeaders: 1 << 20,
  maxHeaderBytes: 0x7fffffff,
  maxBodyBytes: 0x7fffffff,
})

/** Appends one event datum to `w`. */
export function writeFlumeEvent(w: AvroWriter, event: FlumeEventLike): void {
  w.writeStringMap(event.headers)
  w.writeBytes(event.body)
}

/** A starting capacity that avoids regrowth for typical events (bodies dominate; headers are estimated). */
function estimateSize(events: readonly FlumeEventLike[]): number {
  let n = 16
  for (let i = 0; i < events.length; i++) n += (events[i] as FlumeEventLike).body.length + 80
  return n
}

/** Encodes events as back-to-back datums (the data of a container block, or a stream of datums). */
export function encodeFlumeEvents(events: readonly FlumeEventLike[]): Buffer {
  const w = new AvroWriter(estimateSize(events))
  for (let i = 0; i < events.length; i++) writeFlumeEvent(w, events[i] as FlumeEventLike)
  return w.finish(16)
}

/**
 * Writes events as an Avro `array<AvroFlumeEvent>` (the `appendBatch` request parameter): one block with
 * the count, the datums, then 0; an empty array is the single byte 0.
 */
export function writeFlumeEventArray(w: AvroWriter, events: readonly FlumeEventLike[]): void {
  w.writeBlockStart(events.length)
  for (let i = 0; i < events.length; i++) writeFlumeEvent(w, events[i] as FlumeEventLike)
  w.writeBlockEnd()
}

/**
 * Encodes each event as its own datum (one Kafka record value per event), all in a single allocation:
 * the results are views into one shared buffer.
 */
export function encodeFlumeEventsSeparately(events: readonly FlumeEventLike[]): Buffer[] {
  const w = new AvroWriter(estimateSize(events))
  const ends = new Array<number>(events.length)
  for (let i = 0; i < events.length; i++) {
    writeFlumeEvent(w, events[i] as FlumeEventLike)
    ends[i] = w.pos
  }
  const buf = w.finish(16)
  const out = new Array<Buffer>(events.length)
  let start = 0
  for (let i = 0; i < events.length; i++) {
    const end = ends[i] as number
    out[i] = buf.subarray(start, end)
    start = end
  }
  return out
}

/** Reads one event datum at the reader's position. */
export function readFlumeEvent(
  r: AvroReader,
  limits: FlumeEventLimits = DEFAULT_FLUME_EVENT_LIMITS,
): DecodedFlumeEvent {
  const headers = Object.create(null) as Record<string, string>
  const maxString = limits.maxHeaderBytes
  let total = 0
  for (;;) {
    const at = r.pos
    const n = r.readBlockCount(limits.maxHeaders)
    if (n === 0) break
    total += n
    if (total > limits.maxHeaders) {
      throw new AvroLimitError(`Event has more than ${limits.maxHeaders} headers (offset ${at})`, {
        offset: at,
      })
    }
    for (let i = 0; i < n; i++) {
      const k = r.readString(maxString)
      headers[k] = r.readString(maxString)
    }
  }
  const body = r.readBytes(limits.maxBodyBytes)
  return { headers, body }
}

/**
 * Decodes a buffer holding one event datum (a Kafka record value). Bytes after the datum are ignored, as
 * Java's SpecificDatumReader does, unless `exact` is set.
 */
export function decodeFlumeEvent(
  buf: Uint8Array,
  options?: { limits?: FlumeEventLimits; exact?: boolean },
): DecodedFlumeEvent {
  const r = new AvroReader(buf)
  const event = readFlumeEvent(r, options?.limits)
  if (options?.exact === true && r.pos !== r.end) {
    throw new AvroMalformedError(`${r.end - r.pos} bytes follow the event datum at offset ${r.pos}`, {
      offset: r.pos,
    })
  }
  return event
}

/** Reads an `array<AvroFlumeEvent>` (the `appendBatch` parameter), capping the total number of events. */
export function readFlumeEventArray(
  r: AvroReader,
  maxEvents: number,
  limits: FlumeEventLimits = DEFAULT_FLUME_EVENT_LIMITS,
): DecodedFlumeEvent[] {
  const out: DecodedFlumeEvent[] = []
  for (;;) {
    const at = r.pos
    const n = r.readBlockCount(maxEvents)
    if (n === 0) return out
    if (out.length + n > maxEvents) {
      throw new AvroLimitError(`Batch has more than ${maxEvents} events (offset ${at})`, { offset: at })
    }
    for (let i = 0; i < n; i++) out.push(readFlumeEvent(r, limits))
  }
}
