// The order lifecycle. Pure: which status may follow which.
import type { OrderEvent } from '../events/registry';

export type OrderStatus = OrderEvent['status'];

export const ORDER_STATUSES: readonly OrderStatus[] = ['created', 'confirmed', 'picked_up', 'in_transit', 'delivered', 'cancelled', 'failed'];

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  created: ['confirmed', 'cancelled'],
  confirmed: ['picked_up', 'cancelled'],
  // a courier app may go straight from pickup to delivery on a short trip
  picked_up: ['in_transit', 'delivered', 'failed'],
  in_transit: ['delivered', 'failed'],
  delivered: [],
  cancelled: [],
  failed: [],
};

export const isTerminal = (status: OrderStatus) => NEXT[status].length === 0;

/** Why `to` cannot follow `from` (undefined: it can). `from` undefined: the order does not exist yet. */
export function transitionError(from: OrderStatus | undefined, to: OrderStatus): string | undefined {
  if (from === undefined) return to === 'created' ? undefined : `unknown order: ${to} before created`;
  if (to === 'created') return 'the order was already created';
  if (NEXT[from].includes(to)) return undefined;
  if (isTerminal(from)) return `the order is already ${from}`;
  return `${to} cannot follow ${from}`;
}
