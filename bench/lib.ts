// What every benchmark shares: options, its own stack (Kafka, Redis, a Postgres database —
// started like the integration tests start theirs, and always stopped), helper processes
// (bench/child.ts), consumer lag, CPU accounting, percentiles and the printed table.
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Admin, Kafka, type SASLOptions, logLevel } from 'kafkajs';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../lib/config';
import { kafkaSasl } from '../lib/kafka/credentials';
import { type TopicNames, topicNames } from '../lib/kafka/topics';
import { createRedis } from '../lib/redis/client';
import { createTopics, migrate } from '../scripts/app/prepare';
import { ROOT, isAlive } from '../scripts/infra/proc';
import { downInfra, readState, upInfra } from '../scripts/infra/stack';
import type { ChildReady, ChildReply, ChildStopped, Role, WorkerStats } from './child';
import { monoMs } from './load';

export { monoMs };
const LOAD_AT_START = os.loadavg();

export const BENCH_SECRET = 'bench-only-secret-0123456789abcdef';
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** The benchmark's own clients (preloads, lag, baselines) sign in as the admin; its services as their own users. */
export const adminSasl = (env: Record<string, string | undefined>): SASLOptions | undefined => kafkaSasl(loadConfig(env).kafka, 'admin');

/** Progress lines go to stderr; stdout carries only the results. */
export const say = (line: string) => process.stderr.write(`${line}\n`);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Options: --name=value or --name value, else BENCH_NAME (upper case, - → _), else default.

type OptionSpec = Record<string, { def: number | string | boolean; help: string }>;
type OptionValues<S extends OptionSpec> = {
  [K in keyof S]: S[K]['def'] extends number ? number : S[K]['def'] extends boolean ? boolean : string;
};

export function options<S extends OptionSpec>(usage: string, spec: S): OptionValues<S> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    for (const [name, { def, help }] of Object.entries(spec)) {
      console.log(`  --${name.padEnd(18)} ${help} (default ${String(def)}; env BENCH_${name.toUpperCase().replace(/-/g, '_')})`);
    }
    process.exit(0);
  }
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf('=');
    if (eq !== -1) given.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (typeof spec[arg.slice(2)]?.def === 'boolean') {
      const value = /^(true|false|yes|no|0|1)$/i.test(argv[i + 1] ?? '') ? argv[++i]! : 'true';
      given.set(arg.slice(2), value);
    }
    else given.set(arg.slice(2), argv[++i] ?? '');
  }
  for (const name of given.keys()) if (!Object.hasOwn(spec, name)) throw new Error(`unknown option --${name} (see --help)`);
  const values: Record<string, number | string | boolean> = {};
  for (const [name, { def }] of Object.entries(spec)) {
    const raw = given.get(name) ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
    if (raw === undefined || raw === '') values[name] = def;
    else if (typeof def === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a number >= 0, got "${raw}"`);
      values[name] = n;
    } else if (typeof def === 'boolean') values[name] = !['0', 'false', 'no'].includes(raw.toLowerCase());
    else values[name] = raw;
  }
  return values as OptionValues<S>;
}

// ---------------------------------------------------------------------------------------
// Helper processes

export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private exited = false;
  stopped?: ChildStopped;

  private constructor(
    readonly role: Role,
    readonly proc: ChildProcess,
    readonly ready: ChildReady,
  ) {
    proc.on('message', (message: ChildReply) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${role}: ${message.error}`));
    });
    proc.once('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${role} process exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.ready.pid;
  }

  get url(): string {
    if (!this.ready.url) throw new Error(`${this.role} has no URL`);
    return this.ready.url;
  }

  static start(role: Role, env: Record<string, string>, timeoutMs = 90_000): Promise<Child> {
    // BENCH_CHILD_NODE_ARGS adds node flags to the helper processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const proc = fork(CHILD, [role], { env: { ...process.env, ...env }, execArgv: [...process.execArgv, ...extra], stdio: ['ignore', 2, 2, 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`${role} did not start within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      const onMessage = (message: ChildReady | { failed: string }) => {
        clearTimeout(timer);
        proc.off('exit', onExit);
        proc.off('message', onMessage);
        if ('failed' in message) reject(new Error(`${role} failed to start: ${message.failed}`));
        else resolve(new Child(role, proc, message));
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${role} exited during start (code ${code})`));
      };
      proc.on('message', onMessage);
      proc.once('exit', onExit);
    });
  }

  call<T>(cmd: string, args?: unknown, timeoutMs = 10 * 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.role} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.role}: ${cmd} took more than ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Asks the process to stop cleanly; kills it if it has not gone after graceMs. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.proc.once('exit', resolve));
    this.stopped = await this.call<ChildStopped>('stop', undefined, graceMs).catch(() => undefined);
    await Promise.race([gone, sleep(2000)]);
    if (!this.exited) {
      this.proc.kill('SIGKILL');
      await gone;
    }
  }
}

// ---------------------------------------------------------------------------------------
// The stack

export interface Stack {
  profile: string;
  /** Environment for the helper processes: services, topic prefix, groups, secret, limits. */
  env: Record<string, string>;
  runTag: string;
  topics: TopicNames;
  /** The location worker's consumer group. */
  locationGroup: string;
  admin: Admin;
  redis: Redis;
  pg: pg.Client;
  /** pids of the Kafka broker and redis-server this run started. */
  servicePids: { kafka?: number; redis?: number };
  start(role: Role, extraEnv?: Record<string, string>): Promise<Child>;
}

/** Stops bench profiles whose owning process died without cleaning up (a killed run). */
async function sweepOrphanedBenchProfiles(): Promise<void> {
  const base = join(ROOT, '.infra');
  if (!existsSync(base)) return;
  for (const profile of readdirSync(base).filter((p) => p.startsWith('bench-'))) {
    const state = readState(profile);
    if (state?.ownerPid && isAlive(state.ownerPid)) continue;
    say(`cleaning up ${profile}, left by a run that was killed`);
    await downInfra(profile, { dropCreatedDatabase: true, removeData: true }).catch((err: unknown) => say(`could not clean up ${profile}: ${String(err)}`));
  }
}

/**
 * Starts its own Kafka and Redis (free ports) and Postgres database, applies the migrations,
 * creates the topics (own prefix), runs `fn`, and stops everything again — also when `fn`
 * fails or the run is interrupted.
 */
export async function withStack<T>(name: string, env: Record<string, string>, fn: (stack: Stack) => Promise<T>, options: { brokers?: number } = {}): Promise<T> {
  await sweepOrphanedBenchProfiles();
  const runTag = randomBytes(3).toString('hex');
  const profile = `bench-${name}-${process.pid}-${runTag}`;
  const children = new Set<Child>();
  let clients: { admin?: Admin; redis?: Redis; pg?: pg.Client } = {};
  let done: Promise<void> | undefined;

  const teardown = () =>
    (done ??= (async () => {
      await Promise.all([...children].map((c) => c.stop().catch((err: unknown) => say(`stopping ${c.role}: ${String(err)}`))));
      await clients.admin?.disconnect().catch(() => undefined);
      await clients.pg?.end().catch(() => undefined);
      await clients.redis?.quit().catch(() => undefined);
      clients = {};
      say(`stopping the stack (${profile})…`);
      await downInfra(profile, { dropCreatedDatabase: true, removeData: true }).catch((err: unknown) => say(`cleanup failed: ${String(err)}`));
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping everything this run started…`);
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    say(`starting Kafka, Redis and a Postgres database (profile ${profile})…`);
    const started = Date.now();
    const { env: infra } = await upInfra(profile, { mode: 'test', env: process.env, log: (line) => say(`  ${line}`), brokers: options.brokers });
    const prefix = `bench-${runTag}.`;
    const stackEnv: Record<string, string> = {
      ...infra,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_PARTITIONS: '6',
      WORKER_GROUP_PREFIX: `${prefix}group`,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
      HOST: '127.0.0.1',
      PORT: '0',
      OSMAND_PORT: '0',
      AUTH_SECRET: BENCH_SECRET,
      INGEST_RATE_PER_COURIER: '1000000',
      INGEST_BURST_PER_COURIER: '10000000',
      ...env,
    };
    migrate(stackEnv);
    await createTopics(stackEnv);
    const state = readState(profile);
    const sasl = adminSasl(stackEnv);
    const admin = new Kafka({ brokers: infra.KAFKA_BROKERS.split(','), sasl, clientId: 'bench-main', logLevel: logLevel.NOTHING }).admin();
    clients.admin = admin;
    await admin.connect();
    const redis = createRedis(infra.REDIS_URL, 'bench-main');
    clients.redis = redis;
    const client = new pg.Client({ connectionString: infra.DATABASE_URL });
    clients.pg = client;
    await client.connect();
    await kafkaCoordinatorsReady(infra.KAFKA_BROKERS.split(','), sasl, admin, `${prefix}group.location`, topicNames(prefix).courierLocations);
    say(`  ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

    return await fn({
      profile,
      env: stackEnv,
      runTag,
      topics: topicNames(prefix),
      locationGroup: `${prefix}group.location`,
      admin,
      redis,
      pg: client,
      servicePids: { kafka: state?.started.kafka, redis: state?.started.redis },
      async start(role, extraEnv = {}) {
        const child = await Child.start(role, { ...stackEnv, ...extraEnv });
        children.add(child);
        return child;
      },
    });
  } finally {
    await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * A fresh broker answers "coordinator is loading" for a few seconds; kafkajs retries, but logs
 * each retry as an error. Wait here, quietly, until group offsets and producer ids are served.
 */
async function kafkaCoordinatorsReady(brokers: string[], sasl: SASLOptions | undefined, admin: Admin, groupId: string, topic: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  const producer = new Kafka({ brokers, sasl, clientId: 'bench-main', logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    for (;;) {
      try {
        await admin.fetchOffsets({ groupId, topics: [topic] });
        await producer.connect();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Kafka: how far the location worker is behind

/** Messages in the topic that the group has not committed yet (the worker commits after its effects). */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [high, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const p of high) {
    const at = done.get(p.partition) ?? -1;
    // a commit read after the end offsets (a busy group) would count as negative lag: none
    lag += Math.max(0, Number(p.high) - (at < 0 ? Number(p.low) : at));
  }
  return lag;
}

/** Polls until the lag is 0; returns when that was first seen (monoMs), or undefined on timeout. */
export async function waitForLagZero(
  stack: Stack,
  timeoutMs: number,
  pollMs = 50,
): Promise<{ atMs: number | undefined; lag: number }> {
  const deadline = monoMs() + timeoutMs;
  let lag = Number.NaN;
  while (monoMs() < deadline) {
    lag = await consumerLag(stack.admin, stack.locationGroup, stack.topics.courierLocations);
    if (lag === 0) return { atMs: monoMs(), lag };
    await sleep(pollMs);
  }
  return { atMs: undefined, lag };
}

/** The location worker's batches between two snapshots of its counters. */
export function workerLine(before: WorkerStats, after: WorkerStats, wallSeconds: number): string {
  const batches = after.batches - before.batches;
  const seconds = after.batchSeconds - before.batchSeconds;
  const processed = after.processed - before.processed;
  if (batches === 0) return 'worker: no batches';
  return (
    `worker: ${fmt.int(batches)} batches, ${fmt.int(processed / batches)} messages and ${fmt.ms((seconds / batches) * 1000)} per batch on average, ` +
    `inside a batch ${((seconds / wallSeconds) * 100).toFixed(0)}% of the time`
  );
}

// ---------------------------------------------------------------------------------------
// CPU: where the time went (from /proc; Linux only)

const TICKS = 100; // USER_HZ on Linux

function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined; // gone
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: total - idle, total };
}

/** Every postgres process on the machine (the server may be shared with other work). */
function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** label → a process, or several counted together (e.g. a browser's processes). */
export type CpuTargets = Record<string, number | number[] | undefined>;

/**
 * CPU used between start and stop, in % of one core, by process, plus the machine's busy %.
 * Samples every 500 ms so that a process that exits before stop (wrk) still counts.
 */
export function cpuMeter(targets: CpuTargets) {
  if (!existsSync('/proc/stat')) return { stop: () => undefined };
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const groups = () => {
    const out: Record<string, number[]> = {};
    for (const [label, pid] of Object.entries(targets)) if (pid) out[label] = Array.isArray(pid) ? pid : [pid];
    out['postgres (all on machine)'] = postgresPids();
    return out;
  };
  let labels: Record<string, Set<number>> = {};
  const sample = () => {
    for (const [label, pids] of Object.entries(groups())) {
      const set = (labels[label] ??= new Set());
      for (const pid of pids) {
        const ticks = processTicks(pid);
        if (ticks === undefined) continue;
        set.add(pid);
        if (!first.has(pid)) first.set(pid, ticks);
        if (ticks >= (last.get(pid) ?? 0)) last.set(pid, ticks);
      }
    }
  };
  sample();
  const machineBefore = machineTicks();
  const t0 = Date.now();
  const timer = setInterval(sample, 500);
  return {
    stop(): { byProcess: Record<string, number>; machineBusyPct: number; cores: number } {
      clearInterval(timer);
      sample();
      const machineAfter = machineTicks();
      const seconds = (Date.now() - t0) / 1000;
      const byProcess: Record<string, number> = {};
      for (const [label, pids] of Object.entries(labels)) {
        let ticks = 0;
        for (const pid of pids) ticks += (last.get(pid) ?? 0) - (first.get(pid) ?? 0);
        byProcess[label] = (ticks / TICKS / seconds) * 100;
      }
      labels = {};
      const machineBusyPct = ((machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)) * 100;
      return { byProcess, machineBusyPct, cores: os.availableParallelism() };
    },
  };
}

/** A process's peak resident memory so far (VmHWM), in MiB; undefined when unknown. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined; // gone, or not Linux
  }
}

export function formatCpu(result: ReturnType<ReturnType<typeof cpuMeter>['stop']>): string {
  if (!result) return '';
  const parts = Object.entries(result.byProcess).map(([label, pct]) => `${label} ${pct.toFixed(0)}%`);
  return `CPU (% of one core): ${parts.join(', ')}; machine busy ${result.machineBusyPct.toFixed(0)}% of ${result.cores} cores`;
}

// ---------------------------------------------------------------------------------------
// Numbers and output

/** The p-th percentile (0..100) of ascending values, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const fmt = {
  int: (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US')),
  ms: (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : n < 10 ? `${n.toFixed(2)} ms` : `${n.toFixed(0)} ms`),
  s: (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(2)} s`),
  x: (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}x`),
};

/** A plain-text table; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = LOAD_AT_START.map((l) => l.toFixed(2)).join(' ');
  return `machine: nproc ${os.availableParallelism()} (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.type()} ${os.release()}, load avg at start ${load}`;
}

/** pass/FAIL against a target. */
export const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');
