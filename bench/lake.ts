// Benchmark: the lake. In one run on one stack:
//   1. archive: a topic preloaded with --pings pings, read by a raw kafkajs consumer that does
//      nothing else (the baseline, bench/raw-consume.ts), then archived to Parquet by the
//      real archive worker, twice each (cold, then warm); events/s of each, from start to
//      every partition committed;
//   2. size: the lake's bytes for those pings beside Postgres's (the location worker writes
//      the same topic into courier_location_history; its partitions and indexes counted);
//   3. an analyst query (pings per courier per hour for a day) over --analyst-pings pings,
//      DuckDB over Parquet in the lake's layout beside the same query on Postgres holding
//      the same rows; the answers are compared.
//
//   npx tsx bench/lake.ts [--pings 1000000] [--analyst-pings 10000000] …   (npm run bench:lake)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import { mkdir } from 'node:fs/promises';
import { createLakeViews, lakeTopicsOf, openLake } from '../lib/lake/lake-views';
import type { LakeTopic } from '../lib/lake/lake-schema';
import { profileDir } from '../scripts/infra/stack';
import type { RawConsumeResult } from './raw-consume';
import { PingMaker } from './load';
import { type Stack, adminSasl, cpuMeter, fmt, formatCpu, machineLine, monoMs, options, say, sleep, table, verdict, waitForLagZero, withStack } from './lib';

const opts = options('usage: npx tsx bench/lake.ts [options]', {
  pings: { def: 1_000_000, help: 'pings preloaded for the archive pass' },
  couriers: { def: 10_000, help: 'distinct couriers' },
  'analyst-pings': { def: 10_000_000, help: 'pings for the analyst query, in Parquet and in Postgres (0 skips it)' },
  'min-ratio': { def: 0.8, help: 'least archive events/s as a share of the raw consumer' },
  size: { def: true, help: 'also measure Postgres bytes for the same pings (the location worker writes them)' },
});

const DAY_MS = 86_400_000;
const SEND_BYTES = 512 * 1024;

async function preload(stack: Stack, topic: string): Promise<{ seconds: number; bytes: number; ends: Record<number, number> }> {
  const kafka = new Kafka({ brokers: stack.env.KAFKA_BROKERS!.split(','), sasl: adminSasl(stack.env), clientId: 'bench-preload', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = monoMs();
  const maker = new PingMaker(stack.runTag, 'lake', true);
  const t0 = Date.now() - 3_600_000;
  let bytes = 0;
  try {
    const inFlight = new Set<Promise<unknown>>();
    let batch: { key: string; value: string }[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const sent = producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: batch });
      batch = [];
      batchBytes = 0;
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      while (inFlight.size >= 8) await Promise.race(inFlight);
    };
    for (let i = 0; i < opts.pings; i++) {
      const p = maker.make(i % opts.couriers, t0 + Math.floor(i / opts.couriers) * 1000);
      const value = JSON.stringify(p);
      batch.push({ key: p.courierId, value });
      batchBytes += value.length;
      bytes += value.length;
      if (batchBytes >= SEND_BYTES) await flush();
      if ((i + 1) % 200_000 === 0) say(`  ${fmt.int(i + 1)} pings…`);
    }
    await flush();
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  const offsets = await stack.admin.fetchTopicOffsets(topic);
  return { seconds: (monoMs() - started) / 1000, bytes, ends: Object.fromEntries(offsets.map((p) => [p.partition, Number(p.high)])) };
}

/** Waits until `groupId` has committed every partition of `topic` to its end; returns monoMs then. */
async function committedToEnd(stack: Stack, groupId: string, topic: string, ends: Record<number, number>, timeoutMs = 600_000): Promise<number> {
  const deadline = monoMs() + timeoutMs;
  for (;;) {
    const [committed] = await stack.admin.fetchOffsets({ groupId, topics: [topic] });
    const done = Object.entries(ends).every(([p, end]) => end === 0 || Number(committed?.partitions.find((c) => c.partition === Number(p))?.offset) >= end);
    if (done) return monoMs();
    if (monoMs() > deadline) throw new Error(`${groupId} not at the end of ${topic} after ${timeoutMs / 1000}s`);
    await sleep(20); // the raw pass's end is known to the millisecond: this one's within 20 ms
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(path) : statSync(path).size;
  }
  return total;
}

/** The same pings in both stores, spread evenly over one day: ping i is courier i % couriers's. */
async function analystQuery(stack: Stack, lakeDir: string, topics: Record<LakeTopic, string>) {
  const n = opts['analyst-pings'];
  const couriers = opts.couriers;
  const day = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
  const dayIso = new Date(day).toISOString().slice(0, 10);
  const step = DAY_MS / n; // ms between pings
  // row i: courier i % couriers, at day + i * step; lat/lng from i
  const row = (i: string) => ({
    courier: `'qc' || (${i} % ${couriers})`,
    t: `${day} + floor(${i} * ${step})::BIGINT`,
    lat: `-23.55 + (${i} % 1000) / 100000.0`,
    lng: `-46.63 - (${i} % 997) / 100000.0`,
  });
  say(`analyst query: writing ${fmt.int(n)} pings to Parquet (lake layout) and to Postgres…`);
  const lake = await openLake(lakeDir, topics, 2);
  const analystTopic = `${topics.courierLocations}`;
  const r = row('i');
  const writeStarted = monoMs();
  for (let hour = 0; hour < 24; hour++) {
    const from = Math.ceil((hour * 3_600_000) / step);
    const to = Math.ceil(((hour + 1) * 3_600_000) / step);
    const dir = join(lakeDir, `topic=${analystTopic}`, `date=${dayIso}`, `hour=${String(hour).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    await lake.connection.run(`COPY (
      SELECT 'courier.location' AS "type", 1 AS version, 'q' || i AS "eventId", ${r.courier} AS "courierId", NULL::VARCHAR AS "orderId",
             ${r.lat} AS lat, ${r.lng} AS lng, ${r.t} AS "occurredAt", 0 AS kafka_partition, i AS kafka_offset, make_timestamp((${r.t}) * 1000) AS kafka_timestamp
        FROM range(${from}, ${to}) t(i)) TO '${dir}/analyst-0-${String(from).padStart(20, '0')}-${String(to - 1).padStart(20, '0')}.parquet' (FORMAT parquet, COMPRESSION zstd)`);
  }
  const parquetSeconds = (monoMs() - writeStarted) / 1000;
  const pgStarted = monoMs();
  await stack.pg.query(`SELECT lastmile_ensure_day_partition('courier_location_history', $1::date)`, [dayIso]);
  const chunk = 1_000_000;
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    await stack.pg.query(`
      INSERT INTO courier_location_history (event_id, courier_id, lat, lng, occurred_at)
      SELECT 'q' || i, 'qc' || (i % ${couriers}), -23.55 + (i % 1000) / 100000.0, -46.63 - (i % 997) / 100000.0,
             to_timestamp((${day} + floor(i * ${step})::bigint) / 1000.0)
        FROM generate_series(${from}::bigint, ${to - 1}::bigint) i`);
    say(`  Postgres ${fmt.int(to)} rows…`);
  }
  await stack.pg.query('VACUUM ANALYZE courier_location_history');
  const pgLoadSeconds = (monoMs() - pgStarted) / 1000;
  await createLakeViews(lake.connection, lakeDir, topics); // the views now see the new files

  // hours as epoch ms from both, so the answers compare exactly
  const duckSql = `SELECT "courierId" AS courier_id, epoch_ms(date_trunc('hour', occurred_at)) AS hour, count(*) AS pings
                     FROM pings WHERE date = DATE '${dayIso}' AND "courierId" LIKE 'qc%' GROUP BY 1, 2`;
  const pgSql = `SELECT courier_id, (extract(epoch FROM date_trunc('hour', occurred_at)) * 1000)::bigint::text AS hour, count(*) AS pings
                   FROM courier_location_history WHERE occurred_at >= $1 AND occurred_at < $2 AND courier_id LIKE 'qc%' GROUP BY 1, 2`;
  await stack.pg.query(`SET TIME ZONE 'UTC'`);
  const runs: { duck: number[]; pg: number[] } = { duck: [], pg: [] };
  let duckAnswer: unknown;
  let pgAnswer: unknown;
  for (let round = 0; round < 3; round++) {
    let t = monoMs();
    const d = (await lake.connection.runAndReadAll(duckSql)).getRowsJS();
    runs.duck.push(monoMs() - t);
    t = monoMs();
    const p = await stack.pg.query<{ courier_id: string; hour: string; pings: string }>(pgSql, [new Date(day), new Date(day + DAY_MS)]);
    runs.pg.push(monoMs() - t);
    if (round === 0) {
      duckAnswer = summarize(d.map((x) => [String(x[0]), Number(x[1]), Number(x[2])]));
      pgAnswer = summarize(p.rows.map((x) => [x.courier_id, Number(x.hour), Number(x.pings)]));
    }
  }
  lake.close();
  const [pgBytes] = (await stack.pg.query<{ b: string }>(`SELECT pg_total_relation_size($1::regclass)::text AS b`, [`courier_location_history_p${dayIso.replaceAll('-', '')}`])).rows;
  return { n, parquetSeconds, pgLoadSeconds, runs, same: JSON.stringify(duckAnswer) === JSON.stringify(pgAnswer), duckAnswer, pgAnswer, pgBytes: Number(pgBytes!.b), lakeBytes: dirBytes(join(lakeDir, `topic=${analystTopic}`, `date=${dayIso}`)) };
}

/** Groups, total and an order-free digest of the (courier, hour, pings) rows. */
function summarize(rows: [string, number, number][]) {
  let digest = 0;
  let total = 0;
  for (const [c, h, n] of rows) {
    total += n;
    let x = 0;
    for (const ch of `${c}|${h}|${n}`) x = (Math.imul(x, 31) + ch.charCodeAt(0)) | 0;
    digest = (digest + x) | 0;
  }
  return { groups: rows.length, pings: total, digest };
}

await withStack('lake', {}, async (stack) => {
  const lakeDir = join(profileDir(stack.profile), 'lake');
  const env = { LAKE_DIR: lakeDir, LAKE_FLUSH_SECONDS: '5' };
  const topics = lakeTopicsOf(stack.topics);
  const topic = stack.topics.courierLocations;
  say(`preloading ${fmt.int(opts.pings)} pings…`);
  const pre = await preload(stack, topic);
  say(`  ${fmt.int(opts.pings)} pings (${fmt.int(pre.bytes / 1024 / 1024)} MiB of JSON) in ${pre.seconds.toFixed(1)}s`);

  const load = await stack.start('load', env);
  // where each pass's time went: its consumer's process and the broker
  const metered = async <T>(pid: number, label: string, run: () => Promise<T>): Promise<[T, string]> => {
    const meter = cpuMeter({ [label]: pid, kafka: stack.servicePids.kafka });
    const result = await run();
    return [result, formatCpu(meter.stop())];
  };
  const cpu: string[] = [];
  const raw = async (name: string) => {
    const [r, used] = await metered(load.pid, 'raw consumer', () => load.call<RawConsumeResult>('consume', { brokers: stack.env.KAFKA_BROKERS!.split(','), topic, groupId: `${stack.runTag}.raw-${name}`, ends: pre.ends, timeoutMs: 600_000, partitionsConsumedConcurrently: 6 }));
    cpu.push(`${name}: ${used}`);
    return { name, seconds: (r.doneMs - r.startMs) / 1000, events: r.messages };
  };
  const passes: { name: string; seconds: number; events: number }[] = [];
  passes.push(await raw('raw 1'));
  say(`  raw kafkajs pass: ${fmt.int(passes[0]!.events / passes[0]!.seconds)} events/s`);
  // Two archive passes, as two raw ones: the first in a fresh process (its code not yet
  // compiled, its connections not yet made, as the first raw pass's), the second in the same
  // process once warm, from the start again (its group's offsets deleted) into a lake of its own.
  const archive = await stack.start('archive-worker', env);
  const group = `${stack.env.WORKER_GROUP_PREFIX}.archive`;
  const archivePass = async (name: string, dir: string) => {
    const started = monoMs();
    const [done, used] = await metered(archive.pid, 'archive worker', async () => {
      await archive.call('start', { lakeDir: dir });
      return committedToEnd(stack, group, topic, pre.ends);
    });
    cpu.push(`${name}: ${used}`);
    const pass = { name, seconds: (done - started) / 1000, events: opts.pings };
    say(`  ${name}: ${fmt.int(opts.pings / pass.seconds)} events/s`);
    await archive.call('stop-worker');
    return pass;
  };
  passes.push(await archivePass('archive 1', lakeDir));
  await stack.admin.deleteGroups([group]);
  passes.push(await archivePass('archive 2 (warm)', `${lakeDir}-warm`));
  await archive.stop();
  passes.push(await raw('raw 2'));
  const lakeBytes = dirBytes(join(lakeDir, `topic=${topic}`));
  const warmBytes = dirBytes(join(`${lakeDir}-warm`, `topic=${topic}`));

  let pgBytes: number | undefined;
  if (opts.size) {
    say('the location worker writes the same pings to Postgres…');
    const worker = await stack.start('worker', env);
    await waitForLagZero(stack, 900_000);
    await worker.stop();
    const { rows } = await stack.pg.query<{ b: string; n: string }>(`
      SELECT sum(pg_total_relation_size(i.inhrelid))::text AS b, (SELECT count(*) FROM courier_location_history)::text AS n
        FROM pg_inherits i WHERE i.inhparent = 'courier_location_history'::regclass`);
    pgBytes = Number(rows[0]!.b);
    say(`  ${rows[0]!.n} rows in Postgres`);
  }
  const analyst = opts['analyst-pings'] > 0 ? await analystQuery(stack, lakeDir, topics) : undefined;

  const rate = (p: { seconds: number; events: number }) => p.events / p.seconds;
  const rawBest = Math.max(rate(passes[0]!), rate(passes[3]!));
  const archiveRate = Math.max(rate(passes[1]!), rate(passes[2]!));
  const perMillion = (bytes: number, n: number) => `${((bytes / n) * 1e6 / 1024 / 1024).toFixed(1)} MiB`;
  const out = [
    `## bench:lake — ${new Date().toISOString().slice(0, 10)}, ${machineLine()}`,
    '',
    `archive of ${fmt.int(opts.pings)} preloaded pings (6 partitions):`,
    table([['pass', 'seconds', 'events/s'], ...passes.map((p) => [p.name, p.seconds.toFixed(2), fmt.int(p.events / p.seconds)])]),
    ...cpu,
    `first passes (both cold): archive / raw ${(rate(passes[1]!) / rate(passes[0]!)).toFixed(2)}×; second passes (both warm): ${(rate(passes[2]!) / rate(passes[3]!)).toFixed(2)}×`,
    `best archive pass / best raw pass: ${(archiveRate / rawBest).toFixed(2)}× (target ≥ ${opts['min-ratio']}×): ${verdict(archiveRate / rawBest >= opts['min-ratio'])}`,
    `lake: ${perMillion(lakeBytes, opts.pings)} per million pings (the warm pass's: ${perMillion(warmBytes, opts.pings)})${pgBytes ? `; Postgres (table + indexes): ${perMillion(pgBytes, opts.pings)} per million (${(pgBytes / lakeBytes).toFixed(1)}× the lake)` : ''}`,
  ];
  if (analyst) {
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    out.push(
      '',
      `analyst query, pings per courier per hour for a day, over ${fmt.int(analyst.n)} pings (${fmt.int(opts.couriers)} couriers), 3 runs each:`,
      table([
        ['engine', 'runs (ms)', 'median ms', 'data'],
        ['DuckDB over the lake (Parquet, zstd)', analyst.runs.duck.map((x) => x.toFixed(0)).join(', '), med(analyst.runs.duck).toFixed(0), `${fmt.int(analyst.lakeBytes / 1024 / 1024)} MiB`],
        ['Postgres (day partition, indexes)', analyst.runs.pg.map((x) => x.toFixed(0)).join(', '), med(analyst.runs.pg).toFixed(0), `${fmt.int(analyst.pgBytes / 1024 / 1024)} MiB`],
      ]),
      `same answer: ${analyst.same ? 'yes' : `NO (${JSON.stringify(analyst.duckAnswer)} vs ${JSON.stringify(analyst.pgAnswer)})`}; loading took ${analyst.parquetSeconds.toFixed(1)}s to Parquet, ${analyst.pgLoadSeconds.toFixed(1)}s to Postgres`,
    );
  }
  console.log(out.join('\n'));
  if (archiveRate / rawBest < opts['min-ratio'] || (analyst && !analyst.same)) process.exitCode = 1;
});
