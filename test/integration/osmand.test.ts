// The OsmAnd protocol end to end: the requests Traccar Client (the older Android one's POST
// with everything in the query, 9.x's JSON, 10.x's form body) and OsmAnd send, byte for byte
// as they build them (lib/osmand/decode-osmand.test.ts names the sources), to the protocol's
// own port and to /osmand on the main one; each position found in Redis and Postgres. A fix
// sent again is one ping; a device unknown, revoked or with the wrong secret is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courierLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { registerDevice, revokeDevice } from '../../lib/devices/device-store';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import { KNOT_MPS } from '../../lib/osmand/decode-osmand';
import { osmandEventId } from '../../lib/osmand/osmand-ping';
import { freePort } from '../../scripts/infra/proc';
import { type RunningServer, startServer } from '../../server/start-server';
import { createLocationWorker } from '../../workers/location-worker';
import { type Harness, createHarness, eventually } from './harness';
import { rawRequest } from './raw-http';

let h: Harness;
let server: RunningServer;
let worker: RunningConsumer;
let osmandBase = '';
const run = Math.random().toString(36).slice(2, 8);
const secrets = new Map<string, string>();
const courierOf = (device: string) => `courier-${device}`;

/** A device registered for its own courier; its secret. */
async function device(name: string): Promise<{ id: string; secret: string }> {
  const id = `${name}-${run}`;
  if (!secrets.has(id)) secrets.set(id, await registerDevice({ db: h.db, redis: h.redis }, { deviceId: id, courierId: courierOf(id), sourceId: 'default' }));
  return { id, secret: secrets.get(id)! };
}

const stored = (deviceId: string, occurredAt: number) =>
  eventually(async () => (await h.db.courierLocation.findMany({ where: { eventId: osmandEventId(deviceId, occurredAt) } })).at(0), 20_000, `the ping of ${deviceId}`);

const seconds = () => Math.floor(Date.now() / 1000) - 5;

beforeAll(async () => {
  const osmandPort = await freePort();
  h = await createHarness('osmand', { OSMAND_PORT: String(osmandPort) });
  server = await startServer(h.config, h.log);
  osmandBase = `http://127.0.0.1:${osmandPort}`;
  worker = await createLocationWorker(h.as('location'));
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await h?.close();
});

describe('the apps fleets run', () => {
  it("Traccar Client for Android: a POST with everything in the query and an empty body, to the protocol's port", async () => {
    const { id, secret } = await device('android');
    const t = seconds();
    const res = await rawRequest(osmandBase, `/${secret}?id=${id}&timestamp=${t}&lat=-23.550520&lon=-46.633308&speed=19.438445&bearing=63.0&altitude=760.0&accuracy=0.0&batt=87.0`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'Dalvik/2.1.0 (Linux; U; Android 13)', Connection: 'Keep-Alive', 'Accept-Encoding': 'gzip', 'Content-Length': '0' },
      body: '',
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const row = await stored(id, t * 1000);
    expect(row).toMatchObject({ courierId: courierOf(id), lat: -23.55052, lng: -46.633308, accuracyM: null, heading: 63 });
    expect(row.speedMps).toBeCloseTo(19.438445 * KNOT_MPS, 6); // 10 m/s, sent in knots
    expect(await readLocation(h.redis, courierLocationKey(courierOf(id)))).toMatchObject({ lat: -23.55052, lng: -46.633308, occurredAt: t * 1000 });
  });

  it('Traccar Client 9.x: the JSON body, speed in m/s', async () => {
    const { id, secret } = await device('tc9');
    const at = new Date(Date.now() - 4000).toISOString();
    const body = `{"location":{"timestamp":"${at}","coords":{"latitude":-23.5614,"longitude":-46.6559,"accuracy":5,"speed":4.2,"heading":-1,"altitude":790},"is_moving":true,"odometer":1200,"event":"","battery":{"level":0.55,"is_charging":true},"activity":{"type":"on_bicycle"},"extras":{},"_":"&id=${id}&lat=-23.5614&lon=-46.6559&timestamp=${at}&"},"device_id":"${id}"}`;
    const res = await rawRequest(osmandBase, `/${secret}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, body });
    expect(res.status).toBe(200);
    expect(await stored(id, Date.parse(at))).toMatchObject({ courierId: courierOf(id), lat: -23.5614, lng: -46.6559, accuracyM: 5, speedMps: 4.2, heading: null });
  });

  it('Traccar Client 10.x: a form body and no query', async () => {
    const { id, secret } = await device('tc10');
    const t = seconds();
    const body = `id=${id}&lat=-23.5489&lon=-46.6388&timestamp=${t}&accuracy=12.0&altitude=760.0&speed=0.0&bearing=0.0&batt=64&charge=false&battery_health=good&battery_voltage=3900&battery_temp=29.5`;
    const res = await rawRequest(osmandBase, `/${secret}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8', 'Content-Length': String(body.length) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await stored(id, t * 1000)).toMatchObject({ lat: -23.5489, lng: -46.6388, accuracyM: 12, speedMps: 0 });
  });

  it("OsmAnd's online tracking: a GET from its template to /osmand on the main port, milliseconds, accuracy in hdop", async () => {
    const { id, secret } = await device('osmand');
    const ms = Date.now() - 3000;
    const res = await rawRequest(server.url, `/osmand/${secret}?id=${id}&lat=-23.58&lon=-46.61&timestamp=${ms}&hdop=6.0&altitude=745.0&speed=0.0`, {
      headers: { 'User-Agent': 'Dalvik/2.1.0', Connection: 'Keep-Alive', 'Accept-Encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(await stored(id, ms)).toMatchObject({ lat: -23.58, lng: -46.61, accuracyM: 6 });
  });
});

describe('what is refused, and what is kept once', () => {
  it('a fix sent again is the same ping: one row', async () => {
    const { id, secret } = await device('resend');
    const t = seconds();
    const path = `/${secret}?id=${id}&timestamp=${t}&lat=-23.5&lon=-46.6`;
    for (let i = 0; i < 3; i++) expect((await rawRequest(osmandBase, path, { method: 'POST' })).status).toBe(200);
    await stored(id, t * 1000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await h.db.courierLocation.count({ where: { courierId: courierOf(id) } })).toBe(1);
  });

  it('an unknown device, a wrong or missing secret, a revoked device: 400, nothing stored', async () => {
    const { id, secret } = await device('refused');
    const q = (device: string) => `id=${device}&timestamp=${seconds()}&lat=-23.5&lon=-46.6`;
    const answers = [
      await rawRequest(osmandBase, `/${secret}?${q(`nobody-${run}`)}`, { method: 'POST' }),
      await rawRequest(osmandBase, `/not-its-secret?${q(id)}`, { method: 'POST' }),
      await rawRequest(osmandBase, `/?${q(id)}`, { method: 'POST' }),
      await rawRequest(server.url, `/osmand?${q(id)}`),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400]);
    expect(JSON.parse(answers[1]!.body)).toMatchObject({ error: { issues: [{ field: 'id' }] } });
    expect(JSON.parse(answers[2]!.body)).toMatchObject({ error: { issues: [{ field: 'path' }] } });
    expect(await revokeDevice({ db: h.db, redis: h.redis }, id)).toBe(true);
    expect((await rawRequest(osmandBase, `/${secret}?${q(id)}`, { method: 'POST' })).status).toBe(400);
    expect(await h.db.courierLocation.count({ where: { courierId: courierOf(id) } })).toBe(0);
  });

  it.each([
    ['lat=north&lon=-46.6', 'lat'],
    ['lat=-23.5&lon=-46.6&timestamp=yesterday', 'timestamp'],
    ['lat=-95&lon=-46.6', 'lat'],
    ['lat=-23.5&lon=-46.6&speed=400', 'speed'],
  ])('a malformed fix (%s): 400 naming %s', async (query, field) => {
    const { id, secret } = await device('malformed');
    const res = await rawRequest(osmandBase, `/${secret}?id=${id}&${query}`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { issues: [{ field }] } });
  });

  it('the quality gate: a teleport, a frozen clock, 0,0 and a clock hours ahead are answered 200 and not stored', async () => {
    const { id, secret } = await device('quality');
    const t = seconds() - 60;
    const send = (query: string) => rawRequest(osmandBase, `/${secret}?id=${id}&${query}`, { method: 'POST' });
    const answers = [
      await send(`timestamp=${t}&lat=-23.5500&lon=-46.6300`), // kept
      await send(`timestamp=${t + 5}&lat=-22.9068&lon=-43.1729`), // Rio five seconds later: a teleport
      await send(`timestamp=${t}&lat=-23.5510&lon=-46.6310`), // the same time again: a frozen clock
      await send(`timestamp=${t + 10}&lat=0.0&lon=0.0`), // no fix
      await send(`timestamp=${t + 7200}&lat=-23.5501&lon=-46.6301`), // two hours ahead
      await send(`timestamp=${t + 20}&lat=-23.5505&lon=-46.6305`), // kept
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await stored(id, (t + 20) * 1000);
    await new Promise((r) => setTimeout(r, 1000));
    const rows = await h.db.courierLocation.findMany({ where: { courierId: courierOf(id) }, orderBy: { occurredAt: 'asc' } });
    expect(rows.map((r) => r.occurredAt.getTime())).toEqual([t * 1000, (t + 20) * 1000]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const rule of ['teleport', 'duplicate', 'zero', 'future']) expect(metrics).toMatch(new RegExp(`lastmile_ingest_filtered_total\\{[^}]*api="osmand"[^}]*rule="${rule}"[^}]*\\} [1-9]`));
  });

  it('random and malformed requests on both ports: never a 5xx, nothing stored for a device without its secret', async () => {
    const { id, secret } = await device('fuzz');
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const values = ['', '1', '-0', 'NaN', '1e400', '%', '%zz', '91', '-181', '2016-02-30+10:00:00', '1597000000', 'x'.repeat(300), '{"a":1}', '%00', '0,0', 'true'];
    const names = ['id', 'deviceid', 'lat', 'lon', 'location', 'timestamp', 'speed', 'bearing', 'accuracy', 'hdop', 'batt', 'valid', 'x'];
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const params = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => `${pick(names)}=${pick(values)}`).join(pick(['&', ';']));
      const withId = rnd() < 0.5 ? `id=${pick([id, `nobody-${run}`])}&${params}` : params;
      const path = pick([`/${secret}`, '/wrong', '/', `/${secret}/%ff`]);
      const json = rnd() < 0.2;
      const res = await rawRequest(pick([osmandBase, `${server.url}/osmand`]), `${path}?${json ? '' : withId}`, {
        method: pick(['GET', 'POST', 'PUT']),
        headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
        body: json ? pick(['[', '{}', '[1]', `{"device_id":"${id}","location":{"timestamp":"x"}}`, 'null']) : pick(['', withId]),
      });
      statuses.add(res.status);
      expect(res.status, `${path}?${withId}`).toBeLessThan(500);
    }
    expect([...statuses].every((s) => [200, 400, 404, 405].includes(s))).toBe(true);
    // only registered fixes with their secret can reach the stores: none under the wrong secret's courier
    expect(await h.db.courierLocation.count({ where: { courierId: courierOf(`nobody-${run}`) } })).toBe(0);
  }, 60_000);

  it('a request without a position (a push token registration): 200, nothing stored', async () => {
    const { id, secret } = await device('token');
    const body = `id=${id}&notificationToken=abc123`;
    const res = await rawRequest(osmandBase, `/${secret}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) }, body });
    expect(res.status).toBe(200);
    expect(await h.db.courierLocation.count({ where: { courierId: courierOf(id) } })).toBe(0);
  });
});
