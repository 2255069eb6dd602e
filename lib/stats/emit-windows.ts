// Emits the unique-users windows the stream's watermark has passed: to Postgres (the record),
// the stats.unique-users topic and the stats room, then marks them emitted in Redis. A crash
// before the mark emits them again; every write is idempotent, and Postgres keeps the
// greatest figures (a window's users and late events only ever grow), so two emitters
// racing across a lease hand-over can never move a figure backwards.
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import type { WindowName } from './classify-activity';
import { type Collected, type WindowFigures, ackWindows, collectWindows } from './window-store';

export interface EmitDeps {
  redis: Redis;
  db: Db;
  producer: Producer;
  /** stats.unique-users */
  topic: string;
  /** Redis channel the servers relay to the stats room. */
  channel: string;
  prefix: string;
  allowedLatenessSec: number;
  partitionIdleMs: number;
}

const TABLES: Record<WindowName, { table: string; column: string }> = {
  m: { table: 'unique_users_minute', column: 'minute' },
  h: { table: 'unique_users_hour', column: 'hour' },
  d: { table: 'unique_users_day', column: 'day' },
};

/** Emits what is due; returns the windows emitted. */
export async function emitWindows(deps: EmitDeps): Promise<WindowFigures[]> {
  const { windows } = await collectWindows(deps.redis, deps.prefix, deps);
  if (windows.length === 0) return [];
  await writeWindows(deps.db, windows);
  const figures = windows.map(({ window, start, uniqueUsers, lateEvents, final }) => ({ window, start, uniqueUsers, lateEvents, final }));
  await deps.producer.send({
    topic: deps.topic,
    acks: -1,
    messages: figures.map((f) => ({ key: `${f.window}:${new Date(f.start * 1000).toISOString()}`, value: JSON.stringify(f) })),
  });
  await deps.redis.publish(deps.channel, JSON.stringify(figures));
  await ackWindows(deps.redis, deps.prefix, windows);
  return figures;
}

async function writeWindows(db: Db, windows: Collected['windows']): Promise<void> {
  for (const name of Object.keys(TABLES) as WindowName[]) {
    const rows = windows.filter((w) => w.window === name);
    if (rows.length === 0) continue;
    const { table, column } = TABLES[name];
    // table and column come from the fixed map above, never from input
    await db.$executeRawUnsafe(
      `INSERT INTO ${table} AS t (${column}, unique_users, late_events, final, updated_at)
       SELECT to_timestamp(s), u, l, f, now() FROM unnest($1::float8[], $2::int[], $3::int[], $4::bool[]) AS x(s, u, l, f)
       ON CONFLICT (${column}) DO UPDATE SET
         unique_users = GREATEST(t.unique_users, excluded.unique_users),
         late_events = GREATEST(t.late_events, excluded.late_events),
         final = t.final OR excluded.final,
         updated_at = now()`,
      rows.map((r) => r.start),
      rows.map((r) => r.uniqueUsers),
      rows.map((r) => r.lateEvents),
      rows.map((r) => r.final),
    );
  }
}
