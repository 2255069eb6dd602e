import { describe, expect, it } from 'vitest';
import { haversineM, totalsOf } from './courier-features';

describe('courier features', () => {
  it('measures great-circle distance', () => {
    expect(haversineM(0, 0, 0, 1)).toBeCloseTo(111_195.08, 1); // a degree of the equator
    expect(haversineM(-23.55, -46.63, -23.55, -46.63)).toBe(0);
    expect(haversineM(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6_371_008.8, 3);
  });

  it('counts each courier’s pings and the distance between them in event time, whatever order they come in', () => {
    const pings = [
      { courierId: 'a', lat: 0, lng: 0.002, occurredAt: 3 },
      { courierId: 'a', lat: 0, lng: 0, occurredAt: 1 },
      { courierId: 'b', lat: 1, lng: 1, occurredAt: 1 },
      { courierId: 'a', lat: 0, lng: 0.001, occurredAt: 2 },
    ];
    const totals = totalsOf(pings);
    expect(totals.get('a')!.pings).toBe(3);
    expect(totals.get('a')!.distanceM).toBeCloseTo(2 * haversineM(0, 0, 0, 0.001), 6);
    expect(totals.get('b')).toEqual({ pings: 1, distanceM: 0 });
  });
});
