import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ChannelCounter, MetricsRegistry, SinkCounter } from '../core/counters.ts'
import { flumeJson, javaDouble } from './flume-json.ts'
import { prometheusText } from './prometheus.ts'

describe('Flume JSON', () => {
  it('prints doubles like Java and every value as a string', () => {
    assert.equal(javaDouble(0), '0.0')
    assert.equal(javaDouble(12.5), '12.5')
    assert.equal(javaDouble(Number.MAX_VALUE), '1.7976931348623157E308')
    assert.equal(javaDouble(1e-5), '1.0E-5')
    const m = new MetricsRegistry()
    const c = m.register(new ChannelCounter('c1'))
    c.channelCapacity = 0
    const j = flumeJson(m)
    assert.equal(j['CHANNEL.c1']?.ChannelFillPercentage, '1.7976931348623157E308')
    assert.equal(j['CHANNEL.c1']?.Type, 'CHANNEL')
    for (const v of Object.values(j['CHANNEL.c1'] ?? {})) assert.equal(typeof v, 'string')
  })
})

describe('Prometheus exposition', () => {
  it('renders each Flume attribute under its flumen name, with HELP/TYPE once per family', () => {
    const m = new MetricsRegistry()
    const a = m.register(new SinkCounter('a'))
    const b = m.register(new SinkCounter('b"x'))
    a.eventDrainSuccessCount = 5
    b.eventDrainSuccessCount = 7
    b.add('CustomThingCount', 2)
    m.addAgent('ConfigErrors', 3)
    const t = prometheusText(m)
    assert.equal(t.match(/# TYPE flumen_sink_events_delivered_total counter/g)?.length, 1)
    assert.match(t, /flumen_sink_events_delivered_total\{component_kind="sink",component_id="a"\} 5/)
    assert.match(t, /flumen_sink_events_delivered_total\{component_kind="sink",component_id="b\\"x"\} 7/)
    assert.match(t, /flumen_sink_custom_thing_total\{component_kind="sink",component_id="b\\"x"\} 2/)
    assert.match(t, /flumen_agent_config_errors_total 3/)
  })
})
