/**
 * `multiplexing` selector (org.apache.flume.channel.MultiplexingChannelSelector): routes each event by
 * the exact, case-sensitive value of one header (reference §5.3).
 *
 * - required: `selector.mapping.<value>`; a missing or blank header, or a value with no mapping, goes to
 *   `selector.default` (nothing at all when no default is configured: the event is dropped, and the source
 *   sees success — Flume compat, reported by `flumen check` as a warning);
 * - optional: `selector.optional.<value>` for the raw header value, minus channels already required for it.
 *
 * Flume compat: channel lists here are split on single spaces, so two spaces make an empty name, which
 * is a "channel not found" error like any other unknown name; every such error removes the source.
 */

import type { Channel } from '../core/channel.ts'
import type { Event } from '../core/event.ts'
import { defineSelector, prefixed, str } from '../core/spec.ts'

const splitNames = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split(' '))

export const spec = defineSelector({
  type: 'multiplexing',
  classNames: ['org.apache.flume.channel.MultiplexingChannelSelector'],
  summary: 'Routes each event to channels chosen by the value of a header.',
  fields: {
    header: str({
      key: 'header',
      default: 'flume.selector.header',
      doc: 'Header whose value selects channels.',
    }),
    defaultChannels: str({ key: 'default', doc: 'Channels for events whose header is missing or unmapped.' }),
    mapping: prefixed({
      prefix: 'mapping.',
      doc: '`mapping.<value>` = required channels for that header value.',
    }),
    optional: prefixed({
      prefix: 'optional.',
      doc: '`optional.<value>` = optional channels for that value.',
    }),
  },
  validate(cfg) {
    const errors: string[] = []
    for (const [value, names] of cfg.mapping) {
      if (splitNames(names).length === 0) errors.push(`No channel configured for header value '${value}'`)
    }
    return errors
  },
  referencedChannels: (cfg) => [
    ...splitNames(cfg.defaultChannels),
    ...[...cfg.mapping.values()].flatMap(splitNames),
    ...[...cfg.optional.values()].flatMap(splitNames),
  ],
  build(cfg, ctx) {
    const byName = new Map(ctx.channels.map((c) => [c.name, c]))
    const resolve = (s: string | undefined): Channel[] => splitNames(s).map((n) => byName.get(n) as Channel)
    const defaults = resolve(cfg.defaultChannels)
    const mapping = new Map<string, Channel[]>()
    for (const [value, names] of cfg.mapping) mapping.set(value, resolve(names))
    const optional = new Map<string, Channel[]>()
    for (const [value, names] of cfg.optional) {
      const req = mapping.get(value) ?? defaults
      optional.set(
        value,
        resolve(names).filter((c) => !req.includes(c)),
      )
    }
    const header = cfg.header
    const none: readonly Channel[] = []
    return {
      required(e: Event) {
        const v = e.headers[header]
        if (v === undefined || v.trim().length === 0) return defaults
        return mapping.get(v) ?? defaults
      },
      optional(e: Event) {
        const v = e.headers[header]
        return v === undefined ? none : (optional.get(v) ?? none)
      },
    }
  },
})
