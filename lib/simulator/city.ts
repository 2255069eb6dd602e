// A simulated city: couriers riding a street grid at motorbike speeds, restaurants, orders
// flowing through their lifecycle, customers' app activity. Pure and deterministic from a
// seed: `advance(nowMs)` moves the world on and returns the events the apps would send.
import type { CourierLocationV2, OrderEventV1 } from '../events/schema-types.generated';
import { random } from '../stats/activity-generator';

export interface CityOptions {
  seed: number;
  couriers: number;
  /** New orders per minute across the city. */
  ordersPerMinute: number;
  /** Customer app activity frames per second. */
  activityPerSecond: number;
  /** How often each courier's app sends its position. */
  pingIntervalMs: number;
  /** south, west, north, east in degrees. */
  bbox: [number, number, number, number];
  /** Prefix of every id, so runs never collide. */
  runId: string;
}

/** São Paulo, the city's expanded centre. */
export const SAO_PAULO: CityOptions['bbox'] = [-23.68, -46.78, -23.48, -46.52];

export type Phase = 'idle' | 'to_pickup' | 'delivering';

interface Point {
  lat: number;
  lng: number;
}

interface Courier extends Point {
  id: string;
  phase: Phase;
  speedMps: number;
  /** Corners still to ride through, nearest first. */
  path: Point[];
  orderId?: string;
  nextPingAt: number;
  /** Parked until then (ms), when idle. */
  restUntil: number;
}

interface Order {
  id: string;
  courierId: string;
  pickup: Point;
  dropoff: Point;
  /** Pending status changes that happen at a time rather than on arrival. */
  due: { at: number; status: OrderEventV1['status']; reason?: string }[];
}

export type CityEvent =
  | { by: { kind: 'courier'; id: string }; event: CourierLocationV2 | OrderEventV1 }
  | { by: { kind: 'integrator'; id: string }; event: OrderEventV1 | ActivityFrame };

export interface ActivityFrame {
  type: 'user.activity';
  version: 1;
  uid: string;
  ts: number;
  event: string;
  page: { path: string };
}

const M_PER_DEG_LAT = 111_320;
const mPerDegLng = (lat: number) => M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
const distanceM = (a: Point, b: Point) => Math.hypot((a.lat - b.lat) * M_PER_DEG_LAT, (a.lng - b.lng) * mPerDegLng(a.lat));
/** Grid streets: ride one way, then the other. */
const corner = (from: Point, to: Point, lngFirst: boolean): Point => (lngFirst ? { lat: from.lat, lng: to.lng } : { lat: to.lat, lng: from.lng });

export class City {
  private readonly rnd: () => number;
  private readonly couriers: Courier[] = [];
  private readonly orders = new Map<string, Order>();
  private readonly restaurants: Point[] = [];
  private lastMs: number;
  private orderSeq = 0;
  private eventSeq = 0;
  // the first order is placed at once, so a run has a sample order page from the start
  private orderDebt = 1;
  private activityDebt = 0;

  constructor(
    private readonly o: CityOptions,
    startMs: number,
  ) {
    this.rnd = random(o.seed);
    this.lastMs = startMs;
    for (let i = 0; i < Math.max(8, Math.round(o.couriers / 25)); i++) this.restaurants.push(this.somewhere());
    for (let i = 0; i < o.couriers; i++) {
      const at = this.near(this.restaurants[i % this.restaurants.length]!, 1500);
      this.couriers.push({
        id: `${o.runId}-c${i}`,
        ...at,
        phase: 'idle',
        speedMps: 5 + this.rnd() * 6, // 18-40 km/h
        path: [],
        nextPingAt: startMs + this.rnd() * o.pingIntervalMs,
        restUntil: startMs + this.rnd() * 60_000,
      });
    }
  }

  get courierIds(): string[] {
    return this.couriers.map((c) => c.id);
  }

  counts(): Record<Phase, number> {
    const counts = { idle: 0, to_pickup: 0, delivering: 0 };
    for (const c of this.couriers) counts[c.phase]++;
    return counts;
  }

  /** The world at `nowMs`: what every app sends between the last call and now. */
  advance(nowMs: number): CityEvent[] {
    const dt = Math.max(0, (nowMs - this.lastMs) / 1000);
    this.lastMs = nowMs;
    const out: CityEvent[] = [];
    this.orderDebt += (this.o.ordersPerMinute / 60) * dt;
    for (; this.orderDebt >= 1; this.orderDebt--) this.placeOrder(nowMs, out);
    for (const c of this.couriers) this.ride(c, dt, nowMs, out);
    for (const order of this.orders.values()) this.dueChanges(order, nowMs, out);
    this.activityDebt += this.o.activityPerSecond * dt;
    for (; this.activityDebt >= 1; this.activityDebt--) out.push(this.activity(nowMs));
    return out;
  }

  private somewhere(): Point {
    const [s, w, n, e] = this.o.bbox;
    return { lat: s + this.rnd() * (n - s), lng: w + this.rnd() * (e - w) };
  }

  private near(p: Point, radiusM: number): Point {
    const [s, w, n, e] = this.o.bbox;
    const dLat = ((this.rnd() * 2 - 1) * radiusM) / M_PER_DEG_LAT;
    const dLng = ((this.rnd() * 2 - 1) * radiusM) / mPerDegLng(p.lat);
    return { lat: Math.min(n, Math.max(s, p.lat + dLat)), lng: Math.min(e, Math.max(w, p.lng + dLng)) };
  }

  private route(c: Courier, to: Point): void {
    c.path = [corner(c, to, this.rnd() < 0.5), to];
  }

  private nextId = (kind: string) => `${this.o.runId}-${kind}-${String(++this.eventSeq).padStart(8, '0')}`;

  private orderEvent(order: Order, status: OrderEventV1['status'], at: number, extra: Partial<OrderEventV1> = {}): OrderEventV1 {
    return { type: 'order.event', version: 1, eventId: this.nextId('e'), orderId: order.id, status, occurredAt: Math.round(at), ...extra };
  }

  private placeOrder(nowMs: number, out: CityEvent[]): void {
    const pickup = this.restaurants[Math.floor(this.rnd() * this.restaurants.length)]!;
    let best: Courier | undefined;
    let bestM = Infinity;
    for (const c of this.couriers) {
      if (c.phase !== 'idle') continue;
      const m = distanceM(c, pickup);
      if (m < bestM) [best, bestM] = [c, m];
    }
    if (!best) return; // every courier busy: the order waits for the next one
    const order: Order = { id: `${this.o.runId}-o${++this.orderSeq}`, courierId: best.id, pickup, dropoff: this.near(pickup, 4000), due: [] };
    this.orders.set(order.id, order);
    const shop = { kind: 'integrator' as const, id: 'shop' };
    out.push({ by: shop, event: this.orderEvent(order, 'created', nowMs, { pickup, dropoff: order.dropoff }) });
    if (this.rnd() < 0.03) {
      order.due.push({ at: nowMs + 20_000, status: 'cancelled', reason: 'the customer changed their mind' });
      return;
    }
    out.push({ by: shop, event: this.orderEvent(order, 'confirmed', nowMs + 1, { courierId: best.id }) });
    best.phase = 'to_pickup';
    best.orderId = order.id;
    best.restUntil = 0;
    this.route(best, pickup);
  }

  private dueChanges(order: Order, nowMs: number, out: CityEvent[]): void {
    while (order.due.length > 0 && order.due[0]!.at <= nowMs) {
      const change = order.due.shift()!;
      const event = this.orderEvent(order, change.status, change.at, change.reason ? { reason: change.reason } : {});
      if (change.status === 'cancelled') {
        out.push({ by: { kind: 'integrator', id: 'shop' }, event });
        this.orders.delete(order.id);
      } else out.push({ by: { kind: 'courier', id: order.courierId }, event: { ...event, courierId: order.courierId } });
    }
  }

  private ride(c: Courier, dt: number, nowMs: number, out: CityEvent[]): void {
    if (c.phase === 'idle' && c.path.length === 0 && nowMs >= c.restUntil) {
      // idle couriers drift towards a restaurant zone, then wait there a while
      this.route(c, this.near(this.restaurants[Math.floor(this.rnd() * this.restaurants.length)]!, 1200));
    }
    let budget = c.speedMps * dt * (0.7 + this.rnd() * 0.6); // traffic
    while (budget > 0 && c.path.length > 0) {
      const target = c.path[0]!;
      const left = distanceM(c, target);
      if (left <= budget) {
        c.lat = target.lat;
        c.lng = target.lng;
        c.path.shift();
        budget -= left;
      } else {
        const f = budget / left;
        c.lat += (target.lat - c.lat) * f;
        c.lng += (target.lng - c.lng) * f;
        budget = 0;
      }
    }
    if (c.path.length === 0) this.arrive(c, nowMs, out);
    if (nowMs >= c.nextPingAt) {
      c.nextPingAt = nowMs + this.o.pingIntervalMs;
      out.push({
        by: { kind: 'courier', id: c.id },
        event: {
          type: 'courier.location',
          version: 2,
          eventId: this.nextId('p'),
          courierId: c.id,
          ...(c.orderId ? { orderId: c.orderId } : {}),
          lat: Math.round(c.lat * 1e6) / 1e6,
          lng: Math.round(c.lng * 1e6) / 1e6,
          occurredAt: Math.round(nowMs),
          speedMps: c.path.length > 0 ? Math.round(c.speedMps * 10) / 10 : 0,
          source: 'gps',
        } satisfies CourierLocationV2,
      });
    }
  }

  private arrive(c: Courier, nowMs: number, out: CityEvent[]): void {
    const order = c.orderId ? this.orders.get(c.orderId) : undefined;
    if (c.phase === 'to_pickup' && order) {
      out.push({ by: { kind: 'courier', id: c.id }, event: this.orderEvent(order, 'picked_up', nowMs, { courierId: c.id }) });
      order.due.push({ at: nowMs + 20_000 + this.rnd() * 40_000, status: 'in_transit' });
      c.phase = 'delivering';
      this.route(c, order.dropoff);
    } else if (c.phase === 'delivering' && order) {
      const failed = this.rnd() < 0.01;
      // in_transit may still be due: it happened on the way
      for (const change of order.due.splice(0)) out.push({ by: { kind: 'courier', id: c.id }, event: this.orderEvent(order, change.status, Math.min(change.at, nowMs - 1), { courierId: c.id }) });
      out.push({
        by: { kind: 'courier', id: c.id },
        event: this.orderEvent(order, failed ? 'failed' : 'delivered', nowMs, { courierId: c.id, ...(failed ? { reason: 'nobody at the address' } : {}) }),
      });
      this.orders.delete(order.id);
      c.phase = 'idle';
      delete c.orderId;
      c.restUntil = nowMs + 30_000 + this.rnd() * 120_000;
    } else if (c.phase === 'idle' && c.restUntil < nowMs) {
      c.restUntil = nowMs + 30_000 + this.rnd() * 180_000;
    }
  }

  /** Customers' app activity, shipped by the app's log forwarder with its own key. */
  private activity(nowMs: number): CityEvent {
    return {
      by: { kind: 'integrator', id: 'app-logs' },
      event: {
        type: 'user.activity',
        version: 1,
        uid: `${this.o.runId}-u${Math.floor(this.o.couriers * 20 * this.rnd() ** 2)}`,
        ts: Math.round(nowMs) / 1000,
        event: ['page_view', 'search', 'add_to_cart', 'track_order'][Math.floor(this.rnd() * 4)]!,
        page: { path: ['/home', '/menu', '/cart', '/orders'][Math.floor(this.rnd() * 4)]! },
      },
    };
  }
}
