// What the stats page shows, read from the record (Postgres) and, for windows still open,
// the activity worker's live figures in Redis.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import type { TopicNames } from '../kafka/topics';
import { ORDER_STATUSES } from '../orders/state-machine';
import { grainOf, windowStart, windowStarts } from './grains';
import type { StatsRange } from './stats-range';
import { statsPrefix, windowStore } from './window-store';

export interface UniqueUsersPoint {
  /** Window start, epoch seconds. */
  start: number;
  uniqueUsers: number;
  lateEvents: number;
  /** Frames dated past their Kafka record's time plus the tolerance (counted as users too). */
  futureEvents: number;
  final: boolean;
  /** Still open: its users so far, not yet emitted. */
  partial?: true;
}

/** Open hours, days and months are shown with their users so far when they began this recently. */
const LIVE_LOOKBACK_SEC = 2 * 86_400;

export async function uniqueUsersSeries(db: Db, redis: Redis, topics: TopicNames, range: StatsRange, nowMs = Date.now()) {
  const { table, column, window } = grainOf(range.grain);
  // table and column come from the fixed grains table, never from input
  const rows = await db.$queryRawUnsafe<{ start: number; unique_users: number; late_events: number; future_events: number; final: boolean }[]>(
    `SELECT extract(epoch FROM ${column})::float8 AS start, unique_users, late_events, future_events, final
       FROM ${table} WHERE ${column} >= to_timestamp($1) AND ${column} < to_timestamp($2) ORDER BY ${column}`,
    range.from,
    range.to,
  );
  const points: UniqueUsersPoint[] = rows.map((r) => ({
    start: r.start,
    uniqueUsers: r.unique_users,
    lateEvents: r.late_events,
    futureEvents: r.future_events,
    final: r.final,
  }));
  const store = windowStore(redis, statsPrefix(topics.userActivity));
  if (range.grain !== 'minute') {
    const have = new Set(points.map((p) => p.start));
    const nowSec = Math.floor(nowMs / 1000);
    const open = windowStarts(range.grain, Math.max(range.from, nowSec - LIVE_LOOKBACK_SEC), range.to)
      .filter((start) => start >= range.from && !have.has(start))
      .map((start) => ({ window, start }));
    for (const live of await store.live(open)) {
      if (live.uniqueUsers > 0 || live.lateEvents > 0) {
        points.push({ start: live.start, uniqueUsers: live.uniqueUsers, lateEvents: live.lateEvents, futureEvents: live.futureEvents, final: false, partial: true });
      }
    }
    points.sort((a, b) => a.start - b.start);
  }
  const distinct = await store.distinctUsersBetween(range.from, range.to);
  return {
    points,
    // by whole UTC hours, from HyperLogLogs
    distinctUsers: { value: distinct, from: range.from - (range.from % 3600), to: Math.ceil(range.to / 3600) * 3600, standardErrorPct: 0.81 },
  };
}

export interface IngestPoint {
  start: number;
  /** Events per second into each topic, averaged over the bucket. */
  pings: number;
  orderEvents: number;
  activity: number;
}

export async function ingestSeries(db: Db, topics: TopicNames, range: StatsRange): Promise<IngestPoint[]> {
  const series = { pings: topics.courierLocations, orderEvents: topics.orderEvents, activity: topics.userActivity } as const;
  // the last sample of each bucket; one bucket before the range gives the first difference
  const rows = await db.$queryRawUnsafe<{ topic: string; bucket: number; total: string; at: number }[]>(
    `SELECT topic, extract(epoch FROM date_trunc($1, at, 'UTC'))::float8 AS bucket, max(total)::text AS total, extract(epoch FROM max(at))::float8 AS at
       FROM ingest_samples WHERE topic = ANY($2) AND at >= to_timestamp($3) AND at < to_timestamp($4)
      GROUP BY 1, 2 ORDER BY 1, 2`,
    range.grain,
    Object.values(series),
    windowStart(range.grain, range.from - 1),
    range.to,
  );
  const points = new Map<number, IngestPoint>();
  for (const [name, topic] of Object.entries(series) as [keyof typeof series, string][]) {
    let previous: { total: number; at: number } | undefined;
    for (const row of rows.filter((r) => r.topic === topic)) {
      const total = Number(row.total);
      if (previous && row.bucket >= range.from && row.at > previous.at) {
        const point = points.get(row.bucket) ?? { start: row.bucket, pings: 0, orderEvents: 0, activity: 0 };
        point[name] = Math.round(((total - previous.total) / (row.at - previous.at)) * 10) / 10;
        points.set(row.bucket, point);
      }
      previous = { total, at: row.at };
    }
  }
  return [...points.values()].sort((a, b) => a.start - b.start);
}

/** Delivery durations are counted in buckets this wide, the last one open-ended. */
export const DURATION_BUCKET_MIN = 5;
const DURATION_BUCKETS = 24;

export async function orderStats(db: Db, range: StatsRange) {
  const from = new Date(range.from * 1000);
  const to = new Date(range.to * 1000);
  const byStatus = await db.$queryRaw<{ status: string; count: number }[]>`
    SELECT status, count(*)::int AS count FROM orders WHERE created_at >= ${from} AND created_at < ${to} GROUP BY status`;
  const counts = new Map(byStatus.map((r) => [r.status, r.count]));
  const durations = await db.$queryRaw<{ bucket: number; count: number }[]>`
    SELECT least(floor(extract(epoch FROM h.occurred_at - o.created_at) / ${DURATION_BUCKET_MIN * 60}), ${DURATION_BUCKETS - 1})::int AS bucket, count(*)::int AS count
      FROM order_status_history h JOIN orders o ON o.id = h.order_id
     WHERE h.status = 'delivered' AND h.occurred_at >= ${from} AND h.occurred_at < ${to}
     GROUP BY 1`;
  const [summary] = await db.$queryRaw<{ delivered: number; p50: number | null; p90: number | null; mean: number | null }[]>`
    SELECT count(*)::int AS delivered,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY s) / 60 AS p50,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY s) / 60 AS p90,
           avg(s) / 60 AS mean
      FROM (SELECT extract(epoch FROM h.occurred_at - o.created_at)::float8 AS s
              FROM order_status_history h JOIN orders o ON o.id = h.order_id
             WHERE h.status = 'delivered' AND h.occurred_at >= ${from} AND h.occurred_at < ${to}) d`;
  const perBucket = new Map(durations.map((r) => [r.bucket, r.count]));
  const round = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 10) / 10);
  return {
    byStatus: ORDER_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 })),
    deliveryMinutes: Array.from({ length: DURATION_BUCKETS }, (_, i) => ({
      fromMin: i * DURATION_BUCKET_MIN,
      toMin: i === DURATION_BUCKETS - 1 ? null : (i + 1) * DURATION_BUCKET_MIN,
      count: perBucket.get(i) ?? 0,
    })),
    delivered: summary?.delivered ?? 0,
    p50Min: round(summary?.p50),
    p90Min: round(summary?.p90),
    meanMin: round(summary?.mean),
  };
}
