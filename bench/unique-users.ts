// Benchmark: activity frames/s through the activity worker (unique users per minute, hour and
// day in Redis, emitted to Postgres), beside a raw kafkajs pass that only reads the same
// topic (the baseline), measured in the same run on the same stack.
//
//   npx tsx bench/unique-users.ts [--frames 1000000] [--partitions 6] [--users 20000] [--seed 1]
//   npx tsx bench/unique-users.ts --workers 2   (two worker processes sharing the partitions)
//   npx tsx bench/unique-users.ts --key none    (unkeyed frames, as kafka-console-producer sends them)
//   npx tsx bench/unique-users.ts --help
//
// The frames (lib/stats/activity-generator.ts, 1.5-2 KB each, keyed by uid as
// `npm run activity` writes them, or unkeyed: spread over the partitions in turn) are produced
// into the topic first. Then each pass reads the
// whole topic with a fresh consumer group in a fresh process: the raw baseline (bench/
// raw-consume.ts: same fetch sizes, every partition's batch at once, a commit per batch, nothing else),
// the worker (bench/child.ts role "activity-worker"; done when every partition's applied
// offset in Redis is at the end), and the raw baseline again, to show the run's noise.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompressionTypes, Kafka, Partitioners, logLevel } from 'kafkajs';
import { activityFrames } from '../lib/stats/activity-generator';
import { statsPrefix, windowStore } from '../lib/stats/window-store';
import { ACTIVITY_FETCH } from '../workers/activity-worker';
import type { WorkerStats } from './child';
import { type Stack, adminSasl, cpuMeter, fmt, formatCpu, machineLine, monoMs, options, peakRssMiB, say, sleep, table, verdict, withStack, workerLine } from './lib';
import type { RawConsumeArgs, RawConsumeResult } from './raw-consume';

const opts = options('usage: npx tsx bench/unique-users.ts [options]', {
  frames: { def: 1_000_000, help: 'activity frames preloaded into the topic' },
  partitions: { def: 6, help: 'partitions of the activity topic' },
  users: { def: 20_000, help: 'distinct users the frames are drawn from (some far more active than others)' },
  seed: { def: 1, help: 'generator seed' },
  late: { def: 0, help: 'share of frames sent 90 s late (counted as late, not as users: a minute with them is bounded, not equal, against the ground truth)' },
  streams: { def: true, help: 'run the Kafka Streams baseline too (Java, built from bench/kafka-streams on first use)' },
  'streams-threads': { def: 2, help: 'Kafka Streams stream threads' },
  grace: { def: 5, help: 'allowed lateness (the worker) and grace (Kafka Streams), s' },
  'streams-target': { def: 2, help: 'worker / Kafka Streams frames/s to meet' },
  key: { def: 'uid', help: 'what the frames are keyed by: uid, or none (spread over the partitions in turn)' },
  rate: { def: 1000, help: 'frames per second of event time (1M frames then span ~17 minutes)' },
  workers: { def: 1, help: 'activity worker processes sharing the group (the targets are for one)' },
  warmup: { def: 2, help: 'raw passes over the topic, not measured, before the measured ones, so that none of them meets a cold broker' },
  'raw-after': { def: true, help: 'read the topic raw again after the worker, to show the noise' },
  timeout: { def: 600, help: 'longest a pass may take, s' },
  target: { def: 100_000, help: 'worker frames/s to meet' },
  'target-ratio': { def: 0.8, help: 'worker / raw frames/s to meet (against the faster raw pass)' },
});
if (opts.frames < 1 || opts.partitions < 1 || opts.users < 1 || opts.rate <= 0 || opts.workers < 1) {
  throw new Error('--frames, --partitions, --users, --rate and --workers must be positive');
}
if (opts.key !== 'uid' && opts.key !== 'none') throw new Error('--key: expected uid or none');

// Event time: fixed (a minute boundary in Nov 2023), so a seed gives the same frames every run.
const START_SEC = 1_700_000_040;
const SEND_BYTES = 512 * 1024; // per partition and request, well under the broker's 1 MB message.max.bytes
const SENDS_IN_FLIGHT = 8;

interface Preloaded {
  seconds: number;
  bytes: number;
  /** Exact distinct users per minute (epoch s) over all frames. */
  truth: Map<number, number>;
  ends: Record<number, number>;
}

/** Produces the frames, keyed by uid, to the partitions the default partitioner picks. */
async function preload(stack: Stack, topic: string): Promise<Preloaded> {
  const producer = new Kafka({ brokers: stack.env.KAFKA_BROKERS!.split(','), sasl: adminSasl(stack.env), clientId: 'bench-preload', logLevel: logLevel.NOTHING }).producer({
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const started = monoMs();
  try {
    const [meta] = (await stack.admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const partitionMetadata = meta!.partitions;
    const partitionOf = Partitioners.DefaultPartitioner();
    const buckets = partitionMetadata.map(() => ({ messages: [] as { key: string | null; value: Buffer }[], bytes: 0 }));
    const unkeyed = opts.key === 'none';
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const flush = async (partition: number) => {
      const { messages } = buckets[partition]!;
      if (messages.length === 0) return;
      buckets[partition] = { messages: [], bytes: 0 };
      const sent: Promise<void> = producer
        .send({ topic, acks: -1, compression: CompressionTypes.None, messages: messages.map((m) => ({ ...m, partition })) })
        .then(
          () => undefined,
          (err: unknown) => void (failure ??= err),
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      while (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight);
      if (failure) throw failure;
    };

    const sets = new Map<number, Set<string>>();
    let bytes = 0;
    let done = 0;
    const frames = activityFrames({ seed: opts.seed, users: opts.users, frames: opts.frames, startSec: START_SEC, ratePerSec: opts.rate, disorderSec: 3, lateFraction: opts.late, lateBySec: 90 });
    for (const frame of frames) {
      const minute = Math.floor(frame.ts / 60) * 60;
      let users = sets.get(minute);
      if (!users) sets.set(minute, (users = new Set()));
      users.add(frame.uid);
      const message = { key: unkeyed ? null : frame.uid, value: Buffer.from(frame.text) };
      const size = message.value.length;
      bytes += size;
      const partition = unkeyed ? done % partitionMetadata.length : partitionOf({ topic, partitionMetadata, message });
      const bucket = buckets[partition]!;
      bucket.messages.push(message);
      bucket.bytes += size;
      if (bucket.bytes >= SEND_BYTES) await flush(partition);
      if (++done % 100_000 === 0) say(`  ${fmt.int(done)} frames…`);
    }
    for (let p = 0; p < buckets.length; p++) await flush(p);
    await Promise.all(inFlight);
    if (failure) throw failure;
    const seconds = (monoMs() - started) / 1000;
    const offsets = await stack.admin.fetchTopicOffsets(topic);
    const ends = Object.fromEntries(offsets.map((p) => [p.partition, Number(p.high)]));
    const truth = new Map([...sets].sort(([a], [b]) => a - b).map(([m, s]) => [m, s.size]));
    return { seconds, bytes, truth, ends };
  } finally {
    await producer.disconnect();
  }
}

interface Pass {
  name: string;
  /** monoMs: the pass was started, the first batch was applied (or committed), every partition was done. */
  startMs: number;
  firstMs: number;
  doneMs: number;
  /** Frames done by firstMs. */
  firstFrames: number;
  /** Frames read (raw), or applied (worker: the offsets in Redis). */
  frames: number;
  /** The worker's own counter of frames processed. */
  counted?: number;
  batches: number;
  peakRssMiB?: number;
  cpu: ReturnType<ReturnType<typeof cpuMeter>['stop']>;
  /** CPU of the pass's own process(es), % of one core. */
  processCpu: number;
  worker?: string;
}

type Cpu = Pass['cpu'];
const cpuOf = (cpu: Cpu, labels: string[]) => labels.reduce((sum, label) => sum + (cpu?.byProcess[label] ?? Number.NaN), 0);

const total = (ends: Record<number, number>) => Object.values(ends).reduce((a, b) => a + b, 0);
const services = (stack: Stack) => ({ kafka: stack.servicePids.kafka, redis: stack.servicePids.redis });

async function rawPass(stack: Stack, name: string, ends: Record<number, number>): Promise<Pass> {
  say(`${name}: kafkajs eachBatch, count and commit only…`);
  const child = await stack.start('load');
  const meter = cpuMeter({ 'raw consumer': child.pid, ...services(stack) });
  const args: RawConsumeArgs = {
    brokers: stack.env.KAFKA_BROKERS!.split(','),
    topic: stack.topics.userActivity,
    groupId: `${stack.env.WORKER_GROUP_PREFIX}.raw-${name.replace(/\W+/g, '-')}`,
    ends,
    timeoutMs: opts.timeout * 1000,
    partitionsConsumedConcurrently: opts.partitions,
  };
  const startMs = monoMs();
  const r = await child.call<RawConsumeResult>('consume', args, (opts.timeout + 60) * 1000);
  const cpu = meter.stop();
  const peak = peakRssMiB(child.pid);
  await child.stop();
  return {
    name,
    startMs,
    firstMs: r.firstBatchMs,
    firstFrames: r.firstBatchMessages,
    doneMs: r.doneMs,
    frames: r.messages,
    batches: r.batches,
    peakRssMiB: peak,
    cpu,
    processCpu: cpuOf(cpu, ['raw consumer']),
  };
}

const STREAMS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kafka-streams');

/** Builds the Kafka Streams baseline (bench/kafka-streams) unless it is built. */
function buildStreamsJob(): string {
  const classes = path.join(STREAMS_DIR, 'target', 'classes');
  if (!existsSync(path.join(classes, 'dev', 'lastmile', 'bench', 'UniqueUsersStreams.class')) || !existsSync(path.join(STREAMS_DIR, 'target', 'deps'))) {
    say('building the Kafka Streams baseline (mvn package, Maven Central)…');
    execFileSync('mvn', ['-q', '-f', path.join(STREAMS_DIR, 'pom.xml'), 'package', 'dependency:copy-dependencies'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return `${classes}:${path.join(STREAMS_DIR, 'target', 'deps', '*')}`;
}

interface StreamsPass extends Pass {
  /** Minutes Kafka Streams emitted (its windows close only with new data: the last ones never do), and of those, equal to the ground truth. */
  emitted: number;
  exact: number;
}

/**
 * The Kafka Streams job over the same topic, from its start until its group has committed
 * every input offset and every offset of its repartition topics (Streams commits each
 * second, as the worker does, so this reads up to a second late), then its results.
 */
async function streamsPass(stack: Stack, ends: Record<number, number>, truth: Map<number, number>): Promise<StreamsPass> {
  const classpath = buildStreamsJob();
  const applicationId = `${stack.env.WORKER_GROUP_PREFIX}.streams`;
  const output = `${stack.topics.userActivity}.streams-out`;
  await stack.admin.createTopics({ topics: [{ topic: output, numPartitions: 1 }] });
  const sasl = adminSasl(stack.env) as { mechanism: string; username: string; password: string } | undefined;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lastmile-streams-'));
  say(`Kafka Streams ${opts['streams-threads']} thread(s): dedupe per user and minute, then count, ${opts.key === 'none' ? 'repartitioned by uid' : 'on the uid keys'}…`);
  const startMs = monoMs();
  const child = spawn('java', ['-Xmx2g', '-cp', classpath, 'dev.lastmile.bench.UniqueUsersStreams'], {
    env: {
      ...process.env,
      BOOTSTRAP_SERVERS: stack.env.KAFKA_BROKERS!,
      SASL_USERNAME: sasl?.username ?? '',
      SASL_PASSWORD: sasl?.password ?? '',
      SASL_MECHANISM: sasl?.mechanism.toUpperCase() ?? '',
      INPUT_TOPIC: stack.topics.userActivity,
      OUTPUT_TOPIC: output,
      APPLICATION_ID: applicationId,
      KEYED_BY_UID: String(opts.key !== 'none'),
      GRACE_SECONDS: String(opts.grace),
      STREAM_THREADS: String(opts['streams-threads']),
      STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const meter = cpuMeter({ 'kafka streams': child.pid, ...services(stack) });
  const deadline = startMs + opts.timeout * 1000;
  let firstMs = Number.NaN;
  let firstFrames = 0;
  let doneMs = Number.NaN;
  let cpu: Cpu;
  let peak: number | undefined;
  try {
    for (;;) {
      await sleep(100);
      if (child.exitCode !== null) throw new Error(`the Kafka Streams job exited with code ${child.exitCode}`);
      const repartition = (await stack.admin.listTopics()).filter((t) => t.startsWith(applicationId) && t.endsWith('-repartition'));
      const committed = await stack.admin.fetchOffsets({ groupId: applicationId, topics: [stack.topics.userActivity, ...repartition] });
      const input = committed.find((t) => t.topic === stack.topics.userActivity)?.partitions ?? [];
      const read = input.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      const now = monoMs();
      if (read > 0 && Number.isNaN(firstMs)) [firstMs, firstFrames] = [now, read];
      let drained = read >= total(ends) && repartition.length === (opts.key === 'none' ? 2 : 1);
      for (const topic of repartition) {
        if (!drained) break;
        const end = await stack.admin.fetchTopicOffsets(topic);
        const at = committed.find((t) => t.topic === topic)?.partitions ?? [];
        drained = end.every((e) => Number(e.high) === 0 || Number(at.find((p) => p.partition === e.partition)?.offset ?? -1) >= Number(e.high));
      }
      if (drained) {
        doneMs = now;
        break;
      }
      if (now > deadline) throw new Error(`Kafka Streams had committed ${fmt.int(read)} of ${fmt.int(total(ends))} frames after ${opts.timeout}s`);
    }
  } finally {
    cpu = meter.stop();
    peak = peakRssMiB(child.pid!);
    child.kill('SIGTERM');
    await exited;
    rmSync(stateDir, { recursive: true, force: true });
  }
  // its results: the last count of each minute it emitted
  const counts = new Map<number, number>();
  const consumer = new Kafka({ brokers: stack.env.KAFKA_BROKERS!.split(','), sasl: adminSasl(stack.env), clientId: 'bench-streams-out', logLevel: logLevel.NOTHING }).consumer({ groupId: `${applicationId}.out` });
  const [outEnd] = await stack.admin.fetchTopicOffsets(output);
  if (Number(outEnd!.high) > 0) {
    await consumer.connect();
    await consumer.subscribe({ topic: output, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          counts.set(Number(message.key!.readBigInt64BE()) / 1000, Number(message.value!.readBigInt64BE()));
          if (Number(message.offset) + 1 >= Number(outEnd!.high)) resolve();
        },
      });
    });
    await consumer.disconnect();
  }
  const exact = [...counts].filter(([minute, n]) => truth.get(minute) === n).length;
  return {
    name: `Kafka Streams ×${opts['streams-threads']}`,
    startMs,
    firstMs,
    firstFrames,
    doneMs,
    frames: total(ends),
    batches: Number.NaN,
    peakRssMiB: peak,
    cpu,
    processCpu: cpuOf(cpu, ['kafka streams']),
    emitted: counts.size,
    exact,
  };
}

/** Frames applied so far: each partition's applied offset in Redis (in the current epoch), + 1. */
async function appliedFrames(stack: Stack, partitions: number[]): Promise<number[]> {
  const store = windowStore(stack.redis, statsPrefix(stack.topics.userActivity));
  const { epoch } = await store.meta();
  if (!epoch) return partitions.map(() => 0);
  const states = await Promise.all(partitions.map((p) => store.partitionState(epoch, p)));
  return states.map((s) => s.offset + 1);
}

async function workerPass(stack: Stack, ends: Record<number, number>): Promise<{ pass: Pass; stop: () => Promise<void> }> {
  const n = opts.workers;
  say(`activity worker${n > 1 ? ` ×${n}` : ''}: the real worker, from its start until every partition is applied to the end…`);
  const children = await Promise.all(Array.from({ length: n }, () => stack.start('activity-worker')));
  const labels = children.map((_, i) => (n > 1 ? `worker ${i + 1}` : 'worker'));
  const partitions = Object.keys(ends).map(Number);
  const meter = cpuMeter({ ...Object.fromEntries(children.map((c, i) => [labels[i], c.pid])), ...services(stack) });
  const startMs = monoMs();
  const started = Promise.all(children.map((c) => c.call('start')));
  let firstMs = Number.NaN;
  let firstFrames = 0;
  const deadline = startMs + opts.timeout * 1000;
  for (;;) {
    const applied = await appliedFrames(stack, partitions);
    const now = monoMs();
    const sum = applied.reduce((a, b) => a + b, 0);
    if (sum > 0 && Number.isNaN(firstMs)) [firstMs, firstFrames] = [now, sum];
    if (partitions.every((p, i) => applied[i]! >= ends[p]!)) break;
    if (now > deadline) throw new Error(`the worker had applied ${fmt.int(sum)} of ${fmt.int(total(ends))} frames after ${opts.timeout}s`);
    await sleep(10);
  }
  const doneMs = monoMs();
  const cpu = meter.stop();
  const applied = (await appliedFrames(stack, partitions)).reduce((a, b) => a + b, 0);
  await started;
  const each = await Promise.all(children.map((c) => c.call<WorkerStats>('stats')));
  const stats = each.reduce((a, b) => ({ batches: a.batches + b.batches, batchSeconds: a.batchSeconds + b.batchSeconds, processed: a.processed + b.processed }));
  const none: WorkerStats = { batches: 0, batchSeconds: 0, processed: 0 };
  const peaks = children.map((c) => peakRssMiB(c.pid)).filter((m) => m !== undefined);
  return {
    pass: {
      name: n > 1 ? `activity worker ×${n}` : 'activity worker',
      startMs,
      firstMs,
      firstFrames,
      doneMs,
      frames: applied,
      counted: stats.processed,
      batches: stats.batches,
      peakRssMiB: peaks.length ? Math.max(...peaks) : undefined,
      cpu,
      processCpu: cpuOf(cpu, labels),
      worker: workerLine(none, stats, (doneMs - startMs) / 1000),
    },
    stop: async () => void (await Promise.all(children.map((c) => c.stop()))),
  };
}

interface Emitted {
  spanned: number;
  rows: { minute: number; users: number; late: number; final: boolean }[];
  /** Postgres holds every minute, final (the load is over: the watermark follows the clock), with the worker's figures in Redis. */
  settled: boolean;
}

/**
 * The minutes the worker emitted to Postgres, once it holds every minute of the stream final
 * with the figures the worker ended with (a load's last minutes close by the clock once every
 * partition is idle and read).
 */
async function emittedMinutes(stack: Stack, truth: Map<number, number>): Promise<Emitted> {
  const store = windowStore(stack.redis, statsPrefix(stack.topics.userActivity));
  const minutes = [...truth.keys()];
  const deadline = monoMs() + 60_000;
  for (;;) {
    const live = new Map((await store.live(minutes.map((start) => ({ window: 'm' as const, start })))).map((f) => [f.start, f]));
    const { rows } = await stack.pg.query<{ minute: number; users: number; late: number; final: boolean }>(
      `SELECT extract(epoch FROM minute)::float8 AS minute, unique_users AS users, late_events AS late, final
         FROM unique_users_minute WHERE minute BETWEEN to_timestamp($1) AND to_timestamp($2) ORDER BY minute`,
      [minutes[0], minutes[minutes.length - 1]],
    );
    const byMinute = new Map(rows.map((r) => [r.minute, r]));
    const settled = minutes.every((m) => byMinute.get(m)?.final && byMinute.get(m)?.users === live.get(m)?.uniqueUsers && byMinute.get(m)?.late === live.get(m)?.lateEvents);
    if (settled || monoMs() > deadline) return { spanned: minutes.length, rows, settled };
    await sleep(200);
  }
}

const seconds = (p: Pass) => (p.doneMs - p.startMs) / 1000;
const rate = (p: Pass) => p.frames / seconds(p);
const steadyRate = (p: Pass) => (p.frames - p.firstFrames) / ((p.doneMs - p.firstMs) / 1000);
const mib = (n: number | undefined) => (n === undefined ? '—' : `${n.toFixed(0)} MiB`);

await withStack('unique-users', { KAFKA_PARTITIONS: String(opts.partitions), STATS_ALLOWED_LATENESS_SECONDS: String(opts.grace) }, async (stack) => {
  const topic = stack.topics.userActivity;
  say(`preloading ${fmt.int(opts.frames)} frames into ${topic} (${opts.partitions} partitions)…`);
  const loaded = await preload(stack, topic);
  const frames = total(loaded.ends);
  if (frames !== opts.frames) throw new Error(`the topic holds ${frames} frames, not ${opts.frames}`);
  say(`  ${fmt.int(frames)} frames, ${(loaded.bytes / 2 ** 20).toFixed(0)} MiB in ${fmt.s(loaded.seconds)}`);

  // the broker's JVM compiles its fetch path during the first reads: a first pass ran 10-40%
  // slower than a third one here
  const warmups: Pass[] = [];
  for (let i = 1; i <= opts.warmup; i++) warmups.push(await rawPass(stack, `warm-up ${i} of ${opts.warmup} (not measured)`, loaded.ends));
  const rawBefore = await rawPass(stack, 'raw before', loaded.ends);
  const worker = await workerPass(stack, loaded.ends);
  say('waiting for the emitted minutes in Postgres…');
  const emitted = await emittedMinutes(stack, loaded.truth);
  await worker.stop();
  const rawAfter = opts['raw-after'] ? await rawPass(stack, 'raw after', loaded.ends) : undefined;
  const streams = opts.streams ? await streamsPass(stack, loaded.ends, loaded.truth) : undefined;

  const w = worker.pass;
  const raws = [rawBefore, ...(rawAfter ? [rawAfter] : [])];
  const passes: Pass[] = [w, ...raws, ...(streams ? [streams] : [])];
  const streamsRatio = streams ? rate(w) / rate(streams) : Number.NaN;
  const fasterRaw = Math.max(...raws.map(rate));
  const ratio = rate(w) / fasterRaw;
  const row = (label: string, cell: (p: Pass) => string, target = '') => [label, ...passes.map(cell), target];

  const lines: string[] = [];
  lines.push('', 'lastmile bench: unique users — user.activity → activity worker → Redis windows → Postgres', machineLine());
  lines.push(
    `settings: ${fmt.int(frames)} frames of ${fmt.int(loaded.bytes / frames)} bytes on average, ${fmt.int(opts.users)} users, seed ${opts.seed}, ` +
      `${fmt.int(opts.rate)} frames per event-time second, ${opts.partitions} partitions; ` +
      `${opts.workers > 1 ? `${opts.workers} worker processes` : 'the worker'} and each raw consumer a fresh process and consumer group, fetching ` +
      `maxBytes ${(ACTIVITY_FETCH.maxBytes ?? 0) / 2 ** 20} MiB, maxBytesPerPartition ${(ACTIVITY_FETCH.maxBytesPerPartition ?? 0) / 2 ** 20} MiB, every partition's batch at once`,
  );
  lines.push(
    `preload: ${fmt.s(loaded.seconds)} (${fmt.int(frames / loaded.seconds)} frames/s, ${(loaded.bytes / 2 ** 20 / loaded.seconds).toFixed(0)} MiB/s; ` +
      `${opts.key === 'none' ? 'unkeyed, spread over the partitions in turn' : 'keyed by uid'}, ≤ ${SEND_BYTES / 1024} KiB per partition and request, ${SENDS_IN_FLIGHT} requests in flight, acks -1, no compression)`,
  );
  lines.push(
    'baseline: kafkajs eachBatch over the same topic with the worker\'s fetch sizes and partitionsConsumedConcurrently, counting the',
    '          messages and committing each batch (resolveOffset + commitOffsets), nothing else; read before and after the worker.',
    ...(warmups.length > 0
      ? [`warm-up: ${warmups.length} raw passes before all of these, not measured (${warmups.map((w) => fmt.int(rate(w))).join(', ')} frames/s), so that no pass meets a cold broker.`]
      : []),
    'timed from the start command (connect, join, fetch included) until every partition is applied (worker: offsets in Redis) or read and committed (raw).',
    '',
  );
  lines.push(
    table([
      ['', ...passes.map((p) => p.name), 'target'],
      row('frames/s', (p) => fmt.int(rate(p)), `>= ${fmt.int(opts.target)}  ${verdict(rate(w) >= opts.target)}`),
      row('worker / this pass', (p) => (p === w ? '' : fmt.x(rate(w) / rate(p))), `>= ${fmt.x(opts['target-ratio'])} raw  ${verdict(ratio >= opts['target-ratio'])}`),
      ...(streams ? [row('worker / Kafka Streams', (p) => (p === streams ? fmt.x(streamsRatio) : ''), `>= ${fmt.x(opts['streams-target'])}  ${verdict(streamsRatio >= opts['streams-target'])}`)] : []),
      row('time, start → end', (p) => fmt.s(seconds(p))),
      row('time, start → first batch done', (p) => fmt.ms(p.firstMs - p.startMs)),
      row('frames/s after the first batch', (p) => fmt.int(steadyRate(p))),
      row('frames applied / read', (p) => fmt.int(p.frames)),
      row('batches (frames per batch)', (p) => (Number.isNaN(p.batches) ? '—' : `${fmt.int(p.batches)} (${fmt.int(p.frames / p.batches)})`)),
      row(`peak RSS of the process${opts.workers > 1 ? ' (largest)' : ''}`, (p) => mib(p.peakRssMiB)),
      row(`CPU of the process${opts.workers > 1 ? '(es)' : ''}, % of a core`, (p) => `${p.processCpu.toFixed(0)}%`),
    ]),
  );
  lines.push(`(the ratio's verdict is against the faster raw pass${raws.length > 1 ? '' : ', the only one'})`);
  lines.push('', 'where the time went, each pass from its start to its end:');
  for (const p of passes) lines.push(`  ${p.name}:`, `    ${formatCpu(p.cpu)}`, ...(p.worker ? [`    ${p.worker}`] : []));

  const users = emitted.rows.reduce((a, r) => a + r.users, 0);
  const late = emitted.rows.reduce((a, r) => a + r.late, 0);
  // a minute without late frames is exact; with them, in-time users ⊆ all users of the minute ⊆ in-time users ∪ the late frames' users
  const exact = emitted.rows.filter((r) => r.late === 0 && r.users === loaded.truth.get(r.minute)).length;
  const withoutLate = emitted.rows.filter((r) => r.late === 0).length;
  const bounded = emitted.rows.filter((r) => {
    const truth = loaded.truth.get(r.minute) ?? -1;
    return r.users <= truth && truth <= r.users + r.late;
  }).length;
  const final = emitted.rows.filter((r) => r.final).length;
  lines.push(
    '',
    `exactness (Postgres unique_users_minute against the generator's ground truth): ${emitted.rows.length} minutes emitted of ${emitted.spanned} spanned, ` +
      `${final} final; ${exact} of the ${withoutLate} without late frames exactly equal; ${bounded} of ${emitted.rows.length} within the bounds ` +
      `(users ≤ exact distinct users ≤ users + late events); unique users summed ${fmt.int(users)} (${fmt.int(users / Math.max(1, emitted.rows.length))} a minute), ` +
      `late events ${fmt.int(late)}; equal to the worker's final figures in Redis: ${emitted.settled ? 'yes' : 'NO'}`,
  );

  if (streams) {
    lines.push(
      `Kafka Streams (kafka-streams ${/<kafka\.version>([^<]+)</.exec(readFileSync(path.join(STREAMS_DIR, 'pom.xml'), 'utf8'))?.[1]}, ${opts['streams-threads']} stream thread(s), at-least-once, commit every 1 s, grace ${opts.grace} s, minutes only, ` +
        `${opts.key === 'none' ? 'repartitioned by the uid read from each frame' : 'grouped on the uid keys, no repartition'}, then repartitioned by minute): ` +
        `emitted ${streams.emitted} of ${loaded.truth.size} minutes (its windows close only with new data), ${streams.exact} of them equal to the ground truth`,
    );
  }

  const notes: string[] = [];
  if (w.frames !== frames) notes.push(`the worker applied ${fmt.int(w.frames)} frames of ${fmt.int(frames)}`);
  if (w.counted !== frames) {
    notes.push(
      `the worker's processed counter says ${fmt.int(w.counted)} of ${fmt.int(frames)}: it counts whole batches, after the commit and the ` +
        'heartbeat, so it drifts across a rebalance (a batch applied just before one goes uncounted); the figures are fenced by the applied offsets',
    );
  }
  for (const r of raws) if (r.frames !== frames) notes.push(`${r.name} read ${fmt.int(r.frames)} frames of ${fmt.int(frames)}`);
  if (rawAfter && Math.abs(rate(rawAfter) / rate(rawBefore) - 1) > 0.1) notes.push(`the two raw passes differ by more than 10%: the machine is noisy`);
  if (!emitted.settled) notes.push(`60 s after the worker's end, Postgres still did not hold its final figures for all ${emitted.spanned} minutes`);
  if (users === 0 || bounded < emitted.rows.length || exact < withoutLate) notes.push('the emitted minutes are not exact: see the exactness line');
  if (notes.length) lines.push('', ...notes.map((n) => `note: ${n}`));
  console.log(lines.join('\n'));
});
process.exit(0);
