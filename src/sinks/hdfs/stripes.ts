/**
 * How the hdfs sink spreads one bucket's events of a process() call over several in-use files
 * (hdfs.webhdfs.parallelFiles, "stripes"): WebHDFS closes the file at the end of every request and the
 * DataNode's close waits (400 ms with Hadoop's defaults), so writing N files of a bucket concurrently
 * overlaps N of those waits.
 */

/** A run of events [from, to) for stripe file `stripe` of a bucket. */
export interface StripeRun {
  readonly stripe: number
  readonly from: number
  readonly to: number
}

/**
 * Splits `count` events (in channel order) into consecutive runs, one per stripe file: as many runs as there
 * are batches' worth of events (`batchSize` each, the last one partial), at most `maxFiles`, never fewer
 * than one for a non-empty call; sizes differ by at most one event, larger runs first. A call with at most
 * one batch's worth of events therefore writes one file (stripe 0), as without stripes.
 */
export function stripeRuns(count: number, batchSize: number, maxFiles: number): StripeRun[] {
  if (count <= 0) return []
  const n = Math.max(1, Math.min(Math.floor(maxFiles), Math.ceil(count / Math.max(1, batchSize))))
  const base = Math.floor(count / n)
  const extra = count % n
  const out: StripeRun[] = []
  let from = 0
  for (let stripe = 0; stripe < n; stripe++) {
    const to = from + base + (stripe < extra ? 1 : 0)
    out.push({ stripe, from, to })
    from = to
  }
  return out
}
