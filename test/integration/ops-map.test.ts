// The ops map's data against the real server process (with its Next app) and real workers:
// couriers' statuses from their orders in the snapshot and the live frames, a courier's
// trail from the location history, and the late orders of the alerts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CouriersSnapshot } from '../../lib/couriers/list-couriers';
import type { CourierTrail } from '../../lib/couriers/read-trail';
import type { OpsAlerts } from '../../lib/orders/list-late-orders';
import { readOrderStatus } from '../../lib/orders/order-status-store';
import type { CourierPosition } from '../../lib/realtime/socket-events';
import { type Harness, connectSocket, createHarness, eventually, opsCookie, startAppWithWorkers, tokenFor } from './harness';

let h: Harness;
let app: Awaited<ReturnType<typeof startAppWithWorkers>> | undefined;
let base: string;
let cookie: string;

const run = Math.random().toString(36).slice(2, 8);
const courier = (n: number) => `m${n}-${run}`;
const order = (n: number) => `mo${n}-${run}`;
const NOW = Date.now();
let seq = 0;
const orderEvent = (n: number, status: string, occurredAt: number, extra: Record<string, unknown> = {}) => ({
  type: 'order.event',
  version: 1,
  eventId: `evt-${run}-${++seq}`,
  orderId: order(n),
  status,
  occurredAt,
  courierId: courier(n),
  ...extra,
});
const ping = (n: number, occurredAt: number, extra: Record<string, unknown> = {}) => ({
  type: 'courier.location',
  version: 1,
  eventId: `evt-${run}-${++seq}`,
  courierId: courier(n),
  lat: -23.58 + n / 1000,
  lng: -46.65,
  occurredAt,
  ...extra,
});

async function post(body: unknown) {
  const res = await fetch(`${base}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('integrator', 'shop')}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
}

const get = (path: string, withCookie = true) => fetch(`${base}${path}`, { headers: withCookie ? { cookie } : {} });

beforeAll(async () => {
  h = await createHarness('opsmap');
  cookie = opsCookie(h.config);
  app = await startAppWithWorkers(h, 'ops-map', { ORDER_LATE_AFTER_MINUTES: '30' });
  base = app.base;
}, 600_000);

afterAll(async () => {
  await app?.stop();
  await h?.close();
});

describe("couriers' statuses", () => {
  const LIFECYCLE = ['created', 'confirmed', 'picked_up', 'in_transit', 'delivered'];
  /** Courier n's order went through the lifecycle up to `status`. */
  const ordersUpTo = (n: number, status: string) => LIFECYCLE.slice(0, LIFECYCLE.indexOf(status) + 1).map((s, i) => orderEvent(n, s, NOW - 60_000 + i * 1000));

  it('come from their orders in the snapshot', async () => {
    await post([...ordersUpTo(1, 'created'), ...ordersUpTo(2, 'confirmed'), ...ordersUpTo(3, 'picked_up'), ...ordersUpTo(4, 'in_transit'), ...ordersUpTo(5, 'delivered')]);
    // a ping moves an order only once the order worker has recorded who carries it
    const cachedStatus = async (n: number) => (await readOrderStatus(h.redis, order(n)))?.status;
    await eventually(async () => ((await Promise.all([1, 2, 3, 4, 5].map(cachedStatus))).join() === 'created,confirmed,picked_up,in_transit,delivered' ? true : undefined));
    await post([1, 2, 3, 4, 5].map((n) => ping(n, NOW - 5000, { orderId: order(n) })).concat([ping(6, NOW - 5000), ping(7, NOW - 5000, { orderId: `never-created-${run}` })]));
    const mine = (body: CouriersSnapshot) => body.couriers.filter((c) => c.courierId.endsWith(run)).sort((a, b) => a.courierId.localeCompare(b.courierId));
    const snapshot = await eventually(
      async () => {
        const body = (await (await get('/api/couriers')).json()) as CouriersSnapshot;
        return mine(body).length === 7 ? body : undefined;
      },
      30_000,
      'every courier in the snapshot',
    );
    expect(mine(snapshot).map((c) => [c.courierId, c.status, c.orderStatus ?? null])).toEqual([
      [courier(1), 'idle', 'created'],
      [courier(2), 'to_pickup', 'confirmed'],
      [courier(3), 'delivering', 'picked_up'],
      [courier(4), 'delivering', 'in_transit'],
      [courier(5), 'idle', 'delivered'],
      [courier(6), 'idle', null],
      [courier(7), 'idle', null],
    ]);
    expect(snapshot).toMatchObject({ staleAfterMs: 60_000, stalledAfterMs: 5 * 60_000, frameMs: 250, at: expect.any(Number) });
  });

  it('ride along in the live frames, and follow the order', async () => {
    const ops = await connectSocket(base, cookie);
    expect(await ops.emitWithAck('ops:join')).toEqual({ ok: true });
    const frames: CourierPosition[][] = [];
    ops.on('positions:frame', (frame) => frames.push(frame));
    const seen = (n: number, occurredAt: number) =>
      eventually(async () => frames.flat().find((p) => p.courierId === courier(n) && p.occurredAt === occurredAt), 15_000, `courier ${n} in a frame`);

    await post([ping(2, NOW - 1000, { orderId: order(2) }), ping(6, NOW - 1000)]);
    expect(await seen(2, NOW - 1000)).toMatchObject({ orderId: order(2), status: 'to_pickup' });
    expect(await seen(6, NOW - 1000)).toMatchObject({ status: 'idle' });

    // the courier picks the order up: its next ping is delivering
    await post(orderEvent(2, 'picked_up', NOW - 500));
    await eventually(async () => ((await h.db.order.findUnique({ where: { id: order(2) } }))?.status === 'picked_up' ? true : undefined));
    await post(ping(2, NOW, { orderId: order(2) }));
    expect(await seen(2, NOW)).toMatchObject({ status: 'delivering' });
  });
});

describe('GET /api/couriers/:id/trail', () => {
  const T = NOW - 10 * 60_000;

  beforeAll(async () => {
    // ten fixes a second apart, sent out of order, and one long before
    await post([...Array.from({ length: 10 }, (_, k) => ping(8, T + (9 - k) * 1000, { lat: -23.5 - k / 1e4 })), ping(8, T - 3_600_000)]);
    await eventually(async () => ((await h.db.courierLocation.count({ where: { courierId: courier(8) } })) === 11 ? true : undefined));
  });

  it('answers the fixes since a time, oldest first', async () => {
    const res = await get(`/api/couriers/${courier(8)}/trail?since=${new Date(T - 60_000).toISOString()}`);
    expect(res.status).toBe(200);
    const trail = (await res.json()) as CourierTrail;
    expect(trail).toMatchObject({ courierId: courier(8), since: new Date(T - 60_000).toISOString(), truncated: false });
    expect(trail.points.map((p) => p.occurredAt)).toEqual(Array.from({ length: 10 }, (_, k) => T + k * 1000));
    expect(trail.points[0]).toEqual({ lat: -23.5 - 9 / 1e4, lng: -46.65, occurredAt: T });
  });

  it('answers the newest points when there are more than the limit', async () => {
    const trail = (await (await get(`/api/couriers/${courier(8)}/trail?since=${new Date(T - 7_200_000).toISOString()}&limit=3`)).json()) as CourierTrail;
    expect(trail.truncated).toBe(true);
    expect(trail.points.map((p) => p.occurredAt)).toEqual([T + 7000, T + 8000, T + 9000]);
  });

  it('answers an empty trail for a courier never seen', async () => {
    const trail = (await (await get(`/api/couriers/nobody-${run}/trail?since=${new Date(T).toISOString()}`)).json()) as CourierTrail;
    expect(trail).toMatchObject({ points: [], truncated: false });
  });

  it.each([
    ['', '/since'],
    ['?since=10%20minutes%20ago', '/since'],
    ['?since=2026-11-21T10:00:00Z&limit=0', '/limit'],
  ])('answers %j with a 400 naming the field', async (query, field) => {
    const res = await get(`/api/couriers/${courier(8)}/trail${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'validation_failed', message: expect.stringContaining(field.slice(1)), issues: [{ field }] } });
  });

  it('needs an ops session', async () => {
    const res = await get(`/api/couriers/${courier(8)}/trail?since=${new Date(T).toISOString()}`, false);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('GET /api/ops/alerts', () => {
  it('lists the orders open longer than ORDER_LATE_AFTER_MINUTES, oldest first, and no closed or recent one', async () => {
    const old = NOW - 2 * 3_600_000;
    await post([
      orderEvent(10, 'created', old),
      orderEvent(10, 'confirmed', old + 1000),
      orderEvent(11, 'created', old + 60_000),
      orderEvent(12, 'created', old),
      orderEvent(12, 'cancelled', old + 1000, { reason: 'the customer cancelled' }),
      orderEvent(13, 'created', NOW - 20 * 60_000),
    ]);
    await eventually(async () => ((await h.db.order.count({ where: { id: { in: [10, 11, 12, 13].map(order) } } })) === 4 ? true : undefined));
    await eventually(async () => ((await h.db.order.findUnique({ where: { id: order(12) } }))?.status === 'cancelled' ? true : undefined));

    const res = await get('/api/ops/alerts');
    expect(res.status).toBe(200);
    const alerts = (await res.json()) as OpsAlerts;
    expect(alerts.lateAfterMs).toBe(30 * 60_000);
    const mine = alerts.lateOrders.filter((o) => o.orderId.endsWith(run));
    expect(mine.map((o) => [o.orderId, o.status, o.courierId, o.createdAt])).toEqual([
      [order(10), 'confirmed', courier(10), old],
      [order(11), 'created', courier(11), old + 60_000],
    ]);
    expect(mine[0]!.ageMs).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(alerts.lateTotal).toBeGreaterThanOrEqual(2);
  });

  it('needs an ops session', async () => {
    expect((await get('/api/ops/alerts', false)).status).toBe(401);
  });
});
