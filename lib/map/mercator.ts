// Web Mercator (EPSG:3857) in world units: x and y in [0, 1], y pointing south. Leaflet's
// pixel at zoom z is these times 256·2^z, so the map projects thousands of couriers with a
// multiply and an add per axis instead of a call per courier.
const EARTH_CIRCUMFERENCE_M = 2 * Math.PI * 6_378_137;
const MAX_SIN = Math.sin((85.0511287798 * Math.PI) / 180);

export const worldX = (lng: number): number => (lng + 180) / 360;

export function worldY(lat: number): number {
  const sin = Math.max(-MAX_SIN, Math.min(MAX_SIN, Math.sin((lat * Math.PI) / 180)));
  return 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
}

export const lngOf = (x: number): number => x * 360 - 180;
export const latOf = (y: number): number => (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;

/** Metres between two nearby points given in world units, at latitude `lat` (Mercator's scale there). */
export const worldDistanceM = (dx: number, dy: number, lat: number): number =>
  Math.hypot(dx, dy) * EARTH_CIRCUMFERENCE_M * Math.cos((lat * Math.PI) / 180);
