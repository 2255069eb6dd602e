// A lease in Redis: one holder at a time among the processes asking for it, handed over
// when the holder stops renewing (crashed or stopped) for `ttlMs`.
import type { Redis } from 'ioredis';

const HOLD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface Lease {
  /** Takes or renews the lease; true while this process holds it. */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

export function createLease(redis: Redis, key: string, holder: string, ttlMs: number): Lease {
  return {
    async hold() {
      return (await redis.eval(HOLD, 1, key, holder, ttlMs)) === 1;
    },
    async release() {
      await redis.eval(RELEASE, 1, key, holder);
    },
  };
}
