import { describe, expect, it } from 'vitest';
import { validateEvent } from '../events/validate';
import { transitionError } from '../orders/state-machine';
import { City, type CityEvent, type CityOptions, SAO_PAULO } from './city';

const OPTIONS: CityOptions = { seed: 7, couriers: 60, ordersPerMinute: 5, activityPerSecond: 5, pingIntervalMs: 1000, bbox: SAO_PAULO, runId: 'sim' };
const T0 = 1_800_000_000_000;

function run(options: CityOptions, seconds: number): CityEvent[] {
  const city = new City(options, T0);
  const events: CityEvent[] = [];
  for (let s = 1; s <= seconds; s++) events.push(...city.advance(T0 + s * 1000));
  return events;
}

describe('City', () => {
  const events = run(OPTIONS, 30 * 60);

  it('is deterministic from its seed', () => {
    expect(JSON.stringify(run(OPTIONS, 120))).toBe(JSON.stringify(events.slice(0, run(OPTIONS, 120).length)));
  });

  it('sends only events the ingest API accepts, from the right sender', () => {
    // checked event by event, asserted once: an expect per event took ~5 s for the ~120k events
    const wrong: string[] = [];
    for (const { by, event } of events) {
      if (!validateEvent(event).ok) wrong.push(`invalid: ${JSON.stringify(event)}`);
      if (event.type === 'courier.location' && !(by.kind === 'courier' && by.id === event.courierId)) wrong.push(`ping sent by ${JSON.stringify(by)}: ${JSON.stringify(event)}`);
      if (event.type === 'order.event' && by.kind === 'courier' && event.courierId !== by.id) wrong.push(`order event sent by ${JSON.stringify(by)}: ${JSON.stringify(event)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(wrong.length).toBe(0);
  });

  it('pings every courier about once a second, inside the city, at plausible speeds', () => {
    const pings = events.flatMap((e) => (e.event.type === 'courier.location' ? [e.event] : []));
    expect(pings.length).toBeGreaterThan(OPTIONS.couriers * 30 * 60 * 0.98);
    const last = new Map<string, (typeof pings)[number]>();
    const [s, w, n, e] = SAO_PAULO;
    const wrong: string[] = []; // asserted once, as above
    for (const p of pings) {
      if (!(p.lat >= s && p.lat <= n && p.lng >= w && p.lng <= e)) wrong.push(`outside the city: ${JSON.stringify(p)}`);
      const before = last.get(p.courierId);
      if (before) {
        const m = Math.hypot((p.lat - before.lat) * 111_320, (p.lng - before.lng) * 111_320 * Math.cos((p.lat * Math.PI) / 180));
        const mps = m / ((p.occurredAt - before.occurredAt) / 1000);
        if (!(mps < 11 * 1.3 + 0.1)) wrong.push(`${mps.toFixed(1)} m/s: ${JSON.stringify(p)}`); // 40 km/h with traffic noise
      }
      last.set(p.courierId, p);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(wrong.length).toBe(0);
  });

  it('takes orders through a legal lifecycle, nearly all that end delivered', () => {
    const byOrder = new Map<string, string[]>();
    for (const { event } of events) if (event.type === 'order.event') byOrder.set(event.orderId, [...(byOrder.get(event.orderId) ?? []), event.status]);
    expect(byOrder.size).toBeGreaterThan(120);
    let delivered = 0;
    let closed = 0;
    for (const [id, statuses] of byOrder) {
      let status: Parameters<typeof transitionError>[0];
      for (const next of statuses as Parameters<typeof transitionError>[1][]) {
        expect(transitionError(status, next), `${id}: ${statuses.join(' → ')}`).toBeUndefined();
        status = next;
      }
      if (status === 'delivered') delivered++;
      if (status === 'delivered' || status === 'cancelled' || status === 'failed') closed++;
    }
    expect(closed).toBeGreaterThan(50);
    expect(delivered / closed).toBeGreaterThan(0.85);
  });

  it('sends user activity at the configured rate', () => {
    const frames = events.filter((e) => e.event.type === 'user.activity');
    expect(frames.length).toBeGreaterThanOrEqual(5 * 30 * 60 - 1);
  });
});
