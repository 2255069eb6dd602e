// Courier features: kept live in Redis by the location and order workers, and recomputed per
// day from the lake by `npm run backfill -- courier-features`, which writes the lake only
// (no Redis key changes) and writes the same file when run again.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totalsOf } from '../../lib/couriers/courier-features';
import { readCourierFeatures } from '../../lib/couriers/courier-features-store';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import { featuresFile } from '../../lib/lake/courier-features-job';
import { lakeTopicNames, openLake } from '../../lib/lake/lake-views';
import { createArchiveWorker } from '../../workers/archive-worker';
import { createLocationWorker } from '../../workers/location-worker';
import { createOrderWorker } from '../../workers/order-worker';
import { type Harness, createHarness, eventually } from './harness';

let h: Harness;
const workers: RunningConsumer[] = [];
const run = Math.random().toString(36).slice(2, 8);
const DAY_MS = 86_400_000;
const dayStart = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS; // yesterday, UTC
const day = new Date(dayStart).toISOString().slice(0, 10);
const COURIERS = 5;
const PINGS_EACH = 120;
const courier = (n: number) => `fc${n}-${run}`;
let seq = 0;

beforeAll(async () => {
  h = await createHarness('features', { LAKE_FLUSH_SECONDS: '1' });
  workers.push(await createLocationWorker(h.as('location')), await createOrderWorker(h.as('orders')), await createArchiveWorker(h.as('archive')));
});
afterAll(async () => {
  for (const w of workers.splice(0)) await w.stop();
  await h?.close();
});

async function redisSnapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await h.redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) out.set(key, ((await h.redis.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('base64'));
  } while (cursor !== '0');
  return out;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('courier features', () => {
  it('are kept live in Redis, and the backfill recomputes them from the lake into the lake only, the same each time', async () => {
    const producer = h.kafka.producer();
    await producer.connect();
    // each courier delivers n % 3 orders and carries one more it does not deliver
    const orderEvents: { orderId: string; [field: string]: unknown }[] = [];
    for (let n = 0; n < COURIERS; n++) {
      for (let k = 0; k <= n % 3; k++) {
        const orderId = `fo${n}-${k}-${run}`;
        const delivered = k < n % 3;
        const steps = delivered ? ['created', 'confirmed', 'picked_up', 'in_transit', 'delivered'] : ['created', 'confirmed'];
        steps.forEach((status, i) =>
          orderEvents.push({ type: 'order.event', version: 1, eventId: `fe-${run}-${++seq}`, orderId, status, occurredAt: dayStart + 3_600_000 * (k + 1) + i * 60_000, ...(i > 0 ? { courierId: courier(n) } : {}) }),
        );
      }
    }
    await producer.send({ topic: h.topics.orderEvents, acks: -1, messages: orderEvents.map((e) => ({ key: e.orderId, value: JSON.stringify(e) })) });
    // pings in time order through the day, a wandering walk each
    const pings = [];
    for (let n = 0; n < COURIERS; n++) {
      let lat = -23.55 + n / 100;
      let lng = -46.63;
      for (let i = 0; i < PINGS_EACH; i++) {
        lat += Math.sin(i * 0.7 + n) / 2000;
        lng += Math.cos(i * 0.3 + n) / 2000;
        pings.push({ type: 'courier.location', version: 1, eventId: `fp-${run}-${++seq}`, courierId: courier(n), lat, lng, occurredAt: dayStart + 60_000 + i * 600_000 });
      }
    }
    for (let i = 0; i < pings.length; i += 100) {
      await producer.send({ topic: h.topics.courierLocations, acks: -1, messages: pings.slice(i, i + 100).map((p) => ({ key: p.courierId, value: JSON.stringify(p) })) });
    }
    await producer.disconnect();

    const ids = Array.from({ length: COURIERS }, (_, n) => courier(n));
    const live = await eventually(async () => {
      const f = await readCourierFeatures(h.redis, ids);
      return f.every((c, n) => c.pings === PINGS_EACH && c.deliveries === n % 3) ? f : undefined;
    }, 30_000, 'the live features');
    const reference = totalsOf(pings);
    for (const c of live) expect(c.distanceM).toBeCloseTo(reference.get(c.courierId)!.distanceM, 3);

    // the lake has every ping and order event
    const lakeCount = async () => {
      const lake = await openLake(h.config.lake.dir, lakeTopicNames(h.config.kafka.topicPrefix));
      try {
        const rows = (await lake.connection.runAndReadAll(`SELECT (SELECT count(*) FROM pings)::INT + (SELECT count(*) FROM order_events)::INT`)).getRows();
        return rows[0]![0] as number;
      } finally {
        lake.close();
      }
    };
    await eventually(async () => ((await lakeCount()) === pings.length + orderEvents.length ? true : undefined), 30_000, 'the lake to hold every event');
    for (const w of workers.splice(0)) await w.stop(); // nothing else writes Redis from here on

    const before = await redisSnapshot();
    const backfill = () =>
      execFileSync('node_modules/.bin/tsx', ['scripts/backfill.ts', 'courier-features', '--from', day, '--to', day], { env: { ...process.env, ...h.env }, encoding: 'utf8' });
    expect(backfill()).toMatch(new RegExp(`^${day}: ${COURIERS} couriers → `));
    expect(await redisSnapshot()).toEqual(before);

    const path = featuresFile(h.config.lake.dir, day);
    const lake = await openLake(h.config.lake.dir, lakeTopicNames(h.config.kafka.topicPrefix));
    const rows = (await lake.connection.runAndReadAll(`SELECT courier_id, date::VARCHAR AS date, pings::INT AS pings, distance_m, deliveries::INT AS deliveries FROM '${path}' ORDER BY courier_id`)).getRowObjectsJS();
    lake.close();
    expect(rows.map((r) => [r.courier_id, r.date, r.pings, r.deliveries])).toEqual(live.map((c) => [c.courierId, day, PINGS_EACH, c.deliveries]));
    for (const [i, r] of rows.entries()) expect(r.distance_m as number).toBeCloseTo(live[i]!.distanceM, 3);

    const first = sha(path);
    backfill();
    expect(sha(path)).toBe(first);
  });

  it('refuses a backfill without a job or with a malformed date, naming what is wrong', () => {
    const env = { ...process.env, ...h.env };
    const bad = spawnSync('node_modules/.bin/tsx', ['scripts/backfill.ts', 'courier-features', '--from', '2026-13-01'], { env, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--from: expected a date YYYY-MM-DD, got "2026-13-01"');
    const none = spawnSync('node_modules/.bin/tsx', ['scripts/backfill.ts'], { env, encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('usage: npm run backfill -- courier-features --from YYYY-MM-DD --to YYYY-MM-DD');
  });
});
