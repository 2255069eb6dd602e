import { describe, expect, it } from 'vitest';
import { clusterOnGrid } from './clusters';

describe('clusterOnGrid', () => {
  it('gathers the points of each cell at their centroid, counting each state', () => {
    const points: [number, number, number][] = [
      [10, 10, 0],
      [30, 30, 2],
      [20, 50, 2], // same 64 px cell as the two above
      [100, 10, 3],
      [700, 500, 1],
      [-5, 10, 0], // off the screen
      [10, 650, 0],
    ];
    const c = clusterOnGrid(
      Float32Array.from(points.map((p) => p[0])),
      Float32Array.from(points.map((p) => p[1])),
      Uint8Array.from(points.map((p) => p[2])),
      points.length,
      64,
      800,
      600,
    );
    expect(c.count).toBe(3);
    expect([...c.total]).toEqual([3, 1, 1]);
    expect([c.x[0], c.y[0]]).toEqual([20, 30]);
    expect([...c.byState.slice(0, 4)]).toEqual([1, 0, 2, 0]); // idle, to pickup, delivering, stale
    expect([...c.byState.slice(4, 8)]).toEqual([0, 0, 0, 1]);
    expect([c.x[2], c.y[2], ...c.byState.slice(8, 12)]).toEqual([700, 500, 0, 1, 0, 0]);
  });

  it('counts every point on the screen exactly once', () => {
    const n = 10_000;
    const xs = Float32Array.from({ length: n }, (_, i) => (i * 7919) % 1280);
    const ys = Float32Array.from({ length: n }, (_, i) => (i * 104729) % 720);
    const states = Uint8Array.from({ length: n }, (_, i) => i % 4);
    const c = clusterOnGrid(xs, ys, states, n, 48, 1280, 720);
    expect(c.total.reduce((a, b) => a + b, 0)).toBe(n);
    expect(c.byState.reduce((a, b) => a + b, 0)).toBe(n);
    expect(c.count).toBeLessThanOrEqual(Math.ceil(1280 / 48) * Math.ceil(720 / 48));
  });
});
