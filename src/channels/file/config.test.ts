import assert from 'node:assert/strict'
import { homedir } from 'node:os'
import { describe, it } from 'node:test'
import { compileAgent } from '../../config/compile.ts'
import type { Diagnostic, PropertyValue } from '../../core/spec.ts'
import { Registry } from '../../registry.ts'
import { type FileChannelConfig, resolveConfig } from './config.ts'

/** Compiles `a1` with one channel c1 of the given properties (plus a source and a sink using it). */
async function compileChannel(
  type: string,
  props: Record<string, string>,
): Promise<{ config: FileChannelConfig | undefined; diagnostics: readonly Diagnostic[] }> {
  const lines: [string, string][] = [
    ['a1.sources', 'r1'],
    ['a1.channels', 'c1'],
    ['a1.sinks', 'k1'],
    ['a1.sources.r1.type', 'seq'],
    ['a1.sources.r1.channels', 'c1'],
    ['a1.sinks.k1.type', 'null'],
    ['a1.sinks.k1.channel', 'c1'],
    ['a1.channels.c1.type', type],
    ...Object.entries(props).map(([k, v]) => [`a1.channels.c1.${k}`, v] as [string, string]),
  ]
  const properties = new Map<string, PropertyValue>(
    lines.map(([k, v], i) => [k, { value: v, file: 'agent.conf', line: i + 1 }]),
  )
  const compiled = await compileAgent({
    agentName: 'a1',
    properties,
    registry: new Registry(),
    env: {},
    sys: new Map(),
  })
  return {
    config: compiled.channels.get('c1')?.config as FileChannelConfig | undefined,
    diagnostics: compiled.diagnostics,
  }
}

describe('file channel configuration', () => {
  it("has Flume's defaults, under both the alias and the class name", async () => {
    for (const type of ['file', 'FILE', 'org.apache.flume.channel.file.FileChannel']) {
      const { config, diagnostics } = await compileChannel(type, {})
      assert.deepEqual(diagnostics, [])
      assert.ok(config !== undefined)
      const r = resolveConfig(config, new Map())
      assert.equal(r.capacity, 1000000)
      assert.equal(r.transactionCapacity, 10000)
      assert.equal(r.keepAliveMs, 3000)
      assert.equal(r.checkpointIntervalMs, 30000)
      assert.equal(r.maxFileSize, 1623195647)
      assert.equal(r.minimumRequiredSpace, 524288000)
      assert.equal(r.checkpointDir, `${homedir()}/.flume/file-channel/checkpoint`)
      assert.deepEqual(r.dataDirs, [`${homedir()}/.flume/file-channel/data`])
      assert.equal(r.fsyncPerTransaction, true)
      assert.equal(r.fsyncIntervalMs, 5000)
      assert.equal(r.checkpointOnClose, true)
      assert.equal(r.backupCheckpointDir, undefined)
      assert.equal(r.encryption, undefined)
    }
  })

  it('applies the user.home system property to the default directories', async () => {
    const { config } = await compileChannel('file', {})
    const r = resolveConfig(config as FileChannelConfig, new Map([['user.home', '/srv/flume']]))
    assert.equal(r.checkpointDir, '/srv/flume/.flume/file-channel/checkpoint')
  })

  it("applies Flume's caps, floors and fallbacks", async () => {
    const { config, diagnostics } = await compileChannel('file', {
      maxFileSize: '9999999999',
      minimumRequiredSpace: '10',
      capacity: '0',
      transactionCapacity: '-5',
      checkpointInterval: '0',
      dataDirs: ' /a , ,/b ,',
      'keep-alive': '7',
    })
    const r = resolveConfig(config as FileChannelConfig, new Map())
    assert.equal(r.maxFileSize, 1623195647, 'capped at the default')
    assert.equal(r.minimumRequiredSpace, 1048576, 'floored at 1 MiB')
    assert.equal(r.capacity, 1000000)
    assert.equal(r.transactionCapacity, 10000)
    assert.equal(r.checkpointIntervalMs, 30000)
    assert.deepEqual(r.dataDirs, ['/a', '/b'])
    assert.equal(r.keepAliveMs, 7000)
    assert.equal(diagnostics.filter((d) => d.severity === 'warning').length, 3)
  })

  it('reports configuration errors with file and line', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ useDualCheckpoints: 'true' }, /backupCheckpointDir is not set/],
      [{ useDualCheckpoints: 'true', checkpointDir: '/x', backupCheckpointDir: '/x' }, /must differ/],
      [
        { capacity: '10', transactionCapacity: '20' },
        /transactionCapacity \(20\) cannot be higher than capacity \(10\)/,
      ],
      [{ 'encryption.activeKey': 'k' }, /encryption.activeKey is set but encryption.keyProvider is not/],
      [
        { 'encryption.keyProvider': 'JCEKSFILE', 'encryption.cipherProvider': 'AESCTRNOPADDING' },
        /activeKey is required/,
      ],
      [
        {
          'encryption.keyProvider': 'KMS',
          'encryption.activeKey': 'k',
          'encryption.cipherProvider': 'AESGCM',
        },
        /keyProvider 'KMS' is not supported/,
      ],
      [
        { 'encryption.keyProvider': 'ENV', 'encryption.activeKey': 'k', 'encryption.cipherProvider': 'DES' },
        /cipherProvider 'DES' is not supported/,
      ],
      [{ dataDirs: ' , ' }, /dataDirs lists no directory/],
    ]
    for (const [props, re] of cases) {
      const { config, diagnostics } = await compileChannel('file', props)
      assert.equal(config, undefined, `dropped: ${JSON.stringify(props)}`)
      const d = diagnostics.find((x) => re.test(x.message))
      assert.ok(d !== undefined, `${re} in ${diagnostics.map((x) => x.message).join(' | ')}`)
      assert.equal(d.file, 'agent.conf')
      assert.ok(typeof d.line === 'number')
    }
  })

  it('accepts Flume encryption settings and passes the key provider properties through', async () => {
    const { config, diagnostics } = await compileChannel('file', {
      'encryption.activeKey': 'key-0',
      'encryption.cipherProvider': 'AESCTRNOPADDING',
      'encryption.keyProvider': 'JCEKSFILE',
      'encryption.keyProvider.keyStoreFile': '/etc/flume/test.keystore',
      'encryption.keyProvider.keyStorePasswordFile': '/etc/flume/test.keystore.password',
      'encryption.keyProvider.keys': 'key-0',
      'encryption.keyProvider.keys.key-0.passwordFile': '/etc/flume/key-0.password',
    })
    assert.deepEqual(diagnostics, [])
    const r = resolveConfig(config as FileChannelConfig, new Map())
    assert.equal(r.encryption?.activeKey, 'key-0')
    assert.equal(r.encryption?.keyProvider, 'JCEKSFILE')
    assert.equal(r.encryption?.providerProps.get('keys.key-0.passwordFile'), '/etc/flume/key-0.password')
  })
})
