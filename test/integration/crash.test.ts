// A location worker killed with SIGKILL in the middle of a stream, then restarted, loses
// nothing: every ping ends in Postgres once, and every courier's last location is its newest.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { courierLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { type Harness, createHarness, eventually } from './harness';

let h: Harness;
const children: ChildProcess[] = [];
const run = Math.random().toString(36).slice(2, 8);
const COURIERS = 25;
const PINGS = 5000;
const T0 = Date.now() - 3_600_000;

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts', 'location'], {
    env: { ...process.env, ...h.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
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
    const produceAll = (async () => {
      for (let i = 0; i < PINGS; i += 100) {
        await producer.send({
          topic: h.topics.courierLocations,
          acks: -1,
          messages: pings.slice(i, i + 100).map((p) => ({ key: p.courierId, value: JSON.stringify(p) })),
        });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const first = startWorker();
    await eventually(async () => ((await stored()) >= 500 ? true : undefined), 60_000, 'the first worker to make progress');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await stored();
    expect(atKill).toBeLessThan(PINGS); // killed mid-stream, not after the end

    await produceAll;
    await producer.disconnect();
    const second = startWorker();
    await eventually(async () => ((await stored()) === PINGS ? true : undefined), 90_000, `all ${PINGS} pings stored (had ${atKill} at the kill)`);

    for (let c = 0; c < COURIERS; c++) {
      const courierId = `k${c}-${run}`;
      const newest = pings.filter((p) => p.courierId === courierId).at(-1)!;
      expect(await readLocation(h.redis, courierLocationKey(courierId))).toMatchObject({ occurredAt: newest.occurredAt, lat: newest.lat, lng: newest.lng });
    }
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    expect(second.exitCode).toBe(0); // graceful stop
  });
});
