import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compileAgent } from '../../config/compile.ts'
import type { PropertyValue } from '../../core/spec.ts'
import { Registry } from '../../registry.ts'
import { resolveCodec } from './formats.ts'
import { splitPath, staticDir } from './index.ts'

async function diagnostics(sink: Record<string, string>): Promise<string[]> {
  const lines: [string, string][] = [
    ['a1.sources', 'r1'],
    ['a1.channels', 'c1'],
    ['a1.sinks', 'k1'],
    ['a1.sources.r1.type', 'seq'],
    ['a1.sources.r1.channels', 'c1'],
    ['a1.channels.c1.type', 'memory'],
    ['a1.sinks.k1.type', 'org.apache.flume.sink.hdfs.HDFSEventSink'],
    ['a1.sinks.k1.channel', 'c1'],
    ...Object.entries(sink).map(([k, v]): [string, string] => [`a1.sinks.k1.${k}`, v]),
  ]
  const properties = new Map<string, PropertyValue>(
    lines.map(([k, v], i) => [k, { value: v, file: 'agent.conf', line: i + 1 }]),
  )
  const c = await compileAgent({
    agentName: 'a1',
    properties,
    registry: new Registry(),
    env: {},
    sys: new Map(),
  })
  return c.diagnostics.map((d) => `${d.path ?? ''}: ${d.message}`)
}

describe('hdfs sink configuration', () => {
  it('maps hdfs.path to a WebHDFS endpoint, and names the key when it cannot', () => {
    assert.deepEqual(splitPath('webhdfs://nn:9870/a/%Y', undefined), {
      base: 'http://nn:9870',
      template: '/a/%Y',
    })
    assert.deepEqual(splitPath('swebhdfs://nn:9871/a', undefined), {
      base: 'https://nn:9871',
      template: '/a',
    })
    assert.deepEqual(splitPath('hdfs://nn:8020/a', 'http://nn:9870/'), {
      base: 'http://nn:9870',
      template: '/a',
    })
    assert.deepEqual(splitPath('/a/b', 'http://nn:9870'), { base: 'http://nn:9870', template: '/a/b' })
    assert.match(
      (splitPath('hdfs://nn:8020/a', undefined) as { error: string }).error,
      /hdfs\.webhdfs\.address/,
    )
    assert.match((splitPath('s3a://b/a', 'http://x') as { error: string }).error, /scheme 's3a'/)
    assert.equal(staticDir('/user/flume/%y/%m'), '/user/flume')
    assert.equal(staticDir('/logs/%{type}x'), '/logs')
    assert.equal(staticDir('/fixed/dir'), '/fixed')
  })

  it("matches codecs like Flume (class or simple name, any case, optional 'Codec') and refuses the rest", () => {
    assert.equal((resolveCodec('gzip') as { codec: { name: string } }).codec.name, 'GzipCodec')
    assert.equal(
      (resolveCodec('org.apache.hadoop.io.compress.GzipCodec') as { codec: { name: string } }).codec.name,
      'GzipCodec',
    )
    assert.equal(
      (resolveCodec('DefaultCodec') as { codec: { extension: string } }).codec.extension,
      '.deflate',
    )
    assert.deepEqual(resolveCodec('None'), { codec: undefined })
    assert.match((resolveCodec('snappy') as { error: string }).error, /not supported/)
    assert.match((resolveCodec('zstd') as { error: string }).error, /libhadoop/)
    assert.match((resolveCodec('bogus') as { error: string }).error, /unknown codec/)
  })

  it('accepts a Flume HDFS sink configuration and refuses what it cannot do, naming the key', async () => {
    assert.deepEqual(await diagnostics({ 'hdfs.path': 'webhdfs://nn:9870/flume/%Y' }), [])
    const kerberos = await diagnostics({
      'hdfs.path': 'webhdfs://nn:9870/f',
      'hdfs.kerberosPrincipal': 'flume/_HOST@EXAMPLE.COM',
      'hdfs.kerberosKeytab': '/etc/flume.keytab',
    })
    assert.ok(
      kerberos.some((d) => /hdfs\.kerberosPrincipal.*Kerberos is not supported/.test(d)),
      kerberos.join('\n'),
    )
    assert.ok(kerberos.some((d) => /hdfs\.kerberosKeytab/.test(d)))
    const noAddress = await diagnostics({ 'hdfs.path': 'hdfs://nn:8020/f' })
    assert.ok(
      noAddress.some((d) => /hdfs\.path.*hdfs\.webhdfs\.address/.test(d)),
      noAddress.join('\n'),
    )
    const dataStreamCodec = await diagnostics({
      'hdfs.path': 'webhdfs://nn/f',
      'hdfs.fileType': 'DataStream',
      'hdfs.codeC': 'gzip',
    })
    assert.ok(dataStreamCodec.some((d) => /does not support compressed output/.test(d)))
    const compressedNoCodec = await diagnostics({
      'hdfs.path': 'webhdfs://nn/f',
      'hdfs.fileType': 'CompressedStream',
    })
    assert.ok(compressedNoCodec.some((d) => /requires hdfs\.codeC/.test(d)))
    const badZone = await diagnostics({ 'hdfs.path': 'webhdfs://nn/f', 'hdfs.timeZone': 'Nowhere/Land' })
    assert.ok(badZone.some((d) => /hdfs\.timeZone.*unknown time zone/.test(d)))
    const round = await diagnostics({
      'hdfs.path': 'webhdfs://nn/f',
      'hdfs.round': 'true',
      'hdfs.roundUnit': 'hour',
      'hdfs.roundValue': '25',
    })
    assert.ok(round.some((d) => /hdfs\.roundValue.*1\.\.24/.test(d)))
    const writeFormat = await diagnostics({ 'hdfs.path': 'webhdfs://nn/f', 'hdfs.writeFormat': 'text' })
    assert.ok(
      writeFormat.some((d) => /hdfs\.writeFormat/.test(d)),
      'writeFormat is case-sensitive, as in Flume',
    )
  })
})
