// What the customer's page shows: the order, its timeline and its courier's last position.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { orderLocationKey } from '../couriers/keys';
import { type StoredLocation, readLocation } from '../couriers/record-locations';
import type { OrderStatus } from './state-machine';

export interface OrderSnapshot {
  orderId: string;
  status: OrderStatus;
  lastSeq: number;
  dropoff: { lat: number; lng: number } | null;
  timeline: { seq: number; status: OrderStatus; occurredAt: number; reason?: string }[];
  courier: StoredLocation | null;
}

export async function readOrder(deps: { db: Db; redis: Redis }, orderId: string): Promise<OrderSnapshot | null> {
  const order = await deps.db.order.findUnique({
    where: { id: orderId },
    include: { notifications: { orderBy: { seq: 'asc' }, select: { seq: true, payload: true } } },
  });
  if (!order) return null;
  const courier = await readLocation(deps.redis, orderLocationKey(orderId));
  return {
    orderId,
    status: order.status as OrderStatus,
    lastSeq: order.lastSeq,
    dropoff: order.dropoffLat !== null && order.dropoffLng !== null ? { lat: order.dropoffLat, lng: order.dropoffLng } : null,
    timeline: order.notifications.map((n) => {
      const p = n.payload as { status: OrderStatus; occurredAt: number; reason?: string };
      return { seq: n.seq, status: p.status, occurredAt: p.occurredAt, ...(p.reason ? { reason: p.reason } : {}) };
    }),
    courier,
  };
}
