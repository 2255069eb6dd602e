// Wires a named worker from config: its Kafka, Redis and Postgres clients, metrics and
// readiness checks, and the history's upkeep. Used by workers/index.ts and the benchmarks alike.
import type { Config } from '../lib/config';
import { createDb } from '../lib/db/client';
import { historyMaintenance } from '../lib/db/history-maintenance';
import { leasedLoop } from '../lib/kafka/leased-loop';
import { createKafka } from '../lib/kafka/client';
import { topicNames } from '../lib/kafka/topics';
import type { Log } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { createRedis } from '../lib/redis/client';
import { createActivityWorker } from './activity-worker';
import { createArchiveWorker } from './archive-worker';
import { createLocationWorker } from './location-worker';
import { createOrderWorker } from './order-worker';

export const WORKERS = { location: createLocationWorker, orders: createOrderWorker, activity: createActivityWorker, archive: createArchiveWorker };
export type WorkerName = keyof typeof WORKERS;

export const isWorkerName = (name: string): name is WorkerName => Object.hasOwn(WORKERS, name);

export async function startWorker(name: WorkerName, config: Config, log: Log) {
  const metrics = createMetrics(`worker-${name}`);
  // each worker signs in as its own user: it may do only what lib/kafka/principals.ts grants it
  const kafka = createKafka({ kafka: config.kafka, as: name, clientId: `${config.kafka.clientId}-${name}`, log });
  const redis = createRedis(config.redisUrl, `lastmile-${name}`);
  const db = createDb(config.databaseUrl);
  const admin = kafka.admin();
  // for the readiness checks only: it connects while the worker starts
  const adminConnected = admin.connect();
  adminConnected.catch(() => undefined); // awaited below
  const running = await WORKERS[name]({
    kafka,
    kafkaWith: (socketFactory) => createKafka({ kafka: config.kafka, as: name, clientId: `${config.kafka.clientId}-${name}`, log, socketFactory }),
    redis,
    redisUrl: config.redisUrl,
    db,
    topics: topicNames(config.kafka.topicPrefix),
    groupPrefix: config.worker.groupPrefix,
    partitions: config.kafka.partitions,
    stats: config.stats,
    lake: config.lake,
    log,
    metrics,
  });
  try {
    await adminConnected;
  } catch (err) {
    await running.stop();
    throw err;
  }
  // every worker offers to keep the history's partitions; one at a time does it
  const maintenance = leasedLoop({
    redis,
    key: `lastmile:${config.worker.groupPrefix}:history-maintenance`,
    intervalMs: 60_000,
    tasks: [historyMaintenance({ db, retention: config.history.retentionDays, log })],
    log,
  });
  return {
    metrics,
    checks: {
      kafka: () => admin.describeCluster(),
      redis: () => redis.ping(),
      postgres: () => db.$queryRaw`SELECT 1`,
    },
    async close() {
      await maintenance.stop();
      await running.stop();
      await admin.disconnect();
      await db.$disconnect();
      await redis.quit();
    },
  };
}
