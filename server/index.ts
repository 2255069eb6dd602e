// Entry point: `tsx server/index.ts`. Reads config, connects, serves, stops cleanly.
import next from 'next';
import { Partitioners } from 'kafkajs';
import { loadConfigOrExit } from '../lib/config';
import { createDb } from '../lib/db/client';
import { createKafka } from '../lib/kafka/client';
import { topicNames } from '../lib/kafka/topics';
import { createLog } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { onShutdown } from '../lib/observability/shutdown';
import { createRedis } from '../lib/redis/client';
import { createLastmileServer } from './create-server';

const config = loadConfigOrExit('server');
const log = createLog('server', config.logLevel);
const metrics = createMetrics('server');
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-server`, log });
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});
const admin = kafka.admin();
const redis = createRedis(config.redisUrl, 'lastmile-server');
const db = createDb(config.databaseUrl);

const nextApp = next({ dev: process.env.NODE_ENV === 'development', dir: process.cwd(), hostname: config.host, port: config.port });
await Promise.all([producer.connect(), admin.connect(), nextApp.prepare()]);
const nextHandler = nextApp.getRequestHandler();

const server = createLastmileServer({
  log,
  metrics,
  producer,
  topics: topicNames(config.kafka.topicPrefix),
  limits: config.ingest,
  redis,
  checks: {
    kafka: () => admin.describeCluster(),
    redis: () => redis.ping(),
    postgres: () => db.$queryRaw`SELECT 1`,
  },
  next: (req, res) => nextHandler(req, res),
});

server.http.listen(config.port, config.host, () => {
  const address = server.http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ url: `http://${config.host}:${port}` }, 'listening');
});

onShutdown(log, async () => {
  await new Promise<void>((resolve) => {
    server.io.close(() => resolve());
  });
  await producer.disconnect();
  await admin.disconnect();
  await nextApp.close();
  await db.$disconnect();
  redis.disconnect();
});
