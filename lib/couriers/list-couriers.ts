// The map's snapshot: every courier (or those in a viewport) with its status (from its
// order's cached status), its order's status and its last-seen age. Two round trips to Redis.
import type { Redis } from 'ioredis';
import type { OrderStatus } from '../orders/state-machine';
import { type BBox, contains, searchBox } from './bbox';
import { readOrderStatuses } from '../orders/order-status-store';
import { type CourierStatus, courierStatusOf } from './courier-status';
import { COURIERS_GEO_KEY, courierLocationKey } from './keys';
import type { StoredLocation } from './record-locations';

export interface CourierSnapshot extends StoredLocation {
  status: CourierStatus;
  /** The status of the order the courier's last ping named, when Redis knows it. */
  orderStatus?: OrderStatus;
  ageMs: number;
  stale: boolean;
}

/** GET /api/couriers: the couriers, the server's time, and the settings the map draws them with. */
export interface CouriersSnapshot {
  couriers: CourierSnapshot[];
  at: number;
  staleAfterMs: number;
  stalledAfterMs: number;
  frameMs: number;
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
  const locations: StoredLocation[] = [];
  for (const [, json] of rows) {
    if (typeof json !== 'string') continue;
    const location = JSON.parse(json) as StoredLocation;
    if (bbox && !contains(bbox, location.lat, location.lng)) continue;
    locations.push(location);
  }
  const orderStatuses = await readOrderStatuses(redis, locations.flatMap((l) => (l.orderId ? [l.orderId] : [])));
  return locations.map((location) => {
    const orderStatus = location.orderId ? orderStatuses.get(location.orderId)?.status : undefined;
    const ageMs = Math.max(0, now - location.occurredAt);
    return { ...location, status: courierStatusOf(orderStatus), ...(orderStatus ? { orderStatus } : {}), ageMs, stale: ageMs > staleAfterMs };
  });
}
