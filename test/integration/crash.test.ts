// A location worker killed with SIGKILL in the middle of a stream, then restarted, loses
// nothing: every ping ends in Postgres once, and every courier's last location is its newest.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { courierLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { freePort } from '../../scripts/infra/proc';
import { type Harness, createHarness, eventually } from './harness';

let h: Harness;
const children: ChildProcess[] = [];
const run = Math.random().toString(36).slice(2, 8);
const COURIERS = 25;
const PINGS = 5000;
const T0 = Date.now() - 3_600_000;

async function startWorker(name = 'location'): Promise<ChildProcess & { healthy: () => Promise<unknown> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts', name], {
    env: { ...process.env, ...h.env, LOG_LEVEL: 'warn', WORKER_HTTP_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const healthy = () => eventually(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? true : undefined)), 60_000, `${name} worker up`);
  return Object.assign(child, { healthy });
}

const stored = () => h.db.courierLocation.count({ where: { eventId: { startsWith: `evt-${run}-` } } });

beforeAll(async () => {
  h = await createHarness('crash');
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
});

describe('a worker killed mid-stream', () => {
  it('resumes from its last commit and loses nothing', async () => {
    const pings = Array.from({ length: PINGS }, (_, i) => ({
      type: 'courier.location',
      version: 1,
      eventId: `evt-${run}-${i}`,
      courierId: `k${i % COURIERS}-${run}`,
      lat: -23 - (i % 997) / 1e4,
      lng: -46 - (i % 991) / 1e4,
      occurredAt: T0 + i,
    }));
    const producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const first = await startWorker();
    await first.healthy();
    // a steady stream of about 3 s, its last 100 pings held back until after the kill: the
    // kill always lands before the end, whatever the worker's pace
    const HELD_BACK = 100;
    const sendChunk = (i: number) =>
      producer.send({
        topic: h.topics.courierLocations,
        acks: -1,
        messages: pings.slice(i, i + 100).map((p) => ({ key: p.courierId, value: JSON.stringify(p) })),
      });
    const produceAll = (async () => {
      for (let i = 0; i < PINGS - HELD_BACK; i += 100) {
        await sendChunk(i);
        await new Promise((r) => setTimeout(r, 60));
      }
    })();

    await eventually(async () => ((await stored()) >= 500 ? true : undefined), 60_000, 'the first worker to make progress');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await stored();
    expect(atKill).toBeGreaterThanOrEqual(500);
    expect(atKill).toBeLessThanOrEqual(PINGS - HELD_BACK); // killed mid-stream, always

    await produceAll;
    await sendChunk(PINGS - HELD_BACK);
    await producer.disconnect();
    const second = await startWorker();
    await eventually(async () => ((await stored()) === PINGS ? true : undefined), 90_000, `all ${PINGS} pings stored (had ${atKill} at the kill)`);

    for (let c = 0; c < COURIERS; c++) {
      const courierId = `k${c}-${run}`;
      const newest = pings.filter((p) => p.courierId === courierId).at(-1)!;
      expect(await readLocation(h.redis, courierLocationKey(courierId))).toMatchObject({ occurredAt: newest.occurredAt, lat: newest.lat, lng: newest.lng });
    }
    // (the first worker's last INSERT may have reached Postgres before the kill: wait for the
    // restarted one to be up before asking it to stop)
    await second.healthy();
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    expect(second.exitCode).toBe(0); // graceful stop
  });
});

describe('an order worker killed mid-batch', () => {
  it('creates every notification exactly once after a restart', async () => {
    const ORDERS = 300;
    const STATUSES = ['created', 'confirmed', 'picked_up', 'in_transit', 'delivered'];
    const events = STATUSES.flatMap((status, step) =>
      Array.from({ length: ORDERS }, (_, o) => ({
        type: 'order.event',
        version: 1,
        eventId: `evt-${run}-o${o}-${step}`,
        orderId: `crash-${run}-${o}`,
        status,
        occurredAt: T0 + step * 1000,
      })),
    );
    const producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 100) {
        await producer.send({
          topic: h.topics.orderEvents,
          acks: -1,
          messages: events.slice(i, Math.min(i + 100, to)).map((e) => ({ key: e.orderId, value: JSON.stringify(e) })),
        });
      }
    };
    // the last events are held back until after the kill, so it always lands before the end
    // (a worker done with everything before the kill landed made this test fail before)
    const HELD_BACK = 100;
    await send(0, events.length - HELD_BACK);
    const notified = () => h.db.notification.count({ where: { orderId: { startsWith: `crash-${run}-` } } });

    // Inserting a notification is slowed (1 ms a row, in Postgres), so a batch's writes stay
    // open long enough to be seen; the kill lands once a session of the worker is seen with
    // writes it has not committed: always mid-batch, never after it.
    await h.db.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION crash_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END $$`);
    await h.db.$executeRawUnsafe(`CREATE TRIGGER crash_test_slow BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION crash_test_slow()`);
    const inserting = async () =>
      h.db.$queryRawUnsafe<{ pid: number }[]>(`
        SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`);
    const first = await startWorker('orders');
    const inFlight = await eventually(async () => {
      const rows = await inserting();
      return rows.length > 0 ? rows : undefined;
    }, 60_000, 'a batch writing');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // its transaction never commits: Postgres rolls it back once it sees the client gone
    const pids = inFlight.map((r) => r.pid);
    await eventually(async () => ((await h.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])`, pids))[0]!.n === 0 ? true : undefined), 30_000, 'the killed worker\'s sessions gone');
    const atKill = await notified();
    expect(atKill).toBeLessThan(events.length - HELD_BACK); // the batch in flight left nothing behind
    await h.db.$executeRawUnsafe(`DROP TRIGGER crash_test_slow ON notifications`);
    await send(events.length - HELD_BACK, events.length);
    await producer.disconnect();

    const second = await startWorker('orders');
    await eventually(async () => ((await h.db.order.count({ where: { id: { startsWith: `crash-${run}-` }, status: 'delivered' } })) === ORDERS ? true : undefined), 90_000, 'every order delivered');
    const rows = await h.db.notification.findMany({ where: { orderId: { startsWith: `crash-${run}-` } }, select: { orderId: true, seq: true, eventId: true } });
    expect(rows).toHaveLength(events.length);
    const byOrder = new Map<string, number[]>();
    for (const r of rows) byOrder.set(r.orderId, [...(byOrder.get(r.orderId) ?? []), r.seq]);
    for (const seqs of byOrder.values()) expect(seqs.sort()).toEqual([1, 2, 3, 4, 5]);
    await second.healthy();
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    expect(second.exitCode).toBe(0);
  });
});
