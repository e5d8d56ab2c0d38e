// Exhaustive check of the character-set translations (charset.ts) against Java 17: for every property
// name and predefined class flumen translates, compares the set of code points matched by Java and by the
// generated RegExp over planes 0-2 (surrogates excluded). Code points Java 17 (Unicode 13.0) leaves
// unassigned are ignored: there the running V8's newer Unicode data legitimately differs.
// Run it after touching charset.ts or upgrading Node (takes a few seconds, needs Java 17):
//   node src/config/test-support/verify-java-regex-properties.ts
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { compileJavaRegex } from '../java-regex.ts'

const MAX = 0x2ffff
const NAMES = [
  'Lower',
  'Upper',
  'ASCII',
  'Alpha',
  'Digit',
  'Alnum',
  'Punct',
  'Graph',
  'Print',
  'Blank',
  'Cntrl',
  'XDigit',
  'Space',
  'javaLowerCase',
  'javaUpperCase',
  'javaTitleCase',
  'javaAlphabetic',
  'javaIdeographic',
  'javaDigit',
  'javaDefined',
  'javaLetter',
  'javaLetterOrDigit',
  'javaJavaIdentifierStart',
  'javaJavaIdentifierPart',
  'javaUnicodeIdentifierStart',
  'javaUnicodeIdentifierPart',
  'javaIdentifierIgnorable',
  'javaSpaceChar',
  'javaWhitespace',
  'javaISOControl',
  'javaMirrored',
  'L',
  'Lu',
  'Ll',
  'Lt',
  'Lm',
  'Lo',
  'LC',
  'LD',
  'L1',
  'M',
  'Mn',
  'Mc',
  'Me',
  'N',
  'Nd',
  'Nl',
  'No',
  'P',
  'Pc',
  'Pd',
  'Ps',
  'Pe',
  'Pi',
  'Pf',
  'Po',
  'S',
  'Sm',
  'Sc',
  'Sk',
  'So',
  'Z',
  'Zs',
  'Zl',
  'Zp',
  'C',
  'Cc',
  'Cf',
  'Co',
  'Cn',
  'all',
  'IsAlphabetic',
  'IsIdeographic',
  'IsLetter',
  'IsLowercase',
  'IsUppercase',
  'IsTitlecase',
  'IsPunctuation',
  'IsControl',
  'IsWhite_Space',
  'IsDigit',
  'IsHex_Digit',
  'IsJoin_Control',
  'IsNoncharacter_Code_Point',
  'IsAssigned',
  'IsWord',
  'IsAlnum',
  'IsBlank',
  'IsGraph',
  'IsPrint',
  'IsAlpha',
  'IsPunct',
  'IsSpace',
  'IsXDigit',
  'IsCntrl',
  'IsLower',
  'IsUpper',
  'IsLatin',
  'IsGreek',
  'IsCyrillic',
  'IsHan',
  'IsArabic',
  'IsCommon',
  'IsInherited',
  'IsDevanagari',
  'InGreek',
  'InBasicLatin',
  'InCJKUnifiedIdeographs',
  'InEmoticons',
  'InLatin_Extended_A',
]
const patterns = [
  ...NAMES.map((n) => `\\p{${n}}`),
  ...['Lu', 'Ll', 'Lt', 'Lower', 'Upper', 'javaLowerCase', 'IsLowercase', 'IsUppercase'].map(
    (n) => `(?i)\\p{${n}}`,
  ),
  ...[
    '\\w',
    '\\W',
    '\\d',
    '\\s',
    '\\h',
    '\\v',
    '.',
    '(?U)\\w',
    '(?U)\\d',
    '(?U)\\s',
    '(?U)\\p{Alpha}',
    '(?U)\\p{Punct}',
  ],
  ...['(?U)\\p{Graph}', '(?U)\\p{Print}', '(?U)\\p{Blank}', '(?U)\\p{XDigit}', '(?U)\\p{Lower}', '(?i)[a-z]'],
  ...['(?iu)[a-z]', '(?iu)k', '(?iu)[k]', '(?iu)s', '(?iu)σ', '(?iu)[à-þ]', '(?iu)i', '(?iu)[Ա-Ֆ]', '(?iu)ǅ'],
]

// Assigned in Unicode 13.0 but with properties changed since (checked on Node 24 / Unicode 17): U+0295
// became Lo, U+0363-036F, U+1DD3-1DE6, U+0C04, U+0F82-0F83, U+11080-11081 became Alphabetic, U+1734 and
// U+1171E became Mn, U+10FC and U+AB69 Lowercase, U+16FE2-16FE3 moved from Han to Common, U+226D lost
// Bidi_Mirrored, U+30FB and U+FF65 joined ID_Continue.
const UNICODE_CHANGES = new Set([
  0x295, 0xc04, 0xf82, 0xf83, 0x10fc, 0x1734, 0x226d, 0x30fb, 0xab69, 0xff65, 0x11080, 0x11081, 0x1171e,
  0x16fe2, 0x16fe3,
])
for (let cp = 0x363; cp <= 0x36f; cp++) UNICODE_CHANGES.add(cp)
for (let cp = 0x1dd3; cp <= 0x1de6; cp++) UNICODE_CHANGES.add(cp)

const here = fileURLToPath(new URL('.', import.meta.url))
const r = spawnSync('java', [`${here}JavaRegexPropertySweep.java`, MAX.toString(16)], {
  input: ['\\p{Cn}', ...patterns].join('\n') + '\n',
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
})
if (r.status !== 0) throw new Error(r.stderr)
const java = new Map<string, Set<number>>()
for (const line of r.stdout.split('\n')) {
  if (line === '') continue
  const [p, ranges] = line.split('\t') as [string, string]
  const set = new Set<number>()
  for (const range of ranges.split(',')) {
    if (range === '') continue
    const [lo, hi] = range.split('-').map((h) => Number.parseInt(h, 16)) as [number, number]
    for (let cp = lo; cp <= hi; cp++) set.add(cp)
  }
  java.set(p, set)
}
const unassigned = java.get('\\p{Cn}')!
let failures = 0
for (const p of patterns) {
  if (p === '\\p{Cn}') continue // differs wherever Unicode assigned new characters
  const re = compileJavaRegex(p)
  const j = java.get(p)!
  const diffs: string[] = []
  for (let cp = 0; cp <= MAX; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    if (UNICODE_CHANGES.has(cp) || unassigned.has(cp)) continue
    const ours = re.matches(String.fromCodePoint(cp))
    if (ours !== j.has(cp))
      diffs.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}(java ${j.has(cp)})`)
  }
  if (diffs.length > 0) {
    failures++
    console.log(`${p}: ${diffs.length} differences: ${diffs.slice(0, 20).join(' ')}`)
  }
}
console.log(
  `${patterns.length} sets compared over U+0000..U+${MAX.toString(16).toUpperCase()}, ${failures} differ`,
)
process.exitCode = failures > 0 ? 1 : 0
