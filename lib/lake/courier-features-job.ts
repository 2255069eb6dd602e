// Courier features per UTC day of event time (lib/couriers/courier-features.ts defines them),
// computed from the lake's history and written back to the lake only:
//   <LAKE_DIR>/features/courier_daily/date=YYYY-MM-DD/courier_features.parquet
// with courier_id, date, pings, distance_m, deliveries (a day's own figures: running totals
// are their SUM over dates). The same records give the same file, so running it again for a
// day changes nothing unless the lake learnt of more. Records are looked for in the folders
// of the days around it: an event that reached Kafka more than LATE_ARRIVAL_DAYS after its
// day is not counted.
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EARTH_RADIUS_M } from '../couriers/courier-features';
import type { OrderEvent } from '../events/registry';
import { assignedCourier, buildTimeline } from '../orders/timeline';
import { ensureDir, publishFile } from './lake-files';

export const LATE_ARRIVAL_DAYS = 2;
/** How far back an order delivered on the day may have been created. */
const ORDER_SPAN_DAYS = 7;
const DAY_MS = 86_400_000;

export const featuresDir = (lakeDir: string, day: string) => join(lakeDir, 'features', 'courier_daily', `date=${day}`);
export const featuresFile = (lakeDir: string, day: string) => join(featuresDir(lakeDir, day), 'courier_features.parquet');

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The days from `from` to `to`, inclusive, as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || isoDay(start) !== from) throw new Error(`--from: expected a date YYYY-MM-DD, got "${from}"`);
  if (Number.isNaN(end) || isoDay(end) !== to) throw new Error(`--to: expected a date YYYY-MM-DD, got "${to}"`);
  if (end < start) throw new Error(`--to ${to} is before --from ${from}`);
  if ((end - start) / DAY_MS > 3660) throw new Error('at most ten years at a time');
  const days: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) days.push(isoDay(t));
  return days;
}

const hav = (a: string, b: string) => `2 * ${EARTH_RADIUS_M} * asin(least(1, sqrt(
  pow(sin(radians(${b}.lat - ${a}.lat) / 2), 2) + cos(radians(${a}.lat)) * cos(radians(${b}.lat)) * pow(sin(radians(${b}.lng - ${a}.lng) / 2), 2))))`;

/** The deliveries of the day per courier, by the order worker's own timeline rules. */
async function deliveriesOf(connection: DuckDBConnection, day: string): Promise<Map<string, number>> {
  const start = Date.parse(`${day}T00:00:00Z`);
  const rows = (
    await connection.runAndReadAll(`
      WITH window_events AS (
        SELECT * FROM order_events
         WHERE date BETWEEN DATE '${day}' - INTERVAL ${ORDER_SPAN_DAYS} DAY AND DATE '${day}' + INTERVAL ${LATE_ARRIVAL_DAYS} DAY)
      SELECT "eventId", "orderId", status, "occurredAt", "courierId" FROM window_events
       WHERE "orderId" IN (SELECT "orderId" FROM window_events WHERE status = 'delivered'
                            AND "occurredAt" >= ${start} AND "occurredAt" < ${start + DAY_MS})`)
  ).getRowObjectsJS() as { eventId: string; orderId: string; status: OrderEvent['status']; occurredAt: bigint; courierId: string | null }[];
  const byOrder = new Map<string, OrderEvent[]>();
  for (const r of rows) {
    const list = byOrder.get(r.orderId) ?? [];
    list.push({ type: 'order.event', version: 1, eventId: r.eventId, orderId: r.orderId, status: r.status, occurredAt: Number(r.occurredAt), ...(r.courierId ? { courierId: r.courierId } : {}) });
    byOrder.set(r.orderId, list);
  }
  const out = new Map<string, number>();
  for (const events of byOrder.values()) {
    const timeline = buildTimeline(events);
    const courierId = assignedCourier(timeline);
    const at = timeline.accepted.at(-1)?.occurredAt ?? NaN;
    if (timeline.status !== 'delivered' || !courierId || at < start || at >= start + DAY_MS) continue;
    out.set(courierId, (out.get(courierId) ?? 0) + 1);
  }
  return out;
}

/**
 * Writes the day's features file from the lake (the connection has the lake's views,
 * lake-views.ts); returns how many couriers it holds. A day without pings or deliveries
 * gets a file without rows.
 */
export async function writeCourierFeatures(connection: DuckDBConnection, lakeDir: string, day: string): Promise<number> {
  const start = Date.parse(`${day}T00:00:00Z`);
  const deliveries = await deliveriesOf(connection, day);
  await connection.run(`CREATE OR REPLACE TEMP TABLE day_deliveries (courier_id VARCHAR, deliveries BIGINT)`);
  if (deliveries.size > 0) {
    const values = [...deliveries].map(([c, n]) => `('${c.replaceAll("'", "''")}', ${n})`).join(', ');
    await connection.run(`INSERT INTO day_deliveries VALUES ${values}`);
  }
  const dir = featuresDir(lakeDir, day);
  await ensureDir(dir);
  const path = featuresFile(lakeDir, day);
  const temporary = join(dir, `.courier_features.parquet.${process.pid}.tmp`);
  // the day's pings and the day before (its last ping starts the day's first segment), each once
  await connection.run(`
    COPY (
      WITH candidates AS (
        SELECT DISTINCT ON ("courierId", "eventId") "courierId" AS courier_id, "eventId" AS event_id, lat, lng, "occurredAt" AS t
          FROM pings
         WHERE date BETWEEN DATE '${day}' - INTERVAL 2 DAY AND DATE '${day}' + INTERVAL ${LATE_ARRIVAL_DAYS} DAY
           AND "occurredAt" >= ${start - DAY_MS} AND "occurredAt" < ${start + DAY_MS}
      ), segments AS (
        SELECT courier_id, t, lat, lng,
               lag(lat) OVER w AS plat, lag(lng) OVER w AS plng
          FROM candidates WINDOW w AS (PARTITION BY courier_id ORDER BY t, event_id)
      ), day_pings AS (
        SELECT courier_id, count(*) AS pings,
               coalesce(sum(CASE WHEN plat IS NULL THEN 0 ELSE ${hav('p', 'c')} END), 0) AS distance_m
          FROM (SELECT courier_id, t, lat, lng, plat, plng, struct_pack(lat := plat, lng := plng) AS p, struct_pack(lat := lat, lng := lng) AS c FROM segments)
         WHERE t >= ${start}
         GROUP BY courier_id
      )
      SELECT coalesce(p.courier_id, d.courier_id) AS courier_id, DATE '${day}' AS date,
             coalesce(p.pings, 0) AS pings, coalesce(p.distance_m, 0) AS distance_m, coalesce(d.deliveries, 0) AS deliveries
        FROM day_pings p FULL OUTER JOIN day_deliveries d ON d.courier_id = p.courier_id
       ORDER BY courier_id
    ) TO '${temporary.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  await publishFile(temporary, path);
  const count = (await connection.runAndReadAll(`SELECT count(*)::INT FROM '${path.replaceAll("'", "''")}'`)).getRows()[0]![0] as number;
  return count;
}

/** A day's file is first written once the day has been over this long. */
export const FEATURES_AFTER_MS = 60 * 60_000;
/** How far back the archive worker looks for days whose file is missing (older: the backfill). */
const MISSING_LOOKBACK_DAYS = 7;

/**
 * The days whose features the archive worker writes now: each day from an hour after its
 * end until LATE_ARRIVAL_DAYS later (written again each time, so late events and a lake
 * that was catching up are counted), and any day of the last week that has no file yet.
 */
export function dueFeatureDays(lakeDir: string, nowMs: number, exists: (path: string) => boolean): string[] {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const due: string[] = [];
  for (let k = MISSING_LOOKBACK_DAYS; k >= 1; k--) {
    const start = today - k * DAY_MS;
    const end = start + DAY_MS;
    if (nowMs < end + FEATURES_AFTER_MS) continue;
    const late = nowMs < end + LATE_ARRIVAL_DAYS * DAY_MS + FEATURES_AFTER_MS;
    if (late || !exists(featuresFile(lakeDir, isoDay(start)))) due.push(isoDay(start));
  }
  return due;
}
