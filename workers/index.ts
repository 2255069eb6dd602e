// Entry point: `tsx workers/index.ts <name>` starts one named worker, with its own
// /healthz, /readyz and /metrics port, and stops it cleanly on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { loadConfigOrExit } from '../lib/config';
import { createDb } from '../lib/db/client';
import { createKafka } from '../lib/kafka/client';
import { topicNames } from '../lib/kafka/topics';
import { createLog } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { createOpsHandler } from '../lib/observability/ops-http';
import { onShutdown } from '../lib/observability/shutdown';
import { createRedis } from '../lib/redis/client';
import { createLocationWorker } from './location-worker';

const WORKERS = { location: createLocationWorker };

const name = process.argv[2] ?? '';
if (!Object.hasOwn(WORKERS, name)) {
  console.error(`usage: tsx workers/index.ts <${Object.keys(WORKERS).join('|')}>`);
  process.exit(2);
}

const config = loadConfigOrExit(`worker ${name}`);
const log = createLog(`worker-${name}`, config.logLevel);
const metrics = createMetrics(`worker-${name}`);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-${name}`, log });
const redis = createRedis(config.redisUrl, `lastmile-${name}`);
const db = createDb(config.databaseUrl);
const admin = kafka.admin();
await admin.connect();

const running = await WORKERS[name as keyof typeof WORKERS]({
  kafka,
  redis,
  db,
  topics: topicNames(config.kafka.topicPrefix),
  groupPrefix: config.worker.groupPrefix,
  log,
  metrics,
});

const handleOps = createOpsHandler(metrics, {
  kafka: () => admin.describeCluster(),
  redis: () => redis.ping(),
  postgres: () => db.$queryRaw`SELECT 1`,
});
const ops = createServer((req, res) => {
  handleOps(req, res).then(
    (handled) => {
      if (!handled) res.writeHead(404).end();
    },
    (err: unknown) => {
      log.error({ err }, 'ops request failed');
      res.writeHead(500).end();
    },
  );
});
ops.listen(config.worker.httpPort, '127.0.0.1', () => {
  const address = ops.address();
  log.info({ worker: name, opsPort: typeof address === 'object' && address ? address.port : null }, 'worker running');
});

onShutdown(log, async () => {
  ops.close();
  await running.stop();
  await admin.disconnect();
  await db.$disconnect();
  redis.disconnect();
});
