// Who carries an order, from the server's own record: the status cache the order worker keeps
// in Redis, with Postgres behind it for orders Redis does not hold (evicted, Redis restarted).
// One Redis round trip, and one Postgres query only for the orders Redis lacked.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { readOrderStatuses } from './order-status-store';

/** Each asked order's courier: absent for an order unknown to both, null for one unassigned. */
export async function readAssignments(deps: { redis: Redis; db: Db }, orderIds: Iterable<string>): Promise<Map<string, string | null>> {
  const ids = [...new Set(orderIds)];
  const assignments = new Map<string, string | null>();
  if (ids.length === 0) return assignments;
  const cached = await readOrderStatuses(deps.redis, ids);
  const missing: string[] = [];
  for (const id of ids) {
    const hit = cached.get(id);
    if (hit) assignments.set(id, hit.courierId ?? null);
    else missing.push(id);
  }
  if (missing.length > 0) {
    const rows = await deps.db.order.findMany({ where: { id: { in: missing } }, select: { id: true, courierId: true } });
    for (const row of rows) assignments.set(row.id, row.courierId);
  }
  return assignments;
}

/** Whether `courierId` carries `orderId` by `assignments` (from readAssignments). */
export const carries = (assignments: ReadonlyMap<string, string | null>, courierId: string, orderId: string) =>
  assignments.get(orderId) === courierId;
