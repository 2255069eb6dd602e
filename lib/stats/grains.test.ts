import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GRAINS, countWindows, windowBounds, windowEnd, windowStart, windowStarts } from './grains';

const sec = (iso: string) => Date.parse(iso) / 1000;

describe('grains', () => {
  it('puts a time in its UTC minute, hour, day and calendar month', () => {
    const t = sec('2028-02-29T23:59:59.5Z');
    expect(windowBounds(windowStart('minute', t))).toEqual([
      [sec('2028-02-29T23:59:00Z'), sec('2028-03-01T00:00:00Z')],
      [sec('2028-02-29T23:00:00Z'), sec('2028-03-01T00:00:00Z')],
      [sec('2028-02-29T00:00:00Z'), sec('2028-03-01T00:00:00Z')],
      [sec('2028-02-01T00:00:00Z'), sec('2028-03-01T00:00:00Z')],
    ]);
    expect(windowEnd('month', sec('2026-12-01T00:00:00Z'))).toBe(sec('2027-01-01T00:00:00Z'));
    // years 0-99 are not read as 1900-1999
    expect(windowStart('month', sec('0050-07-04T00:00:00Z'))).toBe(sec('0050-07-01T00:00:00Z'));
  });

  it('nests: each window lies inside the next grain\'s, and windows tile time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5e10, max: 2e11 }), (t) => {
        const minute = windowStart('minute', t);
        const bounds = windowBounds(minute);
        for (let r = 0; r < GRAINS.length; r++) {
          const [start, end] = bounds[r]!;
          expect(start).toBeLessThanOrEqual(t);
          expect(end).toBeGreaterThan(t);
          expect(windowStart(GRAINS[r]!.grain, end)).toBe(end);
          if (r > 0) {
            expect(start).toBeLessThanOrEqual(bounds[r - 1]![0]);
            expect(end).toBeGreaterThanOrEqual(bounds[r - 1]![1]);
          }
        }
      }),
    );
  });

  it('lists and counts the windows of a range', () => {
    expect(windowStarts('month', sec('2026-11-15T00:00:00Z'), sec('2027-02-01T00:00:00Z'))).toEqual(
      ['2026-11-01', '2026-12-01', '2027-01-01'].map((d) => sec(`${d}T00:00:00Z`)),
    );
    expect(countWindows('month', sec('2026-11-15T00:00:00Z'), sec('2027-02-01T00:00:00Z'), 100)).toBe(3);
    expect(countWindows('minute', 0, 3601, 100)).toBe(61);
    expect(countWindows('minute', 0, 3601, 10)).toBe(10);
  });
});
