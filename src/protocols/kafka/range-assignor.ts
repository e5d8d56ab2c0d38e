/**
 * Group partition assignors with the Java client's names and results, used when this consumer is the
 * group leader. "range" is Java 2.7's default (RangeAssignor): per topic, the members subscribed to it,
 * sorted by member id, each get a contiguous range, the first `partitions % members` one extra.
 * "roundrobin" (RoundRobinAssignor) deals all partitions of all topics, sorted, to the sorted members in
 * turn, skipping members not subscribed to the partition's topic.
 */

import type { GroupPartitionsAssigner, GroupPartitionsAssignments } from '@platformatic/kafka'

type Members = Parameters<GroupPartitionsAssigner>[1]
type Metadata = Parameters<GroupPartitionsAssigner>[3]

function empty(members: Members): Map<string, GroupPartitionsAssignments> {
  const out = new Map<string, GroupPartitionsAssignments>()
  for (const id of members.keys()) out.set(id, { memberId: id, assignments: new Map() })
  return out
}

function give(out: Map<string, GroupPartitionsAssignments>, member: string, topic: string, p: number): void {
  const a = out.get(member)
  if (a === undefined) return
  let t = a.assignments.get(topic)
  if (t === undefined) a.assignments.set(topic, (t = { topic, partitions: [] }))
  t.partitions.push(p)
}

function subscribers(members: Members, topic: string): string[] {
  const ids: string[] = []
  for (const [id, m] of members) if (m.topics?.includes(topic) === true) ids.push(id)
  return ids.sort()
}

function allTopics(members: Members, own: Set<string>, metadata: Metadata): string[] {
  const topics = new Set(own)
  for (const m of members.values()) for (const t of m.topics ?? []) topics.add(t)
  return [...topics].filter((t) => metadata.topics.has(t)).sort()
}

export const rangeAssigner: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const out = empty(members)
  for (const topic of allTopics(members, topics, metadata)) {
    const n = metadata.topics.get(topic)?.partitionsCount ?? 0
    const consumers = subscribers(members, topic)
    if (consumers.length === 0) continue
    const per = Math.floor(n / consumers.length)
    const extra = n % consumers.length
    consumers.forEach((id, i) => {
      const start = per * i + Math.min(i, extra)
      const len = per + (i + 1 > extra ? 0 : 1)
      for (let p = start; p < start + len; p++) give(out, id, topic, p)
    })
  }
  return [...out.values()]
}

export const roundRobinAssigner: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const out = empty(members)
  const ids = [...members.keys()].sort()
  if (ids.length === 0) return []
  let next = 0
  for (const topic of allTopics(members, topics, metadata)) {
    const n = metadata.topics.get(topic)?.partitionsCount ?? 0
    for (let p = 0; p < n; p++) {
      // Next member (in circular order) subscribed to this topic.
      for (let tries = 0; tries < ids.length; tries++) {
        const id = ids[next++ % ids.length] as string
        if (members.get(id)?.topics?.includes(topic) === true) {
          give(out, id, topic, p)
          break
        }
      }
    }
  }
  return [...out.values()]
}
