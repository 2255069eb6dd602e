// The record's partitioned history against a real Postgres: a populated database migrates
// without losing a row, a replay leaves one row per event, reads cross the edge between
// two days, and retention drops whole expired days without holding up inserts.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { orderLocationKey } from '../../lib/couriers/keys';
import { readTrail } from '../../lib/couriers/read-trail';
import { recordLocations } from '../../lib/couriers/record-locations';
import { DAY_MS, dayNumber, listDayPartitions, partitionName } from '../../lib/db/history-partitions';
import { maintainHistory } from '../../lib/db/history-maintenance';
import type { CourierLocation } from '../../lib/events/registry';
import { readOrderLocation } from '../../lib/orders/read-order-location';
import { databaseName, dropDatabase, ensureDatabase, withDatabase } from '../../scripts/infra/postgres';
import { type Harness, createHarness } from './harness';

let h: Harness;
const run = randomBytes(3).toString('hex');
let seq = 0;
const ping = (courierId: string, occurredAt: number, extra: Partial<CourierLocation> = {}): CourierLocation => ({
  type: 'courier.location',
  version: 1,
  eventId: `hist-${run}-${++seq}`,
  courierId,
  lat: -23 + seq / 1e4,
  lng: -46 + seq / 1e4,
  occurredAt,
  ...extra,
});
const today = dayNumber(Date.now());
const midnight = today * DAY_MS;
/** Every order is its courier's: pings keep their orderId. */
const assignments = (courierId: string) => async (ids: Iterable<string>) => new Map([...ids].map((id) => [id, courierId] as const));

beforeAll(async () => {
  h = await createHarness('history');
});
afterAll(async () => {
  await h?.close();
});

const MIGRATIONS = join(import.meta.dirname, '../../prisma/migrations');
const migrationFiles = () => readdirSync(MIGRATIONS).filter((d) => /^\d{4}_/.test(d)).sort();

describe('migration 0005', () => {
  it('moves a populated database into day partitions without losing or changing a row', async () => {
    const url = withDatabase(h.config.databaseUrl, `${databaseName(h.config.databaseUrl)}_mig_${run}`);
    await ensureDatabase(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    onTestFinished(async () => {
      await client.end();
      await dropDatabase(url);
    });
    // the migrations before 0005, then rows, then 0005 (later ones do not touch these tables)
    const files = migrationFiles();
    const last = '0005_partitioned_history';
    expect(files).toContain(last);
    for (const dir of files.slice(0, files.indexOf(last))) await client.query(readFileSync(join(MIGRATIONS, dir, 'migration.sql'), 'utf8'));

    // five days of rows, the last ones a millisecond either side of midnights
    await client.query(`
      INSERT INTO orders (id, status, created_at, updated_at, last_seq) SELECT 'o' || g, 'created', now(), now(), 2 FROM generate_series(1, 50) g;
      INSERT INTO courier_location_history (event_id, courier_id, order_id, lat, lng, accuracy_m, occurred_at)
        SELECT 'e' || g, 'c' || (g % 7), CASE WHEN g % 3 = 0 THEN 'o' || (g % 50 + 1) END, g / 1e3, -g / 1e3, g % 11,
               date_trunc('day', now()) - interval '4 days' + g * interval '347 seconds' FROM generate_series(1, 1200) g;
      INSERT INTO courier_location_history (event_id, courier_id, lat, lng, occurred_at)
        VALUES ('edge-1', 'c1', 1, 1, date_trunc('day', now()) - interval '1 millisecond'), ('edge-2', 'c1', 1, 1, date_trunc('day', now()));
      INSERT INTO order_events (event_id, order_id, status, occurred_at, payload)
        SELECT 'oe' || g, 'o' || (g % 50 + 1), 'created', now() - g * interval '1 hour', jsonb_build_object('n', g) FROM generate_series(1, 120) g;
      INSERT INTO notifications (order_id, seq, event_id, kind, payload, created_at)
        SELECT 'o' || (g % 50 + 1), g / 50 + 1, 'oe' || g, 'status', '{}', now() - g * interval '1 hour' FROM generate_series(1, 100) g;
      INSERT INTO ingest_samples (at, topic, total) SELECT now() - g * interval '5 minutes', 't', g FROM generate_series(1, 900) g;`);
    const tables = { courier_location_history: 'event_id', order_events: 'event_id', notifications: 'id', ingest_samples: 'at' };
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const [table, key] of Object.entries(tables)) out[table] = (await client.query(`SELECT * FROM ${table} ORDER BY ${key}`)).rows;
      return out;
    };
    const before = await snapshot();

    await client.query(readFileSync(join(MIGRATIONS, last, 'migration.sql'), 'utf8'));

    expect(await snapshot()).toEqual(before);
    const partitioned = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid ORDER BY 1`,
    );
    expect(partitioned.rows.map((r) => r.relname)).toEqual(Object.keys(tables).sort());
    // each row sits in the partition of its day
    const misplaced = await client.query(
      `SELECT tableoid::regclass::text AS part, occurred_at FROM courier_location_history
        WHERE tableoid::regclass::text <> 'courier_location_history_p' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYYMMDD')`,
    );
    expect(misplaced.rows).toEqual([]);
    // the keys still refuse a second copy of a row, and notifications keep their id sequence
    const again = await client.query(
      `INSERT INTO courier_location_history SELECT * FROM courier_location_history WHERE event_id = 'edge-1' ON CONFLICT (event_id, occurred_at) DO NOTHING`,
    );
    expect(again.rowCount).toBe(0);
    await client.query(`SELECT lastmile_ensure_day_partition('notifications', current_date)`);
    const next = await client.query<{ id: string }>(`INSERT INTO notifications (order_id, seq, event_id, kind, payload) VALUES ('o1', 9, 'x', 'status', '{}') RETURNING id`);
    expect(Number(next.rows[0]!.id)).toBe(101);
  });
});

describe('partitioned history', () => {
  it('keeps one row per ping through a replay, and reads trails and order locations across midnight', async () => {
    const courierId = `hc-${run}`;
    const orderId = `ho-${run}`;
    const deps = { redis: h.redis, db: h.db, assignments: assignments(courierId) };
    // 20 pings a second apart either side of today's midnight (yesterday's partition and today's)
    const pings = Array.from({ length: 20 }, (_, i) => ping(courierId, midnight - 10_000 + i * 1000, { orderId }));
    await recordLocations(deps, pings);
    await recordLocations(deps, pings); // a replay of the same batch
    await recordLocations(deps, pings.slice(5, 15).reverse());
    const rows = await h.db.$queryRaw<{ part: string; n: number }[]>`
      SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM courier_location_history WHERE courier_id = ${courierId} GROUP BY 1 ORDER BY 1`;
    expect(rows).toEqual([
      { part: partitionName('courier_location_history', today - 1), n: 10 },
      { part: partitionName('courier_location_history', today), n: 10 },
    ]);

    const trail = await readTrail(h.db, courierId, { since: new Date(midnight - 60_000), limit: 100 });
    expect(trail.points.map((p) => p.occurredAt)).toEqual(pings.map((p) => p.occurredAt));
    const newest = await readTrail(h.db, courierId, { since: new Date(midnight - 60_000), limit: 12 });
    expect(newest).toMatchObject({ truncated: true, points: pings.slice(8).map((p) => ({ occurredAt: p.occurredAt, lat: p.lat })) });

    // the order's location from the record when Redis lacks it: the newest ping, past midnight
    await h.redis.del(orderLocationKey(orderId));
    const fromRecord = await readOrderLocation(h, orderId);
    expect(fromRecord).toMatchObject({ source: 'postgres', location: { occurredAt: pings.at(-1)!.occurredAt, lat: pings.at(-1)!.lat } });
    // and before midnight, when the newest ping is yesterday's
    const early = `ho-early-${run}`;
    await recordLocations({ ...deps }, [ping(courierId, midnight - 5_000, { orderId: early }), ping(courierId, midnight - 1, { orderId: early })]);
    await h.redis.del(orderLocationKey(early));
    expect(await readOrderLocation(h, early)).toMatchObject({ source: 'postgres', location: { occurredAt: midnight - 1 } });
  });

  it('retention drops whole days past it, and inserts carry on while it does', async () => {
    const courierId = `hr-${run}`;
    const deps = { redis: h.redis, db: h.db, assignments: assignments(courierId) };
    const now = Date.now();
    const retention = { locations: 30, orders: 90, samples: 35 };
    const firstKept = dayNumber(now - 30 * DAY_MS); // the day of the instant 30 days ago
    const times = [
      (today - 40) * DAY_MS + 5,
      firstKept * DAY_MS - 1, // the last millisecond of the newest expired day
      firstKept * DAY_MS, // the first of the oldest kept day
      (firstKept + 1) * DAY_MS + 43_200_000,
      now - 1000,
    ];
    await recordLocations(deps, times.map((t) => ping(courierId, t)));

    // inserts into today's partition, one after another, for as long as the drop takes
    const writer = new pg.Client({ connectionString: h.config.databaseUrl });
    await writer.connect();
    onTestFinished(() => writer.end());
    await writer.query(`SET lock_timeout = '2s'`);
    let dropping = true;
    let inserted = 0;
    const inserts = (async () => {
      while (dropping) {
        await writer.query(
          `INSERT INTO courier_location_history (event_id, courier_id, lat, lng, occurred_at) VALUES ($1, $2, 0, 0, now())`,
          [`hw-${run}-${inserted}`, `hw-${run}`],
        );
        inserted++;
      }
    })();
    const dropped = await maintainHistory(h.db, retention, now).finally(() => (dropping = false));
    await inserts;
    expect(inserted).toBeGreaterThan(0);

    expect(dropped.courier_location_history).toEqual(
      expect.arrayContaining([partitionName('courier_location_history', today - 40), partitionName('courier_location_history', firstKept - 1)]),
    );
    const left = await h.db.courierLocation.findMany({ where: { courierId }, orderBy: { occurredAt: 'asc' }, select: { occurredAt: true } });
    expect(left.map((r) => r.occurredAt.getTime())).toEqual(times.slice(2));
    const days = (await listDayPartitions(h.db, 'courier_location_history')).map((p) => p.day);
    expect(Math.min(...days)).toBe(firstKept);
    expect(days).toEqual(expect.arrayContaining([today, today + 1, today + 2]));
    // the other tables keep their own retention: nothing of theirs is older
    for (const table of ['order_events', 'notifications', 'ingest_samples'] as const) {
      const kept = table === 'ingest_samples' ? 35 : 90;
      for (const p of await listDayPartitions(h.db, table)) expect(p.day).toBeGreaterThanOrEqual(dayNumber(now - kept * DAY_MS));
    }

    // a ping for a dropped day, from a writer that remembered the day's partition: stored again
    await recordLocations(deps, [ping(courierId, (today - 40) * DAY_MS + 7)]);
    expect(await h.db.courierLocation.count({ where: { courierId } })).toBe(4);
  });
});
