// The hot state's epoch: one key that the rebuild writes last. Redis without it has lost
// what the workers wrote (a restart without persistence, a flush, a new instance), so the
// hot state must be rebuilt from the record. Nobody else touches this key.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const EPOCH_KEY = 'hot:epoch';

export async function readHotStateEpoch(redis: Redis): Promise<string | null> {
  return redis.get(EPOCH_KEY);
}

/** Marks the hot state as rebuilt; returns the epoch named. */
export async function markHotStateRebuilt(redis: Redis, nowMs = Date.now()): Promise<string> {
  const epoch = `${nowMs}-${randomBytes(4).toString('hex')}`;
  await redis.set(EPOCH_KEY, epoch);
  return epoch;
}
