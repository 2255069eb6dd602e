// A benchmark's helper process: `tsx bench/child.ts <role>`, forked by bench/lib.ts with the
// stack's environment. Roles:
//   server      startServer(loadConfig(env)) — the real server, no Next
//   worker      createLocationWorker(...) — the real location worker, wired as workers/index.ts
//   activity-worker  the real activity worker, wired as workers/index.ts, started on "start"
//   archive-worker   the real archive worker (the lake), likewise started on "start"
//   redis-http  bare node:http + ioredis HGET of order:loc:<id> (order-location baseline)
//   load        load generators (bench/load.ts), the raw consumer (bench/raw-consume.ts) and
//               the map's fleet (bench/map-feed.ts), driven by messages
// Talks to its parent over IPC: {ready} once up, then {id, cmd, args} → {id, ok, result}.
// Stops on "stop", and when the parent goes away.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../lib/config';
import { orderLocationKey } from '../lib/couriers/keys';
import { createLog } from '../lib/observability/log';
import type { Metrics } from '../lib/observability/metrics';
import { createRedis } from '../lib/redis/client';
import { ORDER_LOCATION_PATH } from '../server/routes/order-location';
import { startServer } from '../server/start-server';
import { startWorker } from '../workers/start-worker';
import { type HttpLoadArgs, type KafkaLoadArgs, type PacedArgs, httpLoad, kafkaLoad, pacedLoad } from './load';
import { type FleetFeedArgs, fleetFeed, stopFleetFeed } from './map-feed';
import { type RawConsumeArgs, rawConsume } from './raw-consume';

export type Role = 'server' | 'worker' | 'activity-worker' | 'archive-worker' | 'redis-http' | 'load';
export interface ChildRequest {
  id: number;
  cmd: string;
  args?: unknown;
}
export type ChildReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
export interface ChildReady {
  ready: true;
  pid: number;
  url?: string;
}
export interface WorkerStats {
  batches: number;
  batchSeconds: number;
  processed: number;
}
/** CPU seconds the child used, reported when it stops. */
export interface ChildStopped {
  userS: number;
  systemS: number;
}

const role = process.argv[2] as Role;
const config = loadConfig(process.env);
const log = createLog(`bench-${role}`, config.logLevel);
const send = (message: unknown) =>
  new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, () => resolve());
  });

let stop: () => Promise<void> = async () => undefined;
const commands: Record<string, (args: unknown) => Promise<unknown>> = {};

/** A worker's own counters: batches applied, time inside them, messages processed. */
async function workerStats(metrics: Metrics): Promise<WorkerStats> {
  const batches = (await metrics.batchSeconds.get()).values;
  const sum = (name: string) => batches.filter((v) => v.metricName === name).reduce((a, v) => a + v.value, 0);
  const events = (await metrics.eventsIn.get()).values;
  return {
    batches: sum('lastmile_batch_duration_seconds_count'),
    batchSeconds: sum('lastmile_batch_duration_seconds_sum'),
    processed: events.filter((v) => v.labels.outcome === 'processed').reduce((a, v) => a + v.value, 0),
  };
}

async function boot(): Promise<string | undefined> {
  switch (role) {
    case 'server': {
      const server = await startServer(config, log);
      stop = () => server.close();
      return server.url;
    }
    case 'worker': {
      const { metrics, close } = await startWorker('location', config, log);
      commands.stats = () => workerStats(metrics);
      stop = close;
      return undefined;
    }
    case 'activity-worker':
    case 'archive-worker': {
      // Started on command, so that a benchmark times the worker from its start, not the process's.
      // "start" again after "stop-worker" runs a second pass in a warm process; `lakeDir` its lake.
      commands.start = async (args) => {
        if (commands.stats) throw new Error('already started');
        const { lakeDir } = (args ?? {}) as { lakeDir?: string };
        const { metrics, close } = await startWorker(role === 'activity-worker' ? 'activity' : 'archive', lakeDir ? { ...config, lake: { ...config.lake, dir: lakeDir } } : config, log);
        commands.stats = () => workerStats(metrics);
        stop = close;
        return undefined;
      };
      commands['stop-worker'] = async () => {
        await stop();
        stop = async () => undefined;
        delete commands.stats;
        return undefined;
      };
      return undefined;
    }
    case 'redis-http': {
      // The floor for GET /api/orders/:id/location: route match, one HGET, the stored JSON back.
      const redis = createRedis(config.redisUrl, 'bench-redis-http');
      const http = createServer((req, res) => {
        const path = req.url ?? '/';
        const match = ORDER_LOCATION_PATH.exec(path.split('?', 1)[0]!);
        if (!match) {
          res.writeHead(404).end();
          return;
        }
        redis.hget(orderLocationKey(match[1]!), 'json').then(
          (json) => {
            if (!json) {
              res.writeHead(404).end();
              return;
            }
            res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
            res.end(json);
          },
          (err: unknown) => {
            res.writeHead(500).end(String(err));
          },
        );
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      stop = async () => {
        http.closeAllConnections();
        await new Promise((resolve) => http.close(resolve));
        await redis.quit();
      };
      return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    }
    case 'load': {
      commands.http = (args) => httpLoad(args as HttpLoadArgs);
      commands.kafka = (args) => kafkaLoad(args as KafkaLoadArgs);
      commands.paced = (args) => pacedLoad(args as PacedArgs);
      commands.consume = (args) => rawConsume(args as RawConsumeArgs, log);
      commands.feed = (args) => fleetFeed(args as FleetFeedArgs);
      commands['feed-stop'] = async () => stopFleetFeed();
      return undefined;
    }
    default:
      throw new Error(`unknown role "${String(role)}"`);
  }
}

let stopping = false;
async function shutdown(id?: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  let error: string | undefined;
  try {
    await stop();
  } catch (err) {
    error = String(err);
  }
  const cpu = process.cpuUsage();
  const stopped: ChildStopped = { userS: cpu.user / 1e6, systemS: cpu.system / 1e6 };
  if (id !== undefined) await send(error ? { id, ok: false, error } : { id, ok: true, result: stopped });
  process.exit(error ? 1 : 0);
}

process.on('message', (message: ChildRequest) => {
  if (message.cmd === 'stop') {
    void shutdown(message.id);
    return;
  }
  const command = commands[message.cmd];
  if (!command) {
    void send({ id: message.id, ok: false, error: `role ${role} has no command "${message.cmd}"` });
    return;
  }
  command(message.args).then(
    (result) => send({ id: message.id, ok: true, result }),
    (err: unknown) => send({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
// The parent went away (killed, crashed): stop what this process holds and leave.
process.on('disconnect', () => void shutdown());
// Ctrl-C reaches the whole process group: the parent does the cleaning up.
process.on('SIGINT', () => void shutdown());

boot().then(
  (url) => send({ ready: true, pid: process.pid, ...(url ? { url } : {}) } satisfies ChildReady),
  async (err: unknown) => {
    await send({ failed: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  },
);
