import { describe, expect, it } from 'vitest';
import { type CourierFix, CourierStore, STALE } from './courier-store';
import { latOf, lngOf, worldX, worldY } from './mercator';

const T0 = 1_800_000_000_000;
const fix = (courierId: string, occurredAt: number, lat = -23.58, lng = -46.65, extra: Partial<CourierFix> = {}): CourierFix => ({
  courierId,
  lat,
  lng,
  occurredAt,
  ...extra,
});
const drawnAt = (store: CourierStore, id: string) => {
  const i = store.indexOf(id);
  return { lat: latOf(store.y[i]!), lng: lngOf(store.x[i]!) };
};

describe('CourierStore', () => {
  it('applies a snapshot: one slot per courier, found by id', () => {
    const store = new CourierStore({ frameMs: 250 });
    expect(store.apply([fix('a', T0, -23.5, -46.6, { status: 'delivering', orderId: 'o-1' }), fix('b', T0)], 0)).toBe(2);
    expect(store.size).toBe(2);
    expect(store.ids).toEqual(['a', 'b']);
    const a = store.indexOf('a');
    expect(store.x[a]).toBe(worldX(-46.6));
    expect(store.y[a]).toBe(worldY(-23.5));
    expect(store.statusOf(a)).toBe('delivering');
    expect(store.orderIds[a]).toBe('o-1');
    expect(store.indexOf('nobody')).toBe(-1);
  });

  it('grows past its first capacity without losing anyone', () => {
    const store = new CourierStore({ frameMs: 250 });
    const fixes = Array.from({ length: 5000 }, (_, n) => fix(`c${n}`, T0 + n, -23 - n / 1e4, -46, { status: n % 2 ? 'to_pickup' : 'idle' }));
    store.apply(fixes, 0);
    expect(store.size).toBe(5000);
    const last = store.indexOf('c4999');
    expect(store.fixAt[last]).toBe(T0 + 4999);
    expect(latOf(store.y[last]!)).toBeCloseTo(-23.4999, 9);
    expect(store.statusOf(last)).toBe('to_pickup');
  });

  it('ignores a position older than the one it holds; one as old only updates the status', () => {
    const store = new CourierStore({ frameMs: 250 });
    store.apply([fix('a', T0 + 1000, -23.5, -46.6)], 0);
    const version = store.version;
    expect(store.apply([fix('a', T0, -23.9, -46.9)], 10)).toBe(0);
    expect(store.version).toBe(version);
    expect(drawnAt(store, 'a').lat).toBeCloseTo(-23.5, 9);
    expect(store.apply([fix('a', T0 + 1000, -23.9, -46.9, { status: 'to_pickup' })], 20)).toBe(1);
    store.interpolate(5000);
    expect(drawnAt(store, 'a').lat).toBeCloseTo(-23.5, 9);
    expect(store.statusOf(store.indexOf('a'))).toBe('to_pickup');
  });

  it('keeps the status when a fix carries none', () => {
    const store = new CourierStore({ frameMs: 250 });
    store.apply([fix('a', T0, -23.5, -46.6, { status: 'delivering' })], 0);
    store.apply([fix('a', T0 + 1000, -23.51, -46.6)], 0);
    expect(store.statusOf(store.indexOf('a'))).toBe('delivering');
  });
});

describe('interpolation', () => {
  it('glides from where the courier is drawn to the new fix over the time between its fixes', () => {
    const store = new CourierStore({ frameMs: 250 });
    store.apply([fix('a', T0, -23.5, -46.6)], 10_000);
    expect(store.interpolate(10_000)).toBe(false); // a first fix is drawn where it is
    store.apply([fix('a', T0 + 1000, -23.6, -46.7)], 11_000); // pings a second apart: a 1 s glide
    expect(store.interpolate(11_000)).toBe(true);
    expect(drawnAt(store, 'a').lat).toBeCloseTo(-23.5, 6);
    store.interpolate(11_500);
    const half = store.indexOf('a');
    expect(store.x[half]).toBeCloseTo((worldX(-46.6) + worldX(-46.7)) / 2, 12);
    expect(store.y[half]).toBeCloseTo((worldY(-23.5) + worldY(-23.6)) / 2, 12);
    expect(store.interpolate(12_000)).toBe(false);
    expect(drawnAt(store, 'a')).toEqual({ lat: expect.closeTo(-23.6, 9), lng: expect.closeTo(-46.7, 9) });
    store.interpolate(60_000); // and stays there
    expect(drawnAt(store, 'a').lat).toBeCloseTo(-23.6, 9);
  });

  it('starts a new glide from the drawn position, not from the last fix', () => {
    const store = new CourierStore({ frameMs: 250 });
    store.apply([fix('a', T0, 0, 0)], 0);
    store.apply([fix('a', T0 + 1000, 0, 1)], 0);
    store.interpolate(500); // halfway to 1°
    store.apply([fix('a', T0 + 2000, 0, 2)], 500);
    store.interpolate(500);
    expect(drawnAt(store, 'a').lng).toBeCloseTo(0.5, 9);
    store.interpolate(1000);
    expect(drawnAt(store, 'a').lng).toBeCloseTo(1.25, 9);
  });

  it('glides at least a frame and at most two seconds', () => {
    const store = new CourierStore({ frameMs: 250 });
    store.apply([fix('a', T0, 0, 0), fix('b', T0, 0, 0)], 0);
    store.apply([fix('a', T0 + 10, 0, 1), fix('b', T0 + 60_000, 0, 1)], 0);
    const [a, b] = [store.indexOf('a'), store.indexOf('b')];
    expect([store.glideMs[a], store.glideMs[b]]).toEqual([250, 2000]);
    expect(store.interpolate(1999)).toBe(true);
    expect(store.interpolate(2000)).toBe(false);
  });
});

describe('staleness and counts', () => {
  it('greys couriers silent longer than the limit, restores them when heard from, and counts by state', () => {
    const store = new CourierStore({ frameMs: 250 });
    store.apply(
      [
        fix('idle', T0),
        fix('pickup', T0, 0, 0, { status: 'to_pickup' }),
        fix('busy', T0, 0, 0, { status: 'delivering' }),
        fix('busy-too', T0 + 50_000, 0, 0, { status: 'delivering' }),
        fix('quiet', T0 - 90_000, 0, 0, { status: 'delivering' }),
      ],
      0,
    );
    expect(store.refreshStale(T0 + 60_000, 60_000)).toBe(true);
    expect(store.counts).toEqual({ idle: 1, to_pickup: 1, delivering: 2, stale: 1, total: 5 });
    expect(store.state[store.indexOf('quiet')]).toBe(STALE);
    expect(store.refreshStale(T0 + 60_000, 60_000)).toBe(false); // nothing changed

    expect(store.refreshStale(T0 + 61_000, 60_000)).toBe(true);
    expect(store.counts).toEqual({ idle: 0, to_pickup: 0, delivering: 1, stale: 4, total: 5 });

    store.apply([fix('quiet', T0 + 61_000, 0, 0)], 0);
    store.refreshStale(T0 + 61_000, 60_000);
    expect(store.counts).toMatchObject({ delivering: 2, stale: 3 });
    expect(store.state[store.indexOf('quiet')]).toBe(2); // its status is kept while it was away
  });
});
