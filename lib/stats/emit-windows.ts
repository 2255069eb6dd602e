// Emits the unique-users windows the stream's watermark has passed: to Postgres (the record),
// the stats.unique-users topic and the stats room, then marks them emitted in Redis. A crash
// before the mark emits them again; every write is idempotent, and Postgres keeps the
// greatest figures (a window's counts only ever grow), so two emitters racing across a lease
// hand-over, or a recount that cannot see frames retention cut, never move a figure back.
import type { Db } from '../db/client';
import type { LeasedTask } from '../kafka/leased-loop';
import type { CompleteSend } from '../kafka/reliable-producer';
import { GRAINS } from './grains';
import type { StatsEpoch } from './stats-epoch';
import type { Collected, WindowFigures, WindowStore } from './window-store';

export interface EmitDeps {
  store: WindowStore;
  epoch: Pick<StatsEpoch, 'current' | 'lost'>;
  db: Db;
  /** Resolves once every partition is acknowledged: windows are marked emitted only then. */
  send: CompleteSend;
  /** stats.unique-users */
  topic: string;
  /** Redis channel the servers relay to the stats room. */
  channel: string;
  publish(channel: string, message: string): Promise<unknown>;
  /** The activity topic's partitions that hold frames, with their end offsets. */
  partitions(): Promise<{ partition: number; end: number }[]>;
  allowedLatenessSec: number;
  partitionIdleMs: number;
}

/** Emits what is due; returns the windows emitted. */
export async function emitWindows(deps: EmitDeps, nowMs = Date.now()): Promise<WindowFigures[]> {
  const epoch = deps.epoch.current();
  const collected = await deps.store.collect(epoch, { ...deps, partitions: await deps.partitions(), nowMs });
  if (collected.lost) {
    await deps.epoch.lost(epoch);
    return [];
  }
  const { windows } = collected;
  if (windows.length === 0) return [];
  await writeWindows(deps.db, windows);
  const figures = windows.map(({ window, start, uniqueUsers, lateEvents, futureEvents, final }) => ({ window, start, uniqueUsers, lateEvents, futureEvents, final }));
  await deps.send([
    {
      topic: deps.topic,
      messages: figures.map((f) => ({ key: `${f.window}:${new Date(f.start * 1000).toISOString()}`, value: JSON.stringify(f) })),
    },
  ]);
  await deps.publish(deps.channel, JSON.stringify(figures));
  await deps.store.ack(epoch, windows);
  return figures;
}

/** The emitter as a leased task (one per group). */
export function windowEmitter(deps: EmitDeps, log: { debug(o: object, m: string): void }): LeasedTask {
  return {
    name: 'unique-users windows',
    async run(now) {
      const emitted = await emitWindows(deps, now);
      if (emitted.length > 0) log.debug({ windows: emitted.length }, 'unique-users windows emitted');
    },
  };
}

async function writeWindows(db: Db, windows: Extract<Collected, { windows: unknown }>['windows']): Promise<void> {
  for (const { window, table, column } of GRAINS) {
    const rows = windows.filter((w) => w.window === window);
    if (rows.length === 0) continue;
    // table and column come from the fixed grains table, never from input
    await db.$executeRawUnsafe(
      `INSERT INTO ${table} AS t (${column}, unique_users, late_events, future_events, final, updated_at)
       SELECT to_timestamp(s), u, l, fu, f, now() FROM unnest($1::float8[], $2::int[], $3::int[], $4::int[], $5::bool[]) AS x(s, u, l, fu, f)
       ON CONFLICT (${column}) DO UPDATE SET
         unique_users = GREATEST(t.unique_users, excluded.unique_users),
         late_events = GREATEST(t.late_events, excluded.late_events),
         future_events = GREATEST(t.future_events, excluded.future_events),
         final = t.final OR excluded.final,
         updated_at = now()`,
      rows.map((r) => r.start),
      rows.map((r) => r.uniqueUsers),
      rows.map((r) => r.lateEvents),
      rows.map((r) => r.futureEvents),
      rows.map((r) => r.final),
    );
  }
}
