/**
 * `replicating` selector (org.apache.flume.channel.ReplicatingChannelSelector), the default: every event
 * goes to all of the source's channels; those listed in `selector.optional` are optional (a failure there
 * is logged and counted, never fails the source).
 */

import { defineSelector, list } from '../core/spec.ts'

export const spec = defineSelector({
  type: 'replicating',
  classNames: ['org.apache.flume.channel.ReplicatingChannelSelector'],
  summary: 'Copies every event to all channels of the source.',
  fields: {
    optional: list({ key: 'optional', default: [], doc: 'Channels whose failures do not fail the source.' }),
  },
  referencedChannels: (cfg) => cfg.optional,
  build(cfg, ctx) {
    const optional = ctx.channels.filter((c) => cfg.optional.includes(c.name))
    const required = ctx.channels.filter((c) => !optional.includes(c))
    const fixed = { required, optional }
    return { fixed, required: () => required, optional: () => optional }
  },
})
