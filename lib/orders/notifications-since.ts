// What a reconnecting client missed: the notifications after the last sequence it saw, in
// order; past `limit` of them it should reload the order instead.
import type { Db } from '../db/client';
import type { OrderNotification } from './apply-order-events';

export type CatchUp = { missed: OrderNotification[] } | { reload: true };

export async function notificationsSince(db: Db, orderId: string, lastSeq: number, limit = 50): Promise<CatchUp> {
  const rows = await db.notification.findMany({
    where: { orderId, seq: { gt: lastSeq } },
    orderBy: { seq: 'asc' },
    take: limit + 1,
    select: { payload: true },
  });
  if (rows.length > limit) return { reload: true };
  return { missed: rows.map((r) => r.payload as unknown as OrderNotification) };
}
