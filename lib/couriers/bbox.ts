// A viewport: west,south,east,north in degrees (the order Leaflet's toBBoxString() gives).
import { AppError } from '../http/errors';

export interface BBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
/**
 * Redis GEO holds latitudes up to ±85.05112878° (Web Mercator's edge) and refuses a search
 * centred beyond them. No courier can be stored past them either, so a viewport reaching
 * further (a zoomed-out map) is clamped to them rather than refused.
 */
export const GEO_MAX_LAT = 85.05112878;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function parseBBox(text: string): BBox {
  const parts = text.split(',').map((p) => p.trim());
  const fail = (message: string) => new AppError('validation_failed', `bbox ${message}`, [{ field: 'bbox', rule: 'format', message: `bbox ${message}` }]);
  if (parts.length !== 4 || parts.some((p) => p === '' || !Number.isFinite(Number(p)))) throw fail('must be four numbers: west,south,east,north');
  const [west, south, east, north] = parts.map(Number) as [number, number, number, number];
  if ([west, east].some((v) => v < -180 || v > 180) || [south, north].some((v) => v < -90 || v > 90)) throw fail('is outside the world');
  if (west > east || south > north) throw fail('must have west <= east and south <= north');
  const clamp = (lat: number) => Math.min(GEO_MAX_LAT, Math.max(-GEO_MAX_LAT, lat));
  return { west, south: clamp(south), east, north: clamp(north) };
}

export function contains(box: BBox, lat: number, lng: number): boolean {
  return lat >= box.south && lat <= box.north && lng >= box.west && lng <= box.east;
}

/** Centre and a width/height in metres that covers the box (for Redis GEOSEARCH BYBOX). */
export function searchBox(box: BBox): { lng: number; lat: number; widthM: number; heightM: number } {
  const lat = (box.south + box.north) / 2;
  const widest = Math.max(Math.cos(rad(box.south)), Math.cos(rad(box.north)), box.south <= 0 && box.north >= 0 ? 1 : 0);
  return {
    lng: (box.west + box.east) / 2,
    lat,
    widthM: rad(box.east - box.west) * EARTH_RADIUS_M * widest + 1,
    heightM: rad(box.north - box.south) * EARTH_RADIUS_M + 1,
  };
}
