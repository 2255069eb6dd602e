// A courier's status on the map comes from its current order: on the way to the pickup once
// the order is confirmed, delivering once picked up, otherwise idle. Order statuses are read
// from their Redis cache (lib/orders/keys.ts), many at once.
import type { Redis } from 'ioredis';
import { orderStatusKey } from '../orders/keys';
import type { OrderStatus } from '../orders/state-machine';

export const COURIER_STATUSES = ['idle', 'to_pickup', 'delivering'] as const;
export type CourierStatus = (typeof COURIER_STATUSES)[number];

export function courierStatusOf(orderStatus: OrderStatus | undefined): CourierStatus {
  if (orderStatus === 'confirmed') return 'to_pickup';
  if (orderStatus === 'picked_up' || orderStatus === 'in_transit') return 'delivering';
  return 'idle';
}

// Keeps one MGET from holding Redis for long when the whole city is asked for.
const MGET_CHUNK = 2000;

/** The cached status of each order; orders Redis does not know are absent. One round trip. */
export async function readOrderStatuses(redis: Redis, orderIds: Iterable<string>): Promise<Map<string, OrderStatus>> {
  const ids = [...new Set(orderIds)];
  const statuses = new Map<string, OrderStatus>();
  if (ids.length === 0) return statuses;
  const pipeline = redis.pipeline();
  for (let i = 0; i < ids.length; i += MGET_CHUNK) pipeline.mget(ids.slice(i, i + MGET_CHUNK).map(orderStatusKey));
  const results = (await pipeline.exec()) ?? [];
  let i = 0;
  for (const [err, values] of results) {
    if (err) throw err;
    for (const json of values as (string | null)[]) {
      const id = ids[i++]!;
      if (json) statuses.set(id, (JSON.parse(json) as { status: OrderStatus }).status);
    }
  }
  return statuses;
}
