import assert from 'node:assert/strict'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { AvroReader, AvroWriter } from './binary.ts'
import { SUPPORTED_CODECS } from './codecs.ts'
import {
  type ContainerBlock,
  ContainerReader,
  ContainerWriter,
  type ContainerWriterOptions,
  decodeContainer,
  encodeContainer,
  fileSource,
  javaHashMapOrder,
  parseContainerHeader,
} from './container.ts'
import { encodeDatum } from './datum.ts'
import { AvroError } from './errors.ts'
import { encodeFlumeEvents, type FlumeEventLike } from './flume-event.ts'
import {
  FLUME_EVENT_SCHEMA,
  FLUME_EVENT_SCHEMA_JSON,
  TRANSFER_STATE_FILE_META_SCHEMA_JSON,
} from './schemas.ts'

const SYNC = Buffer.from('00112233445566778899aabbccddeeff', 'hex')

function headers(o: Record<string, string>): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, o)
}

function makeEvents(n: number, bodySize = 100): FlumeEventLike[] {
  const out: FlumeEventLike[] = []
  for (let i = 0; i < n; i++) {
    // Fixed-width seq keeps every datum the same size, so block boundaries are predictable.
    out.push({
      headers: headers({ seq: String(i).padStart(6, '0'), host: 'h' }),
      body: Buffer.alloc(bodySize, i % 251),
    })
  }
  return out
}

function writeEvents(
  events: readonly FlumeEventLike[],
  options: Partial<ContainerWriterOptions> = {},
): Buffer {
  return encodeContainer({ schema: FLUME_EVENT_SCHEMA_JSON, syncMarker: SYNC, ...options }, (w) =>
    w.append(events),
  )
}

async function readAllEvents(buf: Buffer): Promise<{ blocks: ContainerBlock[]; events: FlumeEventLike[] }> {
  const reader = await ContainerReader.open(buf)
  const blocks: ContainerBlock[] = []
  for await (const b of reader.blocks()) blocks.push(b)
  return { blocks, events: blocks.flatMap((b) => b.events()) }
}

function assertSameEvents(got: readonly FlumeEventLike[], want: readonly FlumeEventLike[]): void {
  assert.equal(got.length, want.length)
  got.forEach((e, i) => {
    assert.deepEqual({ ...e.headers }, { ...(want[i] as FlumeEventLike).headers })
    assert.deepEqual(Buffer.from(e.body), Buffer.from((want[i] as FlumeEventLike).body))
  })
}

describe('container writer: exact bytes', () => {
  it('writes the avro_event reference file byte for byte (null codec)', () => {
    // flume-wire-protocols.md §8.1 (verified there against Flume's serializer): 212 bytes.
    const buf = writeEvents([{ headers: headers({ a: 'b' }), body: Buffer.from('hi') }])
    const expected = Buffer.concat([
      Buffer.from('4f626a01' + '04' + '16', 'hex'),
      Buffer.from('avro.schema'),
      Buffer.from('8a02', 'hex'),
      Buffer.from(FLUME_EVENT_SCHEMA_JSON),
      Buffer.from('14', 'hex'),
      Buffer.from('avro.codec'),
      Buffer.from('08', 'hex'),
      Buffer.from('null'),
      Buffer.from('00', 'hex'),
      SYNC,
      Buffer.from('0212' + '020261026200046869', 'hex'),
      SYNC,
    ])
    assert.equal(FLUME_EVENT_SCHEMA_JSON.length, 133)
    assert.equal(buf.length, 212)
    assert.deepEqual(buf, expected)
  })

  it('deflate block of the reference vector', () => {
    const buf = writeEvents([{ headers: headers({ a: 'b' }), body: Buffer.from('hi') }], { codec: 'deflate' })
    assert.equal(buf.length, 217)
    assert.equal(
      buf.subarray(buf.length - 16 - 13, buf.length - 16).toString('hex'),
      '0216' + '63624a644a6260c9c80400',
    )
  })

  it("writes spooldir's tracker file like DurablePositionTracker (no avro.codec, a file key, block per commit)", () => {
    // flume-wire-protocols.md §6.1 sample (verified there): offsets 0, 5, 12 for /var/spool/in/a.log.
    const chunks: Buffer[] = []
    const w = new ContainerWriter(
      { write: (c) => chunks.push(c) },
      {
        schema: TRANSFER_STATE_FILE_META_SCHEMA_JSON,
        writeCodecMetadata: false,
        metadata: { file: '/var/spool/in/a.log' },
        syncMarker: SYNC,
      },
    )
    for (const offset of [0, 5, 12]) {
      w.appendValue({ offset })
      w.flush()
    }
    w.close()
    const buf = Buffer.concat(chunks)
    const expected = Buffer.concat([
      Buffer.from('4f626a01' + '04' + '16', 'hex'),
      Buffer.from('avro.schema'),
      Buffer.from('9002', 'hex'),
      Buffer.from(TRANSFER_STATE_FILE_META_SCHEMA_JSON),
      Buffer.from('08', 'hex'),
      Buffer.from('file'),
      Buffer.from('26', 'hex'),
      Buffer.from('/var/spool/in/a.log'),
      Buffer.from('00', 'hex'),
      SYNC,
      Buffer.from('020200', 'hex'),
      SYNC,
      Buffer.from('02020a', 'hex'),
      SYNC,
      Buffer.from('020218', 'hex'),
      SYNC,
    ])
    assert.equal(TRANSFER_STATE_FILE_META_SCHEMA_JSON.length, 136)
    assert.deepEqual(buf, expected)
    const { header, blocks } = decodeContainer(buf)
    assert.equal(header.codec, 'null')
    assert.equal(header.metadata.has('avro.codec'), false)
    assert.deepEqual(
      blocks.flatMap((b) => b.values()).map((v) => ({ ...(v as object) })),
      [{ offset: 0 }, { offset: 5 }, { offset: 12 }],
    )
  })

  it('orders metadata like java.util.HashMap', () => {
    // Java's DataFileWriter output (see the reference vectors above) puts avro.schema before avro.codec
    // and before file; the interop test checks a larger key set against the JVM.
    assert.deepEqual(javaHashMapOrder(['avro.codec', 'avro.schema']), ['avro.schema', 'avro.codec'])
    assert.deepEqual(javaHashMapOrder(['file', 'avro.schema']), ['avro.schema', 'file'])
    const many = Array.from({ length: 40 }, (_, i) => `key${i}`)
    assert.equal(new Set(javaHashMapOrder(many)).size, 40)
  })

  it('ends blocks exactly where DataFileWriter does: after the datum that reaches syncIntervalBytes', () => {
    const events = makeEvents(50, 37)
    const datumSize = encodeFlumeEvents([events[0] as FlumeEventLike]).length
    for (const interval of [32, 100, datumSize * 3, datumSize * 3 + 1, 5000]) {
      const { blocks } = decodeContainer(writeEvents(events, { syncIntervalBytes: interval }))
      const perBlock = Math.ceil(interval / datumSize)
      blocks.forEach((b, i) => {
        if (i < blocks.length - 1) assert.equal(b.count, perBlock, `interval ${interval} block ${i}`)
      })
      assert.equal(
        blocks.reduce((n, b) => n + b.count, 0),
        50,
      )
    }
  })

  it('flush() ends the block early, and does nothing when no datum is pending', () => {
    const chunks: Buffer[] = []
    const w = new ContainerWriter({ write: (c) => chunks.push(c) }, { schema: FLUME_EVENT_SCHEMA_JSON })
    w.writeHeader()
    w.flush()
    assert.equal(chunks.length, 1)
    w.append(makeEvents(3))
    assert.equal(w.pendingCount, 3)
    w.flush()
    assert.equal(chunks.length, 2)
    assert.equal(w.pendingCount, 0)
    w.append(makeEvents(2))
    w.close()
    w.close() // idempotent
    assert.equal(chunks.length, 3)
    assert.equal(w.bytesWritten, Buffer.concat(chunks).length)
    assert.deepEqual(
      decodeContainer(Buffer.concat(chunks)).blocks.map((b) => b.count),
      [3, 2],
    )
    assert.throws(() => w.append(makeEvents(1)), { code: 'FLUME_ERR_AVRO_CLOSED' })
  })

  it('validates options and values', () => {
    const sink = { write: () => {} }
    const base = { schema: FLUME_EVENT_SCHEMA_JSON }
    assert.throws(() => new ContainerWriter(sink, { ...base, syncIntervalBytes: 31 }), {
      code: 'FLUME_ERR_AVRO_OPTION',
    })
    assert.throws(() => new ContainerWriter(sink, { ...base, syncIntervalBytes: 2 ** 30 + 1 }), {
      code: 'FLUME_ERR_AVRO_OPTION',
    })
    assert.throws(() => new ContainerWriter(sink, { ...base, syncMarker: Buffer.alloc(15) }), {
      code: 'FLUME_ERR_AVRO_OPTION',
    })
    assert.throws(() => new ContainerWriter(sink, { ...base, metadata: { 'avro.x': 'y' } }), {
      code: 'FLUME_ERR_AVRO_OPTION',
    })
    assert.throws(() => new ContainerWriter(sink, { ...base, codec: 'bzip2' }), {
      code: 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED',
    })
    assert.throws(() => new ContainerWriter(sink, { schema: '{"type":"nope"}' }), {
      code: 'FLUME_ERR_AVRO_SCHEMA',
    })
    const w = new ContainerWriter(sink, { schema: TRANSFER_STATE_FILE_META_SCHEMA_JSON })
    assert.throws(() => w.append(makeEvents(1)), { code: 'FLUME_ERR_AVRO_SCHEMA' })
    assert.throws(() => w.appendValue({ offset: 'x' }), { code: 'FLUME_ERR_AVRO_ENCODE' })
    assert.equal(w.pendingBytes, 0) // the failed value left nothing behind
    w.appendDatum(encodeDatum(w.schema, { offset: 7 }))
    assert.equal(w.pendingCount, 1)
  })

  it('uses random sync markers by default', () => {
    const a = encodeContainer({ schema: FLUME_EVENT_SCHEMA_JSON }, () => {})
    const b = encodeContainer({ schema: FLUME_EVENT_SCHEMA_JSON }, () => {})
    assert.notDeepEqual(parseContainerHeader(a).syncMarker, parseContainerHeader(b).syncMarker)
  })
})

describe('container round trips', () => {
  for (const codec of SUPPORTED_CODECS) {
    it(`${codec}: random events, random block sizes`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              headers: fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }).map(headers),
              body: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
            }),
            { maxLength: 60 },
          ),
          fc.integer({ min: 32, max: 3000 }),
          async (events, interval) => {
            const buf = encodeContainer(
              { schema: FLUME_EVENT_SCHEMA_JSON, codec, syncIntervalBytes: interval },
              (w) => w.append(events),
            )
            const { events: got } = await readAllEvents(buf)
            assertSameEvents(got, events)
            const { header, blocks } = decodeContainer(buf)
            assert.equal(header.codec, codec)
            assert.equal(header.schemaJson, FLUME_EVENT_SCHEMA_JSON)
            assertSameEvents(
              blocks.flatMap((b) => b.values() as unknown as FlumeEventLike[]),
              events,
            )
          },
        ),
        { numRuns: 25 },
      )
    })
  }

  it('an empty container (header only) has no blocks', async () => {
    const buf = encodeContainer({ schema: FLUME_EVENT_SCHEMA_JSON, codec: 'snappy' }, () => {})
    const r = await ContainerReader.open(buf)
    assert.equal(await r.nextBlock(), null)
    assert.deepEqual(await r.readDatums(10), [])
  })

  it('datums() gives each record’s exact raw bytes', () => {
    const events = makeEvents(20)
    const { blocks } = decodeContainer(writeEvents(events, { syncIntervalBytes: 500 }))
    const datums = blocks.flatMap((b) => b.datums())
    assert.equal(datums.length, 20)
    datums.forEach((d, i) => {
      assert.deepEqual(d, encodeFlumeEvents([events[i] as FlumeEventLike]))
    })
    assert.deepEqual(
      blocks.flatMap((b) => b.datums({ canonical: true })),
      datums,
    )
  })

  it('reads through a file handle, also for headers and blocks larger than one read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flumen-avro-'))
    try {
      const file = path.join(dir, 'big.avro')
      const big = 'x'.repeat(10_000)
      const events = makeEvents(300, 3000)
      const fh = await open(file, 'w')
      const chunks: Buffer[] = []
      const w = new ContainerWriter(
        { write: (c) => chunks.push(c) },
        { schema: FLUME_EVENT_SCHEMA_JSON, codec: 'deflate', syncIntervalBytes: 200_000, metadata: { big } },
      )
      w.append(events)
      w.close()
      await fh.writev(chunks)
      await fh.close()
      const rh = await open(file, 'r')
      try {
        const reader = await ContainerReader.open(fileSource(rh))
        assert.equal(reader.header.metadata.get('big')?.toString(), big)
        const got: FlumeEventLike[] = []
        for await (const b of reader.blocks()) got.push(...b.events())
        assertSameEvents(got, events)
      } finally {
        await rh.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('container reader: positions and resync (spooldir mark/reset)', () => {
  const events = makeEvents(40, 50)
  const buf = writeEvents(events, { syncIntervalBytes: 500 })
  const { header, blocks } = decodeContainer(buf)
  const seqOf = (d: Buffer) => {
    const r = new AvroReader(d)
    r.readBlockCount(10)
    r.readString(100)
    return Number(r.readString(100))
  }

  it('previousSync follows DataFileReader: start of the block the next datum comes from', async () => {
    assert.ok(blocks.length >= 4)
    const b0 = blocks[0] as ContainerBlock
    const b1 = blocks[1] as ContainerBlock
    const r = await ContainerReader.open(buf)
    assert.equal(r.previousSync, header.length)
    await r.readDatums(1)
    assert.equal(r.previousSync, b0.offset)
    await r.readDatums(b0.count - 1) // block 0 used up
    assert.equal(r.previousSync, b1.offset)
    await r.readDatums(1)
    assert.equal(r.previousSync, b1.offset)
  })

  it('mark = previousSync - 16, reset = seekToSync(mark) re-reads from the start of that block', async () => {
    const b1 = blocks[1] as ContainerBlock
    const r = await ContainerReader.open(buf)
    const first = await r.readDatums((blocks[0] as ContainerBlock).count + 2) // into block 1
    assert.equal(seqOf(first.at(-1) as Buffer), (blocks[0] as ContainerBlock).count + 1)
    const mark = r.previousSync - 16
    assert.equal(mark, b1.offset - 16)
    await r.readDatums(5)
    await r.seekToSync(mark)
    const again = await r.readDatums(1)
    assert.equal(seqOf(again[0] as Buffer), (blocks[0] as ContainerBlock).count) // first datum of block 1
    // From the very beginning: mark before anything was read.
    await r.seekToSync(0)
    assert.equal(seqOf((await r.readDatums(1))[0] as Buffer), 0)
    await r.seekToSync(header.length - 16)
    assert.equal(seqOf((await r.readDatums(1))[0] as Buffer), 0)
  })

  it('seekToSync lands after the next marker at or after the position, or at the end', async () => {
    const r = await ContainerReader.open(buf)
    const b2 = blocks[2] as ContainerBlock
    await r.seekToSync(b2.offset - 16) // exactly on the marker before block 2
    assert.equal(r.position, b2.offset)
    await r.seekToSync(b2.offset - 15) // one byte into it: next marker is the one after block 2
    assert.equal(r.position, b2.end)
    await r.seekToSync(buf.length - 3)
    assert.equal(r.position, buf.length)
    assert.equal(await r.nextBlock(), null)
  })

  it('seekToSync finds a marker that straddles two 64 KiB scan reads, through a file handle', async () => {
    const big = writeEvents(makeEvents(200, 3000), { syncIntervalBytes: 150_000 })
    const bigBlocks = decodeContainer(big).blocks
    const target = bigBlocks[2] as ContainerBlock
    const markerStart = target.end - 16
    const dir = await mkdtemp(path.join(tmpdir(), 'flumen-avro-'))
    try {
      const file = path.join(dir, 'scan.avro')
      const wh = await open(file, 'w')
      await wh.write(big)
      await wh.close()
      const fh = await open(file, 'r')
      try {
        const r = await ContainerReader.open(fileSource(fh))
        for (const split of [1, 8, 15]) {
          const from = markerStart - 64 * 1024 + split // first read ends `split` bytes into the marker
          assert.ok(from > target.offset)
          await r.seekToSync(from)
          assert.equal(r.position, target.end, `split ${split}`)
        }
        assert.equal((await r.nextBlock())?.offset, (bigBlocks[3] as ContainerBlock).offset)
      } finally {
        await fh.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('readDatums crosses blocks and stops at the end', async () => {
    const r = await ContainerReader.open(buf)
    const all = await r.readDatums(1000)
    assert.deepEqual(
      all.map(seqOf),
      events.map((_, i) => i),
    )
    assert.deepEqual(await r.readDatums(5), [])
  })
})

describe('container reader: damaged files', () => {
  const events = makeEvents(30, 40)
  const files = Object.fromEntries(
    SUPPORTED_CODECS.map((c) => [c, writeEvents(events, { codec: c, syncIntervalBytes: 300 })]),
  )

  it('every truncation point: earlier blocks are returned, then a typed error (or a clean end at a boundary)', async () => {
    for (const codec of SUPPORTED_CODECS) {
      const buf = files[codec] as Buffer
      const { header, blocks } = decodeContainer(buf)
      const ends = new Set(blocks.map((b) => b.end))
      for (let cut = 0; cut < buf.length; cut++) {
        const part = buf.subarray(0, cut)
        if (cut < header.length) {
          await assert.rejects(
            ContainerReader.open(part),
            { code: 'FLUME_ERR_AVRO_TRUNCATED' },
            `${codec} cut ${cut}`,
          )
          continue
        }
        const r = await ContainerReader.open(part)
        let complete = 0
        let error: unknown
        try {
          for (let b = await r.nextBlock(); b !== null; b = await r.nextBlock()) {
            b.events()
            complete++
          }
        } catch (e) {
          error = e
        }
        const expectComplete = blocks.filter((b) => b.end <= cut).length
        assert.equal(complete, expectComplete, `${codec} cut ${cut}`)
        if (cut === header.length || ends.has(cut)) {
          assert.equal(error, undefined, `${codec} cut at block boundary ${cut}`)
        } else {
          assert.ok(error instanceof AvroError, `${codec} cut ${cut}: ${String(error)}`)
          assert.equal(error.code, 'FLUME_ERR_AVRO_TRUNCATED')
          assert.equal(error.offset, blocks[expectComplete]?.offset)
          assert.equal(r.position, error.offset) // left on the bad block
        }
        // The synchronous decoder agrees.
        if (error === undefined) assert.equal(decodeContainer(part).blocks.length, expectComplete)
        else assert.throws(() => decodeContainer(part), { code: 'FLUME_ERR_AVRO_TRUNCATED' })
      }
    }
  })

  it('a corrupt block is reported with its offset; seekToSync(offset + 1) resumes at the next block', async () => {
    for (const codec of SUPPORTED_CODECS) {
      const buf = Buffer.from(files[codec] as Buffer)
      const { blocks } = decodeContainer(buf)
      const victim = blocks[1] as ContainerBlock
      // Damage the sync marker after block 1: detected for every codec.
      buf[victim.end - 5] = (buf[victim.end - 5] as number) ^ 0xff
      const r = await ContainerReader.open(buf)
      assert.equal((await r.nextBlock())?.count, (blocks[0] as ContainerBlock).count)
      await assert.rejects(r.nextBlock(), { code: 'FLUME_ERR_AVRO_MALFORMED', offset: victim.offset })
      // The damaged marker was the only way to find block 2, so (as in Java) the scan finds the marker
      // after block 2 and block 3 is next.
      await r.seekToSync(victim.offset + 1)
      assert.equal(r.position, (blocks[2] as ContainerBlock).end)
      const rest: FlumeEventLike[] = []
      for await (const b of r.blocks()) rest.push(...b.events())
      const after = blocks.slice(3).reduce((n, b) => n + b.count, 0)
      assert.equal(rest.length, after, codec)
    }
  })

  it('a damaged datum inside a null-codec block is a typed error naming the block', () => {
    const buf = Buffer.from(files.null as Buffer)
    const { blocks } = decodeContainer(buf)
    const b = blocks[0] as ContainerBlock
    const dataStart = b.end - 16 - b.data.length
    buf[dataStart] = 0x7f // first event's header count becomes -64: a sized block whose size is garbage
    const [damaged] = decodeContainer(buf).blocks
    assert.throws(() => damaged?.events(), { code: 'FLUME_ERR_AVRO_MALFORMED', offset: b.offset })
    assert.throws(() => damaged?.datums(), { code: 'FLUME_ERR_AVRO_MALFORMED', offset: b.offset })
  })

  it('random byte flips never produce anything but an AvroError', async () => {
    for (const codec of SUPPORTED_CODECS) {
      const good = files[codec] as Buffer
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          async (flips) => {
            const buf = Buffer.from(good)
            for (const [pos, x] of flips) buf[pos] = (buf[pos] as number) ^ x
            try {
              const r = await ContainerReader.open(buf)
              for await (const b of r.blocks()) {
                b.events()
                b.datums({ canonical: true })
              }
            } catch (e) {
              assert.ok(e instanceof AvroError, `${codec}: ${String(e)}`)
            }
          },
        ),
        { numRuns: 150 },
      )
    }
  })

  it('header problems: not a container, no schema, unknown codec, too large', async () => {
    await assert.rejects(ContainerReader.open(Buffer.from('PK\x03\x04 not avro')), {
      code: 'FLUME_ERR_AVRO_MALFORMED',
    })
    const noSchema = Buffer.concat([
      Buffer.from('4f626a0102', 'hex'),
      Buffer.from('\x02k\x02v'),
      Buffer.from([0]),
      SYNC,
    ])
    await assert.rejects(ContainerReader.open(noSchema), {
      code: 'FLUME_ERR_AVRO_MALFORMED',
      message: /avro.schema/,
    })
    const withCodec = (name: string) =>
      Buffer.concat([
        Buffer.from('4f626a0104', 'hex'),
        Buffer.from(`\x16avro.schema\x0c"null"\x14avro.codec${String.fromCharCode(name.length * 2)}${name}`),
        Buffer.from([0]),
        SYNC,
      ])
    assert.equal((await ContainerReader.open(withCodec('null'))).header.schema.type, 'null')
    await assert.rejects(ContainerReader.open(withCodec('xz')), { code: 'FLUME_ERR_AVRO_CODEC_UNSUPPORTED' })
    const bigHeader = encodeContainer(
      { schema: FLUME_EVENT_SCHEMA_JSON, metadata: { pad: 'x'.repeat(50_000) } },
      () => {},
    )
    await assert.rejects(ContainerReader.open(bigHeader, { maxHeaderBytes: 10_000 }), {
      code: 'FLUME_ERR_AVRO_LIMIT',
    })
    assert.equal((await ContainerReader.open(bigHeader)).header.metadata.get('pad')?.length, 50_000)
  })

  it('block limits: size cap, and counts that cannot fit the block', async () => {
    const buf = writeEvents(makeEvents(10, 1000), { syncIntervalBytes: 100_000 })
    const r = await ContainerReader.open(buf, { maxBlockBytes: 5000 })
    await assert.rejects(r.nextBlock(), { code: 'FLUME_ERR_AVRO_LIMIT' })
    // One block claiming 1000 events in 9 bytes (an event takes at least 2 bytes).
    const h = parseContainerHeader(buf)
    const forged = Buffer.concat([
      buf.subarray(0, h.length),
      Buffer.from('d00f12', 'hex'),
      Buffer.alloc(9),
      SYNC,
    ])
    await assert.rejects((await ContainerReader.open(forged)).nextBlock(), {
      code: 'FLUME_ERR_AVRO_MALFORMED',
    })
    // Negative count.
    const negative = Buffer.concat([buf.subarray(0, h.length), Buffer.from('0100', 'hex'), SYNC])
    await assert.rejects((await ContainerReader.open(negative)).nextBlock(), {
      code: 'FLUME_ERR_AVRO_MALFORMED',
    })
  })

  it('trailing bytes after the datums of a block are an error (Java: "Block read partially")', () => {
    const data = Buffer.concat([encodeFlumeEvents(makeEvents(1)), Buffer.from([0])])
    const h = parseContainerHeader(writeEvents([]))
    const prefix = new AvroWriter()
    prefix.writeLong(1)
    prefix.writeLong(data.length)
    const buf = Buffer.concat([writeEvents([]).subarray(0, h.length), prefix.view(), data, SYNC])
    const [block] = decodeContainer(buf).blocks
    assert.throws(() => block?.events(), { code: 'FLUME_ERR_AVRO_MALFORMED', message: /read partially/ })
  })
})

describe('container schema checks', () => {
  it('events() needs the Flume event shape', () => {
    const buf = encodeContainer({ schema: '"long"' }, (w) => w.appendValue(5))
    const [block] = decodeContainer(buf).blocks
    assert.deepEqual(block?.values(), [5])
    assert.throws(() => block?.events(), { code: 'FLUME_ERR_AVRO_SCHEMA' })
    assert.equal(FLUME_EVENT_SCHEMA.type, 'record')
  })
})
