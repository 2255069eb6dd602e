// Rebuilds the unique-users state from the topic: deletes the windows' Redis state and moves
// the activity group back to the start of user.activity, so the next worker recounts every
// frame the topic still holds. Postgres keeps the greatest figures, so windows older than
// the topic's retention keep theirs. The group's workers must be stopped.
import type { Admin } from 'kafkajs';
import type { Redis } from 'ioredis';
import { statsPrefix } from './window-store';

export async function rebuildStats(deps: { admin: Admin; redis: Redis; groupId: string; topic: string }): Promise<{ keysDeleted: number }> {
  const { groups } = await deps.admin.describeGroups([deps.groupId]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) throw new Error(`${members} worker(s) still in consumer group ${deps.groupId}: stop the activity workers first`);
  let keysDeleted = 0;
  const stream = deps.redis.scanStream({ match: `${statsPrefix(deps.topic).replace(/[*?[\]\\]/g, '\\$&')}*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) keysDeleted += await deps.redis.unlink(...keys);
  }
  await deps.admin.resetOffsets({ groupId: deps.groupId, topic: deps.topic, earliest: true });
  return { keysDeleted };
}
