// One Redis connection per process for Next route handlers, created on first use.
import type { Redis } from 'ioredis';
import { sharedConfig } from '../config';
import { createRedis } from './client';

let shared: Redis | undefined;

export function sharedRedis(): Redis {
  shared ??= createRedis(sharedConfig().redisUrl, 'lastmile-next');
  return shared;
}
