// Stalled couriers: on the way to a pickup or delivering, heard from, but not moved further
// than the store's stillWithinM (50 m) for stalledAfterMs, by their own pings' times.
import type { CourierStatus } from '../couriers/courier-status';
import { type CourierStore, STALE } from './courier-store';
import { lngOf } from './mercator';

export interface StalledCourier {
  courierId: string;
  status: CourierStatus;
  orderId?: string;
  /** How long it has stayed put, up to its last ping. */
  stillForMs: number;
  lat: number;
  lng: number;
}

/** The stalled couriers, longest stalled first, at most `limit`; and how many there are in all. */
export function stalledCouriers(store: CourierStore, stalledAfterMs: number, limit = 50): { couriers: StalledCourier[]; total: number } {
  const found: number[] = [];
  for (let i = 0; i < store.size; i++) {
    const busy = store.status[i] !== 0 && store.state[i] !== STALE;
    if (busy && store.fixAt[i]! - store.stillSince[i]! >= stalledAfterMs) found.push(i);
  }
  const stillFor = (i: number) => store.fixAt[i]! - store.stillSince[i]!;
  found.sort((a, b) => stillFor(b) - stillFor(a));
  const couriers = found.slice(0, limit).map((i) => ({
    courierId: store.ids[i]!,
    status: store.statusOf(i),
    ...(store.orderIds[i] ? { orderId: store.orderIds[i] } : {}),
    stillForMs: stillFor(i),
    lat: store.lat[i]!,
    lng: lngOf(store.toX[i]!),
  }));
  return { couriers, total: found.length };
}
