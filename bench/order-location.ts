// Benchmark: GET /api/orders/:id/location under load on loopback (wrk), beside a bare
// node:http server + ioredis answering the same URL with one HGET of the same key (the
// baseline), with the same wrk parameters in the same run.
//
//   npx tsx bench/order-location.ts [--threads 2] [--connections 64] [--duration 15] …
//   npx tsx bench/order-location.ts --help
//
// Seeds the last locations of --orders orders through the real pipeline (POST /api/events →
// Kafka → location worker → Redis), waits until Redis holds every order:loc:<id>, stops the
// worker, then runs wrk against the server and against the baseline.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { issueToken } from '../lib/auth/tokens';
import { orderLocationKey } from '../lib/couriers/keys';
import { type Stack, cpuMeter, fmt, formatCpu, machineLine, options, say, sleep, table, verdict, withStack } from './lib';
import { PingMaker, assignOrders, orderIdOf } from './load';

const opts = options('usage: npx tsx bench/order-location.ts [options]', {
  orders: { def: 5000, help: 'orders to seed; wrk cycles over all of them' },
  threads: { def: 2, help: 'wrk -t' },
  connections: { def: 64, help: 'wrk -c' },
  duration: { def: 15, help: 'wrk -d, seconds, per target' },
  warmup: { def: 3, help: 'unmeasured wrk run before each measured one, seconds (0: none)' },
  'pin-wrk': { def: '', help: 'CPU list to pin wrk to with taskset, e.g. 1 (the server and baseline are then pinned to the other CPUs)' },
  'target-rps': { def: 10_000, help: 'requests/s to meet' },
  'target-p99': { def: 10, help: 'p99 latency to meet, ms' },
  'target-ratio': { def: 0.5, help: 'share of the baseline requests/s to meet' },
});

const WRK = '/usr/bin/wrk';
const SCRIPT = fileURLToPath(new URL('./order-location.lua', import.meta.url));

interface WrkResult {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Starts a command; `done` resolves with its output once it exits 0. */
function run(command: string, args: string[], env: Record<string, string>, timeoutMs: number): { pid: number; done: Promise<string> } {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${out.slice(-2000)}`));
    });
  });
  return { pid: child.pid ?? 0, done };
}

const wrkArgs = (url: string, seconds: number) => ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${seconds}s`, '--latency', '-s', SCRIPT, `${url}/`];
const pinned = (args: string[]): [string, string[]] => (opts['pin-wrk'] ? ['taskset', ['-c', opts['pin-wrk'], WRK, ...args]] : [WRK, args]);

async function wrk(url: string, seconds: number, env: Record<string, string>, cpuTargets: Record<string, number | undefined>) {
  const [command, args] = pinned(wrkArgs(url, seconds));
  const started = run(command, args, env, (seconds + 60) * 1000);
  const meter = cpuMeter({ ...cpuTargets, wrk: started.pid });
  const output = await started.done;
  const cpu = formatCpu(meter.stop());
  const line = output.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (!line) throw new Error(`no result line in wrk's output:\n${output}`);
  const result = JSON.parse(line.slice('BENCH-RESULT '.length)) as WrkResult;
  return { result, cpu, output: output.replace(/^BENCH-RESULT .*\n?/m, '') };
}

async function seed(stack: Stack, url: string, token: string): Promise<void> {
  await assignOrders(stack.redis, stack.runTag, opts.orders); // courier n carries order n
  const maker = new PingMaker(stack.runTag, `${stack.runTag}seed`, true);
  const now = Date.now();
  const bodies: string[] = [];
  for (let first = 0; first < opts.orders; first += 100) {
    const pings = [];
    for (let n = first; n < Math.min(opts.orders, first + 100); n++) pings.push(maker.make(n, now));
    bodies.push(JSON.stringify(pings));
  }
  let next = 0;
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      if (res.status !== 202) throw new Error(`seeding: POST /api/events answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));

  const deadline = Date.now() + 120_000;
  for (;;) {
    let present = 0;
    for (let first = 0; first < opts.orders; first += 1000) {
      const ids = Array.from({ length: Math.min(1000, opts.orders - first) }, (_, i) => orderLocationKey(orderIdOf(stack.runTag, first + i)));
      present += await stack.redis.exists(...ids);
    }
    if (present === opts.orders) return;
    if (Date.now() > deadline) throw new Error(`seeding: only ${present} of ${opts.orders} order locations reached Redis within 120s`);
    await sleep(200);
  }
}

async function check(url: string, orderId: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/orders/${orderId}/location`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${url}/api/orders/${orderId}/location answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

if (!existsSync(WRK)) throw new Error(`${WRK} is missing: apt-get install wrk`);

await withStack('orderloc', {}, async (stack) => {
  say('starting server and location worker processes…');
  const [server, worker] = await Promise.all([stack.start('server'), stack.start('worker')]);
  const token = issueToken({ kind: 'integrator', id: 'bench' }, 60 * 60_000, stack.env.AUTH_SECRET!);

  say(`seeding ${fmt.int(opts.orders)} order locations through POST /api/events → Kafka → worker → Redis…`);
  const seeded = Date.now();
  await seed(stack, server.url, token);
  say(`  done in ${((Date.now() - seeded) / 1000).toFixed(1)}s; stopping the worker`);
  await worker.stop();

  const baseline = await stack.start('redis-http');
  const sample = orderIdOf(stack.runTag, 0);
  const fromServer = await check(server.url, sample, token);
  if (fromServer.source !== 'redis') throw new Error(`expected the server to answer from Redis: ${JSON.stringify(fromServer)}`);
  await check(baseline.url, sample, token);

  if (opts['pin-wrk']) {
    // wrk on the given CPUs, the two HTTP servers on the others.
    const others = Array.from({ length: availableParallelism() }, (_, i) => i).filter((i) => !opts['pin-wrk'].split(',').includes(String(i)));
    if (others.length > 0) {
      for (const pid of [server.pid, baseline.pid]) await run('taskset', ['-a', '-p', '-c', others.join(','), String(pid)], {}, 10_000).done;
    }
  }

  const env = { BENCH_ORDER_PREFIX: orderIdOf(stack.runTag, 0).slice(0, -1), BENCH_ORDERS: String(opts.orders), BENCH_TOKEN: token };
  const services = { redis: stack.servicePids.redis };
  const measure = async (name: string, url: string, pid: number) => {
    if (opts.warmup > 0) {
      say(`wrk warm-up against the ${name} (${opts.warmup}s)…`);
      await wrk(url, opts.warmup, env, {});
    }
    say(`wrk against the ${name} (${opts.duration}s)…`);
    return wrk(url, opts.duration, env, { [name]: pid, ...services });
  };
  const ours = await measure('server', server.url, server.pid);
  const base = await measure('baseline', baseline.url, baseline.pid);

  const rps = (r: WrkResult) => r.requests / (r.durationUs / 1e6);
  const ms = (us: number) => us / 1000;
  const errors = (r: WrkResult) => `${r.status} / ${r.connect + r.read + r.write + r.timeout}`;
  const ratio = rps(ours.result) / rps(base.result);
  const lines = [
    '',
    'lastmile bench: GET /api/orders/:id/location (loopback)',
    machineLine(),
    `wrk: ${pinned(wrkArgs('<url>', opts.duration)).flat().join(' ').replace(SCRIPT, 'bench/order-location.lua')}`,
    `     over ${fmt.int(opts.orders)} order ids (all in Redis), integrator bearer token; ${opts.warmup}s unmeasured warm-up first` +
      (opts['pin-wrk'] ? `; wrk pinned to CPU ${opts['pin-wrk']}, both servers to the others` : '; nothing pinned: wrk, the server, Redis and Kafka share the cores'),
    'baseline: bare node:http + ioredis (same client options as the server), one HGET order:loc:<id> json, the stored JSON returned as is',
    '',
    table([
      ['', 'lastmile server', 'baseline', 'server / baseline', 'target'],
      ['requests/s', fmt.int(rps(ours.result)), fmt.int(rps(base.result)), fmt.x(ratio), `>= ${fmt.int(opts['target-rps'])}  ${verdict(rps(ours.result) >= opts['target-rps'])}`],
      ['latency p50', fmt.ms(ms(ours.result.p50)), fmt.ms(ms(base.result.p50)), fmt.x(ours.result.p50 / base.result.p50), ''],
      ['latency p90', fmt.ms(ms(ours.result.p90)), fmt.ms(ms(base.result.p90)), fmt.x(ours.result.p90 / base.result.p90), ''],
      ['latency p99', fmt.ms(ms(ours.result.p99)), fmt.ms(ms(base.result.p99)), fmt.x(ours.result.p99 / base.result.p99), `<= ${opts['target-p99']} ms  ${verdict(ms(ours.result.p99) <= opts['target-p99'])}`],
      ['latency p99.9', fmt.ms(ms(ours.result.p999)), fmt.ms(ms(base.result.p999)), '', ''],
      ['latency max', fmt.ms(ms(ours.result.max)), fmt.ms(ms(base.result.max)), '', ''],
      ['share of baseline req/s', '', '', '', `>= ${opts['target-ratio']}x  ${verdict(ratio >= opts['target-ratio'])}`],
      ['requests', fmt.int(ours.result.requests), fmt.int(base.result.requests), '', ''],
      ['HTTP errors / socket errors', errors(ours.result), errors(base.result), '', ''],
    ]),
    '',
    `CPU, server run:   ${ours.cpu}`,
    `CPU, baseline run: ${base.cpu}`,
  ];
  console.log(lines.join('\n'));
});
process.exit(0);
