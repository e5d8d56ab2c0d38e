import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { LogRing } from '../monitoring/log-ring.ts'
import { createLogger, logSettings, textLine } from './logging.ts'

describe('logging settings (-Dflume.root.logger)', () => {
  it('reads the level and the appender as Flume users write them', () => {
    assert.deepEqual(logSettings(new Map()), { level: 'info', file: undefined, format: 'text' })
    assert.deepEqual(logSettings(new Map([['flume.root.logger', 'DEBUG,console']])), {
      level: 'debug',
      file: undefined,
      format: 'text',
    })
    const f = logSettings(
      new Map([
        ['flume.root.logger', 'WARN,LOGFILE'],
        ['flume.log.dir', '/var/log/flume'],
        ['flumen.log.format', 'json'],
      ]),
    )
    assert.deepEqual(f, { level: 'warn', file: '/var/log/flume/flume.log', format: 'json' })
  })

  it('renders a pino line as text with the component and fields', () => {
    const line = textLine(
      JSON.stringify({
        level: 50,
        time: 0,
        pid: 1,
        component: 'SINK.k1',
        msg: 'Failed',
        error: 'disk full',
        n: 3,
      }),
    )
    assert.equal(line, '1970-01-01T00:00:00.000Z ERROR [SINK.k1] Failed error="disk full" n=3\n')
  })
})

describe('recent errors ring', () => {
  it('receives warnings and worse from the logger, in both formats, with their component', () => {
    for (const format of ['text', 'json'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'flumen-log-'))
      const ring = new LogRing(3)
      const file = join(dir, 'flume.log')
      const log = createLogger({ level: 'info', file, format }, ring)
      log.info('fine')
      log.child({ component: 'SINK.k1' }).error({ error: 'disk full' }, 'Sink failed')
      log.warn({ channel: 'c1' }, 'Optional channel refused a batch')
      for (let i = 0; i < 3; i++) log.error(`e${i}`)
      const recent = ring.recent()
      assert.deepEqual(
        recent.map((e) => e.msg),
        ['e0', 'e1', 'e2'],
        'bounded: the oldest entries went',
      )
      assert.deepEqual(ring.totals, { warn: 1, error: 4, fatal: 0 })
      const all = new LogRing()
      const log2 = createLogger({ level: 'info', file, format }, all)
      log2.child({ component: 'SINK.k1' }).error({ error: 'disk full\nstack' }, 'Sink failed')
      log2.warn({ channel: 'c1' }, 'Optional channel refused a batch')
      assert.deepEqual(
        all.recent().map(({ level, component, msg, error }) => ({ level, component, msg, error })),
        [
          { level: 'error', component: 'SINK.k1', msg: 'Sink failed', error: 'disk full' },
          {
            level: 'warn',
            component: 'CHANNEL.c1',
            msg: 'Optional channel refused a batch',
            error: undefined,
          },
        ],
      )
      assert.match(
        readFileSync(file, 'utf8'),
        format === 'text' ? /ERROR \[SINK\.k1\] Sink failed/ : /"msg":"Sink failed"/,
      )
      rmSync(dir, { recursive: true })
    }
  })
})
