// Benchmark: how fresh the live map is — from a ping accepted by POST /api/events (its 202)
// to that courier position arriving at a socket.io client in a 'positions:frame', while
// ~10k pings/s flow. Beside it, in the same run: a bare Redis PUBLISH → SUBSCRIBE round
// trip on the same Redis (the transport floor), idle and under the same load, and the
// interval between frames (the coalescing floor).
//
//   npx tsx bench/freshness.ts [--rate 10000] [--seconds 20] [--couriers 2000] …
//   npx tsx bench/freshness.ts --help
//
// Each request carries one ping each of 100 couriers (integrator token), all with occurredAt
// = send time; frames carry (courierId, occurredAt) back, which names the ping. A courier's
// older ping can be superseded by its newer one within a frame (or a worker batch): those
// are counted apart, not as latencies. This process also listens on the Redis channel the
// worker announces positions on, which splits the latency into its two stages.
import { io as connect, type Socket } from 'socket.io-client';
import { OPS_SESSION_COOKIE, issueOpsSession } from '../lib/auth/ops-session';
import { loadConfig } from '../lib/config';
import { positionsChannel } from '../lib/realtime/channels';
import type { ClientToServerEvents, CourierPosition, ServerToClientEvents } from '../lib/realtime/socket-events';
import type { WorkerStats } from './child';
import { cpuMeter, fmt, formatCpu, machineLine, monoMs, options, percentile, say, sleep, table, verdict, waitForLagZero, withStack, workerLine } from './lib';
import { type PacedArgs, type PacedResult, courierIdOf } from './load';

const opts = options('usage: npx tsx bench/freshness.ts [options]', {
  rate: { def: 10_000, help: 'pings/s offered' },
  seconds: { def: 20, help: 'load time, s' },
  batch: { def: 100, help: 'pings per request (one each of that many couriers)' },
  couriers: { def: 2000, help: 'distinct couriers (each pings every couriers/rate s)' },
  'max-in-flight': { def: 64, help: 'most requests outstanding; beyond, sends are late' },
  'frame-ms': { def: 250, help: 'POSITIONS_FRAME_MS of the server' },
  warmup: { def: 2, help: 'warm-up at the same rate before measuring, s' },
  'probe-ms': { def: 10, help: 'interval of the Redis PUBLISH → SUBSCRIBE probe, ms' },
  'target-p99': { def: 500, help: 'p99 accepted → received to meet, ms' },
});
if (opts.batch > opts.couriers) throw new Error('--batch may not exceed --couriers (a request carries each courier once)');

const key = (courierId: string, occurredAt: number) => `${courierId}|${occurredAt}`;

/** p50/p95/p99/max of a list of ms values. */
function dist(values: number[]): string[] {
  const sorted = Float64Array.from(values).sort();
  return [fmt.int(values.length), fmt.ms(percentile(sorted, 50)), fmt.ms(percentile(sorted, 95)), fmt.ms(percentile(sorted, 99)), fmt.ms(sorted[sorted.length - 1])];
}

await withStack('fresh', { POSITIONS_FRAME_MS: String(opts['frame-ms']) }, async (stack) => {
  say('starting server, location worker and load generator processes…');
  const [server, worker, load] = await Promise.all([stack.start('server'), stack.start('worker'), stack.start('load')]);

  // What this process sees: frames on the socket, announcements and probes on Redis.
  let frames = new Map<string, number>();
  let announced = new Map<string, number>();
  let frameTimes: number[] = [];
  // the ops room needs an ops session: the first ops user the server's config knows
  const auth = loadConfig(stack.env).auth;
  const opsUser = [...auth.opsUsers.keys()][0]!;
  const cookie = `${OPS_SESSION_COOKIE}=${issueOpsSession(opsUser, auth)}`;
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { cookie } });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const joined = await socket.timeout(10_000).emitWithAck('ops:join');
    if (!joined.ok) throw new Error(`ops:join refused: ${joined.error}`);
    socket.on('positions:frame', (frame: CourierPosition[]) => {
      const at = monoMs();
      frameTimes.push(at);
      for (const p of frame) {
        const k = key(p.courierId, p.occurredAt);
        if (!frames.has(k)) frames.set(k, at);
      }
    });

    const channel = positionsChannel(stack.topics);
    const probeChannel = `bench:probe:${stack.runTag}`;
    let probes: number[] = [];
    const sub = stack.redis.duplicate({ enableAutoPipelining: false });
    sub.on('message', (from: string, text: string) => {
      const at = monoMs();
      if (from === probeChannel) {
        probes.push(at - Number(text));
        return;
      }
      for (const p of JSON.parse(text) as CourierPosition[]) {
        const k = key(p.courierId, p.occurredAt);
        if (!announced.has(k)) announced.set(k, at);
      }
    });
    await sub.subscribe(channel, probeChannel);
    const pub = stack.redis.duplicate({ enableAutoPipelining: false });
    const probeFor = async (ms: number) => {
      const end = monoMs() + ms;
      while (monoMs() < end) {
        await pub.publish(probeChannel, String(monoMs()));
        await sleep(opts['probe-ms']);
      }
    };

    try {
      say('baseline: Redis PUBLISH → SUBSCRIBE, idle (2s)…');
      await probeFor(2000);
      const idleProbes = probes;
      probes = [];

      const paced = (phaseTag: string, seconds: number) =>
        load.call<PacedResult>('paced', {
          url: server.url,
          secret: stack.env.AUTH_SECRET!,
          runTag: stack.runTag,
          phaseTag: `${stack.runTag}${phaseTag}`,
          rate: opts.rate,
          batch: opts.batch,
          seconds,
          couriers: opts.couriers,
          maxInFlight: opts['max-in-flight'],
        } satisfies PacedArgs);

      if (opts.warmup > 0) {
        say(`warming up (${opts.warmup}s at ${fmt.int(opts.rate)} pings/s)…`);
        await paced('w', opts.warmup);
        await waitForLagZero(stack, 60_000);
        await sleep(opts['frame-ms'] * 3);
      }
      frames = new Map();
      announced = new Map();
      frameTimes = [];

      say(`measuring: ${fmt.int(opts.rate)} pings/s for ${opts.seconds}s, ${opts.batch} per request…`);
      const statsBefore = await worker.call<WorkerStats>('stats');
      const meter = cpuMeter({ server: server.pid, worker: worker.pid, load: load.pid, kafka: stack.servicePids.kafka, redis: stack.servicePids.redis });
      let probing = true;
      const prober = (async () => {
        while (probing) await probeFor(100);
      })();
      let result: PacedResult;
      try {
        result = await paced('m', opts.seconds);
      } finally {
        probing = false;
        await prober;
      }
      const loadProbes = probes;
      const drained = await waitForLagZero(stack, 60_000);
      await sleep(opts['frame-ms'] * 3 + 500);
      const cpu = formatCpu(meter.stop());
      const workerStats = workerLine(statsBefore, await worker.call<WorkerStats>('stats'), (monoMs() - result.startMs) / 1000);
      if (drained.atMs === undefined) say(`  the worker had not caught up after 60s (lag ${drained.lag})`);
      if (result.errors > 0) say(`  ${result.errors} requests failed, first: ${result.firstError}`);

      // Every accepted ping: delivered (latency), superseded by a newer one of its courier, or missing.
      const acceptedToFrame: number[] = [];
      const sentToFrame: number[] = [];
      const acceptedToAnnounced: number[] = [];
      const announcedToFrame: number[] = [];
      const newestDelivered = new Map<string, number>();
      const undelivered: { courierId: string; occurredAt: number }[] = [];
      let accepted = 0;
      let refused = 0;
      let notAnnounced = 0;
      const requestMs: number[] = [];
      for (const req of result.requests) {
        requestMs.push(req.doneMs - req.sentMs);
        if (req.status !== 202) {
          refused += opts.batch;
          continue;
        }
        for (let i = 0; i < opts.batch; i++) {
          accepted++;
          const courierId = courierIdOf(stack.runTag, (req.r * opts.batch + i) % opts.couriers);
          const k = key(courierId, req.occurredAt);
          const ann = announced.get(k);
          if (ann === undefined) notAnnounced++;
          else acceptedToAnnounced.push(ann - req.doneMs);
          const at = frames.get(k);
          if (at === undefined) {
            undelivered.push({ courierId, occurredAt: req.occurredAt });
            continue;
          }
          acceptedToFrame.push(at - req.doneMs);
          sentToFrame.push(at - req.sentMs);
          if (ann !== undefined) announcedToFrame.push(at - ann);
          if (req.occurredAt > (newestDelivered.get(courierId) ?? 0)) newestDelivered.set(courierId, req.occurredAt);
        }
      }
      const superseded = undelivered.filter((p) => (newestDelivered.get(p.courierId) ?? 0) > p.occurredAt).length;
      const missing = undelivered.length - superseded;
      const intervals = frameTimes.slice(1).map((t, i) => t - frameTimes[i]!);
      const loadSeconds = (result.endMs - result.startMs) / 1000;
      const p99 = percentile(Float64Array.from(acceptedToFrame).sort(), 99);

      const lines = [
        '',
        'lastmile bench: freshness — ping accepted (HTTP 202) → position in a socket.io positions:frame',
        machineLine(),
        `load: ${fmt.int(opts.rate)} pings/s offered for ${opts.seconds}s, ${opts.batch} pings per request (one each of ${opts.batch} of ${fmt.int(opts.couriers)} couriers, ` +
          `each courier every ${((opts.couriers / opts.rate) * 1000).toFixed(0)} ms), integrator token, at most ${opts['max-in-flight']} requests in flight; ` +
          `POSITIONS_FRAME_MS=${opts['frame-ms']}; server, worker and load generator are separate processes, the socket.io client is this one`,
        `achieved: ${fmt.int(accepted / loadSeconds)} pings/s accepted over ${loadSeconds.toFixed(1)}s; ${result.late} requests sent late (max in flight reached); ` +
          `request latency p50 ${fmt.ms(percentile(Float64Array.from(requestMs).sort(), 50))}, p99 ${fmt.ms(percentile(Float64Array.from(requestMs).sort(), 99))}`,
        '',
        table([
          ['latency (ms)', 'count', 'p50', 'p95', 'p99', 'max', 'target'],
          ['accepted → received on the socket', ...dist(acceptedToFrame), `p99 <= ${opts['target-p99']} ms  ${verdict(p99 <= opts['target-p99'])}`],
          ['  stage: accepted → worker announced', ...dist(acceptedToAnnounced), ''],
          ['  stage: announced → received', ...dist(announcedToFrame), ''],
          ['sent → received on the socket', ...dist(sentToFrame), ''],
          ['baseline: Redis PUBLISH → SUBSCRIBE, idle', ...dist(idleProbes), ''],
          ['baseline: Redis PUBLISH → SUBSCRIBE, under load', ...dist(loadProbes), ''],
          [`baseline: frame interval (${opts['frame-ms']} ms)`, ...dist(intervals), ''],
        ]),
        '',
        table([
          ['pings', 'count', 'share'],
          ['accepted', fmt.int(accepted), ''],
          ['received on the socket', fmt.int(acceptedToFrame.length), `${((acceptedToFrame.length / Math.max(1, accepted)) * 100).toFixed(1)}%`],
          ['superseded by a newer ping of the courier', fmt.int(superseded), `${((superseded / Math.max(1, accepted)) * 100).toFixed(1)}%`],
          ['missing (neither)', fmt.int(missing), `${((missing / Math.max(1, accepted)) * 100).toFixed(1)}%`],
          ['not announced by the worker (superseded in its batch)', fmt.int(notAnnounced), `${((notAnnounced / Math.max(1, accepted)) * 100).toFixed(1)}%`],
          ['refused (non-202) / failed requests', `${fmt.int(refused)} / ${fmt.int(result.errors)}`, ''],
        ]),
        '',
        cpu,
        workerStats,
      ];
      console.log(lines.join('\n'));
    } finally {
      await sub.quit().catch(() => undefined);
      await pub.quit().catch(() => undefined);
    }
  } finally {
    socket.disconnect();
  }
});
process.exit(0);
