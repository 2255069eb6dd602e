// Courier locations end to end through real services: ordering, authorization, the order
// location API, rate limiting, live fan-out across two servers, and replay.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { issueToken } from '../../lib/auth/tokens';
import { courierLocationKey, orderLocationKey } from '../../lib/couriers/keys';
import { parseBBox } from '../../lib/couriers/bbox';
import { listCouriers } from '../../lib/couriers/list-couriers';
import { type StoredLocation, readLocation, recordLocations } from '../../lib/couriers/record-locations';
import type { CourierLocation } from '../../lib/events/registry';
import { createRedis } from '../../lib/redis/client';
import { deleteOrderStatuses, writeOrderStatus } from '../../lib/orders/order-status-store';
import type { OrderStatus } from '../../lib/orders/state-machine';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import type { CourierPosition } from '../../lib/realtime/socket-events';
import { type RunningServer, startServer } from '../../server/start-server';
import { createLocationWorker } from '../../workers/location-worker';
import { type Harness, closeSockets, connectSocket, createHarness, eventually, opsCookie, tokenFor, topicSize } from './harness';

let h: Harness;
let serverA: RunningServer;
let serverB: RunningServer;
let worker: RunningConsumer;

const run = Math.random().toString(36).slice(2, 8);
const courier = (n: number) => `c${n}-${run}`;
const order = (n: number) => `o${n}-${run}`;
const T0 = Date.now() - 3_600_000;
let seq = 0;
const ping = (c: number, t: number, extra: Record<string, unknown> = {}) => ({
  type: 'courier.location',
  version: 1,
  eventId: `evt-${run}-${++seq}`,
  courierId: courier(c),
  lat: -23 - t / 1e4,
  lng: -46 - t / 1e4,
  occurredAt: T0 + t * 1000,
  ...extra,
});

function post(base: string, body: unknown, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}/api/events`, { method: 'POST', headers, body: JSON.stringify(body) });
}

const historyRow = (eventId: string) => h.db.courierLocation.findFirst({ where: { eventId } }).then((r) => r ?? undefined);

beforeAll(async () => {
  h = await createHarness('locations');
  serverA = await startServer(h.config, h.log);
  serverB = await startServer(h.config, h.log);
  worker = await createLocationWorker(h.as('location'));
});

afterAll(async () => {
  closeSockets();
  await worker?.stop();
  await serverA?.close();
  await serverB?.close();
  await h?.close();
});

describe('last location', () => {
  it('records a batch with one script call even when a fresh client is mid auto-pipeline', async () => {
    // a fresh client, a command already gathering in this tick's auto-pipeline, then the
    // batch script in the same tick: the script must be defined on the client beforehand
    const redis = createRedis(h.config.redisUrl, 'test-fresh-client');
    onTestFinished(() => void redis.quit());
    const c = courier(90);
    const pings = [ping(90, 1), ping(90, 3, { orderId: order(90) }), ping(90, 2)] as CourierLocation[];
    await writeOrderStatus(h.redis, { orderId: order(90), status: 'picked_up', at: T0, courierId: c });
    onTestFinished(() => deleteOrderStatuses(h.redis, [order(90)]));
    const announced: StoredLocation[][] = [];
    await Promise.all([redis.get(courierLocationKey(c)), recordLocations({ redis, db: h.db }, pings, async (moved) => announced.push(moved))]);
    expect(await readLocation(redis, courierLocationKey(c))).toMatchObject({ occurredAt: T0 + 3000, orderId: order(90) });
    expect(await readLocation(redis, orderLocationKey(order(90)))).toMatchObject({ occurredAt: T0 + 3000 });
    expect(announced).toEqual([[expect.objectContaining({ courierId: c, occurredAt: T0 + 3000 })]]);
    // older than what is stored: refused, not announced
    await recordLocations({ redis, db: h.db }, [ping(90, 2)] as CourierLocation[], async (moved) => announced.push(moved));
    expect(announced).toHaveLength(1);
    expect(await readLocation(redis, courierLocationKey(c))).toMatchObject({ occurredAt: T0 + 3000 });
  });

  it('never moves backwards when pings arrive out of order', async () => {
    const token = tokenFor('courier', courier(1));
    const [newest, older, oldest] = [ping(1, 50), ping(1, 40), ping(1, 10)];
    expect((await post(serverA.url, newest, token)).status).toBe(202);
    await eventually(() => historyRow(newest.eventId));
    expect((await post(serverA.url, [older, oldest], token)).status).toBe(202);
    await eventually(() => historyRow(oldest.eventId));
    expect(await readLocation(h.redis, courierLocationKey(courier(1)))).toMatchObject({ occurredAt: newest.occurredAt, lat: newest.lat });
    // the history keeps every ping
    expect(await h.db.courierLocation.count({ where: { courierId: courier(1) } })).toBe(3);
  });
});

describe('the quality gate on the JSON API', () => {
  it('keeps a teleport and a duplicate fix out of the stores, and lists them in the 202', async () => {
    const token = tokenFor('courier', courier(70));
    const good = ping(70, 1);
    const teleport = { ...ping(70, 2), lat: -22.9068, lng: -43.1729 }; // Rio a second later
    const again = { ...ping(70, 1), lat: -23.0002 }; // the first fix's time, another id
    const next = ping(70, 3);
    const res = await post(serverA.url, [good, teleport, again, next], token);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: 2,
      filtered: [
        { index: 1, rule: 'teleport', field: '/lat', message: expect.stringContaining('km/h') },
        { index: 2, rule: 'duplicate', field: '/occurredAt', message: expect.any(String) },
      ],
    });
    await eventually(() => historyRow(next.eventId));
    expect(await historyRow(teleport.eventId)).toBeUndefined();
    expect(await historyRow(again.eventId)).toBeUndefined();
    // the state is shared by the servers: the same teleport through the other one is filtered too
    const other = await post(serverB.url, { ...teleport, eventId: `evt-${run}-rio`, occurredAt: next.occurredAt + 1000 }, token);
    expect(await other.json()).toMatchObject({ accepted: 0, filtered: [{ index: 0, rule: 'teleport' }] });
  });
});

describe('ingest authorization', () => {
  it.each([
    ['no token', undefined, 401],
    ['a garbage token', 'not-a-token', 401],
    ['an expired token', () => tokenFor('courier', courier(2), -1000), 401],
    ['a token signed with another secret', () => issueToken({ kind: 'courier', id: courier(2) }, 60_000, 'another-secret-0123456789'), 401],
    ["another courier's token", () => tokenFor('courier', courier(3)), 403],
    ["an order's share token", () => tokenFor('order', order(2)), 403],
  ])('refuses %s and writes nothing', async (_name, token, status) => {
    const before = await topicSize(h.admin, h.topics.courierLocations);
    const res = await post(serverA.url, ping(2, 1), typeof token === 'function' ? token() : token);
    expect(res.status).toBe(status);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: status === 401 ? 'unauthorized' : 'forbidden' } });
    expect(await topicSize(h.admin, h.topics.courierLocations)).toBe(before);
  });

  it('lets an integrator send for any courier', async () => {
    expect((await post(serverA.url, [ping(5, 1), ping(6, 1)], tokenFor('integrator', 'acme'))).status).toBe(202);
  });
});

describe('GET /api/orders/:id/location', () => {
  const get = (orderId: string, init: { token?: string; query?: string; etag?: string } = {}) =>
    fetch(`${serverB.url}/api/orders/${orderId}/location${init.query ?? ''}`, {
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.etag ? { 'if-none-match': init.etag } : {}),
      },
    });

  let carried: ReturnType<typeof ping>;
  beforeAll(async () => {
    carried = ping(7, 70, { orderId: order(7) });
    // the order is assigned to courier 7, as the order worker records it
    await writeOrderStatus(h.redis, { orderId: order(7), status: 'picked_up', at: T0, courierId: courier(7) });
    expect((await post(serverA.url, carried, tokenFor('courier', courier(7)))).status).toBe(202);
    await eventually(() => readLocation(h.redis, orderLocationKey(order(7))).then((l) => l ?? undefined));
  });
  // the replay test reads this run's keys as hashes
  afterAll(() => deleteOrderStatuses(h.redis, [order(7)]));

  it('answers the share token with the location, its time and age, and an ETag', async () => {
    const res = await get(order(7), { query: `?t=${tokenFor('order', order(7))}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ orderId: order(7), courierId: courier(7), lat: carried.lat, lng: carried.lng, source: 'redis' });
    expect(body.occurredAt).toBe(new Date(carried.occurredAt).toISOString());
    expect(body.ageMs).toBeGreaterThan(0);
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect((await get(order(7), { token: tokenFor('order', order(7)), etag })).status).toBe(304);
  });

  it('answers an integrator key too', async () => {
    expect((await get(order(7), { token: tokenFor('integrator', 'acme') })).status).toBe(200);
  });

  it.each([
    ['no token', undefined, 401],
    ['an expired share token', () => tokenFor('order', order(7), -1), 401],
    ["another order's share token", () => tokenFor('order', order(8)), 403],
    ["a courier's token", () => tokenFor('courier', courier(7)), 403],
  ])('refuses %s', async (_name, token, status) => {
    const res = await get(order(7), { token: typeof token === 'function' ? token() : token });
    expect(res.status).toBe(status);
    expect(JSON.stringify(await res.json())).not.toContain(String(carried.lat));
  });

  it('answers 404 for an unknown order', async () => {
    const res = await get(order(404), { token: tokenFor('integrator', 'acme') });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('falls back to Postgres when Redis lacks the order, and refills Redis', async () => {
    await eventually(() => historyRow(carried.eventId));
    await h.redis.del(orderLocationKey(order(7)));
    const res = await get(order(7), { token: tokenFor('order', order(7)) });
    expect(await res.json()).toMatchObject({ lat: carried.lat, source: 'postgres' });
    expect(await readLocation(h.redis, orderLocationKey(order(7)))).toMatchObject({ occurredAt: carried.occurredAt });
  });
});

describe('rate limit', () => {
  it('answers 429 to the courier that is too fast and not to the others', async () => {
    const h2 = await createHarness('ratelimit', { INGEST_RATE_PER_COURIER: '1', INGEST_BURST_PER_COURIER: '5' });
    const limited = await startServer(h2.config, h2.log);
    try {
      const fast = tokenFor('courier', courier(9));
      expect((await post(limited.url, [1, 2, 3, 4, 5].map((t) => ping(9, t)), fast)).status).toBe(202);
      const refused = await post(limited.url, ping(9, 6), fast);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await post(limited.url, ping(10, 1), tokenFor('courier', courier(10)))).status).toBe(202);
    } finally {
      await limited.close();
      await h2.close();
    }
  });
});

describe('live fan-out', () => {
  const client = connectSocket;

  it('pushes a ping accepted by one server to clients of the other, with the courier status', async () => {
    // the order worker's cache (removed again below: the replay test reads this run's keys as hashes)
    await writeOrderStatus(h.redis, { orderId: order(11), status: 'picked_up', at: T0, courierId: courier(11) });
    onTestFinished(() => deleteOrderStatuses(h.redis, [order(11)]));
    const ops = await client(serverB.url, opsCookie(h.config));
    const customer = await client(serverB.url);
    expect(await ops.emitWithAck('ops:join')).toEqual({ ok: true });
    expect(await customer.emitWithAck('order:join', { orderId: order(11), token: tokenFor('order', order(11)) })).toEqual({ ok: true });

    const frames: CourierPosition[][] = [];
    const orderPositions: CourierPosition[] = [];
    ops.on('positions:frame', (frame) => frames.push(frame));
    customer.on('order:position', (p) => orderPositions.push(p));

    const moving = ping(11, 5, { orderId: order(11) });
    expect((await post(serverA.url, moving, tokenFor('courier', courier(11)))).status).toBe(202);

    const seen = await eventually(async () => frames.flat().find((p) => p.courierId === courier(11)), 15_000, 'a frame on server B');
    expect(seen).toMatchObject({ lat: moving.lat, lng: moving.lng, occurredAt: moving.occurredAt, orderId: order(11), status: 'delivering' });
    await eventually(async () => (orderPositions.length > 0 ? true : undefined), 15_000, 'the order room');
    expect(orderPositions[0]).toMatchObject({ courierId: courier(11), occurredAt: moving.occurredAt });
  });

  it("refuses to join an order's room with another order's token", async () => {
    const intruder = await client(serverA.url);
    expect(await intruder.emitWithAck('order:join', { orderId: order(11), token: tokenFor('order', order(12)) })).toEqual({
      ok: false,
      error: 'this token is for another order',
    });
    expect(await intruder.emitWithAck('order:join', { orderId: order(11), token: 'forged' })).toMatchObject({ ok: false });
  });
});

describe('couriers snapshot', () => {
  it("lists the couriers inside a viewport, with status (from the order's status) and staleness", async () => {
    const token = tokenFor('integrator', 'acme');
    const recent = Date.now() - 5_000;
    const saoPaulo = ping(20, 0, { lat: -23.55, lng: -46.63, occurredAt: recent, orderId: order(20) });
    const rio = ping(21, 0, { lat: -22.9, lng: -43.2, occurredAt: recent, orderId: order(21) });
    const quietInSaoPaulo = ping(22, 0, { lat: -23.6, lng: -46.7, occurredAt: recent - 600_000, orderId: order(22) });
    // what the order worker caches, with who carries each order (order 22 is unknown to it)
    const cache = (n: number, status: OrderStatus) => writeOrderStatus(h.redis, { orderId: order(n), status, at: recent, courierId: courier(n) });
    // removed again after: the replay test reads this run's keys as hashes
    onTestFinished(() => deleteOrderStatuses(h.redis, [order(20), order(21)]));
    await cache(20, 'in_transit');
    await cache(21, 'confirmed');
    expect((await post(serverA.url, [saoPaulo, rio, quietInSaoPaulo], token)).status).toBe(202);
    await eventually(() => readLocation(h.redis, courierLocationKey(courier(22))).then((l) => l ?? undefined));

    const inView = (await listCouriers(h.redis, { bbox: parseBBox('-46.8,-23.7,-46.5,-23.5'), limit: 1000, staleAfterMs: 60_000 })).filter((c) =>
      c.courierId.endsWith(run),
    );
    expect(inView.map((c) => c.courierId).sort()).toEqual([courier(20), courier(22)]);
    expect(inView.find((c) => c.courierId === courier(20))).toMatchObject({ status: 'delivering', orderStatus: 'in_transit', stale: false, orderId: order(20) });
    // a ping naming an order nobody assigned to its courier is the courier's alone
    expect(inView.find((c) => c.courierId === courier(22))).toMatchObject({ status: 'idle', stale: true });
    expect(inView.find((c) => c.courierId === courier(22))).not.toHaveProperty('orderId');
    expect(inView.find((c) => c.courierId === courier(22))).not.toHaveProperty('orderStatus');
    const all = await listCouriers(h.redis, { limit: 100_000, staleAfterMs: 60_000 });
    expect(all.map((c) => c.courierId)).toEqual(expect.arrayContaining([courier(20), courier(21), courier(22)]));
    expect(all.find((c) => c.courierId === courier(21))).toMatchObject({ status: 'to_pickup', orderStatus: 'confirmed' });
    await cache(20, 'delivered');
    expect((await listCouriers(h.redis, { limit: 100_000, staleAfterMs: 60_000 })).find((c) => c.courierId === courier(20))).toMatchObject({ status: 'idle' });
  });
});

describe('replay', () => {
  it('replaying the topic from the start leaves Redis and Postgres exactly as they were', async () => {
    const snapshot = async () => {
      // the worker's keys (the ingest's quality gate keeps its own, which a replay never touches)
      const keys = (await h.redis.keys(`*${run}*`)).filter((k) => !k.startsWith('quality:')).sort();
      const values = await Promise.all(keys.map((k) => h.redis.hgetall(k)));
      const geo = await h.redis.zrangebyscore('couriers:geo', '-inf', '+inf', 'WITHSCORES');
      const rows = await h.db.courierLocation.findMany({ where: { eventId: { contains: run } }, orderBy: { eventId: 'asc' } });
      return { redis: Object.fromEntries(keys.map((k, i) => [k, values[i]])), geo, rows: rows.map(({ recordedAt: _r, ...row }) => row) };
    };
    const consumedAll = async (group: string) => {
      const high = await h.admin.fetchTopicOffsets(h.topics.courierLocations);
      const [committed] = await h.admin.fetchOffsets({ groupId: group, topics: [h.topics.courierLocations] });
      const done = high.every((p) => Math.max(0, Number(committed!.partitions.find((c) => c.partition === p.partition)?.offset ?? -1)) >= Number(p.high));
      return done ? true : undefined;
    };
    await eventually(() => consumedAll(`${h.groupPrefix}.location`), 20_000, 'the first pass');
    const before = await snapshot();
    expect(before.rows.length).toBeGreaterThan(5);

    const replay = await createLocationWorker({ ...h, groupPrefix: `${h.groupPrefix}-replay` });
    try {
      await eventually(() => consumedAll(`${h.groupPrefix}-replay.location`), 30_000, 'the replay');
    } finally {
      await replay.stop();
    }
    expect(await snapshot()).toEqual(before);
  });
});
