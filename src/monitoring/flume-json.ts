/**
 * Flume's `/metrics` JSON (JMXPollUtil shape, reference §10.1): one object keyed `"<TYPE>.<name>"` whose
 * attributes are all strings, e.g. `{"CHANNEL.c1":{"ChannelSize":"0","Type":"CHANNEL",…}}`.
 * Doubles print like Java's Double.toString (`0.0`, `1.7976931348623157E308`).
 */

import type { MetricsRegistry } from '../core/counters.ts'

/** Java's Double.toString for the values counters produce. */
export function javaDouble(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return `${n}.0`
  if (n === Number.MAX_VALUE) return '1.7976931348623157E308'
  const abs = Math.abs(n)
  if (abs >= 1e-3 && abs < 1e7) return String(n)
  const [m, e] = n.toExponential().split('e') as [string, string]
  return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`
}

export function flumeJson(metrics: MetricsRegistry): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  for (const g of metrics.groups()) {
    const attrs: Record<string, string> = {}
    for (const [k, v] of Object.entries(g.snapshot())) {
      attrs[k] = k === 'ChannelFillPercentage' && typeof v === 'number' ? javaDouble(v) : String(v)
    }
    out[g.id] = attrs
  }
  return out
}
