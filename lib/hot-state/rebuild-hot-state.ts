// Rebuilds Redis's hot state from the record in Postgres: each courier's last location and
// the GEO index, the statuses and assignments of open orders (and of orders closed lately
// or named by a courier's last location), and open orders' last locations. Safe beside
// running workers: a location is written only over an older one, a status only where Redis
// has none (the order worker writes after Postgres, so one it wrote is at least as new).
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { type StoredLocation, writeLocationsIfNewer } from '../couriers/record-locations';
import { type CachedOrderStatus, writeOrderStatusesIfAbsent } from '../orders/order-status-store';
import type { OrderStatus } from '../orders/state-machine';
import { markHotStateRebuilt } from './hot-state-epoch';

const CHUNK = 2000;

export interface RebuildReport {
  couriers: number;
  orders: number;
  orderLocations: number;
  ms: number;
  epoch: string;
}

interface LocationRow {
  courier_id: string;
  order_id: string | null;
  lat: number;
  lng: number;
  t: number;
}

const toLocation = (r: LocationRow): StoredLocation => ({
  courierId: r.courier_id,
  ...(r.order_id ? { orderId: r.order_id } : {}),
  lat: r.lat,
  lng: r.lng,
  occurredAt: Math.round(r.t),
});

/** Each courier's newest ping: a skip scan over the (courier_id, occurred_at) index, not a full read. */
function courierLastLocations(db: Db) {
  return db.$queryRaw<LocationRow[]>`
    WITH RECURSIVE ids AS (
      (SELECT courier_id FROM courier_location_history ORDER BY courier_id LIMIT 1)
      UNION ALL
      SELECT (SELECT h.courier_id FROM courier_location_history h WHERE h.courier_id > ids.courier_id ORDER BY h.courier_id LIMIT 1)
        FROM ids WHERE ids.courier_id IS NOT NULL
    )
    SELECT l.courier_id, l.order_id, l.lat, l.lng, (extract(epoch FROM l.occurred_at) * 1000)::float8 AS t
      FROM ids CROSS JOIN LATERAL (
        SELECT courier_id, order_id, lat, lng, occurred_at FROM courier_location_history h
         WHERE h.courier_id = ids.courier_id ORDER BY occurred_at DESC LIMIT 1) l
     WHERE ids.courier_id IS NOT NULL`;
}

function orderStatuses(db: Db, closedSince: Date, named: string[]) {
  return db.$queryRaw<{ id: string; status: OrderStatus; courier_id: string | null; at: number }[]>`
    SELECT o.id, o.status, o.courier_id,
           (extract(epoch FROM coalesce(h.at, o.updated_at)) * 1000)::float8 AS at
      FROM orders o
      LEFT JOIN LATERAL (SELECT max(occurred_at) AS at FROM order_status_history WHERE order_id = o.id) h ON true
     WHERE o.closed_at IS NULL OR o.closed_at >= ${closedSince} OR o.id = ANY(${named}::text[])`;
}

/** Open orders' newest pings, on the (order_id, occurred_at) index. */
function openOrderLocations(db: Db) {
  return db.$queryRaw<LocationRow[]>`
    SELECT l.courier_id, l.order_id, l.lat, l.lng, (extract(epoch FROM l.occurred_at) * 1000)::float8 AS t
      FROM orders o CROSS JOIN LATERAL (
        SELECT courier_id, order_id, lat, lng, occurred_at FROM courier_location_history h
         WHERE h.order_id = o.id ORDER BY occurred_at DESC LIMIT 1) l
     WHERE o.closed_at IS NULL`;
}

export async function rebuildHotState(
  deps: { db: Db; redis: Redis },
  options: { closedWithinMs?: number; nowMs?: number } = {},
): Promise<RebuildReport> {
  const started = performance.now();
  const nowMs = options.nowMs ?? Date.now();
  const couriers = (await courierLastLocations(deps.db)).map(toLocation);
  for (let i = 0; i < couriers.length; i += CHUNK) await writeLocationsIfNewer(deps.redis, couriers.slice(i, i + CHUNK), []);

  const named = [...new Set(couriers.flatMap((c) => (c.orderId ? [c.orderId] : [])))];
  const closedSince = new Date(nowMs - (options.closedWithinMs ?? 24 * 3_600_000));
  const statuses: CachedOrderStatus[] = (await orderStatuses(deps.db, closedSince, named)).map((r) => ({
    orderId: r.id,
    status: r.status,
    at: Math.round(r.at),
    ...(r.courier_id ? { courierId: r.courier_id } : {}),
  }));
  for (let i = 0; i < statuses.length; i += CHUNK) await writeOrderStatusesIfAbsent(deps.redis, statuses.slice(i, i + CHUNK));

  const orderLocations = (await openOrderLocations(deps.db)).map(toLocation);
  for (let i = 0; i < orderLocations.length; i += CHUNK) await writeLocationsIfNewer(deps.redis, [], orderLocations.slice(i, i + CHUNK));

  const epoch = await markHotStateRebuilt(deps.redis);
  return { couriers: couriers.length, orders: statuses.length, orderLocations: orderLocations.length, ms: Math.round(performance.now() - started), epoch };
}
