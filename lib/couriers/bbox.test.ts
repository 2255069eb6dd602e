import { describe, expect, it } from 'vitest';
import { GEO_MAX_LAT, contains, parseBBox, searchBox } from './bbox';

describe('bbox', () => {
  it('parses west,south,east,north', () => {
    expect(parseBBox('-46.8,-23.7,-46.4,-23.4')).toEqual({ west: -46.8, south: -23.7, east: -46.4, north: -23.4 });
  });

  it.each(['', '1,2,3', 'a,b,c,d', '-200,0,0,0', '0,-91,0,0', '10,0,0,1', '0,10,1,0'])('refuses %j naming bbox', (text) => {
    expect(() => parseBBox(text)).toThrow(/^bbox /);
  });

  it('tests containment on the edges', () => {
    const box = parseBBox('0,0,1,1');
    expect(contains(box, 0, 0)).toBe(true);
    expect(contains(box, 1, 1)).toBe(true);
    expect(contains(box, 1.0001, 0.5)).toBe(false);
  });

  it('covers the box with a search rectangle', () => {
    const s = searchBox(parseBBox('-1,-1,1,1'));
    expect(s).toMatchObject({ lng: 0, lat: 0 });
    expect(s.widthM).toBeGreaterThan(222_000);
    expect(s.heightM).toBeGreaterThan(222_000);
  });
});

describe('bbox beyond what Redis GEO holds', () => {
  it('clamps latitudes past ±85.05112878° instead of handing Redis a search it refuses', () => {
    expect(parseBBox('-180,-90,180,90')).toEqual({ west: -180, south: -GEO_MAX_LAT, east: 180, north: GEO_MAX_LAT });
    expect(parseBBox('0,86,1,89')).toEqual({ west: 0, south: GEO_MAX_LAT, east: 1, north: GEO_MAX_LAT });
    const s = searchBox(parseBBox('10,80,20,89.9'));
    expect(Math.abs(s.lat)).toBeLessThanOrEqual(GEO_MAX_LAT);
  });

  it('keeps refusing what is outside the world', () => {
    expect(() => parseBBox('0,-90.1,1,0')).toThrow(/^bbox is outside the world/);
  });
});
