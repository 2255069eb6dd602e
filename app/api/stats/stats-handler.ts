// The shape every stats route shares: ops only, parse the range, read, answer JSON (errors
// naming the field), never cached.
import { NextResponse } from 'next/server';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { requireOpsApi } from '@/lib/auth/require-ops';
import { errorResponse } from '@/lib/http/next-http';
import { topicNames } from '@/lib/kafka/topics';
import { sharedRedis } from '@/lib/redis/shared';
import { type StatsRange, parseStatsRange } from '@/lib/stats/stats-range';

type Deps = { db: ReturnType<typeof sharedDb>; redis: ReturnType<typeof sharedRedis>; topics: ReturnType<typeof topicNames> };

export function statsHandler(read: (range: StatsRange, deps: Deps) => Promise<object>) {
  return async function GET(request: Request) {
    try {
      await requireOpsApi();
      const range = parseStatsRange(new URL(request.url).searchParams);
      const deps = { db: sharedDb(), redis: sharedRedis(), topics: topicNames(sharedConfig().kafka.topicPrefix) };
      return NextResponse.json({ ...range, ...(await read(range, deps)) }, { headers: { 'cache-control': 'no-store' } });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
