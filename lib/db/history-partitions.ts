// The record's append-only tables, partitioned by UTC day of their time column (migration
// 0005): which tables, how their day partitions are named, created and dropped. A writer
// makes sure its batch's days exist before it inserts (createPartitionGuard); the
// maintenance task (history-maintenance.ts) creates days ahead and drops expired ones.
import type { Db } from './client';

export const DAY_MS = 86_400_000;

/** Each partitioned table, its partition column, and which retention setting it follows. */
export const HISTORY_TABLES = {
  courier_location_history: { column: 'occurred_at', retention: 'locations' },
  order_events: { column: 'occurred_at', retention: 'orders' },
  notifications: { column: 'created_at', retention: 'orders' },
  ingest_samples: { column: 'at', retention: 'samples' },
} as const;

export type HistoryTable = keyof typeof HISTORY_TABLES;
export type RetentionDays = Record<(typeof HISTORY_TABLES)[HistoryTable]['retention'], number>;
export const HISTORY_TABLE_NAMES = Object.keys(HISTORY_TABLES) as HistoryTable[];

/** Days since the Unix epoch, UTC. */
export const dayNumber = (ms: number) => Math.floor(ms / DAY_MS);

/** 20261203 for 2026-12-03. */
const dayLabel = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');

export const partitionName = (table: HistoryTable, day: number) => `${table}_p${dayLabel(day)}`;

/** The day a partition holds, from its name; undefined for a name not of ours. */
export function partitionDay(table: HistoryTable, name: string): number | undefined {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) || dayLabel(dayNumber(ms)) !== `${m[1]}${m[2]}${m[3]}` ? undefined : dayNumber(ms);
}

/**
 * The first day kept: the day of the instant `retentionDays` ago. Every day before it is
 * wholly older than that, so no row younger than `retentionDays` days is ever dropped.
 */
export const firstKeptDay = (nowMs: number, retentionDays: number) => dayNumber(nowMs - retentionDays * DAY_MS);

/** The days of these times, each once. */
export function daysOf(times: Iterable<number>): number[] {
  const days = new Set<number>();
  for (const t of times) days.add(dayNumber(t));
  return [...days];
}

export async function ensureDayPartitions(db: Db, table: HistoryTable, days: number[]): Promise<void> {
  if (days.length === 0) return;
  // in one order for every caller: two writers making the same days never wait on each other in a circle
  const dates = [...days].sort((a, b) => a - b).map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10));
  await db.$queryRaw`SELECT lastmile_ensure_day_partition(${table}, d) FROM unnest(${dates}::date[]) AS d`;
}

export interface DayPartition {
  name: string;
  day: number;
  /** Attached (false: left detached by a drop that stopped half-way). */
  attached: boolean;
  /** A DETACH … CONCURRENTLY that stopped before it finished. */
  detachPending: boolean;
}

/** The table's day partitions, attached or left over from a drop that stopped half-way. */
export async function listDayPartitions(db: Db, table: HistoryTable): Promise<DayPartition[]> {
  const rows = await db.$queryRaw<{ name: string; parent: string | null; pending: boolean | null }[]>`
    SELECT c.relname AS name, p.relname AS parent, i.inhdetachpending AS pending
      FROM pg_class c
      LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
      LEFT JOIN pg_class p ON p.oid = i.inhparent
     WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE ${`${table}\\_p%`}`;
  return rows.flatMap((r) => {
    const day = partitionDay(table, r.name);
    if (day === undefined || (r.parent !== null && r.parent !== table)) return [];
    return [{ name: r.name, day, attached: r.parent === table, detachPending: r.pending === true }];
  });
}

/**
 * Drops the table's days before `firstDay`. Each is detached CONCURRENTLY first (a lock that
 * lets inserts and reads of the other days go on), then dropped as a table of its own.
 * Returns the names dropped.
 */
export async function dropDaysBefore(db: Db, table: HistoryTable, firstDay: number): Promise<string[]> {
  const expired = (await listDayPartitions(db, table)).filter((p) => p.day < firstDay).sort((a, b) => a.day - b.day);
  const dropped: string[] = [];
  for (const p of expired) {
    if (p.attached) {
      const mode = p.detachPending ? 'FINALIZE' : 'CONCURRENTLY';
      await db.$executeRawUnsafe(`ALTER TABLE "${table}" DETACH PARTITION "${p.name}" ${mode}`);
    }
    await db.$executeRawUnsafe(`DROP TABLE IF EXISTS "${p.name}"`);
    dropped.push(p.name);
  }
  return dropped;
}

/** Whether an insert failed because a row's day has no partition (dropped under a writer). */
export function isMissingPartition(err: unknown): boolean {
  for (let e = err as { message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } } | undefined, i = 0; e && i < 8; i++) {
    if (typeof e.message === 'string' && e.message.includes('no partition of relation')) return true;
    e = (e.meta?.driverAdapterError ?? e.cause) as typeof e;
  }
  return false;
}

export interface PartitionGuard {
  /** Runs `insert` once the days of `times` have partitions; again once if a day went missing meanwhile. */
  insert<T>(times: Iterable<number>, insert: () => Promise<T>): Promise<T>;
}

/** Remembers the days it made sure of, so a batch of known days costs no query. */
export function createPartitionGuard(db: Db, table: HistoryTable): PartitionGuard {
  const known = new Set<number>();
  const ensure = async (times: Iterable<number>) => {
    const missing = daysOf(times).filter((d) => !known.has(d));
    await ensureDayPartitions(db, table, missing);
    for (const d of missing) known.add(d);
  };
  return {
    async insert(times, insert) {
      const list = [...times];
      await ensure(list);
      try {
        return await insert();
      } catch (err) {
        if (!isMissingPartition(err)) throw err;
        known.clear();
        await ensure(list);
        return insert();
      }
    },
  };
}

const guards = new WeakMap<Db, Map<HistoryTable, PartitionGuard>>();

/** The process's guard for this client and table (every writer of a table shares it). */
export function historyGuard(db: Db, table: HistoryTable): PartitionGuard {
  let byTable = guards.get(db);
  if (!byTable) guards.set(db, (byTable = new Map()));
  let guard = byTable.get(table);
  if (!guard) byTable.set(table, (guard = createPartitionGuard(db, table)));
  return guard;
}
