// Per-courier features for dispatch and for analysts (the ML features of the transactions
// seed, in this domain): pings, distance travelled and deliveries completed. One definition,
// computed in three places that must agree: live in Redis (courier-features-store.ts), per
// day in the lake (lib/lake/courier-features-job.ts), and in the reference below.
// - a ping counts once;
// - distance is the great-circle distance between each of a courier's pings and the one
//   before it in event time (haversine, on a sphere of EARTH_RADIUS_M);
// - a delivery is an order that reached delivered, credited to the courier it was assigned to.

export const EARTH_RADIUS_M = 6_371_008.8;

const rad = (deg: number) => (deg * Math.PI) / 180;

export function haversineM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lng2 - lng1) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export interface FeaturePing {
  courierId: string;
  lat: number;
  lng: number;
  occurredAt: number;
}

export interface CourierTotals {
  pings: number;
  distanceM: number;
}

/** The reference: each courier's pings and distance over these pings (each ping once), in event time. */
export function totalsOf(pings: FeaturePing[]): Map<string, CourierTotals> {
  const byCourier = new Map<string, FeaturePing[]>();
  for (const p of pings) {
    const list = byCourier.get(p.courierId) ?? [];
    list.push(p);
    byCourier.set(p.courierId, list);
  }
  const out = new Map<string, CourierTotals>();
  for (const [courierId, list] of byCourier) {
    list.sort((a, b) => a.occurredAt - b.occurredAt);
    let distanceM = 0;
    for (let i = 1; i < list.length; i++) distanceM += haversineM(list[i - 1]!.lat, list[i - 1]!.lng, list[i]!.lat, list[i]!.lng);
    out.set(courierId, { pings: list.length, distanceM });
  }
  return out;
}
