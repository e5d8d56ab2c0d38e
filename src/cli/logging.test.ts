import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { logSettings, textLine } from './logging.ts'

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
