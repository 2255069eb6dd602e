// `npm run soak -- [--minutes 10] [--couriers 2000] [--seed 1] [--brokers 3] [--servers 2]
//   [--workers 2] [--worker-kills 10] [--short]`
//
// The whole system under load while a seeded fault schedule hurts it: three brokers (topics
// with three replicas, two in sync), two servers behind nginx, two of each worker, the
// simulated city sending through the proxy as the apps do. SIGKILLs every kind of worker,
// kills and restarts a broker, pauses one, kills a server, restarts Redis, scales the
// location workers. Then, the load stopped and the lag back to 0, it holds the stores to
// every event it was acknowledged (bench/soak/checks.ts) and prints the fault schedule, how
// long each fault took to heal, the failed requests, and every process's memory over the run.
// Exits 1 when a check fails.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Subject, issueToken } from '../lib/auth/tokens';
import { courierLocationKey } from '../lib/couriers/keys';
import { readLocation } from '../lib/couriers/record-locations';
import { createDb } from '../lib/db/client';
import { City, SAO_PAULO } from '../lib/simulator/city';
import { createSender } from '../lib/simulator/sender';
import { registerTrackers } from '../lib/simulator/trackers';
import { WORKER_NAMES } from '../scripts/app/services';
import { buildNextIfStale } from '../scripts/app/prepare';
import { ROOT } from '../scripts/infra/proc';
import { profileDir } from '../scripts/infra/stack';
import { BENCH_SECRET, type Stack, consumerLag, machineLine, options, percentile, say, sleep, table, verdict, withStack } from './lib';
import { type Check, checkOrders, checkPings, checkUniqueUsers, checkWatcher } from './soak/checks';
import { type Fault, type Scheduled, describe, faultSchedule, laneOf } from './soak/faults';
import { Ledger } from './soak/ledger';
import { System, slopeMiBPerMin } from './soak/system';
import { Watcher } from './soak/watcher';

const o = options('npm run soak -- [options]', {
  minutes: { def: 10, help: 'how long the load runs' },
  couriers: { def: 2000, help: 'couriers, each pinging once a second from its own app' },
  'orders-per-minute': { def: 60, help: 'new orders a minute' },
  activity: { def: 200, help: "customers' app activity frames a second" },
  seed: { def: 1, help: 'the city and the fault schedule' },
  brokers: { def: 3, help: 'Kafka nodes' },
  servers: { def: 2, help: 'lastmile servers behind nginx' },
  workers: { def: 2, help: 'workers of each kind' },
  'worker-kills': { def: 10, help: 'worker SIGKILLs in all (at least one of each kind)' },
  short: { def: false, help: 'fewer faults: no broker pause, no scaling, a shorter broker outage' },
  watch: { def: 20, help: 'orders the socket client follows' },
  'osmand-share': { def: 0.1, help: 'couriers on tracker apps: their pings one by one over the OsmAnd protocol (through the proxy)' },
  apps: {
    def: false,
    help: "each courier's pings from its own app, a request each (this box carries ~400 requests/s with the rest of the system on it); by default through a fleet gateway, in batches, order changes still from each courier's app",
  },
  'lake-flush-seconds': { def: 60, help: "how often the archive writes its files (LAKE_FLUSH_SECONDS), and so commits: the end waits for it" },
  faults: { def: true, help: 'run the fault schedule (--faults false: the same load, nothing hurt, for a baseline)' },
});

const runId = `soak${o.seed}`;
const n0 = (n: number) => Math.round(n).toLocaleString('en-US');
const n1 = (n: number) => n.toFixed(1);
const seconds = Math.round(o.minutes * 60);
const schedule = !o.faults ? [] : faultSchedule({
  seed: o.seed,
  seconds,
  workers: WORKER_NAMES,
  workersPerKind: o.workers,
  brokers: o.brokers,
  servers: o.servers,
  workerKills: o['worker-kills'],
  short: o.short,
});

console.log(`# soak: ${o.minutes} min, ${o.couriers} couriers at 1 Hz (${o.apps ? 'each from its own app' : 'pings through a fleet gateway'}; ${Math.round(o['osmand-share'] * 100)}% on tracker apps over the OsmAnd protocol), ${o['orders-per-minute']} orders/min, ${o.activity} activity frames/s, seed ${o.seed}`);
console.log(`# ${o.brokers} brokers, ${o.servers} servers behind nginx, ${o.workers} of each worker (${WORKER_NAMES.join(', ')})`);
console.log(`# ${machineLine()}`);
console.log('\n## fault schedule\n');
console.log(table([['at', 'fault'], ...schedule.map((s) => [`${s.atS}s`, describe(s.fault)])]));

interface Healed {
  scheduled: Scheduled;
  startS: number;
  doneS?: number;
  lagS?: number;
  mapS?: number;
  error?: string;
}

const logDir = join(ROOT, '.data', 'soak', `${new Date().toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(logDir, { recursive: true });

const failed = await withStack(
  'soak',
  {
    AUTH_SECRET: BENCH_SECRET,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    KAFKA_PARTITIONS: '6',
    LAKE_FLUSH_SECONDS: String(o['lake-flush-seconds']),
  },
  async (stack) => {
    stack.env.LAKE_DIR = join(profileDir(stack.profile), 'lake');
    buildNextIfStale(say);
    const system = new System(stack, logDir);
    try {
      return await soak(stack, system);
    } finally {
      await system.close();
    }
  },
  { brokers: o.brokers },
);
process.exit(failed ? 1 : 0);

async function soak(stack: Stack, system: System): Promise<boolean> {
  say(`starting ${o.workers} of each worker and ${o.servers} servers (logs: ${logDir})…`);
  for (const worker of WORKER_NAMES) for (let i = 0; i < o.workers; i++) await system.addWorker(worker);
  for (let i = 0; i < o.servers; i++) await system.addServer();
  const base = await system.startProxy(join(logDir, 'nginx'), 1 << 20);
  system.trackInfra();
  system.track('soak (load and checks)', process.pid);
  system.sampleMemory(10_000);
  say(`proxy ${base}`);
  stack.redis.on('error', () => undefined); // the checks' client: Redis restarts under it

  const ledger = new Ledger();
  const watcher = new Watcher(base);
  const tokens = new Map<string, string>();
  const tokenOf = (sub: Subject) => {
    const key = `${sub.kind}:${sub.id}`;
    let token = tokens.get(key);
    if (!token) tokens.set(key, (token = issueToken(sub, 24 * 3_600_000, BENCH_SECRET)));
    return token;
  };
  const city = new City({ seed: o.seed, couriers: o.couriers, ordersPerMinute: o['orders-per-minute'], activityPerSecond: o.activity, pingIntervalMs: 1000, bbox: SAO_PAULO, runId }, Date.now());
  const db = createDb(stack.env.DATABASE_URL!);
  const devices = await registerTrackers({ db, redis: stack.redis }, city.courierIds.slice(0, Math.round(o['osmand-share'] * o.couriers)), 'soak').finally(() => db.$disconnect());
  const sender = createSender({
    base,
    tokenOf,
    deviceOf: (courierId) => devices.get(courierId),
    gateway: o.apps ? undefined : 'pings',
    maxBatch: 500,
    maxInFlight: o.couriers + 64, // each app one request at a time, and the shop's and the log forwarder's
    onAnswer: (answer) => {
      ledger.answer(answer, system.nowS());
      if (!answer.acknowledged) return;
      for (const e of answer.events) {
        if (e.type === 'order.event' && e.status === 'created' && watcher.orders.size < o.watch) {
          watcher.follow(e.orderId, tokenOf({ kind: 'order', id: e.orderId }));
        }
      }
    },
  });

  // healing: the consumers caught up (less than a second of input behind) and the map right
  const groups = [
    { group: `${stack.env.WORKER_GROUP_PREFIX}.location`, topics: [stack.topics.courierLocations] },
    { group: `${stack.env.WORKER_GROUP_PREFIX}.orders`, topics: [stack.topics.orderEvents] },
    { group: `${stack.env.WORKER_GROUP_PREFIX}.activity`, topics: [stack.topics.userActivity] },
    { group: `${stack.env.WORKER_GROUP_PREFIX}.archive`, topics: [stack.topics.courierLocations, stack.topics.orderEvents, stack.topics.userActivity] },
  ];
  // the archive commits once a file is written (LAKE_FLUSH_SECONDS): it counts only for the end
  const lag = async (withArchive = false) => {
    let total = 0;
    for (const { group, topics } of groups) {
      if (!withArchive && group.endsWith('.archive')) continue;
      for (const topic of topics) total += await consumerLag(stack.admin, group, topic);
    }
    return total;
  };
  const sample = city.courierIds.filter((_, i) => i % Math.max(1, Math.floor(o.couriers / 100)) === 0);
  const mapRight = async () => {
    const stored = await Promise.all(sample.map((c) => readLocation(stack.redis, courierLocationKey(c))));
    return sample.every((c, i) => {
      const want = ledger.newest.get(c);
      return !want || (stored[i] !== undefined && stored[i] !== null && stored[i]!.occurredAt >= want.occurredAt - 5000);
    });
  };

  const heals: Healed[] = [];
  const lanes = new Map<string, Promise<void>>();
  const t0 = Date.now();
  system.startClock();
  const runFault = async (scheduled: Scheduled) => {
    const wait = t0 + scheduled.atS * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    const healed: Healed = { scheduled, startS: (Date.now() - t0) / 1000 };
    heals.push(healed);
    say(`${Math.round(healed.startS)}s: ${describe(scheduled.fault)}`);
    try {
      await inflict(system, scheduled.fault);
      healed.doneS = (Date.now() - t0) / 1000;
      const threshold = o.couriers; // a second of pings
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && (healed.lagS === undefined || healed.mapS === undefined)) {
        const at = (Date.now() - t0) / 1000;
        if (healed.lagS === undefined && (await lag().catch(() => Infinity)) <= threshold) healed.lagS = at - healed.startS;
        if (healed.mapS === undefined && (await mapRight().catch(() => false))) healed.mapS = at - healed.startS;
        await sleep(500);
      }
    } catch (err) {
      healed.error = (err as Error).message;
      say(`  ${describe(scheduled.fault)} failed: ${healed.error}`);
    }
  };
  for (const s of schedule) {
    const lane = laneOf(s.fault);
    lanes.set(lane, (lanes.get(lane) ?? Promise.resolve()).then(() => runFault(s)));
  }

  say(`load: ${o.couriers} couriers for ${o.minutes} min through ${base}`);
  const generated = new Map<string, number>();
  const tick = setInterval(() => {
    const events = city.advance(Date.now());
    for (const { event } of events) generated.set(event.type, (generated.get(event.type) ?? 0) + 1);
    sender.enqueue(events);
  }, 250);
  const progress = setInterval(() => {
    const s = sender.stats;
    say(`${Math.round((Date.now() - t0) / 1000)}s: ${s.sent.toLocaleString()} acknowledged · ${sender.queued} queued · ${s.retried} retried · ${s.refused} refused${s.lastError ? ` (last: ${s.lastError.slice(0, 120)})` : ''}`);
  }, 15_000);
  await sleep(seconds * 1000);
  clearInterval(tick);
  clearInterval(progress);
  say('load stopped; waiting for every answer, the faults still running and the lag to reach 0…');
  const loadEndS = (Date.now() - t0) / 1000;
  await Promise.all(lanes.values());
  const answered = await Promise.race([sender.drained().then(() => true), sleep(180_000).then(() => false)]);
  const drainedS = (Date.now() - t0) / 1000;
  let caughtUp = false;
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(500)) {
    if ((await lag(true).catch(() => Infinity)) === 0) {
      caughtUp = true;
      break;
    }
  }
  const lagZeroS = (Date.now() - t0) / 1000;
  // the last minutes' unique users: written once the stream's partitions fall idle and the
  // allowed lateness passes
  const lateness = Number(stack.env.STATS_ALLOWED_LATENESS_SECONDS ?? 5) * 1000;
  let users = await checkUniqueUsers(ledger, stack.pg, lateness);
  for (const deadline = Date.now() + 60_000; !users.ok && Date.now() < deadline; users = await checkUniqueUsers(ledger, stack.pg, lateness)) await sleep(2000);
  await sleep(2000); // the last notifications reach the socket client
  const checks: Check[] = [
    { name: 'the load drained and the lag reached 0', ok: answered && caughtUp && sender.pending === 0, detail: `load stopped at ${Math.round(loadEndS)}s, last answer at ${Math.round(drainedS)}s${answered ? '' : ` (${sender.pending} requests still unanswered)`}, lag 0 ${caughtUp ? `at ${Math.round(lagZeroS)}s` : 'never'}` },
    everyEventAnswered(generated, ledger),
    ...(await checkPings(ledger, stack.pg, stack.redis)),
    ...(await checkOrders(ledger, stack.pg)),
    users,
    await checkWatcher(watcher, stack.pg, heals.filter((h) => h.scheduled.fault.kind === 'kill-server').length),
    {
      name: 'no 5xx but 503',
      ok: ledger.failures.every((f) => f.status === 503),
      detail: [...ledger.statuses].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status === 0 ? 'no answer' : status}: ${n.toLocaleString()}`).join(', '),
    },
    { name: 'every fault done', ok: heals.length === schedule.length && heals.every((h) => !h.error), detail: heals.filter((h) => h.error).map((h) => `${describe(h.scheduled.fault)}: ${h.error}`).join('; ') || `${heals.length} of ${schedule.length}` },
    { name: 'no process died but by a fault', ok: system.unexpectedExits.length === 0, detail: system.unexpectedExits.join('; ') || 'none' },
  ];
  watcher.close();

  console.log('\n## checks\n');
  console.log(table([['check', 'result', 'detail'], ...checks.map((c) => [c.name, verdict(c.ok), c.detail])]));
  if (users.differing.length > 0) console.log(`\nminutes whose unique users differ: ${users.differing.join('; ')}`);

  console.log('\n## healing (seconds from the fault)\n');
  console.log(
    table([
      ['at', 'fault', 'done', 'lag < 1 s of input', 'map right'],
      ...heals.map((h) => [`${Math.round(h.startS)}s`, describe(h.scheduled.fault), h.doneS ? n1(h.doneS - h.startS) : '-', h.lagS !== undefined ? n1(h.lagS) : 'not in 120 s', h.mapS !== undefined ? n1(h.mapS) : 'not in 120 s']),
    ]),
  );
  const sorted = Float64Array.from(ledger.acceptedMs).sort();
  console.log(`\naccepted requests: ${sorted.length.toLocaleString()}, p50 ${n0(percentile(sorted, 50))} ms, p99 ${n0(percentile(sorted, 99))} ms, max ${n0(sorted.at(-1) ?? 0)} ms`);
  const failures = ledger.failures;
  if (failures.length > 0) {
    const bySecond = new Map<number, number>();
    for (const f of failures) bySecond.set(Math.floor(f.atS / 10) * 10, (bySecond.get(Math.floor(f.atS / 10) * 10) ?? 0) + 1);
    console.log(`\nfailed requests (5xx or no answer) by 10 s: ${[...bySecond].map(([s, n]) => `${s}s: ${n}`).join(', ')}`);
  }

  console.log('\n## memory (RSS, MiB; slope over each process\'s life in the run)\n');
  const lives = [...system.incarnations.values()].filter((l) => l.samples.length >= 2).sort((a, b) => a.name.localeCompare(b.name) || a.startS - b.startS);
  console.log(
    table([
      ['process', 'pid', 'alive (s of the load)', 'start', 'end', 'peak', 'MiB/min', 'CPU %'],
      ...lives.map((l) => [
        l.name,
        String(l.pid),
        `${l.startS < 0 ? 'start' : `${Math.round(l.startS)}s`}–${l.endS === undefined ? 'end' : `${Math.round(l.endS)}s`}`,
        n0(l.samples[0]!.mib),
        n0(l.samples.at(-1)!.mib),
        n0(Math.max(...l.samples.map((s) => s.mib))),
        n1(slopeMiBPerMin(l.samples.filter((s) => s.atS - l.startS >= 60))),
        n0((100 * (l.samples.at(-1)!.cpuS - l.samples[0]!.cpuS)) / Math.max(1, l.samples.at(-1)!.atS - l.samples[0]!.atS)),
      ]),
    ]),
  );
  console.log('(the slope leaves out each process\'s first minute, its warm-up)');
  const ok = checks.every((c) => c.ok);
  console.log(`\n# soak ${ok ? 'passed' : 'FAILED'}`);
  return !ok;
}

/**
 * Every event the city made was acknowledged, or refused for good for a reason an app meets
 * (an order change that reached us before the shop's assignment, past its retries): no
 * other refusal, and none lost without an answer.
 */
function everyEventAnswered(generated: Map<string, number>, ledger: Ledger): Check {
  const made = [...generated.values()].reduce((a, b) => a + b, 0);
  const acked = [...ledger.acknowledged.values()].reduce((a, b) => a + b, 0);
  const refused = [...ledger.refused].reduce((sum, [, n]) => sum + n, 0);
  const other = [...ledger.refused].filter(([why]) => why !== '403 assignment');
  return {
    name: 'every event made was acknowledged (or refused as an app meets it)',
    ok: made > 0 && acked + refused === made && other.length === 0,
    detail:
      `${made.toLocaleString()} made: ${[...generated].map(([type, n]) => `${type} ${n.toLocaleString()} (${(ledger.acknowledged.get(type) ?? 0).toLocaleString()} acknowledged)`).join(', ')}` +
      `; refused: ${[...ledger.refused].map(([why, n]) => `${why}: ${n}`).join(', ') || 'none'}`,
  };
}

async function inflict(system: System, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'kill-worker':
      return system.killAndRestart(system.workerSlots(fault.worker)[fault.index]!);
    case 'kill-server':
      return system.killAndRestart(system.serverSlots[fault.index]!);
    case 'kill-broker':
      return system.killBroker(fault.node, fault.downS * 1000);
    case 'pause-broker':
      return system.pauseBroker(fault.node, fault.pauseS * 1000);
    case 'restart-redis':
      return system.restartRedis();
    case 'scale-location': {
      const slots = system.workerSlots('location');
      const before = slots.filter((s) => s.service).length;
      for (const s of slots.slice(1)) await system.stopSlot(s);
      await sleep(fault.stepS * 1000);
      while (system.workerSlots('location').length < 3) await system.addWorker('location');
      for (const s of system.workerSlots('location')) if (!s.service) await system.start(s);
      await sleep(fault.stepS * 1000);
      for (const s of system.workerSlots('location').slice(1)) await system.stopSlot(s);
      await sleep(fault.stepS * 1000);
      for (const s of system.workerSlots('location').slice(1, before)) await system.start(s);
      return;
    }
  }
}
