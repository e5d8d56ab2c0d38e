// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} in plain strings is what is under test
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  javaTrim,
  loadFlumeProperties,
  normalizeFlumeProperties,
  type RawFlumeEntry,
  repeatedKeyDiagnostics,
} from './flume-properties.ts'
import { mergeProperties, parseProperties } from './properties.ts'

function entries(pairs: [string, string][]): RawFlumeEntry[] {
  return pairs.map(([key, value], i) => ({ key, value, source: 'a.conf', line: i + 1 }))
}

function file(source: string, text: string) {
  return parseProperties(Buffer.from(text, 'latin1'), source)
}

const noSubstitution = { env: {}, systemProperties: new Map<string, string>() }

describe('javaTrim', () => {
  test('strips every char up to U+0020, control chars included', () => {
    assert.equal(javaTrim(' \t\f\r\n\u0000\u0001\u001f v a l \u0000'), 'v a l')
  })
  test('keeps NBSP, BOM and other Unicode blanks that JS trim() would strip', () => {
    for (const blank of ['\u00a0', '\ufeff', '\u2028', '\u3000', '\u0085']) {
      assert.equal(javaTrim(`${blank}v${blank}`), `${blank}v${blank}`, JSON.stringify(blank))
    }
  })
  test('returns the same string when there is nothing to trim', () => {
    assert.equal(javaTrim(''), '')
    assert.equal(javaTrim('x'), 'x')
  })
})

describe('normalizeFlumeProperties', () => {
  test('trims keys and values and keeps origin, agent and raw value', () => {
    const result = normalizeFlumeProperties([
      { key: 'a1.sources.r1.port\t', value: ' 4141 \u0000', source: 'a.conf', line: 7, rawValue: '${P} ' },
    ])
    assert.deepEqual(result.diagnostics, [])
    assert.deepEqual(
      [...result.properties.entries()],
      [
        [
          'a1.sources.r1.port',
          {
            key: 'a1.sources.r1.port',
            agent: 'a1',
            value: '4141',
            rawValue: '${P} ',
            source: 'a.conf',
            line: 7,
          },
        ],
      ],
    )
  })

  test('an empty value is dropped with PROPERTY_VALUE_NULL naming the key', () => {
    const result = normalizeFlumeProperties(
      entries([
        ['a1.sinks.k1.channel', ''],
        ['a1.sinks.k1.type', ' \t '],
        ['a1.sinks.k1.batchSize', '100'],
      ]),
    )
    assert.deepEqual([...result.properties.keys()], ['a1.sinks.k1.batchSize'])
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.severity, d.file, d.line, d.key]),
      [
        ['PROPERTY_VALUE_NULL', 'error', 'a.conf', 1, 'a1.sinks.k1.channel'],
        ['PROPERTY_VALUE_NULL', 'error', 'a.conf', 2, 'a1.sinks.k1.type'],
      ],
    )
    assert.equal(
      result.diagnostics[0]!.message,
      'Property "a1.sinks.k1.channel" has an empty value: ignored, as Flume does.',
    )
  })

  test('a value emptied by substitution says so', () => {
    const result = normalizeFlumeProperties([
      { key: 'a1.x', value: '', rawValue: '${EMPTY}', source: 'a.conf', line: 1 },
    ])
    assert.match(result.diagnostics[0]!.message, /empty after substitution \(\$\{EMPTY\}\): ignored/)
  })

  test('a value of NBSP is not empty for Java', () => {
    assert.equal(
      normalizeFlumeProperties(entries([['a1.x', '\u00a0']])).properties.get('a1.x')?.value,
      '\u00a0',
    )
  })

  test('keys without an agent prefix are dropped with AGENT_NAME_MISSING', () => {
    const result = normalizeFlumeProperties(
      entries([
        ['sources', 'r1'],
        ['.sources', 'r1'],
        ['  .x', 'r1'],
      ]),
    )
    assert.equal(result.properties.size, 0)
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.key]),
      [
        ['AGENT_NAME_MISSING', 'sources'],
        ['AGENT_NAME_MISSING', '.sources'],
        ['AGENT_NAME_MISSING', '.x'],
      ],
    )
    assert.match(
      result.diagnostics[0]!.message,
      /^Property "sources" does not start with an agent name.*ignored/,
    )
  })

  test('the empty-value check comes first, as in Flume', () => {
    const result = normalizeFlumeProperties(entries([['novalue', '']]))
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ['PROPERTY_VALUE_NULL'],
    )
  })

  test('a key with nothing after the agent name is dropped with PROPERTY_NAME_NULL', () => {
    const result = normalizeFlumeProperties(entries([['a1.', 'x']]))
    assert.equal(result.properties.size, 0)
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.key]),
      [['PROPERTY_NAME_NULL', 'a1.']],
    )
  })

  test('keys used as substitution variables are dropped silently', () => {
    const result = normalizeFlumeProperties(
      entries([
        ['NC_PORT', '44444'],
        ['UNUSED', '1'],
        ['a1.x', '44444'],
      ]),
      { variableKeys: new Set(['NC_PORT']) },
    )
    assert.deepEqual([...result.properties.keys()], ['a1.x'])
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.key]),
      [['AGENT_NAME_MISSING', 'UNUSED']],
    )
  })

  test('a referenced key with an agent prefix is still a property', () => {
    const result = normalizeFlumeProperties(entries([['a1.base', '/data']]), {
      variableKeys: new Set(['a1.base']),
    })
    assert.deepEqual([...result.properties.keys()], ['a1.base'])
  })

  test('keys equal after trimming: the later one wins, with a warning', () => {
    const result = normalizeFlumeProperties(
      entries([
        ['a1.x', '1'],
        ['a1.y', '2'],
        ['a1.x ', '3'],
      ]),
    )
    assert.deepEqual(
      [...result.properties.values()].map((p) => [p.key, p.value, p.line]),
      [
        ['a1.y', '2', 2],
        ['a1.x', '3', 3],
      ],
    )
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.severity, d.line, d.key]),
      [['DUPLICATE_KEY', 'warning', 3, 'a1.x']],
    )
    assert.match(result.diagnostics[0]!.message, /a\.conf lines 1 and 3/)
  })
})

describe('repeatedKeyDiagnostics', () => {
  test('one warning per repeated key, at the definition used, naming every line', () => {
    const merged = mergeProperties([
      file('a.conf', 'a1.x = 1\na1.y = 1\na1.x = 2\n\n\na1.x = 3'),
      file('b.conf', 'a1.y = 2'),
    ])
    const diagnostics = repeatedKeyDiagnostics(merged)
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.severity, d.file, d.line, d.key]),
      [
        ['DUPLICATE_KEY', 'warning', 'a.conf', 6, 'a1.x'],
        ['DUPLICATE_KEY', 'warning', 'b.conf', 1, 'a1.y'],
      ],
    )
    assert.equal(
      diagnostics[0]!.message,
      '"a1.x" is set 3 times (a.conf lines 1, 3 and 6): the value from a.conf line 6 is used, as in Flume.',
    )
    assert.match(diagnostics[1]!.message, /set 2 times \(a\.conf line 2, b\.conf line 1\)/)
  })
})

describe('loadFlumeProperties', () => {
  test("the user guide's variable idiom: a top-level key used as ${NAME}", () => {
    const result = loadFlumeProperties(
      [
        file(
          'flume.conf',
          [
            'NC_PORT = 44444',
            'a1.sources = r1',
            'a1.sources.r1.type = netcat',
            'a1.sources.r1.port = ${NC_PORT}',
            'a1.sources.r1.bind = ${env:BIND_HOST}',
            'a1.sinks.k1.hdfs.path = /flume/${sys:env}/%Y',
          ].join('\n'),
        ),
      ],
      { env: { BIND_HOST: '0.0.0.0' }, systemProperties: new Map([['env', 'prod']]) },
    )
    assert.deepEqual(result.diagnostics, [])
    assert.deepEqual(Object.fromEntries([...result.properties].map(([k, p]) => [k, p.value])), {
      'a1.sources': 'r1',
      'a1.sources.r1.type': 'netcat',
      'a1.sources.r1.port': '44444',
      'a1.sources.r1.bind': '0.0.0.0',
      'a1.sinks.k1.hdfs.path': '/flume/prod/%Y',
    })
    assert.equal(result.properties.get('a1.sources.r1.port')?.rawValue, '${NC_PORT}')
  })

  test('later files override earlier ones; substitution sees the merged set; diagnostics by file and line', () => {
    const result = loadFlumeProperties(
      [
        file('base.conf', 'a1.channels = c1\na1.channels.c1.capacity = ${CAP}\nCAP = 100\nbad = 1\na1.x ='),
        file('override.conf', 'CAP = 5000 \na1.y = ${NOPE}\na1.channels = c1 c2'),
      ],
      noSubstitution,
    )
    assert.deepEqual(
      Object.fromEntries([...result.properties].map(([k, p]) => [k, [p.value, p.source, p.line]])),
      {
        'a1.channels.c1.capacity': ['5000', 'base.conf', 2],
        'a1.y': ['${NOPE}', 'override.conf', 2],
        'a1.channels': ['c1 c2', 'override.conf', 3],
      },
    )
    assert.deepEqual(
      result.diagnostics.map((d) => [d.file, d.line, d.code, d.key]),
      [
        ['base.conf', 4, 'AGENT_NAME_MISSING', 'bad'],
        ['base.conf', 5, 'PROPERTY_VALUE_NULL', 'a1.x'],
        ['override.conf', 1, 'DUPLICATE_KEY', 'CAP'],
        ['override.conf', 2, 'SUBSTITUTION_UNRESOLVED', 'a1.y'],
        ['override.conf', 3, 'DUPLICATE_KEY', 'a1.channels'],
      ],
    )
  })
})
