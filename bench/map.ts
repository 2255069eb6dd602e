// Benchmark: the ops live map in Chromium (Playwright, Debian's chromium, software rendering,
// 1920×1080, an ops wall screen), served by the real server with its Next build.
//
//   npx tsx bench/map.ts [--couriers 10000] [--large 50000] [--seconds 30] …
//   npx tsx bench/map.ts --help
//
// 1. Frame rate: a fleet of N couriers each announcing its position once a second on the
//    Redis channel the location worker announces on (bench/map-feed.ts), through the
//    server's fan-out (frames with statuses) to the map in the ops room, all in view at the
//    map's opening zoom; redraws of the couriers' layer per second over `seconds`, and the
//    time between redraws. For 10k and for 50k couriers.
//    Baseline in the same run: a bare canvas drawing one arc per point, nothing else, for
//    the same number of points moving every animation frame.
// 2. Freshness at the browser: couriers ping once a second through the ingest API, the real
//    location worker and fan-out; for each accepted ping (its 202), when the map received it
//    and when the first redraw after it ended (window.__mapTrace). The frame rate of this
//    phase is reported too.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from '@playwright/test';
import { OPS_SESSION_COOKIE, issueOpsSession } from '../lib/auth/ops-session';
import { loadConfig } from '../lib/config';
import { COURIERS_GEO_KEY } from '../lib/couriers/keys';
import { positionsChannel } from '../lib/realtime/channels';
import { CHROMIUM_ARGS } from '../playwright.config';
import { buildNextIfStale } from '../scripts/app/prepare';
import { type Service, startService, stopServices, waitReady } from '../scripts/app/services';
import { ensureCommand, freePort } from '../scripts/infra/proc';
import { profileDir } from '../scripts/infra/stack';
import type { WorkerStats } from './child';
import { type Child, type Stack, cpuMeter, fmt, formatCpu, machineLine, monoMs, options, percentile, say, sleep, table, verdict, waitForLagZero, withStack, workerLine } from './lib';
import { type PacedArgs, type PacedResult, courierIdOf } from './load';
import { type FleetFeedArgs, type FleetFeedResult, seedFleetOrders } from './map-feed';

const opts = options('usage: npx tsx bench/map.ts [options]', {
  couriers: { def: 10_000, help: 'couriers of the main frame-rate phase, each at 1 Hz' },
  large: { def: 50_000, help: 'couriers of the second frame-rate phase (0 skips it)' },
  seconds: { def: 30, help: 'measuring time of each frame-rate phase, s' },
  'baseline-seconds': { def: 10, help: 'measuring time of each bare-canvas baseline, s' },
  warmup: { def: 5, help: 'seconds with the map loaded and the fleet moving before measuring' },
  'fresh-couriers': { def: '2000,5000,10000', help: 'couriers pinging once a second through the ingest API, one freshness phase each' },
  'fresh-seconds': { def: 30, help: 'measuring time of the freshness phase, s (0 skips it)' },
  batch: { def: 100, help: 'pings per ingest request in the freshness phase (one each of that many couriers)' },
  'frame-ms': { def: 250, help: 'POSITIONS_FRAME_MS of the server' },
  width: { def: 1920, help: 'browser viewport width, px (an ops wall screen)' },
  height: { def: 1080, help: 'browser viewport height, px' },
  'target-fps': { def: 30, help: 'frame rate to meet at --couriers' },
  'target-p99': { def: 500, help: 'p99 accepted → drawn to meet, ms' },
});

const OPS_USER = 'bench-ops';
const OPS_PASSWORD = randomBytes(12).toString('base64url');

interface FpsFigures {
  fps: number;
  /** The slowest one-second window. */
  minSecondFps: number;
  intervals: number[];
  avgDrawMs: number;
  drawn: number;
  couriers: number;
  mode: string;
  cpu: string;
  machineBusyPct: number;
}

/** Chromium's processes: the browsers this process launched and everything under them (zygotes, renderers, GPU, utility). */
function chromiumPids(): number[] {
  const parentOf = new Map<number, number>();
  const nameOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces and parentheses
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      nameOf.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    } catch {
      // gone
    }
  }
  const pids = [...parentOf].filter(([pid, ppid]) => ppid === process.pid && nameOf.get(pid)?.includes('chrom')).map(([pid]) => pid);
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parentOf) if (ppid === pids[i]) pids.push(pid);
  return pids;
}

/**
 * The offset between the page's performance.now() and this machine's monotonic clock
 * (monoMs): page time − mono, from the quickest of several round trips.
 */
async function pageClockOffset(page: Page): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const before = monoMs();
    const pageNow = await page.evaluate(() => performance.now());
    const after = monoMs();
    if (after - before < best.rtt) best = { rtt: after - before, offset: pageNow - (before + after) / 2 };
  }
  return best.offset;
}

/** What the trace holds since the last call: frames drawn (received, drawn, "id|occurredAt,…") and redraw times. */
async function drainTrace(page: Page, withPositions: boolean): Promise<{ frames: [number, number, string][]; draws: number[] }> {
  return page.evaluate((positions) => {
    const trace = window.__mapTrace!;
    let k = 0;
    while (k < trace.frames.length && trace.frames[k]!.drawnAt > 0) k++;
    const frames = trace.frames.splice(0, k).map((f): [number, number, string] => [f.receivedAt, f.drawnAt, positions ? f.positions.map((p) => `${p.courierId}|${p.occurredAt}`).join(',') : '']);
    return { frames, draws: trace.draws.splice(0) };
  }, withPositions);
}

async function openMap(browser: Browser, base: string, cookie: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: opts.width, height: opts.height } });
  await context.addCookies([{ name: OPS_SESSION_COOKIE, value: cookie, url: base }]);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__mapTrace = { frames: [], draws: [] };
  });
  page.on('pageerror', (err) => say(`  page error: ${err.message}`));
  await page.goto(`${base}/`);
  return page;
}

const mapCouriers = (page: Page) => page.evaluate(() => window.__mapStats?.couriers ?? 0);

/** Waits until the map knows `couriers` couriers (from the snapshot and the live frames). */
async function waitForCouriers(page: Page, couriers: number): Promise<void> {
  const deadline = monoMs() + 30_000;
  while ((await mapCouriers(page)) < couriers) {
    if (monoMs() > deadline) throw new Error(`the map shows ${await mapCouriers(page)} couriers after 30 s, expected ${couriers}`);
    await sleep(250);
  }
}

/**
 * Redraws per second over `seconds`, sampled every second; `onSecond` runs after each
 * sample (the freshness phase drains the trace there).
 */
async function measureFps(page: Page, seconds: number, cpuTargets: Record<string, number | number[] | undefined>, onSecond?: (drained: Awaited<ReturnType<typeof drainTrace>>) => void): Promise<FpsFigures> {
  onSecond?.(await drainTrace(page, Boolean(onSecond)));
  const frames = () => page.evaluate(() => window.__mapStats!.frames);
  const meter = cpuMeter(cpuTargets);
  const start = monoMs();
  const first = await frames();
  let previous = { at: start, frames: first };
  let minSecondFps = Infinity;
  const draws: number[] = [];
  while (monoMs() - start < seconds * 1000) {
    await sleep(1000 - ((monoMs() - start) % 1000));
    const now = { at: monoMs(), frames: await frames() };
    minSecondFps = Math.min(minSecondFps, ((now.frames - previous.frames) / (now.at - previous.at)) * 1000);
    previous = now;
    const drained = await drainTrace(page, Boolean(onSecond));
    draws.push(...drained.draws);
    onSecond?.(drained);
  }
  const used = meter.stop();
  const stats = await page.evaluate(() => window.__mapStats!);
  return {
    fps: ((previous.frames - first) / (previous.at - start)) * 1000,
    minSecondFps,
    intervals: draws.slice(1).map((t, i) => t - draws[i]!),
    avgDrawMs: stats.avgDrawMs,
    drawn: stats.drawn,
    couriers: stats.couriers,
    mode: stats.mode,
    cpu: formatCpu(used),
    machineBusyPct: used?.machineBusyPct ?? Number.NaN,
  };
}

/** The baseline: a bare canvas of the viewport's size, one arc per point, every point moving each frame. */
async function baselineFps(browser: Browser, points: number, seconds: number): Promise<number> {
  const context = await browser.newContext({ viewport: { width: opts.width, height: opts.height } });
  try {
    const page = await context.newPage();
    // Plain JS in the page (a function passed to evaluate would carry tsx's helpers with it).
    await page.setContent(`<body style="margin:0;background:#0d1117"><canvas id="c" width="${opts.width}" height="${opts.height}"></canvas><script>
      const n = ${points};
      const canvas = document.getElementById('c');
      const ctx = canvas.getContext('2d');
      const w = canvas.width, h = canvas.height;
      const x = new Float32Array(n), y = new Float32Array(n), vx = new Float32Array(n), vy = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = Math.random() * w; y[i] = Math.random() * h;
        vx[i] = (Math.random() - 0.5) * 0.4; vy[i] = (Math.random() - 0.5) * 0.4;
      }
      const colours = ['#58a6ff', '#d29922', '#3fb950'];
      window.__baseline = { frames: 0 };
      function frame() {
        ctx.clearRect(0, 0, w, h);
        for (let i = 0; i < n; i++) {
          x[i] = (x[i] + vx[i] + w) % w; y[i] = (y[i] + vy[i] + h) % h;
          ctx.beginPath();
          ctx.arc(x[i], y[i], 3.5, 0, 2 * Math.PI);
          ctx.fillStyle = colours[i % 3];
          ctx.fill();
        }
        window.__baseline.frames++;
        requestAnimationFrame(frame);
      }
      requestAnimationFrame(frame);
    </script></body>`);
    const frames = () => page.evaluate(() => (window as unknown as { __baseline: { frames: number } }).__baseline.frames);
    await sleep(2000);
    const start = monoMs();
    const first = await frames();
    await sleep(seconds * 1000);
    return ((await frames()) - first) / ((monoMs() - start) / 1000);
  } finally {
    await context.close();
  }
}

interface FpsPhase {
  couriers: number;
  map: FpsFigures;
  baseline: number;
  feed: FleetFeedResult;
}

async function fpsPhase(stack: Stack, browser: Browser, base: string, cookie: string, load: Child, serverPid: number, couriers: number): Promise<FpsPhase> {
  const tag = `${stack.runTag}n${couriers}`;
  say(`frame rate at ${fmt.int(couriers)} couriers: seeding their orders, starting the fleet…`);
  await seedFleetOrders(stack.redis, tag, couriers);
  const feedSeconds = 600; // stopped once measured
  const feed = load.call<FleetFeedResult>('feed', {
    redisUrl: stack.env.REDIS_URL!,
    channel: positionsChannel(stack.topics),
    tag,
    couriers,
    seconds: feedSeconds,
    perSecond: 20,
    seed: couriers,
  } satisfies FleetFeedArgs);
  const page = await openMap(browser, base, cookie);
  let map: FpsFigures;
  try {
    await waitForCouriers(page, couriers);
    await sleep(opts.warmup * 1000);
    say(`  measuring the map for ${opts.seconds}s…`);
    map = await measureFps(page, opts.seconds, { server: serverPid, 'fleet feed': load.pid, chromium: chromiumPids() });
  } finally {
    await load.call('feed-stop');
    await page.context().close();
  }
  say(`  baseline: bare canvas, ${fmt.int(couriers)} arcs, ${opts['baseline-seconds']}s…`);
  const baseline = await baselineFps(browser, couriers, opts['baseline-seconds']);
  return { couriers, map, baseline, feed: await feed };
}

interface FreshnessPhase {
  couriers: number;
  map: FpsFigures;
  acceptedToDrawn: number[];
  acceptedToReceived: number[];
  receivedToDrawn: number[];
  accepted: number;
  superseded: number;
  missing: number;
  refused: number;
  result: PacedResult;
  workerStats: string;
}

async function freshnessPhase(stack: Stack, browser: Browser, base: string, cookie: string, load: Child, worker: Child, serverPid: number, couriers: number): Promise<FreshnessPhase> {
  say(`freshness: ${fmt.int(couriers)} couriers pinging once a second through the ingest API…`);
  await waitForLagZero(stack, 120_000); // the last phase's pings are all applied
  // the map shows only this phase's couriers: the earlier phases' leave the snapshot
  await stack.redis.del(COURIERS_GEO_KEY);
  const runTag = `${stack.runTag}f${couriers}`;
  const paced = (phaseTag: string, seconds: number) =>
    load.call<PacedResult>('paced', {
      url: base,
      secret: stack.env.AUTH_SECRET!,
      runTag,
      phaseTag: `${runTag}${phaseTag}`,
      rate: couriers,
      batch: opts.batch,
      seconds,
      couriers,
      maxInFlight: 64,
    } satisfies PacedArgs);
  // couriers first appear on the map through the snapshot or a frame; let them all exist first
  await paced('w', Math.max(2, opts.warmup));
  const page = await openMap(browser, base, cookie);
  try {
    await waitForCouriers(page, couriers);
    const offset = await pageClockOffset(page);
    const received = new Map<string, number>();
    const drawn = new Map<string, number>();
    const take = ({ frames }: Awaited<ReturnType<typeof drainTrace>>) => {
      for (const [receivedAt, drawnAt, positions] of frames) {
        for (const key of positions.split(',')) {
          if (!key || received.has(key)) continue;
          received.set(key, receivedAt - offset);
          drawn.set(key, drawnAt - offset);
        }
      }
    };
    say(`  measuring for ${opts['fresh-seconds']}s…`);
    const statsBefore = await worker.call<WorkerStats>('stats');
    const pacing = paced('m', opts['fresh-seconds']);
    const map = await measureFps(page, opts['fresh-seconds'], { server: serverPid, worker: worker.pid, load: load.pid, chromium: chromiumPids(), kafka: stack.servicePids.kafka, redis: stack.servicePids.redis }, take);
    const result = await pacing;
    // the last pings' frames
    await sleep(opts['frame-ms'] * 4 + 1500);
    take(await drainTrace(page, true));
    const workerStats = workerLine(statsBefore, await worker.call<WorkerStats>('stats'), (monoMs() - result.startMs) / 1000);

    const phase: FreshnessPhase = { couriers, map, acceptedToDrawn: [], acceptedToReceived: [], receivedToDrawn: [], accepted: 0, superseded: 0, missing: 0, refused: 0, result, workerStats };
    const newest = new Map<string, number>();
    const undelivered: [string, number][] = [];
    for (const req of result.requests) {
      if (req.status !== 202) {
        phase.refused += opts.batch;
        continue;
      }
      for (let i = 0; i < opts.batch; i++) {
        phase.accepted++;
        const courierId = courierIdOf(runTag, (req.r * opts.batch + i) % couriers);
        const key = `${courierId}|${req.occurredAt}`;
        const at = received.get(key);
        if (at === undefined) {
          undelivered.push([courierId, req.occurredAt]);
          continue;
        }
        const drawnAt = drawn.get(key)!;
        phase.acceptedToReceived.push(at - req.doneMs);
        phase.acceptedToDrawn.push(drawnAt - req.doneMs);
        phase.receivedToDrawn.push(drawnAt - at);
        if (req.occurredAt > (newest.get(courierId) ?? 0)) newest.set(courierId, req.occurredAt);
      }
    }
    phase.superseded = undelivered.filter(([id, at]) => (newest.get(id) ?? 0) > at).length;
    phase.missing = undelivered.length - phase.superseded;
    return phase;
  } finally {
    await page.context().close();
  }
}

ensureCommand('chromium', 'chromium', process.env.CHROMIUM_PATH);
await withStack('map', { POSITIONS_FRAME_MS: String(opts['frame-ms']), OPS_USERS: `${OPS_USER}:${OPS_PASSWORD}` }, async (stack) => {
  buildNextIfStale(say);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const services: Service[] = [];
  const logFd = openSync(join(profileDir(stack.profile), 'app-server.log'), 'a');
  const server = startService('server', 'server/index.ts', [], { ...stack.env, PORT: String(port), NODE_ENV: 'production' }, logFd);
  closeSync(logFd);
  services.push(server);
  let browser: Browser | undefined;
  try {
    say('starting the server (with Next), the load process and Chromium…');
    await waitReady(`${base}/readyz`, server, 120_000);
    const load = await stack.start('load');
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const cookie = issueOpsSession(OPS_USER, loadConfig(stack.env).auth);
    const serverPid = server.child.pid!;

    const phases: FpsPhase[] = [];
    for (const couriers of [opts.couriers, opts.large].filter((n) => n > 0)) phases.push(await fpsPhase(stack, browser, base, cookie, load, serverPid, couriers));
    const freshCouriers = opts['fresh-seconds'] > 0 ? opts['fresh-couriers'].split(',').filter(Boolean).map(Number) : [];
    if (freshCouriers.some((n) => !Number.isInteger(n) || n < opts.batch)) throw new Error(`--fresh-couriers: expected counts of at least --batch (${opts.batch}), got "${opts['fresh-couriers']}"`);
    const fresh: FreshnessPhase[] = [];
    if (freshCouriers.length > 0) {
      say('starting the location worker…');
      const worker = await stack.start('worker');
      for (const couriers of freshCouriers) fresh.push(await freshnessPhase(stack, browser, base, cookie, load, worker, serverPid, couriers));
    }

    const lines = [
      '',
      'lastmile bench: the ops live map in Chromium',
      machineLine(),
      `browser: ${browser.version()} headless, software rendering (${CHROMIUM_ARGS.join(' ')}), viewport ${opts.width}×${opts.height}, ` +
        `map at its opening view (zoom 12, every courier in view); POSITIONS_FRAME_MS=${opts['frame-ms']}`,
      `frame rate: each courier announces its position once a second on the worker's Redis channel (bench/map-feed.ts), through the server's fan-out to the page; ` +
        `${opts.seconds}s per size after ${opts.warmup}s of warm-up; baseline: a bare canvas drawing one arc per point, nothing else, ${opts['baseline-seconds']}s`,
      '',
      table([
        ['couriers', 'map fps', 'slowest second', 'redraw interval p50 / p99 / max', 'draw ms (avg)', 'drawn', 'baseline fps (bare arcs)', 'map / baseline', 'target'],
        ...phases.map((p, i) => {
          const sorted = Float64Array.from(p.map.intervals).sort();
          return [
            fmt.int(p.couriers),
            p.map.fps.toFixed(1),
            p.map.minSecondFps.toFixed(1),
            `${fmt.ms(percentile(sorted, 50))} / ${fmt.ms(percentile(sorted, 99))} / ${fmt.ms(sorted[sorted.length - 1])}`,
            p.map.avgDrawMs.toFixed(1),
            `${fmt.int(p.map.drawn)} ${p.map.mode}`,
            p.baseline.toFixed(1),
            fmt.x(p.map.fps / p.baseline),
            i === 0 ? `>= ${opts['target-fps']} fps  ${verdict(p.map.fps >= opts['target-fps'])}` : 'reported',
          ];
        }),
      ]),
      '',
      ...phases.flatMap((p) => [
        `${fmt.int(p.couriers)} couriers: fleet sent ${fmt.int(p.feed.positions / p.feed.seconds)} positions/s (${p.feed.late} announcements late); map knew ${fmt.int(p.map.couriers)}`,
        `  ${p.map.cpu}`,
      ]),
    ];
    if (fresh.length > 0) {
      lines.push(
        '',
        `freshness at the browser: N couriers each pinging once a second through POST /api/events (${opts.batch} per request, integrator token), ` +
          `the location worker, the fan-out and the socket to the map, ${opts['fresh-seconds']}s each; from the ping's 202 to the end of the first redraw after its frame arrived; ` +
          'everything, the browser included, on this machine',
        '',
        table([
          ['couriers (pings/s)', 'accepted → drawn p50 / p95 / p99 / max', 'of which → received p99', 'received → drawn p99', 'map fps (slowest s)', 'machine busy', 'target'],
          ...fresh.map((f) => {
            const sorted = Float64Array.from(f.acceptedToDrawn).sort();
            const p99 = percentile(sorted, 99);
            return [
              `${fmt.int(f.couriers)} (${fmt.int(f.accepted / ((f.result.endMs - f.result.startMs) / 1000))})`,
              `${fmt.ms(percentile(sorted, 50))} / ${fmt.ms(percentile(sorted, 95))} / ${fmt.ms(p99)} / ${fmt.ms(sorted[sorted.length - 1])}`,
              fmt.ms(percentile(Float64Array.from(f.acceptedToReceived).sort(), 99)),
              fmt.ms(percentile(Float64Array.from(f.receivedToDrawn).sort(), 99)),
              `${f.map.fps.toFixed(1)} (${f.map.minSecondFps.toFixed(1)})`,
              `${f.map.machineBusyPct.toFixed(0)}%`,
              `p99 <= ${opts['target-p99']} ms  ${verdict(p99 <= opts['target-p99'])}`,
            ];
          }),
        ]),
        '',
        ...fresh.flatMap((f) => [
          `${fmt.int(f.couriers)} couriers: ${fmt.int(f.accepted)} pings accepted, ${fmt.int(f.acceptedToDrawn.length)} drawn, ${fmt.int(f.superseded)} superseded by a newer ping of the courier before a frame, ` +
            `${fmt.int(f.missing)} missing, ${fmt.int(f.refused)} refused, ${f.result.errors} failed requests, ${f.result.late} requests sent late`,
          `  ${f.map.cpu}`,
          `  ${f.workerStats}`,
        ]),
      );
    }
    console.log(lines.join('\n'));
  } finally {
    await browser?.close().catch(() => undefined);
    await stopServices(services);
  }
});
process.exit(0);
