// Benchmark: sustained pings/s from POST /api/events through Kafka and the location worker
// into Redis and Postgres, beside a raw kafkajs producer sending the same pings to the same
// topic (the baseline), measured in the same run on the same stack.
//
//   npx tsx bench/ingest-pipeline.ts [--pings 120000] [--seconds 20] [--concurrency 16] …
//   npx tsx bench/ingest-pipeline.ts --help
//
// Processes: this one (orchestrates, polls consumer lag), the server, the location worker
// and the load generator, each its own Node process as in a deployment; Kafka, Redis and
// Postgres are started for the run and stopped at the end.
import { join } from 'node:path';
import { profileDir } from '../scripts/infra/stack';
import type { WorkerStats } from './child';
import {
  type Child,
  type Stack,
  consumerLag,
  cpuMeter,
  fmt,
  formatCpu,
  machineLine,
  monoMs,
  options,
  percentile,
  say,
  sleep,
  table,
  verdict,
  waitForLagZero,
  withStack,
  workerLine,
} from './lib';
import { type Grouping, type HttpLoadArgs, type KafkaLoadArgs, type LoadResult, assignOrders } from './load';

const opts = options('usage: npx tsx bench/ingest-pipeline.ts [options]', {
  pings: { def: 120_000, help: 'pings per batched phase (each phase also stops at --seconds)' },
  seconds: { def: 20, help: 'longest load time of a batched phase, s' },
  batch: { def: 100, help: 'pings per request / per producer send' },
  concurrency: { def: 16, help: 'requests (or sends) in flight' },
  couriers: { def: 1000, help: 'distinct couriers' },
  grouping: { def: 'courier', help: 'courier: a request is one courier\'s buffered pings (courier token); mixed: one ping each of `batch` couriers (integrator token)' },
  orders: { def: true, help: 'pings carry an orderId (each courier carries one order)' },
  assigned: {
    def: true,
    help: "each courier's order is assigned to it in the order status cache, as the order worker records the shop's assignment (false: no order is known, every batch asks Postgres)",
  },
  'single-seconds': { def: 8, help: 'load time of the one-ping-per-request phases, s (0 skips them)' },
  'single-max': { def: 100_000, help: 'most requests in a one-ping-per-request phase' },
  warmup: { def: 2, help: 'warm-up load before measuring, s' },
  'drain-timeout': { def: 60, help: 'longest wait for the worker to catch up after a phase, s' },
  target: { def: 20_000, help: 'end-to-end pings/s to meet' },
  'ownership-rounds': {
    def: 2,
    help: 'rounds of two HTTP batch phases, pings naming their assigned order and pings naming none, alternated: what the ownership check costs (0 skips them)',
  },
  'ownership-max-cost': { def: 10, help: 'most the ownership check may cost, % of end-to-end pings/s' },
  archive: { def: false, help: 'the archive worker runs too, writing every ping to the lake (as npm start runs it)' },
});
if (opts.grouping !== 'courier' && opts.grouping !== 'mixed') throw new Error('--grouping: courier or mixed');
const grouping = opts.grouping as Grouping;

interface Phase {
  load: LoadResult;
  /** When the worker had applied everything (lag 0), monoMs; undefined if not within the timeout. */
  drainedAtMs?: number;
  lagLeft: number;
  maxLag: number;
  rows: number;
  cpu: string;
  worker: string;
}

async function measure(stack: Stack, worker: Child, targets: Record<string, number | undefined>, run: () => Promise<LoadResult>): Promise<Phase> {
  const rowsBefore = await countRows(stack);
  const statsBefore = await worker.call<WorkerStats>('stats');
  const meter = cpuMeter(targets);
  let maxLag = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxLag = Math.max(maxLag, await consumerLag(stack.admin, stack.locationGroup, stack.topics.courierLocations).catch(() => 0));
      await sleep(250);
    }
  })();
  let load: LoadResult;
  try {
    load = await run();
  } finally {
    sampling = false;
    await sampler;
  }
  const drained = await waitForLagZero(stack, opts['drain-timeout'] * 1000);
  const cpu = formatCpu(meter.stop());
  const statsAfter = await worker.call<WorkerStats>('stats');
  const rows = (await countRows(stack)) - rowsBefore;
  const wall = ((drained.atMs ?? monoMs()) - load.startMs) / 1000;
  if (load.errors > 0) say(`  ${load.errors} requests failed, first: ${load.firstError}`);
  if (drained.atMs === undefined) say(`  the worker did not catch up within ${opts['drain-timeout']}s (lag ${drained.lag})`);
  return { load, drainedAtMs: drained.atMs, lagLeft: drained.lag, maxLag, rows, cpu, worker: workerLine(statsBefore, statsAfter, wall) };
}

async function countRows(stack: Stack): Promise<number> {
  const { rows } = await stack.pg.query<{ n: number }>('SELECT count(*)::int AS n FROM courier_location_history');
  return rows[0]!.n;
}

const seconds = (p: Phase) => (p.load.endMs - p.load.startMs) / 1000;
const acceptedRate = (p: Phase) => p.load.accepted / seconds(p);
const requestRate = (p: Phase) => p.load.requests / seconds(p);
const endToEnd = (p: Phase) => (p.drainedAtMs === undefined ? Number.NaN : p.load.accepted / ((p.drainedAtMs - p.load.startMs) / 1000));
const drainS = (p: Phase) => (p.drainedAtMs === undefined ? Number.NaN : (p.drainedAtMs - p.load.endMs) / 1000);
const ratio = (a: number, b: number) => fmt.x(a / b);
const statuses = (p: Phase) =>
  Object.entries(p.load.statuses)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ') + (p.load.errors ? ` errors×${p.load.errors}` : '');

await withStack('ingest', { INGEST_MAX_BATCH: String(Math.max(500, opts.batch)) }, async (stack) => {
  if (opts.orders && opts.assigned) await assignOrders(stack.redis, stack.runTag, opts.couriers);
  say(`starting server, location worker${opts.archive ? ', archive worker' : ''} and load generator processes…`);
  const lakeEnv = { LAKE_DIR: join(profileDir(stack.profile), 'lake'), LAKE_FLUSH_SECONDS: '60' };
  const [server, worker, load, archive] = await Promise.all([
    stack.start('server'),
    stack.start('worker'),
    stack.start('load'),
    opts.archive ? stack.start('archive-worker', lakeEnv) : undefined,
  ]);
  await archive?.call('start');
  const targets = { server: server.pid, worker: worker.pid, load: load.pid, ...(archive ? { archive: archive.pid } : {}), kafka: stack.servicePids.kafka, redis: stack.servicePids.redis };

  const common = { runTag: stack.runTag, grouping, couriers: opts.couriers, withOrders: opts.orders, concurrency: opts.concurrency };
  const viaHttp = (phaseTag: string, batch: number, maxPings: number, maxSeconds: number, withOrders = common.withOrders) =>
    load.call<LoadResult>('http', {
      ...common,
      withOrders,
      url: server.url,
      secret: stack.env.AUTH_SECRET!,
      phaseTag: `${stack.runTag}${phaseTag}`,
      batch,
      maxPings,
      maxSeconds,
    } satisfies HttpLoadArgs);
  const viaKafka = (phaseTag: string, batch: number, maxPings: number, maxSeconds: number) =>
    load.call<LoadResult>('kafka', {
      ...common,
      brokers: stack.env.KAFKA_BROKERS!.split(','),
      topic: stack.topics.courierLocations,
      phaseTag: `${stack.runTag}${phaseTag}`,
      batch,
      maxPings,
      maxSeconds,
    } satisfies KafkaLoadArgs);

  if (opts.warmup > 0) {
    say(`warming up (${opts.warmup}s each way)…`);
    await viaKafka('wk', opts.batch, 1_000_000, opts.warmup);
    await viaHttp('wh', opts.batch, 1_000_000, opts.warmup);
    await viaHttp('ws', 1, 1_000_000, Math.min(1, opts.warmup));
    const warm = await waitForLagZero(stack, opts['drain-timeout'] * 1000);
    if (warm.atMs === undefined) say(`  warm-up not drained (lag ${warm.lag})`);
  }

  say(`baseline: kafkajs producer, ${opts.batch} pings per send, ${opts.concurrency} in flight…`);
  const kafkaBatch = await measure(stack, worker, targets, () => viaKafka('kb', opts.batch, opts.pings, opts.seconds));
  say(`HTTP: POST /api/events, ${opts.batch} pings per request, ${opts.concurrency} in flight…`);
  const httpBatch = await measure(stack, worker, targets, () => viaHttp('hb', opts.batch, opts.pings, opts.seconds));
  let kafkaSingle: Phase | undefined;
  let httpSingle: Phase | undefined;
  if (opts['single-seconds'] > 0) {
    say('baseline: kafkajs producer, one ping per send…');
    kafkaSingle = await measure(stack, worker, targets, () => viaKafka('ks', 1, opts['single-max'], opts['single-seconds']));
    say('HTTP: one ping per request…');
    httpSingle = await measure(stack, worker, targets, () => viaHttp('hs', 1, opts['single-max'], opts['single-seconds']));
  }

  // The ownership check: a ping moves its order only when the record says the order is its
  // courier's (the location worker asks for every batch). Pings naming no order skip the
  // check and the order's location write, so their rate bounds what both cost together.
  const owned: Phase[] = [];
  const unowned: Phase[] = [];
  if (opts.orders && opts['ownership-rounds'] > 0) {
    for (let round = 1; round <= opts['ownership-rounds']; round++) {
      say(`ownership check, round ${round}: pings naming their assigned order, then pings naming none…`);
      owned.push(await measure(stack, worker, targets, () => viaHttp(`oa${round}`, opts.batch, opts.pings / 2, opts.seconds / 2, true)));
      unowned.push(await measure(stack, worker, targets, () => viaHttp(`on${round}`, opts.batch, opts.pings / 2, opts.seconds / 2, false)));
    }
  }
  /** End-to-end pings/s over several phases: all their pings over all their time. */
  const pooled = (phases: Phase[]) => {
    if (phases.some((p) => p.drainedAtMs === undefined)) return Number.NaN;
    const pings = phases.reduce((n, p) => n + p.load.accepted, 0);
    const seconds = phases.reduce((n, p) => n + (p.drainedAtMs! - p.load.startMs) / 1000, 0);
    return pings / seconds;
  };

  const e2e = endToEnd(httpBatch);
  const lines: string[] = [];
  lines.push('', `lastmile bench: ingest pipeline — POST /api/events → Kafka → location worker → Redis + Postgres${opts.archive ? ', the archive worker writing the lake too' : ''}`, machineLine());
  lines.push(
    `settings: ${opts.batch} pings per request, ${opts.concurrency} in flight, ${opts.couriers} couriers ` +
      `(${grouping === 'courier' ? "a request is one courier's buffered pings, courier tokens" : 'one ping each of many couriers per request, integrator token'}` +
      `${opts.orders ? `, each carrying an order${opts.assigned ? ' assigned to it' : ' nobody assigned'}` : ''}), ${stack.env.KAFKA_PARTITIONS} partitions, ` +
      `up to ${fmt.int(opts.pings)} pings or ${opts.seconds}s per phase; server, worker and load generator are separate processes`,
  );
  lines.push(
    'baseline: one kafkajs producer in the load process, configured as the server\'s (idempotent, acks=-1, 1 request in flight per broker),',
    '          sending the same pings to the same topic with the same grouping and sends in flight; the same worker applies them.',
    '',
  );
  lines.push(
    table([
      [`batches of ${opts.batch}`, 'HTTP /api/events', 'kafkajs baseline', 'HTTP / baseline', 'target'],
      ['accepted pings/s', fmt.int(acceptedRate(httpBatch)), fmt.int(acceptedRate(kafkaBatch)), ratio(acceptedRate(httpBatch), acceptedRate(kafkaBatch)), ''],
      ['end-to-end pings/s (applied)', fmt.int(e2e), fmt.int(endToEnd(kafkaBatch)), ratio(e2e, endToEnd(kafkaBatch)), `>= ${fmt.int(opts.target)}  ${verdict(e2e >= opts.target)}`],
      ['load time', fmt.s(seconds(httpBatch)), fmt.s(seconds(kafkaBatch)), '', ''],
      ['load stop → lag 0', fmt.s(drainS(httpBatch)), fmt.s(drainS(kafkaBatch)), '', ''],
      ['max consumer lag during load', fmt.int(httpBatch.maxLag), fmt.int(kafkaBatch.maxLag), '', ''],
      ['pings accepted', fmt.int(httpBatch.load.accepted), fmt.int(kafkaBatch.load.accepted), '', ''],
      ['history rows written', fmt.int(httpBatch.rows), fmt.int(kafkaBatch.rows), '', ''],
      ['request/send latency p50', fmt.ms(percentile(httpBatch.load.latencies, 50)), fmt.ms(percentile(kafkaBatch.load.latencies, 50)), '', ''],
      ['request/send latency p99', fmt.ms(percentile(httpBatch.load.latencies, 99)), fmt.ms(percentile(kafkaBatch.load.latencies, 99)), '', ''],
      ['outcomes', statuses(httpBatch), statuses(kafkaBatch), '', ''],
    ]),
  );
  if (httpSingle && kafkaSingle) {
    lines.push(
      '',
      table([
        ['one ping per request', 'HTTP /api/events', 'kafkajs baseline', 'HTTP / baseline'],
        ['requests/s (= pings/s)', fmt.int(requestRate(httpSingle)), fmt.int(requestRate(kafkaSingle)), ratio(requestRate(httpSingle), requestRate(kafkaSingle))],
        ['end-to-end pings/s (applied)', fmt.int(endToEnd(httpSingle)), fmt.int(endToEnd(kafkaSingle)), ratio(endToEnd(httpSingle), endToEnd(kafkaSingle))],
        ['load stop → lag 0', fmt.s(drainS(httpSingle)), fmt.s(drainS(kafkaSingle)), ''],
        ['request/send latency p50', fmt.ms(percentile(httpSingle.load.latencies, 50)), fmt.ms(percentile(kafkaSingle.load.latencies, 50)), ''],
        ['request/send latency p99', fmt.ms(percentile(httpSingle.load.latencies, 99)), fmt.ms(percentile(kafkaSingle.load.latencies, 99)), ''],
        ['pings accepted / rows written', `${fmt.int(httpSingle.load.accepted)} / ${fmt.int(httpSingle.rows)}`, `${fmt.int(kafkaSingle.load.accepted)} / ${fmt.int(kafkaSingle.rows)}`, ''],
        ['outcomes', statuses(httpSingle), statuses(kafkaSingle), ''],
      ]),
    );
  }
  if (owned.length > 0) {
    const [withCheck, without] = [pooled(owned), pooled(unowned)];
    const cost = (1 - withCheck / without) * 100;
    lines.push(
      '',
      `ownership check: ${owned.length} alternated rounds of two HTTP phases (batches of ${opts.batch}, up to ${fmt.int(opts.pings / 2)} pings or ${opts.seconds / 2}s each)`,
      table([
        ['HTTP batches', 'naming their assigned order', 'naming no order', 'check + order writes cost', 'target'],
        [
          'end-to-end pings/s (pooled)',
          fmt.int(withCheck),
          fmt.int(without),
          `${cost.toFixed(1)}%`,
          `<= ${opts['ownership-max-cost']}%  ${verdict(cost <= opts['ownership-max-cost'])}`,
        ],
        ...owned.map((p, i) => [`  round ${i + 1}`, fmt.int(endToEnd(p)), fmt.int(endToEnd(unowned[i]!)), '', '']),
      ]),
    );
  }
  lines.push('', 'where the time went, each phase from load start until the worker caught up:');
  for (const [name, p] of [['HTTP batches', httpBatch], ['baseline batches', kafkaBatch], ['HTTP single', httpSingle], ['baseline single', kafkaSingle]] as const) {
    if (p) lines.push(`  ${name}:`, `    ${p.cpu}`, `    ${p.worker}`);
  }
  const notes: string[] = [];
  for (const [name, p] of [['HTTP batches', httpBatch], ['baseline batches', kafkaBatch], ['HTTP single', httpSingle], ['baseline single', kafkaSingle]] as const) {
    if (!p) continue;
    if (p.drainedAtMs === undefined) notes.push(`${name}: the worker had not caught up after ${opts['drain-timeout']}s (lag ${p.lagLeft}); its end-to-end rate is not shown`);
    if (p.rows !== p.load.accepted) notes.push(`${name}: ${fmt.int(p.load.accepted)} pings accepted but ${fmt.int(p.rows)} history rows written`);
    if (p.load.filtered > 0) notes.push(`${name}: ${fmt.int(p.load.filtered)} pings filtered by the quality gate (answered in the 202, not stored)`);
  }
  if (notes.length) lines.push('', ...notes.map((n) => `note: ${n}`));
  console.log(lines.join('\n'));
});
process.exit(0);
