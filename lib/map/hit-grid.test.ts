import { describe, expect, it } from 'vitest';
import { HitGrid } from './hit-grid';

const grid = (points: [number, number][], width = 800, height = 600, cellPx = 24) => {
  const g = new HitGrid(cellPx);
  g.build(Float32Array.from(points.map((p) => p[0])), Float32Array.from(points.map((p) => p[1])), points.length, width, height);
  return g;
};

describe('HitGrid', () => {
  it('finds the nearest point within the radius, across cell borders', () => {
    const g = grid([
      [100, 100],
      [130, 100],
      [23, 23],
      [25, 25],
    ]);
    expect(g.nearest(104, 101, 8)).toBe(0);
    expect(g.nearest(124, 100, 8)).toBe(1);
    expect(g.nearest(24.2, 24.2, 8)).toBe(3); // 2 and 3 sit in different cells
    expect(g.nearest(115, 100, 8)).toBe(-1); // 15 px from both
    expect(g.nearest(115, 100, 16)).toBe(1); // equally near: the one drawn last
  });

  it('leaves out points off the screen', () => {
    const g = grid([
      [-3, 10],
      [805, 10],
      [400, 610],
    ]);
    expect(g.nearest(0, 10, 8)).toBe(-1);
    expect(g.nearest(799, 10, 8)).toBe(-1);
    expect(g.nearest(400, 599, 12)).toBe(-1);
  });

  it('agrees with a scan of every point', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const points = Array.from({ length: 3000 }, (): [number, number] => [rnd() * 800, rnd() * 600]);
    const g = grid(points);
    for (let q = 0; q < 500; q++) {
      const [x, y] = [rnd() * 800, rnd() * 600];
      let best = -1;
      let bestD2 = 36;
      points.forEach(([px, py], i) => {
        const d2 = (Math.fround(px) - x) ** 2 + (Math.fround(py) - y) ** 2;
        if (d2 < bestD2 || (d2 === bestD2 && i > best)) [best, bestD2] = [i, d2];
      });
      expect(g.nearest(x, y, 6)).toBe(best);
    }
  });

  it('answers -1 before anything is built', () => {
    expect(new HitGrid().nearest(1, 1, 8)).toBe(-1);
  });
});
