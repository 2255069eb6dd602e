import { describe, expect, it } from 'vitest';
import { contains, parseBBox, searchBox } from './bbox';

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
