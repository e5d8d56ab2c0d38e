import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  mergeProperties,
  type PropertiesParseResult,
  PropertiesSyntaxError,
  parseProperties,
} from './properties.ts'

function parse(text: string, source = 'test.properties'): PropertiesParseResult {
  return parseProperties(Buffer.from(text, 'latin1'), source)
}

/** key → value of what Java's Properties would hold. */
function values(text: string): Record<string, string> {
  return Object.fromEntries([...parse(text).properties.values()].map((e) => [e.key, e.value]))
}

/** [key, line] of every definition, in file order. */
function lines(text: string): [string, number][] {
  return parse(text).entries.map((e) => [e.key, e.line])
}

describe('separators', () => {
  const cases: [string, Record<string, string>][] = [
    ['k=v', { k: 'v' }],
    ['k:v', { k: 'v' }],
    ['k v', { k: 'v' }],
    ['k\tv', { k: 'v' }],
    ['k\fv', { k: 'v' }],
    ['k  =  v', { k: 'v' }],
    ['   k = v', { k: 'v' }],
    ['k = = v', { k: '= v' }],
    ['k == v', { k: '= v' }],
    ['k =: v', { k: ': v' }],
    ['k :v', { k: 'v' }],
    ['k v = w', { k: 'v = w' }],
    ['k=a=b:c', { k: 'a=b:c' }],
    ['k', { k: '' }],
    ['k=', { k: '' }],
    ['k   ', { k: '' }],
    ['k :', { k: '' }],
    ['=v', { '': 'v' }],
    [':v', { '': 'v' }],
    ['k = v  \t', { k: 'v  \t' }],
    ['k = x # not a comment', { k: 'x # not a comment' }],
  ]
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(values(text), expected))
  }
})

describe('escapes', () => {
  test('control escapes, \\b and unknown letters', () => {
    assert.deepEqual(values('k = \\t\\n\\r\\f\\b\\x\\\\'), { k: '\t\n\r\fbx\\' })
  })
  test('escaped separators and blanks stay in the key', () => {
    assert.deepEqual(values('a\\=b\\:c\\ d\\\te = v'), { 'a=b:c d\te': 'v' })
  })
  test('escaped comment chars start a key, not a comment', () => {
    assert.deepEqual(values('\\#k = 1\n\\!k = 2'), { '#k': '1', '!k': '2' })
  })
  test('\\uXXXX in keys and values, either hex case, surrogates kept as units', () => {
    assert.deepEqual(values('\\u0041\\u00e9 = \\u20AC\\u20ac \\uD83D\\uDE00 \\uDC00'), {
      Aé: '€€ \u{1f600} \udc00',
    })
  })
  test('an escaped leading blank keeps the blanks after it', () => {
    assert.deepEqual(values('k = \\  v'), { k: '  v' })
  })
  test('a \\u escape split over a continuation is joined first', () => {
    assert.deepEqual(values('k = \\u00\\\n    41'), { k: 'A' })
  })
})

describe('lines, comments and continuations', () => {
  test('\\n, \\r and \\r\\n all end lines', () => {
    assert.deepEqual(values('a=1\nb=2\rc=3\r\nd=4'), { a: '1', b: '2', c: '3', d: '4' })
  })
  test('blank lines may hold spaces, tabs and form feeds', () => {
    assert.deepEqual(values(' \t\f\n\f\r\n\ta=1\n   \n'), { a: '1' })
  })
  test('other control chars are not blanks', () => {
    assert.deepEqual(values('\u000bk = \u0000'), { '\u000bk': '\u0000' })
  })
  test('# and ! comments, indented or not, never continue', () => {
    assert.deepEqual(values('# c \\\na=1\n  ! c \\\\\\\nb=2\n\t#\n'), { a: '1', b: '2' })
  })
  test('continuation drops the backslash and the next line leading blanks', () => {
    assert.deepEqual(values('k = a\\\n   b\\\r\n\t\fc\\\r d'), { k: 'abcd' })
  })
  test('an even run of backslashes does not continue', () => {
    assert.deepEqual(values('k = x\\\\\nn = 1'), { k: 'x\\', n: '1' })
  })
  test('continuation into an empty or blank line ends the logical line', () => {
    assert.deepEqual(values('k = a\\\n\nn = 1\nm = b\\\n \t\no = 2'), { k: 'a', n: '1', m: 'b', o: '2' })
  })
  test('a continued line may start with #', () => {
    assert.deepEqual(values('k = a\\\n  #b'), { k: 'a#b' })
  })
  test('continuation inside the key', () => {
    assert.deepEqual(values('multi\\\n  line = v'), { multiline: 'v' })
  })
  test('a line holding only a backslash joins nothing; the line after it may be a comment', () => {
    assert.deepEqual(values('\\\n# comment\na = 1\n  \\\n\n  b = 2'), { a: '1', b: '2' })
  })
  test('a trailing backslash at EOF is dropped', () => {
    assert.deepEqual(values('k = last\\'), { k: 'last' })
    assert.deepEqual(values('k = last\\\n'), { k: 'last' })
    assert.deepEqual(values('k = last\\\\'), { k: 'last\\' })
  })
  test('a lone backslash line at EOF defines the empty key (JDK quirk)', () => {
    assert.deepEqual(values('a = 1\n\\'), { a: '1', '': '' })
    assert.deepEqual(values('a = 1\n  \\\n'), { a: '1', '': '' })
    // ...but not when a blank line follows it.
    assert.deepEqual(values('a = 1\n\\\n\n'), { a: '1' })
  })
  test('empty input and comment-only input define nothing', () => {
    assert.deepEqual(values(''), {})
    assert.deepEqual(values('# only\n! comments\n\n'), {})
    assert.deepEqual(values('# no newline at EOF'), {})
  })
})

describe('bytes are ISO-8859-1', () => {
  test('each byte is one char', () => {
    const data = Buffer.from([0x6b, 0xe9, 0x3d, 0xff, 0xa0, 0x80])
    assert.deepEqual(
      [...parseProperties(data, 'x').properties.values()].map((e) => [e.key, e.value]),
      [['k\u00e9', '\u00ff\u00a0\u0080']],
    )
  })
  test('UTF-8 text is read as Latin-1, a BOM included', () => {
    assert.deepEqual(values('\u00ef\u00bb\u00bfk = \u00c3\u00a9'), { '\u00ef\u00bb\u00bfk': '\u00c3\u00a9' })
  })
  test('a Uint8Array view into a larger buffer is read from its own offset', () => {
    const backing = Buffer.from('xxxxa=1\nyyyy', 'latin1')
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, 4)
    assert.deepEqual(
      [...parseProperties(view, 'x').properties.values()].map((e) => [e.key, e.value]),
      [['a', '1']],
    )
  })
})

describe('line numbers', () => {
  test('line where each logical line starts, over mixed line ends, comments and continuations', () => {
    const text = [
      '# header\n', // 1
      '\n', // 2
      'a = 1\r\n', // 3
      'b = 2\r', // 4
      '  c = long\\\n', // 5
      '      value\\\r\n', // 6
      '      more\n', // 7
      '! comment \\\n', // 8
      'd\n', // 9
      '\\\n', // 10: lone backslash
      '   e = 5\n', // 11
      '\f\t\n', // 12
      'f = 6', // 13
    ].join('')
    assert.deepEqual(lines(text), [
      ['a', 3],
      ['b', 4],
      ['c', 5],
      ['d', 9],
      ['e', 11],
      ['f', 13],
    ])
  })

  test('entries carry the source name', () => {
    const result = parse('a=1', 'conf/flume.conf')
    assert.equal(result.source, 'conf/flume.conf')
    assert.equal(result.entries[0]?.source, 'conf/flume.conf')
  })

  // Model: a file built from logical lines whose starting line we know by construction.
  const logicalLine = fc.record({
    key: fc.string({ unit: fc.constantFrom('a', 'b', '.', '1'), minLength: 1, maxLength: 4 }),
    valueParts: fc.array(fc.string({ unit: fc.constantFrom('x', 'y', ' ', '='), maxLength: 4 }), {
      minLength: 1,
      maxLength: 3,
    }),
    indent: fc.constantFrom('', ' ', '\t', '\f '),
    lineEnd: fc.constantFrom('\n', '\r', '\r\n'),
    filler: fc.array(fc.constantFrom('\n', '\r\n', '# c\n', '!\\\n', '  \f\r', '\\\n\n'), { maxLength: 3 }),
  })
  test('property: every entry reports the line its logical line starts on', () => {
    fc.assert(
      fc.property(fc.array(logicalLine, { maxLength: 15 }), (records) => {
        let text = ''
        const expected: [string, number][] = []
        for (const r of records) {
          text += r.filler.join('') + r.indent
          // Independent line count: split on any line end, \r\n counting once.
          expected.push([r.key, text.split(/\r\n|\r|\n/).length])
          text += `${r.key}=${r.valueParts.join(`\\${r.lineEnd}  `)}${r.lineEnd}`
        }
        assert.deepEqual(lines(text), expected, JSON.stringify(text))
      }),
    )
  })
})

describe('duplicates', () => {
  test('the last definition wins and every defining line is reported', () => {
    const result = parse('a.x = 1\nb = 2\na.x = 3\n\n\na.x = 4\nb = 5\nc = 6')
    assert.deepEqual(
      [...result.properties.values()].map((e) => [e.key, e.value, e.line]),
      [
        ['a.x', '4', 6],
        ['b', '5', 7],
        ['c', '6', 8],
      ],
    )
    assert.deepEqual(result.duplicates, [
      { key: 'a.x', lines: [1, 3, 6] },
      { key: 'b', lines: [2, 7] },
    ])
    assert.equal(result.entries.length, 6)
  })
  test('keys that differ only by escapes are the same key', () => {
    assert.deepEqual(parse('a\\u002eb = 1\na.b = 2').duplicates, [{ key: 'a.b', lines: [1, 2] }])
  })
  test('no duplicates, empty list', () => {
    assert.deepEqual(parse('a=1\nb=2').duplicates, [])
  })
})

describe('malformed \\u escapes fail the whole file, naming file and line', () => {
  const cases: [text: string, line: number][] = [
    ['a = 1\nk = \\u12G4\n', 2],
    ['a = 1\n\n\\uZZ = v', 3],
    ['k = \\u12', 1],
    ['k = \\u', 1],
    ['a = 1\r\nk = ok\\\r\n  \\u00x1', 3],
    ['a = 1\nk = \\u00\\\n\n41', 2],
  ]
  for (const [text, line] of cases) {
    test(JSON.stringify(text), () => {
      assert.throws(
        () => parse(text, 'conf/a.conf'),
        (error: unknown) => {
          assert.ok(error instanceof PropertiesSyntaxError)
          assert.equal(error.code, 'FLUME_ERR_CONFIG_SYNTAX')
          assert.equal(error.source, 'conf/a.conf')
          assert.equal(error.line, line)
          assert.match(error.message, new RegExp(`^conf/a\\.conf:${line}: malformed \\\\uXXXX escape`))
          return true
        },
      )
    })
  }
  test('the message names the key whose value is broken', () => {
    assert.throws(() => parse('a1.sinks.k1.path = \\uXYZW'), /in the value of "a1\.sinks\.k1\.path"/)
  })
  test('inside a comment it is harmless', () => {
    assert.deepEqual(values('# \\uZZZZ\nk = v'), { k: 'v' })
  })
})

describe('mergeProperties', () => {
  test('later files override earlier ones; every repeated definition is listed in load order', () => {
    const merged = mergeProperties([
      parse('a = 1\nb = 1\na = 2', 'base.conf'),
      parse('c = 3\na = 3', 'override.conf'),
      parse('', 'empty.conf'),
    ])
    assert.deepEqual(merged.sources, ['base.conf', 'override.conf', 'empty.conf'])
    assert.deepEqual(
      [...merged.properties.values()].map((e) => [e.key, e.value, e.source, e.line]),
      [
        ['b', '1', 'base.conf', 2],
        ['c', '3', 'override.conf', 1],
        ['a', '3', 'override.conf', 2],
      ],
    )
    assert.deepEqual(merged.duplicates, [
      {
        key: 'a',
        sites: [
          { source: 'base.conf', line: 1 },
          { source: 'base.conf', line: 3 },
          { source: 'override.conf', line: 2 },
        ],
      },
    ])
  })
  test('no files, nothing merged', () => {
    assert.deepEqual(mergeProperties([]), { sources: [], properties: new Map(), duplicates: [] })
  })
})
