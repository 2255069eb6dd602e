import { Redis } from 'ioredis';
import { defineFeatureCommands } from '../couriers/courier-features-store';
import { defineLocationCommands } from '../couriers/record-locations';
import { defineStatsCommands } from '../stats/window-store';

/**
 * A client with lastmile's Lua commands defined before its first command. With auto-
 * pipelining, a command defined later is missing from a pipeline already gathering commands
 * in that tick ("pipeline[functionName] is not a function"), so none is defined lazily.
 */
export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, { connectionName: name, maxRetriesPerRequest: 3, enableAutoPipelining: true });
  defineLocationCommands(redis);
  defineFeatureCommands(redis);
  defineStatsCommands(redis);
  return redis;
}
