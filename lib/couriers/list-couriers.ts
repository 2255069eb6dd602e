// The map's snapshot: every courier (or those in a viewport) with status and last-seen age.
import type { Redis } from 'ioredis';
import { type BBox, contains, searchBox } from './bbox';
import { COURIERS_GEO_KEY, courierLocationKey } from './keys';
import type { StoredLocation } from './record-locations';

export type CourierStatus = 'idle' | 'delivering';

export interface CourierSnapshot extends StoredLocation {
  status: CourierStatus;
  ageMs: number;
  stale: boolean;
}

export async function listCouriers(redis: Redis, options: { bbox?: BBox; limit: number; staleAfterMs: number; now?: number }): Promise<CourierSnapshot[]> {
  const { bbox, limit, staleAfterMs } = options;
  const now = options.now ?? Date.now();
  let ids: string[];
  if (bbox) {
    const s = searchBox(bbox);
    ids = (await redis.geosearch(COURIERS_GEO_KEY, 'FROMLONLAT', s.lng, s.lat, 'BYBOX', s.widthM, s.heightM, 'm', 'COUNT', limit)) as string[];
  } else {
    ids = await redis.zrange(COURIERS_GEO_KEY, 0, limit - 1);
  }
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(courierLocationKey(id), 'json');
  const rows = (await pipeline.exec()) ?? [];
  const couriers: CourierSnapshot[] = [];
  for (const [, json] of rows) {
    if (typeof json !== 'string') continue;
    const location = JSON.parse(json) as StoredLocation;
    if (bbox && !contains(bbox, location.lat, location.lng)) continue;
    const ageMs = Math.max(0, now - location.occurredAt);
    couriers.push({ ...location, status: location.orderId ? 'delivering' : 'idle', ageMs, stale: ageMs > staleAfterMs });
  }
  return couriers;
}
