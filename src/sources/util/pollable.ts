/** Keys every pollable source reads (Flume's AbstractPollableSource): runner back-off timing. */

import { long } from '../../core/spec.ts'

export const pollableFields = {
  backoffSleepIncrement: long({
    key: 'backoffSleepIncrement',
    default: 1000,
    min: 0,
    doc: 'Runner back-off step (ms) after a poll that found nothing.',
  }),
  maxBackoffSleep: long({ key: 'maxBackoffSleep', default: 5000, min: 0, doc: 'Runner back-off cap (ms).' }),
}

export const pollableBackoff = (cfg: { backoffSleepIncrement: number; maxBackoffSleep: number }) => ({
  increment: cfg.backoffSleepIncrement,
  max: cfg.maxBackoffSleep,
})
