// Every worker that writes hot state watches for a Redis that lost it (no epoch,
// hot-state-epoch.ts) and rebuilds it from the record: one worker at a time, under a lease.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { type LeasedLoop, leasedLoop } from '../kafka/leased-loop';
import type { Log } from '../observability/log';
import { readHotStateEpoch } from './hot-state-epoch';
import { rebuildHotState } from './rebuild-hot-state';

const CHECK_EVERY_MS = 1000;

export function keepHotState(deps: { db: Db; redis: Redis; log: Log }): LeasedLoop {
  return leasedLoop({
    redis: deps.redis,
    key: 'hot:rebuild-lease',
    intervalMs: CHECK_EVERY_MS,
    log: deps.log,
    tasks: [
      {
        name: 'hot state',
        async run() {
          if ((await readHotStateEpoch(deps.redis)) !== null) return;
          deps.log.warn('Redis holds no hot-state epoch (wiped, or new): rebuilding it from Postgres');
          const report = await rebuildHotState(deps);
          deps.log.info(report, 'hot state rebuilt from Postgres');
        },
      },
    ],
  });
}
