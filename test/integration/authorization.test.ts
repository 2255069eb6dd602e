// Who may do what, against the real server process (with its Next app) and the real location
// and order workers, each signed in to Kafka as its own user. Every forbidden case is refused,
// and nothing it sent reaches Kafka, Redis, Postgres or a socket; each row has an allowed
// twin, so a check that refused everything would fail too.
import { connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS_SESSION_COOKIE } from '../../lib/auth/ops-session';
import { courierLocationKey, orderLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { readOrderStatus } from '../../lib/orders/order-status-store';
import type { CourierPosition } from '../../lib/realtime/socket-events';
import { type Harness, TEST_OPS_USER, type TestSocket, connectSocket, createHarness, eventually, opsCookie, startAppWithWorkers, tokenFor, topicSize } from './harness';
import { rawRequest } from './raw-http';

let h: Harness;
let app: Awaited<ReturnType<typeof startAppWithWorkers>> | undefined;
let base: string;
let cookie: string;

const run = Math.random().toString(36).slice(2, 8);
const A = `za-${run}`; // carries ORDER_A
const B = `zb-${run}`; // carries nothing
const ORDER_A = `zo-a-${run}`; // assigned to A by the shop
const ORDER_OPEN = `zo-open-${run}`; // created, assigned to nobody
const NOW = Date.now();
let seq = 0;
const eventId = () => `evt-${run}-${++seq}`;
const orderEvent = (orderId: string, status: string, occurredAt: number, extra: Record<string, unknown> = {}) => ({
  type: 'order.event',
  version: 1,
  eventId: eventId(),
  orderId,
  status,
  occurredAt,
  ...extra,
});
const ping = (courierId: string, occurredAt: number, extra: Record<string, unknown> = {}) => ({
  type: 'courier.location',
  version: 1,
  eventId: eventId(),
  courierId,
  lat: -23.55,
  lng: -46.63,
  occurredAt,
  ...extra,
});
const activity = (uid: string) => ({ type: 'user.activity', version: 1, uid, ts: Math.floor(NOW / 1000) });

const shop = tokenFor('integrator', 'shop');
const courierA = tokenFor('courier', A);
const courierB = tokenFor('courier', B);
const shareA = tokenFor('order', ORDER_A);

async function post(body: unknown, token: string) {
  const res = await fetch(`${base}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string; issues?: { field: string; rule: string }[] } } };
}

/** Messages ever held by the three ingest topics. */
const ingestSizes = () => Promise.all([h.topics.courierLocations, h.topics.orderEvents, h.topics.userActivity].map((t) => topicSize(h.admin, t)));

/** What the order worker has applied to an order (Postgres and Redis), for before/after checks. */
async function orderState(orderId: string) {
  const [row, history, notifications, cached] = await Promise.all([
    h.db.order.findUnique({ where: { id: orderId }, select: { status: true, courierId: true, lastSeq: true } }),
    h.db.orderStatusHistory.count({ where: { orderId } }),
    h.db.notification.count({ where: { orderId } }),
    readOrderStatus(h.redis, orderId),
  ]);
  return { row, history, notifications, cached };
}

const orderRecorded = (orderId: string, status: string) =>
  eventually(async () => ((await readOrderStatus(h.redis, orderId))?.status === status ? true : undefined), 20_000, `${orderId} ${status}`);

async function customer(orderId: string, token: string) {
  const socket = await connectSocket(base);
  const positions: CourierPosition[] = [];
  socket.on('order:position', (p) => positions.push(p));
  return { socket, positions, join: () => socket.emitWithAck('order:join', { orderId, token }) };
}

beforeAll(async () => {
  h = await createHarness('authz');
  cookie = opsCookie(h.config);
  app = await startAppWithWorkers(h, 'authorization');
  base = app.base;
  // the shop creates both orders and assigns one to A
  expect((await post([orderEvent(ORDER_A, 'created', NOW - 60_000), orderEvent(ORDER_A, 'confirmed', NOW - 59_000, { courierId: A })], shop)).status).toBe(202);
  expect((await post(orderEvent(ORDER_OPEN, 'created', NOW - 60_000), shop)).status).toBe(202);
  await orderRecorded(ORDER_A, 'confirmed');
  await orderRecorded(ORDER_OPEN, 'created');
}, 600_000);

afterAll(async () => {
  await app?.stop();
  await h?.close();
});

describe('a courier and the orders it does not carry', () => {
  it.each([
    ["another courier's order, naming itself", B, ORDER_A, { courierId: B }],
    ["another courier's order, naming nobody", B, ORDER_A, {}],
    ['an order assigned to nobody, naming itself', B, ORDER_OPEN, { courierId: B }],
    ['an order assigned to nobody, naming nobody', B, ORDER_OPEN, {}],
    ['an order nobody created', B, `zo-ghost-${run}`, { courierId: B }],
    ['its own order, naming another courier', A, ORDER_A, { courierId: B }],
  ])('refuses a status change for %s with 403, and nothing reaches Kafka or the order', async (_case, courier, orderId, extra) => {
    const [sizes, before] = await Promise.all([ingestSizes(), orderState(orderId)]);
    const res = await post(orderEvent(orderId, 'in_transit', Date.now() + 250_000, extra), tokenFor('courier', courier));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', issues: [expect.objectContaining({ field: expect.stringMatching(/^\/(orderId|courierId)$/) })] });
    expect(await ingestSizes()).toEqual(sizes);
    expect(await orderState(orderId)).toEqual(before);
  });

  it('refuses a whole batch when one event in it is not the courier’s, naming that event', async () => {
    const sizes = await ingestSizes();
    const res = await post([ping(B, Date.now()), orderEvent(ORDER_A, 'picked_up', Date.now())], courierB);
    expect(res.status).toBe(403);
    expect(res.body.error?.issues).toEqual([expect.objectContaining({ index: 1, field: '/orderId', rule: 'assignment' })]);
    expect(await ingestSizes()).toEqual(sizes);
  });

  it('refuses user.activity from a courier, and takes it from an integrator', async () => {
    const sizes = await ingestSizes();
    const refused = await post(activity(`u-${run}`), courierA);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.issues).toEqual([expect.objectContaining({ field: '/type' })]);
    expect(await ingestSizes()).toEqual(sizes);
    expect((await post(activity(`u-${run}`), shop)).status).toBe(202);
  });

  it('lets the courier the shop assigned change the status, and the order stays its own', async () => {
    const res = await post(orderEvent(ORDER_A, 'picked_up', NOW - 50_000), courierA);
    expect(res.status).toBe(202);
    await orderRecorded(ORDER_A, 'picked_up');
    expect(await orderState(ORDER_A)).toMatchObject({ row: { status: 'picked_up', courierId: A }, cached: { courierId: A } });
  });
});

describe("a ping naming an order its courier does not carry", () => {
  let watcher: Awaited<ReturnType<typeof customer>>;
  beforeAll(async () => {
    watcher = await customer(ORDER_A, shareA);
    expect(await watcher.join()).toEqual({ ok: true });
    // A's real position, then B's fake one from 250 s ahead (inside the future allowance)
    const real = ping(A, NOW - 10_000, { orderId: ORDER_A, lat: -23.5 });
    expect((await post(real, courierA)).status).toBe(202);
    await eventually(() => readLocation(h.redis, orderLocationKey(ORDER_A)).then((l) => (l?.occurredAt === real.occurredAt ? l : undefined)));
  });

  it("is stored as the courier's alone: the order's location, API, page feed and history never see it", async () => {
    const fake = ping(B, Date.now() + 250_000, { orderId: ORDER_A, lat: -10 });
    expect((await post(fake, courierB)).status).toBe(202); // the courier's own position is its to report
    const mine = await eventually(() => readLocation(h.redis, courierLocationKey(B)).then((l) => (l?.occurredAt === fake.occurredAt ? l : undefined)));
    expect(mine).not.toHaveProperty('orderId');
    const row = await eventually(() => h.db.courierLocation.findFirst({ where: { eventId: fake.eventId } }).then((r) => r ?? undefined));
    expect(row.orderId).toBeNull();
    expect(await readLocation(h.redis, orderLocationKey(ORDER_A))).toMatchObject({ courierId: A, lat: -23.5 });
    const api = await fetch(`${base}/api/orders/${ORDER_A}/location?t=${shareA}`);
    expect(await api.json()).toMatchObject({ courierId: A, lat: -23.5 });
    // the fan-out runs a few frames a second: give it several
    await new Promise((r) => setTimeout(r, 1500));
    expect(watcher.positions.filter((p) => p.courierId === B)).toEqual([]);
  });

  it("still lets the carrying courier's next ping move the order, to the page's socket too", async () => {
    const next = ping(A, Date.now(), { orderId: ORDER_A, lat: -23.5005 }); // a few metres on (a jump would be a teleport)
    expect((await post(next, courierA)).status).toBe(202);
    await eventually(async () => watcher.positions.find((p) => p.occurredAt === next.occurredAt), 15_000, "A's ping on the order's socket");
    expect(await readLocation(h.redis, orderLocationKey(ORDER_A))).toMatchObject({ courierId: A, occurredAt: next.occurredAt });
    expect(watcher.positions.every((p) => p.courierId === A)).toBe(true);
  });

  it('is refused when it claims to be another courier’s', async () => {
    const sizes = await ingestSizes();
    expect((await post(ping(A, Date.now(), { orderId: ORDER_A }), courierB)).status).toBe(403);
    expect(await ingestSizes()).toEqual(sizes);
  });
});

describe('reading an order', () => {
  const location = (orderId: string, init: { query?: string; bearer?: string; cookie?: string } = {}) =>
    fetch(`${base}/api/orders/${orderId}/location${init.query ?? ''}`, {
      headers: { ...(init.bearer && { authorization: `Bearer ${init.bearer}` }), ...(init.cookie && { cookie: init.cookie }) },
    });
  const order = (orderId: string, query = '') => fetch(`${base}/api/orders/${orderId}${query}`);

  it.each([
    ['its own share token (query)', 200, () => location(ORDER_A, { query: `?t=${shareA}` })],
    ['its own share token (bearer)', 200, () => location(ORDER_A, { bearer: shareA })],
    ['an integrator key', 200, () => location(ORDER_A, { bearer: shop })],
    ["another order's share token", 403, () => location(ORDER_OPEN, { query: `?t=${shareA}` })],
    ['the carrying courier’s token', 403, () => location(ORDER_A, { bearer: courierA })],
    ['an ops session cookie alone', 401, () => location(ORDER_A, { cookie })],
    ['no token', 401, () => location(ORDER_A)],
    ['an expired share token', 401, () => location(ORDER_A, { query: `?t=${tokenFor('order', ORDER_A, -1000)}` })],
    ['the order page API with its share token', 200, () => order(ORDER_A, `?t=${shareA}`)],
    ["the order page API with another order's token", 403, () => order(ORDER_OPEN, `?t=${shareA}`)],
    ['the order page API with a courier token', 403, () => order(ORDER_A, `?t=${courierA}`)],
  ])('%s: %i', async (_case, status, request) => {
    const res = await request();
    expect(res.status).toBe(status);
    if (status !== 200) expect(((await res.json()) as { error: { code: string } }).error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
  });

  it('lets only the order’s own share token or an integrator join its socket room', async () => {
    for (const [token, ok] of [
      [shareA, true],
      [shop, true],
      [tokenFor('order', ORDER_OPEN), false],
      [courierA, false],
      ['garbage', false],
    ] as const) {
      const { join } = await customer(ORDER_A, token);
      expect(await join(), token).toMatchObject({ ok });
    }
  });

  it('takes no events from a share token', async () => {
    const sizes = await ingestSizes();
    expect((await post(ping(A, Date.now()), shareA)).status).toBe(403);
    expect(await ingestSizes()).toEqual(sizes);
  });
});

describe('ops', () => {
  it.each([
    ['the ops cookie', 200, () => ({ cookie })],
    ['no cookie', 401, () => ({})],
    ['a forged cookie', 401, () => ({ cookie: `${OPS_SESSION_COOKIE}=${'x'.repeat(40)}` })],
    ['an expired session', 401, () => ({ cookie: opsCookie({ ...h.config, auth: { ...h.config.auth, opsSessionMs: -1000 } }) })],
    ['an integrator key', 401, () => ({ authorization: `Bearer ${shop}` })],
    ['a courier token', 401, () => ({ authorization: `Bearer ${courierA}` })],
  ])('answer %s on GET /api/couriers with %i', async (_case, status, headers: () => Record<string, string>) => {
    expect((await fetch(`${base}/api/couriers`, { headers: headers() })).status).toBe(status);
  });

  it('let only an ops session join the ops room', async () => {
    expect(await (await connectSocket(base, cookie)).emitWithAck('ops:join')).toEqual({ ok: true });
    expect(await (await connectSocket(base)).emitWithAck('ops:join')).toMatchObject({ ok: false });
    expect(await (await connectSocket(base, `${OPS_SESSION_COOKIE}=forged`)).emitWithAck('stats:join')).toMatchObject({ ok: false });
  });
});

describe('the socket from another origin', () => {
  /** Resolves 'connected' or the connect error's message. */
  const tryConnect = (origin: string, transport: 'websocket' | 'polling') =>
    new Promise<string>((resolve) => {
      const socket: TestSocket = connect(base, { transports: [transport], forceNew: true, reconnection: false, extraHeaders: { origin, cookie } });
      socket.once('connect', () => {
        socket.disconnect();
        resolve('connected');
      });
      socket.once('connect_error', (err) => {
        socket.disconnect();
        resolve(err.message);
      });
    });

  it.each(['websocket', 'polling'] as const)('is refused over %s, even with the ops cookie; its own origin connects', async (transport) => {
    for (const origin of ['http://evil.example', `http://ops.evil.example:${new URL(base).port}`, 'null']) {
      expect(await tryConnect(origin, transport), origin).not.toBe('connected');
    }
    expect(await tryConnect(base, transport)).toBe('connected');
    expect(await tryConnect(base.replace('127.0.0.1', 'localhost'), transport)).toBe('connected');
  });
});

describe('sign-in from another site', () => {
  const login = (headers: Record<string, string>, next = '/') =>
    rawRequest(base, '/api/auth/login', {
      method: 'POST',
      body: new URLSearchParams({ name: TEST_OPS_USER.name, password: TEST_OPS_USER.password, next }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });

  it('refuses a cross-site login and logout, and sets no cookie', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const res = await login(headers);
      expect(res.status).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
      const out = await rawRequest(base, '/api/auth/logout', { method: 'POST', headers: { cookie, ...headers } });
      expect(out.status).toBe(403);
      expect(out.headers['set-cookie']).toBeUndefined();
    }
    expect((await login({ origin: base })).status).toBe(303);
  });

  it.each(['/.//evil.example', '/..//x', '/%2e%2e//x', '//evil.example', 'https://evil.example'])('sends next=%s to a path on this site', async (next) => {
    const res = await login({ origin: base }, next);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const visit = await rawRequest(base, `/login?next=${encodeURIComponent(next)}`, { headers: { cookie } });
    expect(visit.headers.location).toBe('/');
  });

  it('keeps a safe next', async () => {
    expect((await login({ origin: base }, '/stats?range=1h')).headers.location).toBe('/stats?range=1h');
  });
});
