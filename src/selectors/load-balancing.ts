/**
 * `load_balancing` selector (org.apache.flume.channel.LoadBalancingChannelSelector, Flume 1.10+): each event
 * goes to exactly one channel, picked per event by round robin (default) or at random; no optional channels.
 */

import type { Channel } from '../core/channel.ts'
import { defineSelector, oneOf } from '../core/spec.ts'

export const spec = defineSelector({
  type: 'load_balancing',
  classNames: ['org.apache.flume.channel.LoadBalancingChannelSelector'],
  summary: 'Spreads events over the source channels, one channel per event.',
  fields: {
    policy: oneOf({
      key: 'policy',
      values: ['round_robin', 'random'],
      default: 'round_robin',
      doc: 'How the channel of each event is picked.',
    }),
  },
  build(cfg, ctx) {
    const channels = ctx.channels
    const single = channels.map((c) => [c] as const)
    const none: readonly Channel[] = []
    let next = 0
    const pick =
      cfg.policy === 'random'
        ? () => single[Math.floor(Math.random() * single.length)] as readonly Channel[]
        : () => {
            const c = single[next] as readonly Channel[]
            next = next + 1 < single.length ? next + 1 : 0
            return c
          }
    return { required: pick, optional: () => none }
  },
})
