// Keeps the partitioned history in shape (history-partitions.ts): the next days' partitions
// made ahead of their first rows, and the days past each table's retention dropped whole.
// As a leased task, one worker of the deployment does it at a time.
import type { LeasedTask } from '../kafka/leased-loop';
import type { Log } from '../observability/log';
import type { Db } from './client';
import { HISTORY_TABLES, HISTORY_TABLE_NAMES, type HistoryTable, type RetentionDays, dayNumber, dropDaysBefore, ensureDayPartitions, firstKeptDay } from './history-partitions';

/** Partitions made this many days ahead of today. */
export const DAYS_AHEAD = 2;
const EVERY_MS = 60 * 60_000;

export async function maintainHistory(db: Db, retention: RetentionDays, nowMs = Date.now()): Promise<Record<HistoryTable, string[]>> {
  const today = dayNumber(nowMs);
  const dropped = {} as Record<HistoryTable, string[]>;
  for (const table of HISTORY_TABLE_NAMES) {
    await ensureDayPartitions(db, table, Array.from({ length: DAYS_AHEAD + 1 }, (_, i) => today + i));
    dropped[table] = await dropDaysBefore(db, table, firstKeptDay(nowMs, retention[HISTORY_TABLES[table].retention]));
  }
  return dropped;
}

export function historyMaintenance(deps: { db: Db; retention: RetentionDays; log: Log }): LeasedTask {
  let last = -Infinity;
  return {
    name: 'history partitions',
    async run(now) {
      if (now - last < EVERY_MS) return;
      const started = Date.now();
      const dropped = await maintainHistory(deps.db, deps.retention, now);
      last = now;
      const names = Object.values(dropped).flat();
      if (names.length > 0) deps.log.info({ dropped: names, ms: Date.now() - started }, 'history days past retention dropped');
    },
  };
}
