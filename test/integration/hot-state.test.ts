// The hot state from the record: after Redis loses everything, the workers rebuild it from
// Postgres on their own and the map shows what it showed before; `npm run hot-state:rebuild`
// does the same on demand and says how long it took.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCouriers } from '../../lib/couriers/list-couriers';
import { readHotStateEpoch } from '../../lib/hot-state/hot-state-epoch';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import { readOrderStatuses } from '../../lib/orders/order-status-store';
import { createLocationWorker } from '../../workers/location-worker';
import { createOrderWorker } from '../../workers/order-worker';
import { type Harness, createHarness, eventually } from './harness';

let h: Harness;
const workers: RunningConsumer[] = [];
const run = randomBytes(3).toString('hex');
const T0 = Date.now() - 600_000;
let seq = 0;
const COURIERS = 40;
const courier = (n: number) => `hs-c${n}-${run}`;
const order = (n: number) => `hs-o${n}-${run}`;
const STEPS = ['created', 'confirmed', 'picked_up', 'in_transit', 'delivered'] as const;

beforeAll(async () => {
  h = await createHarness('hot-state');
  workers.push(await createLocationWorker(h.as('location')), await createOrderWorker(h.as('orders')));
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await h?.close();
});

const ours = (id: string) => id.endsWith(`-${run}`);
/** The map's snapshot of this test's couriers, as of one instant, and their orders' statuses. */
async function mapSnapshot(now: number) {
  const couriers = (await listCouriers(h.redis, { limit: 100_000, staleAfterMs: 60_000, now })).filter((c) => ours(c.courierId));
  couriers.sort((a, b) => a.courierId.localeCompare(b.courierId));
  const statuses = await readOrderStatuses(h.redis, Array.from({ length: COURIERS }, (_, i) => order(i)));
  return { couriers, statuses: [...statuses.values()].sort((a, b) => a.orderId.localeCompare(b.orderId)) };
}

async function send(topic: string, messages: { key: string; value: object }[]) {
  const producer = h.kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value) })) });
  await producer.disconnect();
}

describe('hot state from the record', () => {
  it('is rebuilt by the workers on their own after Redis is wiped, and the map shows what it showed before', async () => {
    // each courier carries its own order, taken as far as a step of its own
    const events = [];
    for (let i = 0; i < COURIERS; i++) {
      const reached = 1 + (i % STEPS.length);
      for (let s = 0; s < reached; s++) {
        events.push({
          key: order(i),
          value: {
            type: 'order.event',
            version: 1,
            eventId: `hs-${run}-${++seq}`,
            orderId: order(i),
            status: STEPS[s],
            occurredAt: T0 + s * 1000,
            ...(s >= 1 ? { courierId: courier(i) } : {}),
          },
        });
      }
    }
    await send(h.topics.orderEvents, events);
    await eventually(async () => ((await readOrderStatuses(h.redis, [order(COURIERS - 1)])).size === 1 ? true : undefined));
    await eventually(async () => ((await h.db.order.count({ where: { id: { endsWith: `-${run}` } } })) === COURIERS ? true : undefined));
    const pings = [];
    for (let i = 0; i < COURIERS; i++) {
      for (let k = 0; k < 3; k++) {
        pings.push({
          key: courier(i),
          value: { type: 'courier.location', version: 1, eventId: `hs-${run}-${++seq}`, courierId: courier(i), orderId: order(i), lat: -23 - i / 100, lng: -46 - k / 100, occurredAt: T0 + 10_000 + k * 1000 },
        });
      }
    }
    await send(h.topics.courierLocations, pings);
    await eventually(async () => ((await h.db.courierLocation.count({ where: { courierId: { endsWith: `-${run}` } } })) === pings.length ? true : undefined));
    const now = Date.now();
    const before = await eventually(async () => {
      const s = await mapSnapshot(now);
      return s.couriers.length === COURIERS ? s : undefined;
    });
    // the couriers show every status an order gives them, not all idle
    expect(new Set(before.couriers.map((c) => c.status)).size).toBeGreaterThan(2);
    expect(before.statuses).toHaveLength(COURIERS);

    await h.redis.flushall();
    const wiped = Date.now();
    const after = await eventually(
      async () => {
        const s = await mapSnapshot(now);
        return s.couriers.length === COURIERS && s.statuses.length === COURIERS ? s : undefined;
      },
      15_000,
      'the map to come back',
    );
    const healedMs = Date.now() - wiped;
    expect(after).toEqual(before);
    expect(await readHotStateEpoch(h.redis)).not.toBeNull();
    console.log(`hot state rebuilt by the workers ${healedMs} ms after the wipe`);
    expect(healedMs).toBeLessThan(10_000);
  });

  it('is rebuilt on demand by npm run hot-state:rebuild, which says how long it took', async () => {
    const now = Date.now();
    const before = await mapSnapshot(now);
    expect(before.couriers).toHaveLength(COURIERS);
    for (const w of workers.splice(0)) await w.stop(); // nobody else rebuilds it
    await h.redis.flushall();
    expect((await mapSnapshot(now)).couriers).toHaveLength(0);
    const out = execFileSync('node_modules/.bin/tsx', ['scripts/hot-state-rebuild.ts'], { env: { ...process.env, ...h.env }, encoding: 'utf8' });
    expect(out).toMatch(/^hot state rebuilt from Postgres in \d+ ms: \d+ couriers' last locations, \d+ order statuses, \d+ open orders' locations/);
    expect(await mapSnapshot(now)).toEqual(before);
  });
});
