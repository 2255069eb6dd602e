// Ops login against the real server process (server/index.ts with the built Next app): sign
// in and out, the guarded pages and APIs, forged and lapsed cookies, the throttle, and the
// ops room on the socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOpsPassword } from '../../lib/auth/ops-credentials';
import { OPS_SESSION_COOKIE, issueOpsSession } from '../../lib/auth/ops-session';
import type { CourierPosition } from '../../lib/realtime/socket-events';
import { positionsChannel } from '../../lib/realtime/channels';
import { type Service, stopServices } from '../../scripts/app/services';
import { authenticateDevice } from '../../lib/devices/device-store';
import { type Harness, closeSockets, connectSocket, createHarness, eventually, opsCookie, startAppServer, tokenFor } from './harness';

const ANA = { name: 'ana', password: 'ana-plain-password' };
const BO = { name: 'bo', password: 'bo, hashed: password' };
const LOCKED = { name: 'locked', password: 'locked-password' };

let h: Harness;
let server: Service;
let base: string;

const login = (body: Record<string, string>, as: 'json' | 'form' = 'json') =>
  fetch(`${base}/api/auth/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: as === 'json' ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
const get = (path: string, cookie?: string) => fetch(`${base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
/** The `name=value` part of a response's Set-Cookie, as a browser would send it back. */
const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;

beforeAll(async () => {
  const users = `${ANA.name}:${ANA.password},${BO.name}:${await hashOpsPassword(BO.password)},${LOCKED.name}:${LOCKED.password}`;
  h = await createHarness('opsauth', { OPS_USERS: users });
  ({ server, base } = await startAppServer(h, 'ops-auth'));
}, 600_000);

afterAll(async () => {
  closeSockets();
  if (server) await stopServices([server]);
  await h?.close();
});

describe('POST /api/auth/login', () => {
  it.each([
    ['a wrong password', { name: ANA.name, password: 'guess' }],
    ['an unknown name', { name: 'nobody', password: ANA.password }],
  ])('answers %s with 401 and no cookie', async (_what, body) => {
    const res = await login(body);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'wrong name or password' } });
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('names a missing field', async () => {
    const res = await login({ name: ANA.name });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'validation_failed', issues: [{ field: '/password', rule: 'required' }] } });
  });

  it.each([ANA, BO])('signs $name in with JSON: the user and an HttpOnly, Lax session cookie for 12 hours', async (user) => {
    const res = await login(user);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: user.name, expiresAt: expect.stringMatching(/^\d{4}-/) });
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${OPS_SESSION_COOKIE}=[\\w-]+\\.[\\w-]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200$`));
    expect(await (await get('/api/couriers', cookieOf(res))).json()).toHaveProperty('couriers');
  });

  it('signs in with a form and sends the browser on to `next`, never to another site', async () => {
    const res = await login({ ...ANA, next: '/ops/orders' }, 'form');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ops/orders');
    expect(res.headers.get('set-cookie')).toContain(`${OPS_SESSION_COOKIE}=`);
    for (const next of ['https://evil.example/', '//evil.example', '/\\evil.example']) {
      expect((await login({ ...ANA, next }, 'form')).headers.get('location')).toBe('/');
    }
  });

  it('sends a failed form back to the login page, keeping `next`', async () => {
    const res = await login({ name: ANA.name, password: 'guess', next: '/ops/orders' }, 'form');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?error=wrong_credentials&next=%2Fops%2Forders');
    expect(res.headers.get('set-cookie')).toBeNull();
    const page = await (await get(res.headers.get('location')!)).text();
    expect(page).toContain('Wrong name or password.');
  });

  it('refuses a name after five failures in a minute, even with the right password; other names go on', async () => {
    for (let i = 0; i < 5; i++) expect((await login({ name: LOCKED.name, password: `guess-${i}` })).status).toBe(401);
    const refused = await login(LOCKED);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await login(LOCKED, 'form')).headers.get('location')).toBe('/login?error=throttled&next=%2F');
    expect((await login(BO)).status).toBe(200);
  });
});

describe('ops pages and APIs', () => {
  it.each(['/api/couriers', '/api/couriers?bbox=1,2,3', '/api/couriers/c-1/trail?since=2026-01-01T00:00:00Z', '/api/couriers/c-1/trail', '/api/ops/alerts', '/api/ops/anomalies', '/api/ops/orders/o-1', '/api/stats/unique-users', '/api/stats/ingest', '/api/stats/orders'])('%s answers 401 without a session', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('sign in') } });
  });

  it('answers the ops APIs with a session', async () => {
    const cookie = opsCookie(h.config, ANA.name);
    expect((await get('/api/couriers', cookie)).status).toBe(200);
    expect((await get('/api/ops/anomalies', cookie)).status).toBe(200);
    expect(await (await get('/api/ops/orders/no-such-order', cookie)).json()).toMatchObject({ error: { code: 'not_found' } });
    for (const path of ['/api/stats/unique-users', '/api/stats/ingest', '/api/stats/orders']) expect((await get(path, cookie)).status, path).toBe(200);
  });

  it.each([
    ['/', '/login?next=%2F'],
    ['/ops/orders', '/login?next=%2Fops%2Forders'],
    ['/stats?range=6h', '/login?next=%2Fstats%3Fgrain%3Dminute%26range%3D6h'],
  ])('sends %s to the login page without a session, and shows it with one', async (path, loginUrl) => {
    const away = await get(path);
    expect([303, 307]).toContain(away.status);
    expect(away.headers.get('location')).toBe(loginUrl);
    const page = await get(path, opsCookie(h.config, ANA.name));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/data-testid="ops-user"[^>]*>ana</);
    expect(html).toContain('Sign out');
  });

  it('registers, lists and revokes tracker devices for ops only; the secret answered once works', async () => {
    const cookie = opsCookie(h.config, ANA.name);
    const send = (method: string, path: string, body?: unknown, withCookie = cookie) =>
      fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', origin: base, ...(withCookie ? { cookie: withCookie } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const deviceId = `phone-${Math.random().toString(36).slice(2, 8)}`;
    expect((await send('POST', '/api/ops/devices', { deviceId, courierId: 'c-1' }, '')).status).toBe(401);
    const bad = await send('POST', '/api/ops/devices', { deviceId: 'bad id!', courierId: 'c-1' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { issues: [{ field: '/deviceId' }] } });

    const res = await send('POST', '/api/ops/devices', { deviceId, courierId: 'c-1' });
    expect(res.status).toBe(200);
    const made = (await res.json()) as { secret: string; urls: { traccarClient: string; osmand: string } };
    expect(made).toMatchObject({ deviceId, courierId: 'c-1', sourceId: 'default' });
    expect(made.urls.traccarClient).toMatch(new RegExp(`/${made.secret}$`));
    expect(made.urls.osmand).toContain(`?id=${deviceId}&lat={0}&lon={1}&timestamp={2}`);
    expect(await authenticateDevice({ db: h.db, redis: h.redis }, deviceId, made.secret)).toMatchObject({ courierId: 'c-1' });
    expect(await (await send('GET', '/api/ops/devices?courierId=c-1')).json()).toMatchObject({ devices: [expect.objectContaining({ deviceId, revokedAt: null })] });

    expect((await send('DELETE', `/api/ops/devices/${deviceId}`)).status).toBe(200);
    expect(await authenticateDevice({ db: h.db, redis: h.redis }, deviceId, made.secret)).toBeUndefined();
    expect((await send('DELETE', `/api/ops/devices/${deviceId}`)).status).toBe(404);
  });

  it('sends a signed-in user on from the login page', async () => {
    const res = await get('/login?next=%2Fops%2Forders', opsCookie(h.config, ANA.name));
    expect(res.headers.get('location')).toBe('/ops/orders');
  });

  it('refuses tampered, expired, foreign and bearer tokens as the session cookie', async () => {
    const token = issueOpsSession(ANA.name, h.config.auth);
    const [payload, signature] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { i: string };
    const asBo = Buffer.from(JSON.stringify({ ...claims, i: claims.i.replace('ana', 'bo') })).toString('base64url');
    const changedAna = { ...h.config.auth, opsUsers: new Map([['ana', { kind: 'plain' as const, digest: Buffer.alloc(32) }]]) };
    const bad = {
      'another user in the payload': `${asBo}.${signature}`,
      'a changed signature': `${payload}.${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`,
      expired: issueOpsSession(ANA.name, { ...h.config.auth, opsSessionMs: 60_000 }, Date.now() - 120_000),
      'signed with another secret': issueOpsSession(ANA.name, { ...h.config.auth, secret: 'another-secret-0123456789' }),
      "from before the user's password changed": issueOpsSession(ANA.name, changedAna),
      'an integrator key': tokenFor('integrator', 'acme'),
    };
    for (const [what, value] of Object.entries(bad)) {
      expect((await get('/api/couriers', `${OPS_SESSION_COOKIE}=${value}`)).status, what).toBe(401);
      expect((await get('/', `${OPS_SESSION_COOKIE}=${value}`)).headers.get('location'), what).toBe('/login?next=%2F');
    }
  });

  it('does not take an ops session as a bearer token', async () => {
    const session = issueOpsSession(ANA.name, h.config.auth);
    const res = await fetch(`${base}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
      body: JSON.stringify({ type: 'courier.location', version: 1, eventId: 'evt-ops-1', courierId: 'ana', lat: 0, lng: 0, occurredAt: Date.now() }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { message: 'this kind of token cannot be used here' } });
  });

  it('leaves the login page, health, the API description and customer routes to their own rules', async () => {
    for (const path of ['/login', '/healthz', '/readyz', '/openapi.json', '/metrics']) expect((await get(path)).status, path).toBe(200);
    expect(await (await get('/api/orders/o-1')).json()).toMatchObject({ error: { message: expect.stringContaining('send a token') } });
    expect((await get('/orders/o-1?t=x')).status).toBe(200);
  });
});

describe('the ops room on the socket', () => {
  it('refuses ops:join without a valid session and sends that socket no frames; with one it joins', async () => {
    const stranger = await connectSocket(base);
    const forged = await connectSocket(base, `${OPS_SESSION_COOKIE}=${tokenFor('integrator', 'acme')}`);
    const ops = await connectSocket(base, opsCookie(h.config, ANA.name));
    expect(await stranger.emitWithAck('ops:join')).toEqual({ ok: false, error: 'ops login required' });
    expect(await forged.emitWithAck('ops:join')).toEqual({ ok: false, error: 'ops login required' });
    expect(await ops.emitWithAck('ops:join')).toEqual({ ok: true });
    // the stats room the same way
    expect(await stranger.emitWithAck('stats:join')).toEqual({ ok: false, error: 'ops login required' });
    expect(await forged.emitWithAck('stats:join')).toEqual({ ok: false, error: 'ops login required' });
    expect(await ops.emitWithAck('stats:join')).toEqual({ ok: true });

    const seen = { stranger: 0, forged: 0 };
    stranger.on('positions:frame', () => seen.stranger++);
    forged.on('positions:frame', () => seen.forged++);
    const frames: CourierPosition[][] = [];
    ops.on('positions:frame', (frame) => frames.push(frame));
    // What the location worker announces after applying a batch.
    const position: CourierPosition = { courierId: 'ops-auth-courier', lat: -23.5, lng: -46.6, occurredAt: Date.now() };
    await h.redis.publish(positionsChannel(h.topics), JSON.stringify([position]));
    await eventually(async () => (frames.flat().some((p) => p.courierId === position.courierId) ? true : undefined), 10_000, 'a frame');
    expect(seen).toEqual({ stranger: 0, forged: 0 });
  });
});

describe('POST /api/auth/logout', () => {
  it('clears the cookie and goes back to the login page', async () => {
    const res = await fetch(`${base}/api/auth/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: opsCookie(h.config, ANA.name) } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    expect(res.headers.get('set-cookie')).toBe(`${OPS_SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    expect((await get('/api/couriers', cookieOf(res))).status).toBe(401);
  });
});
