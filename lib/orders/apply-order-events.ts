// Applies a batch of order events. Every event received is kept (order_events); each
// affected order's timeline is rebuilt from all of its events (lib/orders/timeline.ts) and
// Postgres is brought in line in one transaction: the order row, its status history, one
// notification per accepted change (numbered per order), and the anomalies ops should see.
// Idempotent: applying the same events again changes nothing.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { queueDelivery } from '../couriers/courier-features-store';
import { historyGuard } from '../db/history-partitions';
import type { OrderEvent } from '../events/registry';
import { queueOrderStatus } from './order-status-store';
import { isTerminal } from './state-machine';
import { type Timeline, assignedCourier, buildTimeline } from './timeline';

export interface OrderNotification {
  orderId: string;
  seq: number;
  eventId: string;
  status: OrderEvent['status'];
  occurredAt: number;
  reason?: string;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

function insertRawEvents(db: Db, events: OrderEvent[]) {
  return historyGuard(db, 'order_events').insert(events.map((e) => e.occurredAt), () => db.$executeRaw`
    INSERT INTO order_events (event_id, order_id, status, occurred_at, courier_id, reason, payload)
    SELECT * FROM unnest(${events.map((e) => e.eventId)}::text[], ${events.map((e) => e.orderId)}::text[],
                         ${events.map((e) => e.status)}::text[], ${events.map((e) => new Date(e.occurredAt))}::timestamptz[],
                         ${events.map((e) => e.courierId ?? null)}::text[], ${events.map((e) => e.reason ?? null)}::text[],
                         ${events.map((e) => JSON.stringify(e))}::jsonb[])
    ON CONFLICT (event_id, occurred_at) DO NOTHING`);
}

async function applyTimeline(tx: Tx, orderId: string, timeline: Timeline, now: Date): Promise<OrderNotification[]> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${orderId}))`;

  // Anomalies: what the timeline refuses now (a late event may have made one legal).
  const acceptedIds = timeline.accepted.map((e) => e.eventId);
  await tx.orderAnomaly.deleteMany({ where: { orderId, eventId: { in: acceptedIds } } });
  if (timeline.rejected.length > 0) {
    await tx.orderAnomaly.createMany({
      skipDuplicates: true,
      data: timeline.rejected.map(({ event, reason }) => ({ eventId: event.eventId, orderId, status: event.status, reason, occurredAt: new Date(event.occurredAt) })),
    });
  }
  if (!timeline.status) return [];

  const created = timeline.accepted[0]!;
  const last = timeline.accepted.at(-1)!;
  const courierId = assignedCourier(timeline) ?? null;
  const fields = {
    status: timeline.status,
    courierId,
    createdAt: new Date(created.occurredAt),
    closedAt: isTerminal(timeline.status) ? new Date(last.occurredAt) : null,
    pickupLat: created.pickup?.lat ?? null,
    pickupLng: created.pickup?.lng ?? null,
    dropoffLat: created.dropoff?.lat ?? null,
    dropoffLng: created.dropoff?.lng ?? null,
  };
  // One notification per accepted change, ever, numbered in the order they are first accepted:
  // the new ones follow the last one sent (retention may have dropped the oldest: the order
  // row remembers the last number).
  const sent = await tx.notification.findMany({ where: { orderId }, select: { eventId: true, seq: true } });
  const notified = new Set(sent.map((n) => n.eventId));
  const previous = await tx.order.findUnique({ where: { id: orderId }, select: { lastSeq: true } });
  const lastSent = Math.max(previous?.lastSeq ?? 0, ...sent.map((n) => n.seq));
  const notifications = timeline.accepted
    .filter((e) => !notified.has(e.eventId))
    .map((e, i): OrderNotification => ({
      orderId,
      seq: lastSent + i + 1,
      eventId: e.eventId,
      status: e.status,
      occurredAt: e.occurredAt,
      ...(e.reason ? { reason: e.reason } : {}),
    }));
  const row = { ...fields, lastSeq: lastSent + notifications.length };
  await tx.order.upsert({ where: { id: orderId }, create: { id: orderId, ...row }, update: row });

  // Status history = the accepted changes, exactly.
  await tx.orderStatusHistory.deleteMany({ where: { orderId, eventId: { notIn: acceptedIds } } });
  await tx.orderStatusHistory.createMany({
    skipDuplicates: true,
    data: timeline.accepted.map((e) => ({ eventId: e.eventId, orderId, status: e.status, reason: e.reason ?? null, occurredAt: new Date(e.occurredAt) })),
  });
  if (notifications.length > 0) {
    await tx.notification.createMany({
      // created_at is the partition key: the day whose partition the caller made sure of
      data: notifications.map((n) => ({ orderId, seq: n.seq, eventId: n.eventId, kind: 'status', payload: { ...n }, createdAt: now })),
    });
  }
  return notifications;
}

/** Applies the events; returns the notifications this call created, in order per order. */
export async function applyOrderEvents(deps: { db: Db; redis: Redis }, events: OrderEvent[]): Promise<OrderNotification[]> {
  if (events.length === 0) return [];
  await insertRawEvents(deps.db, events);
  const orderIds = [...new Set(events.map((e) => e.orderId))];
  const stored = await deps.db.orderEventRecord.findMany({ where: { orderId: { in: orderIds } }, select: { orderId: true, payload: true } });
  const byOrder = new Map<string, OrderEvent[]>();
  for (const row of stored) {
    const list = byOrder.get(row.orderId) ?? [];
    list.push(row.payload as unknown as OrderEvent);
    byOrder.set(row.orderId, list);
  }
  const timelines = orderIds.map((id) => [id, buildTimeline(byOrder.get(id) ?? [])] as const);

  const now = new Date();
  const notifications = await historyGuard(deps.db, 'notifications').insert([now.getTime()], () =>
    deps.db.$transaction(async (tx) => {
      const all: OrderNotification[] = [];
      for (const [orderId, timeline] of timelines) all.push(...(await applyTimeline(tx, orderId, timeline, now)));
      return all;
    }),
  );

  const pipeline = deps.redis.pipeline();
  for (const [orderId, timeline] of timelines) {
    if (!timeline.status) continue;
    const courierId = assignedCourier(timeline);
    const at = timeline.accepted.at(-1)!.occurredAt;
    queueOrderStatus(pipeline, { orderId, status: timeline.status, at, ...(courierId ? { courierId } : {}) });
    // the courier's live features: a delivered order counts once (lib/couriers/courier-features.ts)
    if (timeline.status === 'delivered' && courierId) queueDelivery(pipeline, { courierId, orderId, at });
  }
  const results = await pipeline.exec();
  const failed = results?.find(([err]) => err);
  if (failed) throw failed[0];
  return notifications;
}
