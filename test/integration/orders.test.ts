// The order worker against real Kafka, Redis and Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOrderStatus } from '../../lib/orders/order-status-store';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import { type RunningServer, startServer } from '../../server/start-server';
import { createOrderWorker } from '../../workers/order-worker';
import type { OrderNotification } from '../../lib/orders/apply-order-events';
import { notificationsSince } from '../../lib/orders/notifications-since';
import { type Harness, closeSockets, connectSocket, createHarness, eventually, tokenFor } from './harness';

let h: Harness;
let server: RunningServer;
let worker: RunningConsumer;
const run = Math.random().toString(36).slice(2, 8);
const T0 = Date.now() - 3_600_000;
let seq = 0;
const event = (orderId: string, status: string, t: number, extra: Record<string, unknown> = {}) => ({
  type: 'order.event',
  version: 1,
  eventId: `evt-${run}-${++seq}`,
  orderId,
  status,
  occurredAt: T0 + t * 1000,
  ...extra,
});
const lifecycle = (orderId: string) => [
  event(orderId, 'created', 1, { dropoff: { lat: -23.5, lng: -46.6 } }),
  event(orderId, 'confirmed', 2),
  event(orderId, 'picked_up', 3, { courierId: `k-${run}` }),
  event(orderId, 'in_transit', 4, { courierId: `k-${run}` }),
  event(orderId, 'delivered', 5, { courierId: `k-${run}` }),
];

async function post(body: unknown) {
  const res = await fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('integrator', 'shop')}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
}

const received = (eventIds: string[]) =>
  eventually(async () => ((await h.db.orderEventRecord.count({ where: { eventId: { in: eventIds } } })) === eventIds.length ? true : undefined));

/** Everything the worker writes for an order (Postgres read in one snapshot), for comparisons. */
async function stateOf(orderId: string) {
  const [order, history, notifications, anomalies] = await h.db.$transaction(
    [
      h.db.order.findUnique({ where: { id: orderId }, omit: { updatedAt: true } }),
      h.db.orderStatusHistory.findMany({ where: { orderId }, orderBy: { occurredAt: 'asc' }, select: { eventId: true, status: true, occurredAt: true } }),
      h.db.notification.findMany({ where: { orderId }, orderBy: { seq: 'asc' }, select: { seq: true, eventId: true, payload: true } }),
      h.db.orderAnomaly.findMany({ where: { orderId }, orderBy: { eventId: 'asc' }, select: { eventId: true, reason: true } }),
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  const cached = await readOrderStatus(h.redis, orderId);
  return { order, history, notifications, anomalies, cached };
}

beforeAll(async () => {
  h = await createHarness('orders', { ORDER_LINK_GRACE_MINUTES: '30' });
  server = await startServer(h.config, h.log);
  worker = await createOrderWorker(h.as('orders'));
});

afterAll(async () => {
  closeSockets();
  await worker?.stop();
  await server?.close();
  await h?.close();
});

describe('order worker', () => {
  it('applies a lifecycle: order row, history, one numbered notification per change, status in Redis', async () => {
    const orderId = `o-happy-${run}`;
    const events = lifecycle(orderId);
    await post(events);
    await received(events.map((e) => e.eventId));
    const state = await eventually(async () => {
      const s = await stateOf(orderId);
      // the Redis cache is written just after the Postgres commit
      return s.order?.status === 'delivered' && s.cached ? s : undefined;
    });
    expect(state.order).toMatchObject({ status: 'delivered', courierId: `k-${run}`, lastSeq: 5, dropoffLat: -23.5, closedAt: new Date(T0 + 5000) });
    expect(state.history.map((r) => r.status)).toEqual(['created', 'confirmed', 'picked_up', 'in_transit', 'delivered']);
    expect(state.notifications.map((n) => [n.seq, n.eventId])).toEqual(events.map((e, i) => [i + 1, e.eventId]));
    expect(state.anomalies).toEqual([]);
    expect(state.cached).toEqual({ orderId, status: 'delivered', at: T0 + 5000, courierId: `k-${run}` });
  });

  it('ends in the right state when events arrive in reverse, one request each', async () => {
    const orderId = `o-reverse-${run}`;
    const events = lifecycle(orderId);
    for (const e of [...events].reverse()) await post(e);
    await received(events.map((e) => e.eventId));
    const state = await eventually(async () => {
      const s = await stateOf(orderId);
      return s.order?.status === 'delivered' && s.notifications.length === 5 ? s : undefined;
    });
    expect(state.history.map((r) => r.status)).toEqual(['created', 'confirmed', 'picked_up', 'in_transit', 'delivered']);
    expect(state.notifications.map((n) => n.seq)).toEqual([1, 2, 3, 4, 5]);
    // the early arrivals were held as "unknown order" only until created came
    expect(state.anomalies).toEqual([]);
  });

  it('changes nothing when events are sent again', async () => {
    const orderId = `o-happy-${run}`;
    const before = await stateOf(orderId);
    const again = (await h.db.orderEventRecord.findMany({ where: { orderId }, select: { payload: true } })).map((r) => r.payload);
    await post(again);
    const marker = event(`o-marker-${run}`, 'created', 1);
    await post(marker); // same partition order is not guaranteed; wait for the marker's own order instead
    await eventually(async () => ((await h.db.order.findUnique({ where: { id: marker.orderId } })) ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stateOf(orderId)).toEqual(before);
  });

  it('records an illegal change and an unknown order as anomalies, and changes nothing else', async () => {
    const orderId = `o-happy-${run}`;
    const before = await stateOf(orderId);
    const illegal = event(orderId, 'picked_up', 9);
    const unknown = event(`o-ghost-${run}`, 'confirmed', 1);
    await post([illegal, unknown]);
    const anomalies = await eventually(async () => {
      const rows = await h.db.orderAnomaly.findMany({ where: { eventId: { in: [illegal.eventId, unknown.eventId] } }, orderBy: { orderId: 'asc' } });
      return rows.length === 2 ? rows : undefined;
    });
    expect(anomalies.map((a) => [a.orderId, a.reason])).toEqual([
      [`o-ghost-${run}`, 'unknown order: confirmed before created'],
      [orderId, 'the order is already delivered'],
    ]);
    expect(await h.db.order.findUnique({ where: { id: `o-ghost-${run}` } })).toBeNull();
    const after = await stateOf(orderId);
    expect({ ...after, anomalies: [] }).toEqual({ ...before, anomalies: [] });
  });

  it('places a late cancellation where it happened', async () => {
    const orderId = `o-late-${run}`;
    const [created, confirmed, pickedUp] = lifecycle(orderId);
    await post([created, confirmed, pickedUp]);
    await eventually(async () => ((await h.db.order.findUnique({ where: { id: orderId } }))?.status === 'picked_up' ? true : undefined));
    const cancelled = event(orderId, 'cancelled', 2.5, { reason: 'customer asked' });
    await post(cancelled);
    const state = await eventually(async () => {
      const s = await stateOf(orderId);
      return s.order?.status === 'cancelled' ? s : undefined;
    });
    expect(state.history.map((r) => r.status)).toEqual(['created', 'confirmed', 'cancelled']);
    expect(state.anomalies).toEqual([{ eventId: pickedUp!.eventId, reason: 'the order is already cancelled' }]);
    // every change the customer was told of stays told, once; the cancellation is the fourth
    expect(state.notifications.map((n) => [n.seq, (n.payload as { status: string }).status])).toEqual([
      [1, 'created'],
      [2, 'confirmed'],
      [3, 'picked_up'],
      [4, 'cancelled'],
    ]);
  });
});

describe('pushed notifications', () => {
  it('pushes each change in order, and a client back from offline gets what it missed, once', async () => {
    const orderId = `o-push-${run}`;
    const token = tokenFor('order', orderId);
    const [created, confirmed, pickedUp, inTransit, delivered] = lifecycle(orderId);

    const first = await connectSocket(server.url);
    const seen: OrderNotification[] = [];
    first.on('order:notification', (n) => seen.push(n));
    expect(await first.emitWithAck('order:join', { orderId, token })).toEqual({ ok: true });
    await post([created, confirmed]);
    await eventually(async () => (seen.length >= 2 ? true : undefined), 15_000, 'two notifications');
    expect(seen.map((n) => [n.seq, n.status])).toEqual([[1, 'created'], [2, 'confirmed']]);

    first.disconnect(); // offline while two changes happen
    await post(pickedUp);
    await post(inTransit);
    await eventually(async () => ((await h.db.order.findUnique({ where: { id: orderId } }))?.lastSeq === 4 ? true : undefined));

    const back = await connectSocket(server.url);
    const live: OrderNotification[] = [];
    back.on('order:notification', (n) => live.push(n));
    const ack = await back.emitWithAck('order:join', { orderId, token, lastSeq: 2 });
    expect(ack).toMatchObject({ ok: true, missed: [{ seq: 3, status: 'picked_up' }, { seq: 4, status: 'in_transit' }] });
    await post(delivered);
    await eventually(async () => (live.length > 0 ? true : undefined), 15_000, 'the live notification');
    expect(live.map((n) => [n.seq, n.status])).toEqual([[5, 'delivered']]);
  });

  it('tells a client that missed too much to reload instead', async () => {
    const orderId = `o-push-${run}`;
    expect(await notificationsSince(h.db, orderId, 0, 3)).toEqual({ reload: true });
    expect(await notificationsSince(h.db, orderId, 2, 3)).toMatchObject({ missed: [{ seq: 3 }, { seq: 4 }, { seq: 5 }] });
    expect(await notificationsSince(h.db, orderId, 5, 3)).toEqual({ missed: [] });
  });

  it("refuses another order's token on the socket", async () => {
    const socket = await connectSocket(server.url);
    expect(await socket.emitWithAck('order:join', { orderId: `o-push-${run}`, token: tokenFor('order', 'someone-else'), lastSeq: 0 })).toEqual({
      ok: false,
      error: 'this token is for another order',
    });
  });
});

describe('share links', () => {
  const locationStatus = async (orderId: string, token: string) =>
    (await fetch(`${server.url}/api/orders/${orderId}/location?t=${token}`)).status;

  it('stop opening an order the grace period after it was delivered, on HTTP and the socket', async () => {
    const orderId = `o-happy-${run}`; // delivered about an hour ago; the grace here is 30 minutes
    const res = await fetch(`${server.url}/api/orders/${orderId}/location?t=${tokenFor('order', orderId)}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { message: 'this tracking link has expired: the order was delivered' } });
    const socket = await connectSocket(server.url);
    expect(await socket.emitWithAck('order:join', { orderId, token: tokenFor('order', orderId) })).toEqual({
      ok: false,
      error: 'this tracking link has expired: the order was delivered',
    });
    // an integrator still reads it
    expect((await fetch(`${server.url}/api/orders/${orderId}/location`, { headers: { authorization: `Bearer ${tokenFor('integrator', 'shop')}` } })).status).toBe(200);
  });

  it('keep opening an open order and one delivered within the grace period', async () => {
    const open = `o-open-${run}`;
    const recent = `o-recent-${run}`;
    const now = Date.now();
    await post([
      event(open, 'created', 0, { occurredAt: now - 5000 }),
      ...['created', 'confirmed', 'picked_up', 'delivered'].map((status, i) => event(recent, status, 0, { occurredAt: now - 4000 + i * 1000 })),
    ]);
    await eventually(async () => ((await readOrderStatus(h.redis, recent))?.status === 'delivered' ? true : undefined));
    await eventually(async () => ((await readOrderStatus(h.redis, open)) ? true : undefined));
    for (const orderId of [open, recent]) {
      expect(await locationStatus(orderId, tokenFor('order', orderId))).toBe(200); // known order, no location yet
      const socket = await connectSocket(server.url);
      expect(await socket.emitWithAck('order:join', { orderId, token: tokenFor('order', orderId) })).toEqual({ ok: true });
    }
  });
});
