// Reads `.properties` bytes exactly as `java.util.Properties.load(InputStream)` does (JDK 9+ LineReader and
// loadConvert, checked against Java 17 by properties.differential.test.ts), keeping what Java throws away:
// the line each entry starts on and every key defined more than once.
//
// The rules, in the order Java applies them:
// * Bytes are ISO-8859-1: byte b is char U+00bb, so any byte sequence is a valid file. A UTF-8 BOM becomes
//   the three chars "ï»¿" at the start of the first key, as in Java.
// * `\n`, `\r` and `\r\n` end a natural line. Lines holding only space, tab and form feed are skipped.
// * A logical line whose first non-blank char is `#` or `!` is a comment, even if it ends in a backslash.
// * A line ending in an odd number of backslashes continues: the backslash and the line end are dropped, and
//   so is the leading whitespace of the next line. An empty (or whitespace-only) next line ends the logical
//   line there.
// * The key runs to the first unescaped `=`, `:`, space, tab or form feed. Whitespace after it is skipped,
//   then at most one `=` or `:`, then whitespace again; the rest of the logical line is the value, trailing
//   whitespace included.
// * In keys and values `\t \n \r \f` are control chars, `\uXXXX` is one UTF-16 unit (exactly 4 hex digits,
//   anything else makes Java throw for the whole file), `\` + any other char is that char.
// * A line holding only `\` joins nothing: the logical line starts on the next non-blank line (which can
//   then be a comment). At the very end of the file such a line defines the empty key with an empty value.
// * The last definition of a key wins.
//
// Escapes are decoded after continuation lines are joined, so `\u00\` + newline + `41` is "A" (Java does the
// same). Line numbers are 1-based; `\r\n` counts as one line end.

const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const TAB = 0x09
const FORM_FEED = 0x0c
const BACKSLASH = 0x5c
const HASH = 0x23
const BANG = 0x21
const EQUALS = 0x3d
const COLON = 0x3a

/** One `key = value` definition, as Java would store it (no trimming beyond Java's own). */
export interface PropertyEntry {
  readonly key: string
  readonly value: string
  /** File name or URI the entry was read from, as given to {@link parseProperties}. */
  readonly source: string
  /** 1-based line on which the logical line starts (the line of the key's first char). */
  readonly line: number
}

/** A key defined more than once in one file; the definition on the last line is the one that counts. */
export interface DuplicateKey {
  readonly key: string
  /** Every line that defined the key, ascending; always at least two. */
  readonly lines: readonly number[]
}

export interface PropertiesParseResult {
  readonly source: string
  /** Every definition in file order, overridden ones included. */
  readonly entries: readonly PropertyEntry[]
  /** What `java.util.Properties` ends up holding: each key's last definition, in the order of those. */
  readonly properties: ReadonlyMap<string, PropertyEntry>
  readonly duplicates: readonly DuplicateKey[]
}

/**
 * The file cannot be loaded at all. Java throws `IllegalArgumentException("Malformed \uxxxx encoding.")`
 * from `Properties.load`, and Flume, which only catches `IOException` around it, loads no configuration
 * (at startup the agent exits).
 */
export class PropertiesSyntaxError extends Error {
  override readonly name = 'PropertiesSyntaxError'
  readonly code = 'FLUME_ERR_CONFIG_SYNTAX'
  readonly source: string
  readonly line: number

  constructor(source: string, line: number, message: string) {
    super(`${source}:${line}: ${message}`)
    this.source = source
    this.line = line
  }
}

/**
 * Parses one properties file. Throws {@link PropertiesSyntaxError} where Java's `Properties.load` throws
 * (a malformed `\uXXXX` escape), naming the file and the line of the escape.
 */
export function parseProperties(data: Uint8Array, source: string): PropertiesParseResult {
  // Latin-1 decoding maps byte i to char i, so char offsets below are byte offsets too.
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1')
  return new PropertiesReader(text, source).read()
}

class PropertiesReader {
  readonly #text: string
  readonly #source: string
  #pos = 0
  /** Line number of the char at #pos (1-based); every consumed line end bumps it. */
  #line = 1
  // Cached positions of the next LF and CR at or after some point (text.length when none), so finding line
  // ends is a native indexOf per line instead of a JS test per char. Measured on Node 24 with
  // bench/config/properties.bench.ts (3000 lines): 0.93 ms per parse char by char, 0.69 ms with indexOf.
  #nextLf = -1
  #nextCr = -1
  // Same for backslashes: uncached, each value without one searched on to the next one in the file (or to
  // its end), quadratic when backslashes are rare: measured 82 ms instead of 6 ms for 20k plain lines.
  #nextBackslash = -1

  // The current logical line: where it starts in #text (and that char's line); the string holding it
  // (#text itself, or the joined runs of a continued line) with its bounds; and, for the error path only,
  // the runs of #text a continued line was joined from with their offsets in the joined string.
  #lineStart = 0
  #startLine = 1
  #lineText = ''
  #lineFrom = 0
  #lineTo = 0
  #runStarts: number[] = []
  #runOffsets: number[] = []

  constructor(text: string, source: string) {
    this.#text = text
    this.#source = source
  }

  read(): PropertiesParseResult {
    const source = this.#source
    const entries: PropertyEntry[] = []
    const properties = new Map<string, PropertyEntry>()
    let duplicateLines: Map<string, number[]> | undefined
    while (this.#readLine()) {
      const entry = this.#parseLine()
      entries.push(entry)
      const previous = properties.get(entry.key)
      if (previous !== undefined) {
        // Re-insert so iteration follows the winning definitions, like a merged view would.
        properties.delete(entry.key)
        duplicateLines ??= new Map()
        const lines = duplicateLines.get(entry.key)
        if (lines === undefined) duplicateLines.set(entry.key, [previous.line, entry.line])
        else lines.push(entry.line)
      }
      properties.set(entry.key, entry)
    }
    const duplicates: DuplicateKey[] = []
    if (duplicateLines !== undefined) {
      for (const [key, lines] of duplicateLines) duplicates.push({ key, lines })
    }
    return { source, entries, properties, duplicates }
  }

  /** Position of the first CR or LF at or after `from`, or the text length. */
  #nextLineEnd(from: number): number {
    const text = this.#text
    if (this.#nextLf < from) {
      const i = text.indexOf('\n', from)
      this.#nextLf = i < 0 ? text.length : i
    }
    if (this.#nextCr < from) {
      const i = text.indexOf('\r', from)
      this.#nextCr = i < 0 ? text.length : i
    }
    return Math.min(this.#nextLf, this.#nextCr)
  }

  /**
   * Java's `LineReader.readLine`: finds the next logical line (continuations joined, escapes still raw)
   * and points #lineText/#lineFrom/#lineTo at it; false at the end of the input. Same states and flags as
   * the JDK; where the JDK appends one char at a time, this takes the whole run up to the line end at once
   * (nothing can interrupt a run once it started) and only looks at the backslashes that end it.
   */
  #readLine(): boolean {
    const text = this.#text
    const end = text.length
    let pos = this.#pos
    let line = this.#line
    let len = 0
    let skipWhiteSpace = true
    let appendedLineBegin = false
    let precedingBackslash = false
    let runStart = -1
    let joined: string | undefined
    this.#runStarts.length = 0
    this.#runOffsets.length = 0

    for (;;) {
      if (pos >= end) {
        this.#pos = end
        this.#line = line
        if (len === 0) return false
        // Flume compat: a trailing odd backslash at EOF is dropped, so a file ending in a lone `\` line
        // yields an entry with empty key and value (Java returns a 0-length line, not "no line").
        return this.#finishLine(joined, runStart, precedingBackslash ? end - 1 : end)
      }
      const c = text.charCodeAt(pos++)

      if (skipWhiteSpace) {
        if (c === SPACE || c === TAB || c === FORM_FEED) continue
        if (!appendedLineBegin && (c === CR || c === LF)) {
          if (c === CR || text.charCodeAt(pos - 2) !== CR) line++
          continue
        }
        skipWhiteSpace = false
        appendedLineBegin = false
      }

      if (len === 0 && (c === HASH || c === BANG)) {
        // A comment never continues. `len === 0` is also true after a line holding only `\`, so the line
        // after it can still be a comment (JDK behaviour). The comment's own line end is consumed here.
        const eol = this.#nextLineEnd(pos)
        if (eol < end) line++
        pos = eol + 1
        skipWhiteSpace = true
        continue
      }

      if (c === CR || c === LF) {
        // A line end right after a continuation (the JDK lets it through because appendedLineBegin is set).
        if (c === CR || text.charCodeAt(pos - 2) !== CR) line++
        if (len === 0) {
          // After a lone `\` line the logical line has not started yet: it goes on.
          skipWhiteSpace = true
          continue
        }
        // Otherwise the continuation line was empty and the logical line ends here.
        this.#pos = pos
        this.#line = line
        return this.#finishLine(joined, -1, 0)
      }

      // Start of a run: everything up to the next line end belongs to the logical line.
      runStart = pos - 1
      if (len === 0) {
        this.#lineStart = runStart
        this.#startLine = line
      }
      const eol = this.#nextLineEnd(pos)
      len += eol - runStart
      let backslash = eol - 1
      while (backslash >= runStart && text.charCodeAt(backslash) === BACKSLASH) backslash--
      precedingBackslash = ((eol - 1 - backslash) & 1) === 1
      pos = eol
      if (pos >= end) continue // EOF handling above
      const d = text.charCodeAt(pos++)
      line++
      if (pos >= end || !precedingBackslash) {
        this.#pos = pos
        this.#line = line
        return this.#finishLine(joined, runStart, precedingBackslash ? eol - 1 : eol)
      }
      // Continuation: drop the backslash, keep the run, skip the next line's leading whitespace.
      len--
      if (eol - 1 > runStart) {
        this.#runStarts.push(runStart)
        this.#runOffsets.push(joined === undefined ? 0 : joined.length)
        const run = text.slice(runStart, eol - 1)
        joined = joined === undefined ? run : joined + run
      }
      runStart = -1
      skipWhiteSpace = true
      appendedLineBegin = true
      precedingBackslash = false
      if (d === CR && text.charCodeAt(pos) === LF) pos++
    }
  }

  /**
   * Sets the logical line: the runs joined so far plus [runStart, runEnd) when runStart >= 0. A line that is
   * one run (nearly all of them) is not copied: it is scanned in place in #text, because charCodeAt on a
   * flat string is about 3x faster than on a slice (whole parse: 0.69 -> 0.56 ms in the bench).
   */
  #finishLine(joined: string | undefined, runStart: number, runEnd: number): true {
    const hasRun = runStart >= 0 && runEnd > runStart
    if (joined === undefined) {
      this.#lineText = this.#text
      this.#lineFrom = hasRun ? runStart : 0
      this.#lineTo = hasRun ? runEnd : 0
      return true
    }
    if (hasRun) {
      this.#runStarts.push(runStart)
      this.#runOffsets.push(joined.length)
      joined += this.#text.slice(runStart, runEnd)
    }
    this.#lineText = joined
    this.#lineFrom = 0
    this.#lineTo = joined.length
    return true
  }

  /** Java's `Properties.load0` body for one logical line. */
  #parseLine(): PropertyEntry {
    const line = this.#lineText
    const from = this.#lineFrom
    const limit = this.#lineTo
    let keyEnd = from
    let valueStart = limit
    let hasSep = false
    let precedingBackslash = false
    while (keyEnd < limit) {
      const c = line.charCodeAt(keyEnd)
      if (!precedingBackslash) {
        if (c === EQUALS || c === COLON) {
          valueStart = keyEnd + 1
          hasSep = true
          break
        }
        if (c === SPACE || c === TAB || c === FORM_FEED) {
          valueStart = keyEnd + 1
          break
        }
      }
      precedingBackslash = c === BACKSLASH ? !precedingBackslash : false
      keyEnd++
    }
    while (valueStart < limit) {
      const c = line.charCodeAt(valueStart)
      if (c !== SPACE && c !== TAB && c !== FORM_FEED) {
        if (hasSep || (c !== EQUALS && c !== COLON)) break
        hasSep = true
      }
      valueStart++
    }
    const key = this.#unescape(line, from, keyEnd, undefined)
    const value = this.#unescape(line, valueStart, limit, key)
    return { key, value, source: this.#source, line: this.#startLine }
  }

  /** Position of the first backslash at or after `from` in `line`, or -1 / a position past the line. */
  #indexOfBackslash(line: string, from: number): number {
    if (line !== this.#text) return line.indexOf('\\', from)
    if (this.#nextBackslash < from) {
      const i = line.indexOf('\\', from)
      this.#nextBackslash = i < 0 ? line.length : i
    }
    return this.#nextBackslash
  }

  /** Java's `Properties.loadConvert`. */
  #unescape(line: string, start: number, end: number, key: string | undefined): string {
    let backslash = this.#indexOfBackslash(line, start)
    if (backslash < 0 || backslash >= end) return line.slice(start, end)
    let out = ''
    let from = start
    while (backslash >= 0 && backslash < end) {
      out += line.slice(from, backslash)
      let pos = backslash + 1
      // readLine never leaves an unpaired backslash at the end of a line, and the key stops before an
      // unescaped separator, so an escape always has its second char; the guard is for safety only.
      if (pos >= end) {
        from = end
        break
      }
      const c = line.charCodeAt(pos++)
      if (c === 0x75 /* u */) {
        if (pos > end - 4) this.#malformedUnicode(line, backslash, end, key)
        let code = 0
        for (let i = 0; i < 4; i++) {
          const digit = hexValue(line.charCodeAt(pos++))
          if (digit < 0) this.#malformedUnicode(line, backslash, end, key)
          code = (code << 4) | digit
        }
        out += String.fromCharCode(code)
      } else if (c === 0x74 /* t */) out += '\t'
      else if (c === 0x72 /* r */) out += '\r'
      else if (c === 0x6e /* n */) out += '\n'
      else if (c === 0x66 /* f */) out += '\f'
      else out += line.charAt(pos - 1)
      from = pos
      backslash = this.#indexOfBackslash(line, pos)
    }
    return from < end ? out + line.slice(from, end) : out
  }

  #malformedUnicode(line: string, at: number, end: number, key: string | undefined): never {
    const text = JSON.stringify(line.slice(at, Math.min(at + 6, end)))
    const where = key === undefined ? 'a key' : `the value of ${JSON.stringify(key)}`
    throw new PropertiesSyntaxError(
      this.#source,
      this.#lineAt(this.#sourceOffset(at)),
      `malformed \\uXXXX escape ${text} in ${where}: Java's Properties.load rejects the whole file ` +
        '("Malformed \\uxxxx encoding."), so Flume would not start with it',
    )
  }

  /** Maps an offset in #lineText back to an offset in the file. */
  #sourceOffset(offset: number): number {
    if (this.#lineText === this.#text) return offset
    const starts = this.#runStarts
    const offsets = this.#runOffsets
    for (let i = starts.length - 1; i >= 0; i--) {
      const runOffset = offsets[i]!
      if (offset >= runOffset) return starts[i]! + offset - runOffset
    }
    return this.#lineStart
  }

  /** Line of an arbitrary offset; counts from the top, so only for the (rare, final) error path. */
  #lineAt(offset: number): number {
    const text = this.#text
    let line = 1
    for (let i = 0; i < offset; i++) {
      const c = text.charCodeAt(i)
      if (c === CR || (c === LF && text.charCodeAt(i - 1) !== CR)) line++
    }
    return line
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  return -1
}

/** Where a key was defined. */
export interface DefinitionSite {
  readonly source: string
  readonly line: number
}

/** A key defined more than once, in one file or across files. */
export interface RepeatedKey {
  readonly key: string
  /** Every definition in load order (files in the order given, lines ascending); the last one is used. */
  readonly sites: readonly DefinitionSite[]
}

/** Several files loaded into one `java.util.Properties`, as Flume does with repeated `-f`/`-u` options. */
export interface MergedProperties {
  readonly sources: readonly string[]
  /** The last definition of each key, in the order of those definitions. */
  readonly properties: ReadonlyMap<string, PropertyEntry>
  readonly duplicates: readonly RepeatedKey[]
}

/**
 * Merges parsed files in load order: a later definition of a key replaces an earlier one, in the same file
 * or a later file (Flume loads every file into the same `Properties` object).
 */
export function mergeProperties(files: readonly PropertiesParseResult[]): MergedProperties {
  const properties = new Map<string, PropertyEntry>()
  let repeated: Map<string, DefinitionSite[]> | undefined
  for (const file of files) {
    for (const entry of file.entries) {
      const previous = properties.get(entry.key)
      if (previous !== undefined) {
        properties.delete(entry.key)
        repeated ??= new Map()
        const site = { source: entry.source, line: entry.line }
        const sites = repeated.get(entry.key)
        if (sites === undefined)
          repeated.set(entry.key, [{ source: previous.source, line: previous.line }, site])
        else sites.push(site)
      }
      properties.set(entry.key, entry)
    }
  }
  const duplicates: RepeatedKey[] = []
  if (repeated !== undefined) for (const [key, sites] of repeated) duplicates.push({ key, sites })
  return { sources: files.map((f) => f.source), properties, duplicates }
}
