// The shape every stats route shares: ops only, parse the range, read, answer JSON (errors
// naming the field), never cached: withOps does all but the range.
import { withOps } from '@/lib/auth/with-ops';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { topicNames } from '@/lib/kafka/topics';
import { sharedRedis } from '@/lib/redis/shared';
import { type StatsRange, parseStatsRange } from '@/lib/stats/stats-range';

type Deps = { db: ReturnType<typeof sharedDb>; redis: ReturnType<typeof sharedRedis>; topics: ReturnType<typeof topicNames> };

export function statsHandler(read: (range: StatsRange, deps: Deps) => Promise<object>) {
  return withOps(async ({ query }) => {
    const range = parseStatsRange(query);
    const deps = { db: sharedDb(), redis: sharedRedis(), topics: topicNames(sharedConfig().kafka.topicPrefix) };
    return { ...range, ...(await read(range, deps)) };
  });
}
