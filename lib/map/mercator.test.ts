import { describe, expect, it } from 'vitest';
import { latOf, lngOf, worldDistanceM, worldX, worldY } from './mercator';

describe('mercator world units', () => {
  it("matches Leaflet's EPSG:3857 pixels at zoom 0 (256 px)", () => {
    // L.CRS.EPSG3857.latLngToPoint([-23.58, -46.65], 0) = (94.82667, 145.26242)
    expect(worldX(-46.65) * 256).toBeCloseTo(94.82667, 4);
    expect(worldY(-23.58) * 256).toBeCloseTo(145.26242, 4);
    expect(worldX(0)).toBe(0.5);
    expect(worldY(0)).toBe(0.5);
  });

  it('inverts', () => {
    expect(lngOf(worldX(-46.65))).toBeCloseTo(-46.65, 10);
    expect(latOf(worldY(-23.58))).toBeCloseTo(-23.58, 10);
  });

  it('measures short distances in metres, within 0.2% of the great circle', () => {
    // Leaflet's haversine: 0.001° of latitude is 111.19 m in São Paulo, of longitude 101.91 m
    const dy = worldY(-23.581) - worldY(-23.58);
    expect(Math.abs(worldDistanceM(0, dy, -23.58) - 111.19)).toBeLessThan(0.25);
    const dx = worldX(-46.649) - worldX(-46.65);
    expect(Math.abs(worldDistanceM(dx, 0, -23.58) - 101.91)).toBeLessThan(0.25);
  });
});
