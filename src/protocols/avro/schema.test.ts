import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AvroSchemaError } from './errors.ts'
import {
  fingerprint64,
  flumeSchemaHash,
  parseSchema,
  parsingFingerprint64,
  type RecordSchema,
  type Schema,
  schemaFromJson,
  toParsingCanonicalForm,
} from './schema.ts'
import { AVRO_FLUME_EVENT_SCHEMA, FLUME_EVENT_SCHEMA, TRANSFER_STATE_FILE_META_SCHEMA } from './schemas.ts'

/**
 * The Avro project's Parsing Canonical Form / CRC-64-AVRO vectors (share/test/data/schema-tests.txt; the
 * fingerprints are signed, as Java prints them). [input, canonical form, fingerprint or null].
 */
const VECTORS: [string, string, string | null][] = [
  ['"null"', '"null"', '7195948357588979594'],
  ['{"type":"null"}', '"null"', null],
  ['"boolean"', '"boolean"', '-6970731678124411036'],
  ['{"type":"boolean"}', '"boolean"', null],
  ['"int"', '"int"', '8247732601305521295'],
  ['{"type":"int"}', '"int"', null],
  ['"long"', '"long"', '-3434872931120570953'],
  ['{"type":"long"}', '"long"', null],
  ['"float"', '"float"', '5583340709985441680'],
  ['{"type":"float"}', '"float"', null],
  ['"double"', '"double"', '-8181574048448539266'],
  ['{"type":"double"}', '"double"', null],
  ['"bytes"', '"bytes"', '5746618253357095269'],
  ['{"type":"bytes"}', '"bytes"', null],
  ['"string"', '"string"', '-8142146995180207161'],
  ['{"type":"string"}', '"string"', null],
  ['[  ]', '[]', '-1241056759729112623'],
  ['[ "int"  ]', '["int"]', '-5232228896498058493'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', '5392556393470105090'],
  [
    '{"fields":[], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    '{"name":"x.y.foo","type":"record","fields":[]}',
    '5916914534497305771',
  ],
  [
    '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    '{"name":"a.b.foo","type":"record","fields":[]}',
    '-4616218487480524110',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    '7843277075252814651',
  ],
  [
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"},\n' +
      '            {"order":"descending","name":"f2","doc":"Hello","type":"int"}],\n' +
      '  "type":"record", "name":"foo"\n}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    '-4860222112080293046',
  ],
  [
    '{"type":"enum", "name":"foo", "symbols":["A1"]}',
    '{"name":"foo","type":"enum","symbols":["A1"]}',
    '-6342190197741309591',
  ],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    '-4448647247586288245',
  ],
  [
    '{"name":"foo","type":"fixed","size":15}',
    '{"name":"foo","type":"fixed","size":15}',
    '1756455273707447556',
  ],
  [
    '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}',
    '-3064184465700546786',
  ],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', '-589620603366471059'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', '-8732877298790414990'],
  [
    '{"name":"PigValue","type":"record",\n   "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    '-1759257747318642341',
  ],
]

describe('Parsing Canonical Form and CRC-64-AVRO', () => {
  it('reproduces every vector of the Avro test suite', () => {
    for (const [input, canonical, fp] of VECTORS) {
      const form = toParsingCanonicalForm(parseSchema(input))
      assert.equal(form, canonical, input)
      if (fp !== null) {
        assert.equal(BigInt.asIntN(64, fingerprint64(Buffer.from(form))), BigInt(fp), input)
      }
    }
  })

  it('fingerprint of the empty input is the CRC-64-AVRO empty value', () => {
    assert.equal(fingerprint64(new Uint8Array(0)), 0xc15d213aa4d7a795n)
  })

  it("computes Flume's flume.avro.schema.hash: little-endian hex of the parsing fingerprint", () => {
    // 8a878e615f1bfc26 is what Flume 1.11's AvroEventDeserializer puts in the header for avro_event files
    // (Java output; java-interop.test.ts re-checks it against the real class).
    assert.equal(flumeSchemaHash(FLUME_EVENT_SCHEMA), '8a878e615f1bfc26')
    const fp = parsingFingerprint64(FLUME_EVENT_SCHEMA)
    const le = Buffer.alloc(8)
    le.writeBigUInt64LE(fp)
    assert.equal(le.toString('hex'), flumeSchemaHash(FLUME_EVENT_SCHEMA))
  })

  it('canonical forms of the Flume schemas', () => {
    assert.equal(
      toParsingCanonicalForm(AVRO_FLUME_EVENT_SCHEMA),
      '{"name":"org.apache.flume.source.avro.AvroFlumeEvent","type":"record","fields":[{"name":"headers",' +
        '"type":{"type":"map","values":"string"}},{"name":"body","type":"bytes"}]}',
    )
    assert.equal(
      toParsingCanonicalForm(TRANSFER_STATE_FILE_META_SCHEMA),
      '{"name":"org.apache.flume.serialization.TransferStateFileMeta","type":"record","fields":[{"name":"offset","type":"long"}]}',
    )
  })

  it('spells out a named type once and references it by full name afterwards', () => {
    const s = parseSchema(
      '{"type":"record","name":"R","namespace":"n","fields":[' +
        '{"name":"a","type":{"type":"fixed","name":"F","size":2}},{"name":"b","type":"F"},' +
        '{"name":"c","type":{"type":"array","items":"n.F"}}]}',
    )
    assert.equal(
      toParsingCanonicalForm(s),
      '{"name":"n.R","type":"record","fields":[{"name":"a","type":{"name":"n.F","type":"fixed","size":2}},' +
        '{"name":"b","type":"n.F"},{"name":"c","type":{"type":"array","items":"n.F"}}]}',
    )
  })
})

describe('parseSchema', () => {
  it('resolves namespaces like Java: nested types inherit, references try the namespace then none', () => {
    const s = parseSchema(
      JSON.stringify({
        type: 'record',
        name: 'Outer',
        namespace: 'a.b',
        fields: [
          { name: 'e', type: { type: 'enum', name: 'E', symbols: ['X'] } },
          { name: 'e2', type: 'E' },
          {
            name: 'g',
            type: {
              type: 'record',
              name: 'c.G',
              fields: [{ name: 'h', type: { type: 'fixed', name: 'H', size: 1 } }],
            },
          },
          { name: 'h2', type: 'c.H' },
          { name: 'top', type: { type: 'fixed', name: 'T', namespace: '', size: 1 } },
          { name: 'top2', type: 'T' },
        ],
      }),
    ) as RecordSchema
    const names = s.fields.map((f) => ('name' in f.type ? f.type.name : f.type.type))
    assert.deepEqual(names, ['a.b.E', 'a.b.E', 'c.G', 'c.H', 'T', 'T'])
    assert.equal(s.name, 'a.b.Outer')
    assert.equal(s.fields[0]?.type, s.fields[1]?.type) // references resolve to the same object
  })

  it('supports recursive records and {"type": "<defined name>"} references', () => {
    const s = parseSchema(
      '{"type":"record","name":"Node","fields":[{"name":"next","type":["null",{"type":"Node"}]}]}',
    ) as RecordSchema
    const u = s.fields[0]?.type
    assert.ok(u?.type === 'union')
    assert.equal(u.branches[1], s)
  })

  it('ignores logical types, docs, defaults and custom properties', () => {
    const s = parseSchema(
      '{"type":"record","name":"R","doc":"d","x-custom":1,"fields":[' +
        '{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"},"default":0},' +
        '{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}},' +
        '{"name":"s","type":{"type":"string","avro.java.string":"String"}}]}',
    )
    assert.equal(
      toParsingCanonicalForm(s),
      '{"name":"R","type":"record","fields":[{"name":"t","type":"long"},{"name":"d","type":"bytes"},{"name":"s","type":"string"}]}',
    )
  })

  it('accepts an already parsed JSON value', () => {
    const s: Schema = schemaFromJson({ type: 'map', values: 'long' })
    assert.equal(toParsingCanonicalForm(s), '{"type":"map","values":"long"}')
    assert.equal(schemaFromJson('int').type, 'int')
  })

  it('rejects invalid schemas with FLUME_ERR_AVRO_SCHEMA', () => {
    const bad = [
      'not json',
      '"Undefined"',
      '{"type":"record","name":"R"}',
      '{"type":"record","name":"1R","fields":[]}',
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}',
      '{"type":"record","name":"R","fields":[{"name":"a"}]}',
      '{"type":"enum","name":"E","symbols":["A","A"]}',
      '{"type":"enum","name":"E","symbols":["1A"]}',
      '{"type":"fixed","name":"F","size":-1}',
      '{"type":"fixed","name":"F"}',
      '{"type":"array"}',
      '{"type":"map"}',
      '{"type":"nope"}',
      '{"name":"x"}',
      '["int","int"]',
      '["int",["long"]]',
      '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"R","size":1}}]}',
      '{"type":"fixed","name":"int","size":1}',
      '42',
    ]
    for (const s of bad) assert.throws(() => parseSchema(s), AvroSchemaError, s)
  })

  it('accepts Unicode letters in names, as Java does', () => {
    assert.equal(
      (parseSchema('{"type":"enum","name":"Größe","symbols":["ÉTÉ"]}') as { name: string }).name,
      'Größe',
    )
  })
})
