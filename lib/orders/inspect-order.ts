// What ops see of an order: its state, accepted timeline, every event received, anomalies.
import type { Db } from '../db/client';

export async function inspectOrder(db: Db, orderId: string) {
  const [order, history, received, anomalies] = await db.$transaction([
    db.order.findUnique({ where: { id: orderId } }),
    db.orderStatusHistory.findMany({ where: { orderId }, orderBy: { occurredAt: 'asc' }, select: { eventId: true, status: true, reason: true, occurredAt: true } }),
    db.orderEventRecord.findMany({ where: { orderId }, orderBy: { receivedAt: 'asc' }, select: { eventId: true, status: true, occurredAt: true, receivedAt: true } }),
    db.orderAnomaly.findMany({ where: { orderId }, orderBy: { occurredAt: 'asc' }, select: { eventId: true, status: true, reason: true, occurredAt: true } }),
  ]);
  if (!order && received.length === 0) return null;
  return { orderId, order, history, received, anomalies };
}

export type OrderInspection = NonNullable<Awaited<ReturnType<typeof inspectOrder>>>;

export function recentAnomalies(db: Db, limit = 50) {
  return db.orderAnomaly.findMany({ orderBy: { detectedAt: 'desc' }, take: limit });
}
