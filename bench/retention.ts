// Benchmark: retention of the location history. Two days of --rows pings each; one day is
// dropped as the maintenance task drops it (DETACH … CONCURRENTLY, then DROP TABLE), the
// other deleted with DELETE, in the same run, while another connection keeps inserting
// pings into today's partition: how long each took, and how long the inserts waited.
//
//   npx tsx bench/retention.ts [--rows 5000000]        (npm run bench:retention)
import pg from 'pg';
import { createDb } from '../lib/db/client';
import { DAY_MS, dayNumber, dropDaysBefore, ensureDayPartitions } from '../lib/db/history-partitions';
import { fmt, machineLine, monoMs, options, percentile, say, table, verdict, withStack } from './lib';

const opts = options('usage: npx tsx bench/retention.ts [options]', {
  rows: { def: 5_000_000, help: 'pings in each of the two days' },
  couriers: { def: 10_000, help: 'distinct couriers' },
  target: { def: 1000, help: 'longest the drop of a day may take, ms' },
});

/** Inserts a ping at a time into today's partition until stopped; every insert's latency. */
function inserter(url: string) {
  const client = new pg.Client({ connectionString: url });
  const latencies: number[] = [];
  let running = true;
  let n = 0;
  const done = (async () => {
    await client.connect();
    while (running) {
      const t = monoMs();
      await client.query(`INSERT INTO courier_location_history (event_id, courier_id, lat, lng, occurred_at) VALUES ($1, 'live', 0, 0, now())`, [`live-${n++}-${t}`]);
      latencies.push(monoMs() - t);
    }
    await client.end();
  })();
  return {
    /** The latencies of the inserts from now on. */
    mark: () => latencies.length,
    since: (mark: number) => latencies.slice(mark),
    async stop() {
      running = false;
      await done;
    },
  };
}

await withStack('retention', {}, async (stack) => {
  const db = createDb(stack.env.DATABASE_URL!);
  const today = dayNumber(Date.now());
  const dropDay = today - 60;
  const deleteDay = today - 59;
  await ensureDayPartitions(db, 'courier_location_history', [dropDay, deleteDay, today]);
  for (const day of [dropDay, deleteDay]) {
    const started = monoMs();
    const chunk = 1_000_000;
    for (let from = 0; from < opts.rows; from += chunk) {
      const to = Math.min(opts.rows, from + chunk);
      await stack.pg.query(`
        INSERT INTO courier_location_history (event_id, courier_id, order_id, lat, lng, occurred_at)
        SELECT 'r${day}-' || i, 'rc' || (i % ${opts.couriers}), 'ro' || (i % 50000), -23.55 + (i % 1000) / 1e5, -46.63 - (i % 997) / 1e5,
               to_timestamp((${day * DAY_MS} + floor(i * ${DAY_MS / opts.rows})) / 1000.0)
          FROM generate_series(${from}::bigint, ${to - 1}::bigint) i`);
    }
    say(`  ${fmt.int(opts.rows)} rows for day ${new Date(day * DAY_MS).toISOString().slice(0, 10)} in ${((monoMs() - started) / 1000).toFixed(1)}s`);
  }
  await stack.pg.query('VACUUM ANALYZE courier_location_history');

  const live = inserter(stack.env.DATABASE_URL!);
  await new Promise((r) => setTimeout(r, 2000));
  const baseline = live.since(0);

  let mark = live.mark();
  let t = monoMs();
  const dropped = await dropDaysBefore(db, 'courier_location_history', dropDay + 1);
  const dropMs = monoMs() - t;
  const duringDrop = live.since(mark);

  mark = live.mark();
  t = monoMs();
  const deleted = await stack.pg.query(`DELETE FROM courier_location_history WHERE occurred_at >= to_timestamp($1 / 1000.0) AND occurred_at < to_timestamp($2 / 1000.0)`, [
    deleteDay * DAY_MS,
    (deleteDay + 1) * DAY_MS,
  ]);
  const deleteMs = monoMs() - t;
  const duringDelete = live.since(mark);
  await live.stop();
  await db.$disconnect();

  const row = (name: string, ms: number, rows: number, lat: number[]) => {
    const sorted = [...lat].sort((a, b) => a - b);
    return [name, fmt.int(rows), ms.toFixed(0), fmt.int(lat.length), percentile(sorted, 0.5).toFixed(2), percentile(sorted, 0.99).toFixed(2), (sorted.at(-1) ?? 0).toFixed(1)];
  };
  console.log(
    [
      `## bench:retention — ${new Date().toISOString().slice(0, 10)}, ${machineLine()}`,
      '',
      `a day of ${fmt.int(opts.rows)} pings removed, while another connection inserts one ping at a time into today's partition:`,
      table([
        ['how', 'rows', 'ms', 'inserts meanwhile', 'insert p50 ms', 'p99 ms', 'max ms'],
        row('2 s before, nothing removed', 2000, 0, baseline),
        row(`drop the day (${dropped.join(', ')})`, dropMs, opts.rows, duringDrop),
        row('DELETE the day', deleteMs, deleted.rowCount ?? 0, duringDelete),
      ]),
      `drop of a day: ${dropMs.toFixed(0)} ms (target < ${opts.target} ms): ${verdict(dropMs < opts.target)}; DELETE: ${(deleteMs / dropMs).toFixed(0)}× as long`,
    ].join('\n'),
  );
  if (dropMs >= opts.target) process.exitCode = 1;
});
