// Rebuilds the unique-users state from the topic on purpose (`npm run stats:rebuild`): names a
// new epoch (window-store.ts), deletes every older one's keys, and moves the activity group
// back to the start of user.activity, so the next worker recounts every frame the topic
// still holds. Postgres keeps the greatest figures, so windows older than the topic's
// retention keep theirs. The group's workers must be stopped. (A worker that finds the state
// lost or foreign recounts on its own: stats-epoch.ts.)
import type { Admin } from 'kafkajs';
import type { Redis } from 'ioredis';
import { statsPrefix, windowStore } from './window-store';

export async function rebuildStats(deps: { admin: Admin; redis: Redis; groupId: string; topic: string }): Promise<{ keysDeleted: number }> {
  const { groups } = await deps.admin.describeGroups([deps.groupId]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) throw new Error(`${members} worker(s) still in consumer group ${deps.groupId}: stop the activity workers first`);
  const store = windowStore(deps.redis, statsPrefix(deps.topic));
  const { clusterId } = await deps.admin.describeCluster();
  const epoch = await store.renewEpoch((await store.meta()).epoch, clusterId);
  const keysDeleted = await store.deleteEpochs(epoch);
  await deps.admin.resetOffsets({ groupId: deps.groupId, topic: deps.topic, earliest: true });
  return { keysDeleted };
}
