// The live courier features in Redis (courier-features.ts defines them), for dispatch: per
// courier, a hash of pings, distance_m and its newest ping (t, lat, lng), and a hash of the
// orders it delivered (order → when). Written by the location and order workers, idempotent:
// a ping counts only when it is newer than the courier's newest counted (a replayed batch
// counts nothing again), an order once. So a stream in time order gives exactly the
// definition; a ping that comes after a newer one is not counted live (the lake's daily
// figures, in event time, count it). Nobody else touches these keys.
import type { ChainableCommander, Redis } from 'ioredis';
import { EARTH_RADIUS_M, type FeaturePing } from './courier-features';

const featuresKey = (courierId: string) => `courier:features:${courierId}`;
const deliveriesKey = (courierId: string) => `courier:deliveries:${courierId}`;

// KEYS: one features hash per courier. ARGV: per key, its count n, then n × (t, lat, lng) in
// time order. Same haversine as courier-features.ts.
const COUNT_PINGS = `
local R = ${EARTH_RADIUS_M}
local function rad(d) return d * math.pi / 180 end
local a = 1
for k = 1, #KEYS do
  local n = tonumber(ARGV[a]); a = a + 1
  local state = redis.call('HMGET', KEYS[k], 't', 'lat', 'lng', 'pings', 'distance_m')
  local t = tonumber(state[1]); local lat = tonumber(state[2]); local lng = tonumber(state[3])
  local pings = tonumber(state[4]) or 0; local dist = tonumber(state[5]) or 0
  for i = 1, n do
    local pt = tonumber(ARGV[a]); local plat = tonumber(ARGV[a + 1]); local plng = tonumber(ARGV[a + 2]); a = a + 3
    if t == nil or pt > t then
      if t ~= nil then
        local h = math.sin(rad(plat - lat) / 2) ^ 2 + math.cos(rad(lat)) * math.cos(rad(plat)) * math.sin(rad(plng - lng) / 2) ^ 2
        dist = dist + 2 * R * math.asin(math.min(1, math.sqrt(h)))
      end
      pings = pings + 1; t = pt; lat = plat; lng = plng
    end
  end
  if t ~= nil then
    redis.call('HSET', KEYS[k], 't', t, 'lat', string.format('%.17g', lat), 'lng', string.format('%.17g', lng), 'pings', pings, 'distance_m', string.format('%.17g', dist))
  end
end
return 1`;

interface FeatureCommands {
  countCourierPings(numKeys: number, keysThenArgs: (string | number)[]): Promise<number>;
}

/** Called by createRedis on every client before its first command (see lib/redis/client.ts). */
export function defineFeatureCommands(redis: Redis): void {
  redis.defineCommand('countCourierPings', { lua: COUNT_PINGS });
}

/** Counts the pings into their couriers' live features. */
export async function countPings(redis: Redis, pings: FeaturePing[]): Promise<void> {
  if (pings.length === 0) return;
  const byCourier = new Map<string, FeaturePing[]>();
  for (const p of pings) {
    const list = byCourier.get(p.courierId) ?? [];
    list.push(p);
    byCourier.set(p.courierId, list);
  }
  const keys: string[] = [];
  const args: number[] = [];
  for (const [courierId, list] of byCourier) {
    list.sort((a, b) => a.occurredAt - b.occurredAt);
    keys.push(featuresKey(courierId));
    args.push(list.length);
    for (const p of list) args.push(p.occurredAt, p.lat, p.lng);
  }
  await (redis as Redis & FeatureCommands).countCourierPings(keys.length, [...keys, ...args]);
}

/** Queues the credit of a delivered order to its courier (each order once) on the order worker's pipeline. */
export function queueDelivery(pipeline: ChainableCommander, d: { courierId: string; orderId: string; at: number }): void {
  pipeline.hsetnx(deliveriesKey(d.courierId), d.orderId, String(d.at));
}

export interface LiveCourierFeatures {
  courierId: string;
  pings: number;
  distanceM: number;
  deliveries: number;
  lastPingAt: number | null;
}

export async function readCourierFeatures(redis: Redis, courierIds: string[]): Promise<LiveCourierFeatures[]> {
  const pipeline = redis.pipeline();
  for (const id of courierIds) {
    pipeline.hmget(featuresKey(id), 'pings', 'distance_m', 't');
    pipeline.hlen(deliveriesKey(id));
  }
  const results = (await pipeline.exec()) ?? [];
  return courierIds.map((courierId, i) => {
    const [err1, f] = results[2 * i]!;
    const [err2, deliveries] = results[2 * i + 1]!;
    if (err1 || err2) throw err1 ?? err2;
    const [pings, distance, t] = f as (string | null)[];
    return { courierId, pings: Number(pings ?? 0), distanceM: Number(distance ?? 0), deliveries: Number(deliveries), lastPingAt: t === null || t === undefined ? null : Number(t) };
  });
}

/** Every key of this store starts with one of these (the tests' check that a backfill leaves Redis alone). */
export const FEATURE_KEY_PREFIXES = ['courier:features:', 'courier:deliveries:'] as const;
