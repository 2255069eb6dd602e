// The location worker's memory of who carries each order, against the real Redis (its
// invalidations) and Postgres: it answers from memory once an order is known, forgets the
// moment the record changes, survives losing its connection, and never keeps an answer
// older than the record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AssignmentCache, createAssignmentCache } from '../../lib/orders/assignment-cache';
import { deleteOrderStatuses, writeOrderStatus } from '../../lib/orders/order-status-store';
import { type Harness, createHarness, eventually } from './harness';

let h: Harness;
let cache: AssignmentCache;
const run = Math.random().toString(36).slice(2, 8);
const order = (n: number) => `ac-o${n}-${run}`;
const courier = (n: number) => `ac-c${n}-${run}`;
const T = Date.now();
const assign = (o: number, c: number | undefined) =>
  writeOrderStatus(h.redis, { orderId: order(o), status: 'confirmed', at: T, ...(c === undefined ? {} : { courierId: courier(c) }) });

/** How many MGETs Redis has run: the cache's reads of the record. */
async function mgets(): Promise<number> {
  const stats = await h.redis.info('commandstats');
  return Number(/cmdstat_mget:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

beforeAll(async () => {
  h = await createHarness('assign');
  cache = await createAssignmentCache({ redis: h.redis, db: h.db, log: h.log });
  await eventually(async () => (cache.following ? true : undefined), 10_000, 'the cache following changes');
});

afterAll(async () => {
  await cache?.close();
  await deleteOrderStatuses(h.redis, Array.from({ length: 40 }, (_, i) => order(i)));
  await h?.close();
});

describe('the assignment cache', () => {
  it('reads an order once, then answers from memory', async () => {
    await assign(1, 1);
    expect(await cache.read([order(1)])).toEqual(new Map([[order(1), courier(1)]]));
    const before = await mgets();
    for (let i = 0; i < 5; i++) expect((await cache.read([order(1)])).get(order(1))).toBe(courier(1));
    expect(await mgets()).toBe(before);
  });

  it('forgets at once when the order is reassigned, unassigned or removed', async () => {
    await assign(2, 1);
    expect((await cache.read([order(2)])).get(order(2))).toBe(courier(1));
    await assign(2, 2);
    await eventually(async () => ((await cache.read([order(2)])).get(order(2)) === courier(2) ? true : undefined), 2000, 'the new courier');
    await assign(2, undefined);
    await eventually(async () => ((await cache.read([order(2)])).get(order(2)) === null ? true : undefined), 2000, 'no courier');
    await deleteOrderStatuses(h.redis, [order(2)]);
    await eventually(async () => ((await cache.read([order(2)])).has(order(2)) ? undefined : true), 2000, 'an unknown order');
  });

  it('falls back to Postgres for an order Redis lacks, and remembers unknown orders too', async () => {
    await h.db.order.create({ data: { id: order(3), status: 'confirmed', courierId: courier(3), createdAt: new Date(T) } });
    expect((await cache.read([order(3), order(4)])).get(order(3))).toBe(courier(3));
    const before = await mgets();
    const again = await cache.read([order(3), order(4)]);
    expect(again.get(order(3))).toBe(courier(3));
    expect(again.has(order(4))).toBe(false);
    expect(await mgets()).toBe(before);
    // the order worker writes Redis after every change: that ends the Postgres answer too
    await assign(3, 5);
    await eventually(async () => ((await cache.read([order(3)])).get(order(3)) === courier(5) ? true : undefined), 2000, 'the change');
  });

  it('forgets everything when its connection drops, and follows changes again on the new one', async () => {
    const watcherId = async () => /id=(\d+) [^\n]*name=lastmile-assignments /.exec(String(await h.redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')))?.[1];
    await assign(5, 1);
    expect((await cache.read([order(5)])).get(order(5))).toBe(courier(1));
    const before = await watcherId();
    expect(before).toBeDefined();
    await h.redis.client('KILL', 'ID', before!);
    await assign(5, 2); // a change made while its connection is gone: no invalidation reaches it
    await eventually(async () => ((await watcherId()) !== before && cache.following ? true : undefined), 10_000, 'a new connection, following');
    expect((await cache.read([order(5)])).get(order(5))).toBe(courier(2));
    await assign(5, 3);
    await eventually(async () => ((await cache.read([order(5)])).get(order(5)) === courier(3) ? true : undefined), 2000, 'the change after');
    const reads = await mgets();
    expect((await cache.read([order(5)])).get(order(5))).toBe(courier(3));
    expect(await mgets()).toBe(reads); // from memory again
  });

  it('does not keep an answer the record changed under while it was read', async () => {
    // Postgres answers late (the order is not in Redis), and the order worker writes Redis
    // meanwhile: that batch gets the late answer, the next one the change
    const slowDb = new Proxy(h.db, {
      get(db, prop, receiver) {
        if (prop !== 'order') return Reflect.get(db, prop, receiver) as unknown;
        return new Proxy(db.order, {
          get(orders, name, r) {
            if (name !== 'findMany') return Reflect.get(orders, name, r) as unknown;
            return async (...args: Parameters<typeof orders.findMany>) => {
              await new Promise((done) => setTimeout(done, 300));
              return orders.findMany(...args);
            };
          },
        });
      },
    });
    const slow = await createAssignmentCache({ redis: h.redis, db: slowDb, log: h.log });
    try {
      await eventually(async () => (slow.following ? true : undefined), 10_000, 'following');
      await h.db.order.create({ data: { id: order(6), status: 'confirmed', courierId: courier(1), createdAt: new Date(T) } });
      const late = slow.read([order(6)]);
      await new Promise((r) => setTimeout(r, 100));
      await assign(6, 2);
      expect((await late).get(order(6))).toBe(courier(1));
      await new Promise((r) => setTimeout(r, 100));
      expect((await slow.read([order(6)])).get(order(6))).toBe(courier(2));
    } finally {
      await slow.close();
    }
  });

  it('agrees with the record once writes stop, however reads and writes interleave', async () => {
    const orders = Array.from({ length: 20 }, (_, i) => 10 + i);
    const last = new Map<number, number>();
    const writer = (async () => {
      for (let i = 0; i < 400; i++) {
        const o = orders[i % orders.length]!;
        const c = (i * 7) % 5;
        last.set(o, c);
        await assign(o, c);
      }
    })();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        await cache.read(orders.map(order));
        await new Promise((r) => setImmediate(r)); // an answer from memory would never yield
      }
    })();
    await writer;
    reading = false;
    await reader;
    await eventually(
      async () => {
        const now = await cache.read(orders.map(order));
        return orders.every((o) => now.get(order(o)) === courier(last.get(o)!)) ? true : undefined;
      },
      2000,
      'the cache agreeing with the last writes',
    );
    // and it stays so: nothing stale comes back
    await new Promise((r) => setTimeout(r, 300));
    const settled = await cache.read(orders.map(order));
    for (const o of orders) expect(settled.get(order(o))).toBe(courier(last.get(o)!));
  });
});
