// A courier's status on the map comes from its current order: on the way to the pickup once
// the order is confirmed, delivering once picked up, otherwise idle. Order statuses are read
// from their Redis cache (lib/orders/order-status-store.ts), many at once.
import type { OrderStatus } from '../orders/state-machine';

export const COURIER_STATUSES = ['idle', 'to_pickup', 'delivering'] as const;
export type CourierStatus = (typeof COURIER_STATUSES)[number];

export function courierStatusOf(orderStatus: OrderStatus | undefined): CourierStatus {
  if (orderStatus === 'confirmed') return 'to_pickup';
  if (orderStatus === 'picked_up' || orderStatus === 'in_transit') return 'delivering';
  return 'idle';
}
