// Late orders for the map's alerts: not delivered, cancelled or failed, and created more
// than lateAfterMs ago. Oldest first, found through the orders' status index.
import type { Db } from '../db/client';
import { ORDER_STATUSES, type OrderStatus, isTerminal } from './state-machine';

const OPEN_STATUSES = ORDER_STATUSES.filter((s) => !isTerminal(s));

export interface LateOrder {
  orderId: string;
  status: OrderStatus;
  courierId: string | null;
  createdAt: number;
  ageMs: number;
}

/** GET /api/ops/alerts. */
export interface OpsAlerts {
  lateOrders: LateOrder[];
  lateTotal: number;
  lateAfterMs: number;
  at: number;
}

export async function listLateOrders(db: Db, options: { lateAfterMs: number; now: number; limit: number }): Promise<{ orders: LateOrder[]; total: number }> {
  const where = { status: { in: OPEN_STATUSES }, createdAt: { lt: new Date(options.now - options.lateAfterMs) } };
  const [rows, total] = await db.$transaction([
    db.order.findMany({ where, orderBy: { createdAt: 'asc' }, take: options.limit, select: { id: true, status: true, courierId: true, createdAt: true } }),
    db.order.count({ where }),
  ]);
  const orders = rows.map((r) => ({
    orderId: r.id,
    status: r.status as OrderStatus,
    courierId: r.courierId,
    createdAt: r.createdAt.getTime(),
    ageMs: options.now - r.createdAt.getTime(),
  }));
  return { orders, total };
}
