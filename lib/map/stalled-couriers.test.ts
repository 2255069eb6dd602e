import { describe, expect, it } from 'vitest';
import type { CourierStatus } from '../couriers/courier-status';
import { CourierStore } from './courier-store';
import { stalledCouriers } from './stalled-couriers';

const MIN = 60_000;
const T0 = 1_800_000_000_000;
const LAT = -23.58;
const M_PER_DEG_LAT = 111_195;

/** A courier pinging once a minute for `minutes`, moving `metresPerMinute` north each time. */
function ride(store: CourierStore, id: string, status: CourierStatus, minutes: number, metresPerMinute: number, startAt = T0) {
  for (let m = 0; m <= minutes; m++) {
    store.apply([{ courierId: id, lat: LAT + (m * metresPerMinute) / M_PER_DEG_LAT, lng: -46.65, occurredAt: startAt + m * MIN, status, orderId: `o-${id}` }], 0);
  }
}

describe('stalledCouriers', () => {
  it('finds couriers on an order that stayed within 50 m for the limit, longest first', () => {
    const store = new CourierStore({ frameMs: 250 });
    ride(store, 'parked', 'delivering', 12, 0);
    ride(store, 'creeping', 'to_pickup', 7, 5); // 35 m in 7 minutes
    ride(store, 'riding', 'delivering', 12, 300);
    ride(store, 'resting', 'idle', 30, 0); // idle couriers may stand still
    ride(store, 'brief', 'delivering', 4, 0); // not long enough yet
    store.refreshStale(T0 + 12 * MIN, 20 * MIN);
    const { couriers, total } = stalledCouriers(store, 5 * MIN);
    expect(total).toBe(2);
    expect(couriers.map((c) => [c.courierId, c.status, c.stillForMs, c.orderId])).toEqual([
      ['parked', 'delivering', 12 * MIN, 'o-parked'],
      ['creeping', 'to_pickup', 7 * MIN, 'o-creeping'],
    ]);
    expect(couriers[0]).toMatchObject({ lat: expect.closeTo(LAT, 9), lng: expect.closeTo(-46.65, 9) });
  });

  it('starts counting again when the courier moves more than 50 m or its status changes', () => {
    const store = new CourierStore({ frameMs: 250 });
    ride(store, 'a', 'delivering', 10, 0);
    store.apply([{ courierId: 'a', lat: LAT + 60 / M_PER_DEG_LAT, lng: -46.65, occurredAt: T0 + 11 * MIN }], 0);
    expect(stalledCouriers(store, 5 * MIN).total).toBe(0);
    ride(store, 'b', 'idle', 10, 0);
    store.apply([{ courierId: 'b', lat: LAT, lng: -46.65, occurredAt: T0 + 11 * MIN, status: 'to_pickup' }], 0);
    expect(stalledCouriers(store, 5 * MIN).total).toBe(0);
  });

  it('leaves stale couriers to the stale count, and caps the list', () => {
    const store = new CourierStore({ frameMs: 250 });
    for (let n = 0; n < 8; n++) ride(store, `c${n}`, 'delivering', 6 + n, 0);
    store.refreshStale(T0 + 13 * MIN, 90_000); // the ones whose last ping is older than 90 s are stale
    const { couriers, total } = stalledCouriers(store, 5 * MIN, 1);
    expect(total).toBe(2); // c6 (last ping 12 min) and c7 (13 min)
    expect(couriers.map((c) => c.courierId)).toEqual(['c7']);
  });
});
