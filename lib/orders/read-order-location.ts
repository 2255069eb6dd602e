// An order's last known location: Redis first; when Redis lacks it (evicted, rebuilt),
// the newest row of the history in Postgres, written back to Redis for the next reader.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { orderLocationKey } from '../couriers/keys';
import { type StoredLocation, readLocation, writeLocationIfNewer } from '../couriers/record-locations';

export type OrderLocation = { location: StoredLocation; source: 'redis' | 'postgres' } | { location: null; known: boolean };

export async function readOrderLocation(deps: { redis: Redis; db: Db }, orderId: string): Promise<OrderLocation> {
  const cached = await readLocation(deps.redis, orderLocationKey(orderId));
  if (cached) return { location: cached, source: 'redis' };
  const row = await deps.db.courierLocation.findFirst({ where: { orderId }, orderBy: { occurredAt: 'desc' } });
  if (row) {
    const location: StoredLocation = { courierId: row.courierId, orderId, lat: row.lat, lng: row.lng, occurredAt: row.occurredAt.getTime() };
    await writeLocationIfNewer(deps.redis, orderLocationKey(orderId), location);
    return { location, source: 'postgres' };
  }
  const order = await deps.db.order.findUnique({ where: { id: orderId }, select: { id: true } });
  return { location: null, known: order !== null };
}
