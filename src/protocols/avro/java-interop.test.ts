/**
 * Differential test against real Java: Avro 1.11.0 (what Flume 1.11.0 ships) and Flume 1.11.0's own
 * avro_event serializer, spooldir AVRO deserializer and position tracker. Every input is prepared first,
 * one JVM runs every Java command (AvroTool.java), then each `it` compares one aspect.
 *
 * Jars are provisioned from Maven Central by test-support/java-avro.ts. Missing Java/Maven/network makes
 * this suite FAIL with the reason, never skip.
 */

import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SUPPORTED_CODECS } from './codecs.ts'
import { ContainerReader, decodeContainer, encodeContainer, parseContainerHeader } from './container.ts'
import { decodeFlumeEvent, type FlumeEventLike } from './flume-event.ts'
import { flumeSchemaHash, parseSchema, parsingFingerprint64, toParsingCanonicalForm } from './schema.ts'
import {
  FLUME_AVRO_SCHEMA_HASH_HEADER,
  FLUME_AVRO_SCHEMA_LITERAL_HEADER,
  FLUME_EVENT_SCHEMA,
  FLUME_EVENT_SCHEMA_JSON,
  TRANSFER_STATE_FILE_META_SCHEMA_JSON,
} from './schemas.ts'
import { provisionAvroLib, runAvroTool } from './test-support/java-avro.ts'

const JAVA_CODECS = ['null', 'deflate', 'snappy', 'zstandard', 'bzip2', 'xz'] as const
const INTERVALS = [1000, 2048000] as const
const SYNC_HEX = 'f0e1d2c3b4a5968778695a4b3c2d1e0f'
const SYNC = Buffer.from(SYNC_HEX, 'hex')

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = [
  '',
  'a',
  'host',
  'timestamp',
  'Größe',
  'naïve café',
  '日本語',
  'emoji 😀🎉',
  'quote " \\ \n\t',
  '__proto__',
]

function makeEvents(n: number, maxHeaders: number, seed: number): FlumeEventLike[] {
  const r = rng(seed)
  const pick = () => WORDS[Math.floor(r() * WORDS.length)] as string
  const out: FlumeEventLike[] = []
  for (let i = 0; i < n; i++) {
    const h = Object.create(null) as Record<string, string>
    const nh = Math.floor(r() * (maxHeaders + 1))
    for (let j = 0; j < nh; j++) h[`${pick()}${j}`] = `${pick()}${i}`
    const size = i === 17 ? 300_000 : Math.floor(r() ** 3 * 3000) // one body larger than any interval
    const body = Buffer.alloc(size)
    for (let k = 0; k < size; k++) body[k] = Math.floor(r() * 256)
    out.push({ headers: h, body })
  }
  return out
}

interface JsonEvent {
  headers: Record<string, string>
  body: string
}

function toJson(events: readonly FlumeEventLike[]): JsonEvent[] {
  return events.map((e) => ({ headers: { ...e.headers }, body: Buffer.from(e.body).toString('base64') }))
}

function normalize(events: readonly FlumeEventLike[]): JsonEvent[] {
  return toJson(events).map((e) => ({
    headers: Object.fromEntries(Object.entries(e.headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    body: e.body,
  }))
}

function normalizeJson(events: readonly JsonEvent[]): JsonEvent[] {
  return normalize(events.map((e) => ({ headers: e.headers, body: Buffer.from(e.body, 'base64') })))
}

const SCHEMAS_FOR_FINGERPRINTS = [
  FLUME_EVENT_SCHEMA_JSON,
  TRANSFER_STATE_FILE_META_SCHEMA_JSON,
  '"string"',
  '["null","long",{"type":"array","items":"string"}]',
  JSON.stringify({
    type: 'record',
    name: 'Outer',
    namespace: 'com.example',
    doc: 'docs are dropped',
    fields: [
      { name: 'e', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'], default: 'A' } },
      { name: 'f', type: { type: 'fixed', name: 'other.Md5', size: 16 } },
      { name: 'g', type: 'other.Md5' },
      { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'k', type: 'Kind' }] } },
      { name: 'top', type: { type: 'record', name: 'Top', namespace: '', fields: [] } },
      { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0 },
      { name: 'maybe', type: ['null', 'Inner', 'Top'], default: null },
      { name: 'm', type: { type: 'map', values: { type: 'array', items: 'com.example.Inner' } } },
    ],
  }),
  JSON.stringify({
    type: 'error',
    name: 'Größe',
    fields: [{ name: 'next', type: ['null', 'Größe'] }],
  }),
  JSON.stringify({
    type: 'record',
    name: 'a.b.C',
    namespace: 'ignored.ns',
    fields: [
      { name: 'd', type: { type: 'record', name: 'D', fields: [{ name: 'c', type: ['null', 'C'] }] } },
    ],
  }),
]

const META_KEYS = [
  'file',
  'user.a',
  'user.b',
  'x',
  'y',
  'zeta',
  'Größe',
  'k1',
  'k2',
  'k3',
  'k4',
  'k5',
  'k6',
  'k7',
  'k8',
  'k9',
  'k10',
  'k11',
  'k12',
  'k13',
  'Aa', // "Aa" and "BB" share a String.hashCode: same HashMap bucket, insertion order decides
  'BB',
]

/**
 * A file whose datums are valid but not canonical (array as a sized negative-count block plus a second
 * block, over-long varints): Flume's deserializer re-encodes them, so bodies differ from the raw bytes.
 */
const NON_CANONICAL_SCHEMA =
  '{"type":"record","name":"R","namespace":"t","fields":[{"name":"tags","type":{"type":"array","items":"string"}},' +
  '{"name":"n","type":"long"}]}'

function nonCanonicalDatum(i: number): Buffer {
  const a = Buffer.from([0x02, 0x61 + (i % 26)]) // string of length 1
  return Buffer.concat([
    Buffer.from([0x01, a.length * 2]), // count -1, byte size
    a,
    Buffer.from([0x02]), // count 1
    Buffer.from([0x02, 0x7a]),
    Buffer.from([0x00]),
    Buffer.from([0x80 | ((i * 2) & 0x7f), 0x80, 0x00]), // long i (< 64) in 3 bytes
  ])
}

/** Decodes one Flume event datum with the avro_event schema. */
function decodeContainerDatums(datum: Buffer): FlumeEventLike[] {
  return [decodeFlumeEvent(datum, { exact: true })]
}

let work = ''
let lib = ''
const p = (name: string) => path.join(work, name)
const readJson = <T>(name: string): T => {
  const v = JSON.parse(readFileSync(p(name), 'utf8')) as T & { error?: string }
  if (typeof v === 'object' && v !== null && 'error' in v && typeof v.error === 'string') {
    throw new Error(`Java command for ${name} failed: ${v.error}`)
  }
  return v
}

const basic = makeEvents(120, 3, 42)
const singleHeader = makeEvents(60, 1, 7)

describe('Avro interop with Java (Avro 1.11.0, Flume 1.11.0)', { timeout: 20 * 60_000 }, () => {
  before(() => {
    lib = provisionAvroLib()
    work = mkdtempSync(path.join(tmpdir(), 'flumen-avro-java-'))
    const cmds: string[] = []
    writeFileSync(p('basic.json'), JSON.stringify(toJson(basic)))
    writeFileSync(p('single.json'), JSON.stringify(toJson(singleHeader)))

    // (a) Java reads what we wrote.
    for (const codec of SUPPORTED_CODECS) {
      for (const interval of INTERVALS) {
        const name = `ours-${codec}-${interval}`
        const buf = encodeContainer(
          { schema: FLUME_EVENT_SCHEMA_JSON, codec, syncIntervalBytes: interval, syncMarker: SYNC },
          (w) => w.append(basic),
        )
        writeFileSync(p(`${name}.avro`), buf)
        cmds.push(['read', p(`${name}.avro`), p(`${name}.json`)].join('\t'))
      }
    }
    // (b) Java's DataFileWriter writes, we read (and for null, compare bytes).
    for (const codec of JAVA_CODECS) {
      for (const interval of INTERVALS) {
        cmds.push(
          [
            'write',
            p('basic.json'),
            codec,
            String(interval),
            SYNC_HEX,
            p(`java-${codec}-${interval}.avro`),
          ].join('\t'),
        )
      }
    }
    // (c) Flume's avro_event serializer.
    for (const codec of ['null', 'deflate', 'snappy']) {
      for (const interval of ['default', '1000']) {
        cmds.push(
          ['flume-write', p('single.json'), codec, interval, p(`flume-${codec}-${interval}.avro`)].join('\t'),
        )
      }
    }
    cmds.push(['flume-write', p('basic.json'), 'deflate', 'default', p('flume-basic.avro')].join('\t'))
    // (d) Flume's spooldir deserializer on our files, with mark/reset.
    writeFileSync(
      p('ours-single-null-1000.avro'),
      encodeContainer({ schema: FLUME_EVENT_SCHEMA_JSON, syncIntervalBytes: 1000 }, (w) =>
        w.append(singleHeader),
      ),
    )
    for (const f of ['ours-single-null-1000', 'ours-null-1000', 'ours-snappy-1000', 'ours-deflate-2048000']) {
      cmds.push(['flume-read', p(`${f}.avro`), '7', 'HASH', p(`flume-read-${f}.json`)].join('\t'))
    }
    const nonCanonical = encodeContainer(
      { schema: NON_CANONICAL_SCHEMA, codec: 'deflate', syncIntervalBytes: 64, syncMarker: SYNC },
      (w) => {
        for (let i = 0; i < 20; i++) w.appendDatum(nonCanonicalDatum(i))
      },
    )
    writeFileSync(p('noncanonical.avro'), nonCanonical)
    cmds.push(
      ['flume-read', p('noncanonical.avro'), '3', 'LITERAL', p('flume-read-noncanonical.json')].join('\t'),
    )
    // (e) Fingerprints.
    writeFileSync(p('schemas.txt'), SCHEMAS_FOR_FINGERPRINTS.join('\n'))
    cmds.push(['fingerprint', p('schemas.txt'), p('fingerprints.json')].join('\t'))
    // (f) Metadata order.
    writeFileSync(p('keys.txt'), META_KEYS.join('\n'))
    cmds.push(['meta-write', p('keys.txt'), SYNC_HEX, p('meta.avro')].join('\t'))
    // (g) spooldir tracker file.
    cmds.push(['tracker', '/var/spool/in/a.log', '0,5,12', p('tracker.meta')].join('\t'))

    writeFileSync(p('commands.txt'), `${cmds.join('\n')}\n`)
    runAvroTool(lib, p('commands.txt'))
  })

  after(() => {
    if (work !== '' && process.env.FLUMEN_KEEP_INTEROP_FILES === undefined)
      rmSync(work, { recursive: true, force: true })
  })

  it('Java reads our files (every codec, small and Flume-default blocks) and sees the same events', () => {
    for (const codec of SUPPORTED_CODECS) {
      for (const interval of INTERVALS) {
        const name = `ours-${codec}-${interval}`
        const got = readJson<{ schema: string; meta: Record<string, string>; records: JsonEvent[] }>(
          `${name}.json`,
        )
        assert.equal(got.schema, FLUME_EVENT_SCHEMA_JSON, name)
        assert.equal(Buffer.from(got.meta['avro.codec'] ?? '', 'hex').toString(), codec, name)
        assert.deepEqual(normalizeJson(got.records), normalize(basic), name)
      }
    }
  })

  it("we read Java's DataFileWriter files; with the null codec ours are byte-identical; bzip2/xz are refused", async (t) => {
    const identical: string[] = []
    for (const codec of JAVA_CODECS) {
      for (const interval of INTERVALS) {
        const name = `java-${codec}-${interval}`
        const buf = readFileSync(p(`${name}.avro`))
        if (codec === 'bzip2' || codec === 'xz') {
          await assert.rejects(ContainerReader.open(buf), { code: 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED' }, name)
          continue
        }
        const reader = await ContainerReader.open(buf)
        const got: FlumeEventLike[] = []
        for await (const b of reader.blocks()) got.push(...b.events())
        assert.deepEqual(toJson(got), toJson(basic), name) // same header order: Java used LinkedHashMap
        const ours = encodeContainer(
          { schema: FLUME_EVENT_SCHEMA_JSON, codec, syncIntervalBytes: interval, syncMarker: SYNC },
          (w) => w.append(basic),
        )
        // Block boundaries always match; the bytes match whenever the compressors agree.
        assert.deepEqual(
          decodeContainer(ours).blocks.map((b) => b.count),
          decodeContainer(buf).blocks.map((b) => b.count),
          name,
        )
        if (ours.equals(buf)) identical.push(name)
      }
    }
    // Header, block framing and datums match for every codec, so with the null codec the whole file is
    // identical. Compressed payloads differ (Node's zlib vs the JDK's, snappyjs vs snappy-java, zstd
    // frame flags) while each side decodes the other's; the diagnostic lists what matched.
    assert.ok(
      identical.includes('java-null-1000') && identical.includes('java-null-2048000'),
      identical.join(', '),
    )
    t.diagnostic(`byte-identical to Java: ${identical.join(', ')}`)
  })

  it("Flume's avro_event serializer writes exactly our avro.schema, header and (null codec) whole file", async () => {
    for (const codec of ['null', 'deflate', 'snappy']) {
      for (const interval of ['default', '1000']) {
        const name = `flume-${codec}-${interval}`
        const buf = readFileSync(p(`${name}.avro`))
        const h = parseContainerHeader(buf)
        assert.equal(h.metadata.get('avro.schema')?.toString('utf8'), FLUME_EVENT_SCHEMA_JSON, name)
        assert.deepEqual([...h.metadata.keys()], ['avro.schema', 'avro.codec'], name)
        assert.equal(h.codec, codec)
        const ours = encodeContainer(
          {
            schema: FLUME_EVENT_SCHEMA_JSON,
            codec,
            syncIntervalBytes: interval === 'default' ? 2048000 : 1000,
            syncMarker: h.syncMarker,
          },
          (w) => w.append(singleHeader),
        )
        assert.deepEqual(ours.subarray(0, h.length), buf.subarray(0, h.length), `${name} header`)
        assert.deepEqual(
          decodeContainer(ours).blocks.map((b) => b.count),
          decodeContainer(buf).blocks.map((b) => b.count),
          `${name} blocks`,
        )
        if (codec === 'null') assert.deepEqual(ours, buf, `${name} whole file`)
        const reader = await ContainerReader.open(buf)
        const got: FlumeEventLike[] = []
        for await (const b of reader.blocks()) got.push(...b.events())
        assert.deepEqual(toJson(got), toJson(singleHeader), name)
      }
    }
    // Several headers per event: Flume's HashMap order differs, the content does not.
    const { blocks } = decodeContainer(readFileSync(p('flume-basic.avro')))
    assert.deepEqual(normalize(blocks.flatMap((b) => b.events())), normalize(basic))
  })

  it("Flume's spooldir AVRO deserializer: same datums, same schema hash, same mark/reset positions", async () => {
    const hash = flumeSchemaHash(FLUME_EVENT_SCHEMA)
    assert.equal(hash, '8a878e615f1bfc26')
    for (const f of ['ours-single-null-1000', 'ours-null-1000', 'ours-snappy-1000', 'ours-deflate-2048000']) {
      const java = readJson<{ first: JsonEvent[]; second: JsonEvent[]; rest: JsonEvent[]; mark: number }>(
        `flume-read-${f}.json`,
      )
      const r = await ContainerReader.open(readFileSync(p(`${f}.avro`)))
      assert.equal(flumeSchemaHash(r.header.schema), hash)
      const first = await r.readDatums(7)
      const mark = r.previousSync - 16
      const second = await r.readDatums(7)
      await r.seekToSync(mark)
      const rest = await r.readDatums(1_000_000)
      assert.equal(Math.max(0, mark), java.mark, `${f} mark`)
      const pairs: [JsonEvent[], Buffer[], string][] = [
        [java.first, first, 'first'],
        [java.second, second, 'second'],
        [java.rest, rest, 'after reset'],
      ]
      for (const [javaEvents, ours, what] of pairs) {
        assert.equal(javaEvents.length, ours.length, `${f} ${what}`)
        javaEvents.forEach((je, i) => {
          const datum = ours[i] as Buffer
          assert.deepEqual(je.headers, { [FLUME_AVRO_SCHEMA_HASH_HEADER]: hash })
          const javaBody = Buffer.from(je.body, 'base64')
          const [decodedJava] = decodeContainerDatums(javaBody)
          const [decodedOurs] = decodeContainerDatums(datum)
          // Same record. Bytes are equal too unless a map has several entries: Flume decodes into a Java
          // HashMap and re-encodes it, so entries come out in HashMap order (see docs/avro.md).
          assert.deepEqual(
            normalize([decodedJava as FlumeEventLike]),
            normalize([decodedOurs as FlumeEventLike]),
          )
          if (Object.keys((decodedOurs as FlumeEventLike).headers).length <= 1) {
            assert.deepEqual(javaBody, datum, `${f} ${what} #${i}`)
          }
        })
      }
    }
  })

  it('non-canonical datums: Flume re-encodes them, our canonical datums() match, raw ones do not', async () => {
    const java = readJson<{ first: JsonEvent[]; second: JsonEvent[]; rest: JsonEvent[] }>(
      'flume-read-noncanonical.json',
    )
    const r = await ContainerReader.open(readFileSync(p('noncanonical.avro')))
    const canonical = await r.readDatums(1000, { canonical: true })
    await r.seekToSync(0)
    const raw = await r.readDatums(1000)
    const javaBodies = [...java.first, ...java.second].map((e) => e.body)
    assert.deepEqual(
      javaBodies,
      canonical.slice(0, 6).map((d) => d.toString('base64')),
    )
    assert.notDeepEqual(
      javaBodies,
      raw.slice(0, 6).map((d) => d.toString('base64')),
    )
    // LITERAL mode puts Java's Schema.toString() in the header; for a schema written compactly by Java's
    // rules that is the avro.schema text itself.
    assert.equal(java.first[0]?.headers[FLUME_AVRO_SCHEMA_LITERAL_HEADER], NON_CANONICAL_SCHEMA)
  })

  it('Parsing Canonical Form and fingerprints equal SchemaNormalization', () => {
    const java =
      readJson<{ canonical: string; fingerprint64: string; flumeHash: string; toString: string }[]>(
        'fingerprints.json',
      )
    assert.equal(java.length, SCHEMAS_FOR_FINGERPRINTS.length)
    SCHEMAS_FOR_FINGERPRINTS.forEach((text, i) => {
      const s = parseSchema(text)
      const j = java[i] as (typeof java)[number]
      assert.equal(toParsingCanonicalForm(s), j.canonical, text)
      assert.equal(BigInt.asIntN(64, parsingFingerprint64(s)).toString(), j.fingerprint64, text)
      assert.equal(flumeSchemaHash(s), j.flumeHash, text)
    })
    // Our constants are Java's own toString() of those schemas.
    assert.equal(java[0]?.toString, FLUME_EVENT_SCHEMA_JSON)
    assert.equal(java[1]?.toString, TRANSFER_STATE_FILE_META_SCHEMA_JSON)
  })

  it('metadata is ordered like DataFileWriter’s HashMap (header bytes identical)', () => {
    const java = readFileSync(p('meta.avro'))
    const ours = encodeContainer(
      {
        schema: '"long"',
        writeCodecMetadata: false,
        metadata: Object.fromEntries(META_KEYS.map((k) => [k, `${k}-v`])),
        syncMarker: SYNC,
      },
      () => {},
    )
    assert.deepEqual(
      [...parseContainerHeader(ours).metadata.keys()],
      [...parseContainerHeader(java).metadata.keys()],
    )
    assert.deepEqual(ours, java)
  })

  it("spooldir's tracker file: identical to DurablePositionTracker's", () => {
    const java = readFileSync(p('tracker.meta'))
    const h = parseContainerHeader(java)
    const ours = encodeContainer(
      {
        schema: TRANSFER_STATE_FILE_META_SCHEMA_JSON,
        writeCodecMetadata: false,
        metadata: { file: '/var/spool/in/a.log' },
        syncMarker: h.syncMarker,
      },
      (w) => {
        for (const offset of [0, 5, 12]) {
          w.appendValue({ offset }) // storePosition(): append, sync, flush
          w.flush()
        }
      },
    )
    assert.deepEqual(ours, java)
  })
})
