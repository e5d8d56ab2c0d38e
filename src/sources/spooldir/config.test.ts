import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type FieldReader, Invalid, type PropertyValue, parseFields } from '../../core/spec.ts'
import { spec } from './index.ts'

function parse(props: Record<string, string>) {
  const m = new Map<string, PropertyValue>(
    Object.entries(props).map(([k, v]) => [k, { value: v, file: 't.conf', line: 1 }]),
  )
  const errors: string[] = []
  const warnings: string[] = []
  const r: FieldReader = {
    path: 'a1.sources.r1',
    get: (k) => m.get(k),
    prefixed(p) {
      const out = new Map<string, PropertyValue>()
      for (const [k, v] of m) if (k.startsWith(p)) out.set(k.slice(p.length), v)
      return out
    },
    error: (k, msg) => errors.push(`${k ?? ''}: ${msg}`),
    warn: (k, msg) => warnings.push(`${k ?? ''}: ${msg}`),
    nested: () => undefined,
  }
  const cfg = parseFields(spec.fields, r)
  return { cfg: cfg === Invalid ? undefined : (cfg as Record<string, unknown>), errors, warnings }
}

describe('spooldir configuration', () => {
  it("has Flume's defaults", () => {
    const { cfg } = parse({ spoolDir: '/s' })
    assert.ok(cfg)
    assert.equal(cfg.fileSuffix, '.COMPLETED')
    assert.equal(cfg.deletePolicy, 'never')
    assert.equal(cfg.trackingPolicy, 'rename')
    assert.equal(cfg.trackerDir, '.flumespool')
    assert.equal(cfg.consumeOrder, 'oldest')
    assert.equal(cfg.pollDelay, 500)
    assert.equal(cfg.maxBackoff, 4000)
    assert.equal(cfg.batchSize, 100)
    assert.equal(cfg.decodeErrorPolicy, 'FAIL')
    assert.equal(cfg.fileHeaderKey, 'file')
    assert.equal(cfg.basenameHeaderKey, 'basename')
    assert.deepEqual(cfg.deserializer, { kind: 'LINE', maxLineLength: 2048, outputCharset: 'utf-8' })
  })

  it('enum values are case-insensitive, as Flume upper-cases them', () => {
    const { cfg, errors } = parse({
      spoolDir: '/s',
      deletePolicy: 'IMMEDIATE',
      trackingPolicy: 'TRACKER_DIR',
      consumeOrder: 'Youngest',
      decodeErrorPolicy: 'replace',
      deserializer: 'avro',
      'deserializer.schemaType': 'literal',
    })
    assert.deepEqual(errors, [])
    assert.equal(cfg?.deletePolicy, 'immediate')
    assert.equal(cfg?.trackingPolicy, 'tracker_dir')
    assert.equal(cfg?.consumeOrder, 'youngest')
    assert.equal(cfg?.decodeErrorPolicy, 'REPLACE')
    assert.deepEqual(cfg?.deserializer, { kind: 'AVRO', schemaType: 'LITERAL' })
  })

  it('deserializer class names resolve', () => {
    const line = parse({
      spoolDir: '/s',
      deserializer: 'org.apache.flume.serialization.LineDeserializer$Builder',
      'deserializer.maxLineLength': '10',
    })
    assert.deepEqual(line.cfg?.deserializer, { kind: 'LINE', maxLineLength: 10, outputCharset: 'utf-8' })
    const avro = parse({
      spoolDir: '/s',
      deserializer: 'org.apache.flume.serialization.AvroEventDeserializer$Builder',
    })
    assert.deepEqual(avro.cfg?.deserializer, { kind: 'AVRO', schemaType: 'HASH' })
    const blob = parse({
      spoolDir: '/s',
      deserializer: 'org.apache.flume.sink.solr.morphline.BlobDeserializer$Builder',
    })
    assert.deepEqual(blob.cfg?.deserializer, { kind: 'BLOB', maxBlobLength: 100_000_000 })
  })

  it('bufferMaxLineLength maps to deserializer.maxLineLength with a warning; unknown keys warn', () => {
    const { cfg, warnings } = parse({ spoolDir: '/s', bufferMaxLineLength: '99', 'deserializer.foo': 'x' })
    assert.deepEqual(cfg?.deserializer, { kind: 'LINE', maxLineLength: 99, outputCharset: 'utf-8' })
    assert.equal(warnings.length, 2)
  })

  it('rejects an unknown deserializer and a bad Java regex, naming them', () => {
    const a = parse({ spoolDir: '/s', deserializer: 'com.example.Mine$Builder' })
    assert.equal(a.cfg, undefined)
    assert.match(a.errors.join(), /unknown deserializer 'com\.example\.Mine\$Builder'/)
    const b = parse({ spoolDir: '/s', includePattern: 'a{' })
    assert.equal(b.cfg, undefined)
    assert.match(b.errors.join(), /includePattern/)
  })
})
