// Every boundary refuses cleanly, against the real server process with its Next app: the
// security headers on pages, API answers and bare-node answers; the login's body cap,
// cross-site refusal and safe redirects; bad paths, ids, boxes and times answered 4xx; and
// random shapes sent to every route with a dynamic segment or a query never answered 5xx.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS_SESSION_COOKIE } from '../../lib/auth/ops-session';
import { isSameSitePath } from '../../lib/auth/safe-next-path';
import { MAX_EVENT_DEPTH } from '../../lib/events/validate';
import { type Service, stopServices } from '../../scripts/app/services';
import { type Harness, TEST_OPS_USER, createHarness, opsCookie, startAppServer, tokenFor } from './harness';
import { rawRequest } from './raw-http';

let h: Harness;
let server: Service;
let base: string;
let cookie: string;

beforeAll(async () => {
  h = await createHarness('bounds');
  ({ server, base } = await startAppServer(h, 'boundaries'));
  cookie = opsCookie(h.config);
}, 600_000);

afterAll(async () => {
  if (server) await stopServices([server]);
  await h?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(base, path, { headers });
const json = (body: string) => JSON.parse(body) as { error: { code: string; message: string; issues?: { field: string; rule: string }[] } };
const header = (res: { headers: Record<string, string | string[] | undefined> }, name: string) => String(res.headers[name] ?? '');
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const login = (body: string, headers: Record<string, string> = {}) =>
  rawRequest(base, '/api/auth/login', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
const credentials = { name: TEST_OPS_USER.name, password: TEST_OPS_USER.password };

describe('security headers', () => {
  const common = { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

  it('gives a page a nonce CSP, and every script Next writes carries that nonce', async () => {
    const res = await get('/login');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject(common);
    const csp = header(res, 'content-security-policy');
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const scripts = res.body.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    // a fresh nonce per answer
    expect(header(await get('/login'), 'content-security-policy')).not.toBe(csp);
  });

  it.each([
    ['a Next API answer', '/api/couriers', 401],
    ['a Next static answer', '/openapi.json', 200],
    ['a bare ingest answer', '/api/events', 405],
    ['a bare order-location answer', '/api/orders/o-1/location', 401],
    ['/healthz', '/healthz', 200],
    ['/readyz', '/readyz', 200],
    ['/metrics', '/metrics', 200],
    ['an unknown page', '/no/such/page', 404],
  ])('puts them on %s', async (_what, path, status) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(res.headers).toMatchObject(common);
    expect(header(res, 'content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it("gives the not-found page's scripts the nonce too (it is rendered per request, not prerendered)", async () => {
    const res = await get('/no/such/page');
    const nonce = /'nonce-([^']+)'/.exec(header(res, 'content-security-policy'))?.[1];
    const scripts = res.body.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  });

  it('ignores a CSP the client sends, so it cannot choose the nonce', async () => {
    const res = await get('/login', { 'content-security-policy': "script-src 'nonce-chosen'" });
    expect(res.body).not.toContain('nonce="chosen"');
    expect(header(res, 'content-security-policy')).not.toContain('chosen');
  });
});

describe('served over https (PUBLIC_URL)', () => {
  let https: { server: Service; base: string } | undefined;
  beforeAll(async () => {
    https = await startAppServer(h, 'boundaries-https', { PUBLIC_URL: 'https://lastmile.example' });
  }, 120_000);
  afterAll(async () => {
    if (https) await stopServices([https.server]);
  });

  it.each(['/login', '/api/couriers', '/healthz'])('pins https on %s, and upgrades subresources on pages', async (path) => {
    const res = await rawRequest(https!.base, path);
    expect(header(res, 'strict-transport-security')).toBe('max-age=31536000');
    if (path === '/login') expect(header(res, 'content-security-policy')).toContain('upgrade-insecure-requests');
  });

  it('takes a sign-in from its public origin', async () => {
    const res = await rawRequest(https!.base, '/api/auth/login', {
      method: 'POST',
      body: form(credentials),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://lastmile.example', 'sec-fetch-site': 'same-origin' },
    });
    expect(res.status).toBe(303);
  });
});

describe('sign-in redirects', () => {
  const UNSAFE = ['/.//evil.example', '/..//x', '/%2e%2e//x', '//evil.example', '/\\evil.example', 'https://evil.example'];

  it.each(UNSAFE)('sends a signed-in visit to /login?next=%s to a path on this site', async (next) => {
    const res = await get(`/login?next=${encodeURIComponent(next)}`, { cookie });
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    expect(header(res, 'location')).toBe('/');
  });

  it.each(UNSAFE)('sends a form sign-in with next=%s to a path on this site', async (next) => {
    const res = await login(form({ ...credentials, next }));
    expect(res.status).toBe(303);
    expect(header(res, 'location')).toBe('/');
  });

  it('puts only a safe next into the form', async () => {
    const res = await get(`/login?next=${encodeURIComponent('/.//evil.example')}`);
    expect(res.body).toContain('name="next" value="/"');
  });
});

describe('POST /api/auth/login, the body', () => {
  it('refuses a declared 80 MB body with 413 naming the limit, without waiting for it', async () => {
    const started = Date.now();
    const res = await rawRequest(base, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(80 * 1024 * 1024) },
      body: Buffer.alloc(64 * 1024, ' '),
      chunks: 1280,
    });
    expect(res.status).toBe(413);
    expect(json(res.body).error).toMatchObject({ code: 'payload_too_large', message: 'the body may be at most 16384 bytes' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops reading a streamed body without Content-Length at the cap', async () => {
    const res = await rawRequest(base, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x'.repeat(4096), chunks: 2048 });
    expect(res.status).toBe(413);
  });

  it('answers a multipart body with a broken boundary with 400', async () => {
    const body = '--real\r\nContent-Disposition: form-data; name="name"\r\n\r\nana\r\n--real--\r\n';
    const res = await login(body, { 'content-type': 'multipart/form-data; boundary=other' });
    expect(res.status).toBe(400);
    expect(json(res.body).error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('boundary') });
    expect((await login(body, { 'content-type': 'multipart/form-data' })).status).toBe(400);
  });

  it('still signs in with a well-formed multipart form', async () => {
    const part = (name: string, value: string) => `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const res = await login(`${part('name', credentials.name)}${part('password', credentials.password)}--b--\r\n`, { 'content-type': 'multipart/form-data; boundary=b' });
    expect(res.status).toBe(303);
  });
});

describe('cross-site sign-in and sign-out', () => {
  const own = () => ({ origin: base, 'sec-fetch-site': 'same-origin' });

  // OWN stands for the server's own origin, known once it runs
  const withOwn = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'OWN' ? base : v]));

  it.each([
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: 'null', 'sec-fetch-site': 'cross-site' },
    { origin: 'OWN', 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ] as Record<string, string>[])('refuses %j with 403 and sets no cookie', async (given) => {
    const headers = withOwn(given);
    const res = await login(form(credentials), headers);
    expect(res.status).toBe(403);
    expect(json(res.body).error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/refused: this form only works on this site/) });
    expect(res.headers['set-cookie']).toBeUndefined();
    const out = await rawRequest(base, '/api/auth/logout', { method: 'POST', headers: { cookie, ...headers } });
    expect(out.status).toBe(403);
    expect(out.headers['set-cookie']).toBeUndefined();
  });

  it('accepts its own origin (as the Host header names it), a typed-in request and one without either header', async () => {
    // Origin: null is how a browser sends our own form under Referrer-Policy: no-referrer
    for (const headers of [own(), { origin: 'null', 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, {}] as Record<string, string>[]) {
      const res = await login(form(credentials), headers);
      expect(res.status, JSON.stringify(headers)).toBe(303);
      expect(String(res.headers['set-cookie'])).toContain(`${OPS_SESSION_COOKIE}=`);
      const out = await rawRequest(base, '/api/auth/logout', { method: 'POST', headers: { cookie, ...headers } });
      expect(out.status).toBe(303);
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    }
  });
});

describe('bad input is a 4xx', () => {
  it.each(['/api/orders/%ff', '/orders/%', '/api/couriers/%/trail?since=2026-01-01T00:00:00Z', '/api/orders/%c0%ae/location', '/stats%'])(
    '%s: a path that does not decode is 400',
    async (path) => {
      const res = await get(path, { cookie });
      expect(res.status).toBe(400);
      expect(json(res.body).error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('percent-encoding') });
      expect(header(res, 'x-content-type-options')).toBe('nosniff');
    },
  );

  it('answers a NUL in an ops order id with 400, and a malformed id naming `id`', async () => {
    const nul = await get('/api/ops/orders/a%00b', { cookie });
    expect(nul.status).toBe(400);
    expect(json(nul.body).error.message).toContain('NUL');
    const spaced = await get('/api/ops/orders/a%20b', { cookie });
    expect(spaced.status).toBe(400);
    expect(json(spaced.body).error.issues).toEqual([expect.objectContaining({ field: '/id', rule: 'pattern' })]);
  });

  it('clamps a bbox past the ±85.05° Redis GEO holds, and refuses one outside the world naming bbox', async () => {
    for (const bbox of ['-180,-90,180,90', '0,85.1,1,89', '-10,-89.9,10,-86']) {
      expect((await get(`/api/couriers?bbox=${bbox}`, { cookie })).status, bbox).toBe(200);
    }
    const res = await get('/api/couriers?bbox=0,-91,1,0', { cookie });
    expect(res.status).toBe(400);
    expect(json(res.body).error.issues?.[0]?.field).toBe('bbox');
  });

  it.each([
    ['/api/couriers/c-1/trail?since=0000-01-01T00:00:00Z', '/since'],
    ['/api/couriers/c-1/trail?since=0001-01-01T00:00:00%2B01:00', '/since'],
    ['/api/stats/unique-users?from=0000-01-01T00:00:00Z&to=0000-01-01T01:00:00Z', '/to'],
    ['/api/stats/ingest?from=0000-12-31T23:00:00Z&to=2026-01-01T00:00:00Z', '/from'],
    ['/api/stats/orders?to=0001-01-01T00:00:10Z&grain=day', '/from'],
    ['/api/stats/unique-users?from=2026-02-30T00:00:00Z&to=2026-03-01T00:00:00Z', '/from'],
  ])('%s is 400 naming %s', async (path, field) => {
    const res = await get(path, { cookie });
    expect(res.status).toBe(400);
    expect(json(res.body).error.issues?.[0]?.field).toBe(field);
  });

  it(`answers an ingest event nested 5,000 levels deep with 400 naming the field and the ${MAX_EVENT_DEPTH}-level limit`, async () => {
    // written as text: JSON.stringify itself overflows the stack on it, which was the bug
    const extra = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const body = `{"type":"user.activity","uid":"u-deep","ts":${Math.floor(Date.now() / 1000)},"extra":${extra}}`;
    const res = await rawRequest(base, '/api/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('integrator', 'bounds')}` },
      body,
    });
    expect(res.status).toBe(400);
    const { error } = json(res.body);
    expect(error.message).toContain(`more than ${MAX_EVENT_DEPTH} levels deep`);
    expect(error.issues?.[0]).toMatchObject({ rule: 'maxDepth', field: expect.stringMatching(/^\/extra\/a\/a/) });
  });
});

// Pieces that trip decoders and parsers, joined into segments and query values that a client
// can put on the wire (node:http refuses raw spaces and control characters itself).
const piece = fc.oneof(
  fc.constantFrom('%', '%ff', '%00', '%0a', '%2e%2e', '%2F', '%5C', '%c0%ae', '%e2%82', '..', '.', '//', '~', ':', '@', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', '%20'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,70}$/),
);
const text = fc.array(piece, { minLength: 0, maxLength: 6 }).map((parts) => parts.join(''));
const year = fc.oneof(fc.integer({ min: 0, max: 10_000 }).map((y) => String(y).padStart(4, '0')), fc.constantFrom('+275760', '-000001', '0000'));
const isoish = fc
  .tuple(year, fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.constantFrom('Z', '+01:00', '-14:00', '', 'X'))
  .map(([y, m, d, hh, zone]) => encodeURIComponent(`${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(hh).padStart(2, '0')}:00:00${zone}`));
const time = fc.oneof(isoish, text, fc.date({ noInvalidDate: true }).map((d) => encodeURIComponent(d.toISOString())));
const coordinate = fc.oneof(fc.double({ min: -200, max: 200, noNaN: true }).map(String), fc.constantFrom('85.06', '-85.06', '90', '-90', '1e308', 'NaN', '', 'x'));
const bbox = fc.oneof(fc.array(coordinate, { minLength: 3, maxLength: 5 }).map((parts) => parts.join(',')), text);
const grain = fc.oneof(fc.constantFrom('minute', 'hour', 'day', 'week', ''), text);

const paths = fc.oneof(
  text.map((id) => `/api/orders/${id}`),
  fc.tuple(text, text).map(([id, t]) => `/api/orders/${id}?t=${t}`),
  text.map((id) => `/api/orders/${id}/location`),
  fc.tuple(text, text).map(([id, t]) => `/orders/${id}?t=${t}`),
  text.map((id) => `/api/ops/orders/${id}`),
  bbox.map((b) => `/api/couriers?bbox=${b}`),
  fc.tuple(text, time, text).map(([id, since, limit]) => `/api/couriers/${id}/trail?since=${since}&limit=${limit}`),
  fc.tuple(fc.constantFrom('unique-users', 'ingest', 'orders'), time, time, grain).map(([kind, from, to, g]) => `/api/stats/${kind}?from=${from}&to=${to}&grain=${g}`),
  text.map((q) => `/api/ops/alerts?${q}`),
  text.map((q) => `/api/ops/anomalies?${q}`),
  fc.oneof(text, time).map((next) => `/login?next=${next}`),
);

describe('random shapes', () => {
  it('never get a 5xx, with or without an ops session, and the server stays up', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(paths, fc.boolean(), async (path, signedIn) => {
        const res = await get(path, signedIn ? { cookie } : {});
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(res.status, `${path} (${signedIn ? 'ops' : 'anonymous'}): ${res.body.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 300 && res.status < 400) expect(isSameSitePath(header(res, 'location')), header(res, 'location')).toBe(true);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
    // the answers were not all one refusal: the property reached the routes' own checks
    expect([...seen.keys()].filter((status) => status < 300).length).toBeGreaterThan(0);
    expect(server.child.exitCode).toBeNull();
    expect((await get('/healthz')).status).toBe(200);
  }, 120_000);
});
