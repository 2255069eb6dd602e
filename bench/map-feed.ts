// The map benchmark's fleet: N couriers riding across São Paulo at 15–45 km/h, each sending
// its position once a second, announced on the Redis channel the location worker announces
// on — what the server's fan-out would see from a city of that size, without the ingest
// pipeline (whose cost bench/ingest-pipeline.ts and bench/freshness.ts measure). A third of
// the couriers are idle, a third on the way to a pickup, a third delivering: their orders'
// statuses are cached in Redis (seedFleetOrders), so each frame's status lookup is real.
import type { Redis } from 'ioredis';
import { queueOrderStatus } from '../lib/orders/order-status-store';
import type { OrderStatus } from '../lib/orders/state-machine';
import type { CourierPosition } from '../lib/realtime/socket-events';
import { SAO_PAULO } from '../lib/simulator/city';
import { createRedis } from '../lib/redis/client';
import { random } from '../lib/stats/activity-generator';
import { monoMs } from './load';

export const fleetCourierId = (tag: string, n: number) => `map-${tag}-${n}`;
export const fleetOrderId = (tag: string, n: number) => `map-${tag}-o${n}`;
const ROLE_STATUS: (OrderStatus | null)[] = [null, 'confirmed', 'picked_up'];

/** Caches the statuses of the fleet's orders: courier n is idle, to pickup or delivering by n % 3. */
export async function seedFleetOrders(redis: Redis, tag: string, couriers: number): Promise<void> {
  const at = Date.now();
  for (let start = 0; start < couriers; start += 5000) {
    const pipeline = redis.pipeline();
    for (let n = start; n < Math.min(couriers, start + 5000); n++) {
      const status = ROLE_STATUS[n % 3];
      if (status) queueOrderStatus(pipeline, { orderId: fleetOrderId(tag, n), status, at, courierId: fleetCourierId(tag, n) }, 3600);
    }
    await pipeline.exec();
  }
}

export interface FleetFeedArgs {
  redisUrl: string;
  channel: string;
  tag: string;
  couriers: number;
  seconds: number;
  /** Announcements per second; each carries couriers / perSecond of the couriers. */
  perSecond: number;
  seed: number;
}

export interface FleetFeedResult {
  positions: number;
  announcements: number;
  /** Announcements sent more than one interval late. */
  late: number;
  seconds: number;
}

const M_PER_DEG_LAT = 111_320;

let stopRequested = false;
/** Ends the running feed after its current announcement. */
export function stopFleetFeed(): void {
  stopRequested = true;
}

/** Announces every courier's position once a second for `seconds` (or until stopped), spread evenly over the second. */
export async function fleetFeed(args: FleetFeedArgs): Promise<FleetFeedResult> {
  stopRequested = false;
  const [south, west, north, east] = SAO_PAULO;
  const cosLat = Math.cos((((south + north) / 2) * Math.PI) / 180);
  const next = random(args.seed);
  const n = args.couriers;
  const lat = new Float64Array(n);
  const lng = new Float64Array(n);
  // velocity in degrees per second
  const vLat = new Float64Array(n);
  const vLng = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lat[i] = south + next() * (north - south);
    lng[i] = west + next() * (east - west);
    const heading = next() * 2 * Math.PI;
    const speed = 4 + next() * 8.5; // m/s
    vLat[i] = (Math.cos(heading) * speed) / M_PER_DEG_LAT;
    vLng[i] = (Math.sin(heading) * speed) / (M_PER_DEG_LAT * cosLat);
  }
  const ids = Array.from({ length: n }, (_, i) => fleetCourierId(args.tag, i));
  const orders = Array.from({ length: n }, (_, i) => (ROLE_STATUS[i % 3] ? fleetOrderId(args.tag, i) : undefined));
  const lastAt = new Float64Array(n);

  const redis = createRedis(args.redisUrl, 'bench-map-feed');
  const intervalMs = 1000 / args.perSecond;
  const chunk = Math.ceil(n / args.perSecond);
  const result: FleetFeedResult = { positions: 0, announcements: 0, late: 0, seconds: 0 };
  const start = monoMs();
  const total = Math.floor(args.seconds * args.perSecond);
  try {
    for (let k = 0; k < total && !stopRequested; k++) {
      const due = start + k * intervalMs;
      const wait = due - monoMs();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      else if (wait < -intervalMs) result.late++;
      const now = Date.now();
      const first = (k % args.perSecond) * chunk;
      const frame: CourierPosition[] = [];
      for (let i = first; i < Math.min(n, first + chunk); i++) {
        const dt = lastAt[i] === 0 ? 1 : (now - lastAt[i]!) / 1000;
        lastAt[i] = now;
        lat[i] = lat[i]! + vLat[i]! * dt;
        lng[i] = lng[i]! + vLng[i]! * dt;
        // turn back at the edge of the city
        if (lat[i]! < south || lat[i]! > north) vLat[i] = -vLat[i]!;
        if (lng[i]! < west || lng[i]! > east) vLng[i] = -vLng[i]!;
        const position: CourierPosition = { courierId: ids[i]!, lat: lat[i]!, lng: lng[i]!, occurredAt: now };
        if (orders[i]) position.orderId = orders[i];
        frame.push(position);
      }
      if (frame.length === 0) continue;
      await redis.publish(args.channel, JSON.stringify(frame));
      result.positions += frame.length;
      result.announcements++;
    }
    result.seconds = (monoMs() - start) / 1000;
    return result;
  } finally {
    await redis.quit().catch(() => undefined);
  }
}
