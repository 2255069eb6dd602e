// Wires a server from config: Kafka producer, Redis, Postgres, rate limiter, live fan-out.
// Used by server/index.ts, the tests and the benchmarks alike.
import type { AddressInfo } from 'node:net';
import { Partitioners } from 'kafkajs';
import type { Config } from '../lib/config';
import { assertNoBuiltInSecrets } from '../lib/config/shared-secrets';
import { createDb } from '../lib/db/client';
import { createPublisher } from '../lib/ingest/publish-events';
import { partitionCounts } from '../lib/kafka/complete-send';
import { RateLimiter } from '../lib/ingest/rate-limiter';
import { createKafka } from '../lib/kafka/client';
import { topicNames } from '../lib/kafka/topics';
import type { Log } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { notificationsChannel, positionsChannel, statsChannel } from '../lib/realtime/channels';
import { createRedis } from '../lib/redis/client';
import { type LastmileServer, type NextHandler, createLastmileServer } from './create-server';
import { startNotificationsFanout } from './live/notifications-fanout';
import { startPositionsFanout } from './live/positions-fanout';
import { startStatsFanout } from './live/stats-fanout';

export interface RunningServer extends LastmileServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, log: Log, next?: NextHandler): Promise<RunningServer> {
  assertNoBuiltInSecrets(config);
  const metrics = createMetrics('server');
  const kafka = createKafka({ kafka: config.kafka, as: 'server', clientId: `${config.kafka.clientId}-server`, log });
  // Bounded retries: a request waits a few seconds at most, then gets 503 rather than hanging.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 4, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  const redis = createRedis(config.redisUrl, 'lastmile-server');
  const db = createDb(config.databaseUrl);
  await Promise.all([producer.connect(), admin.connect()]);
  const topics = topicNames(config.kafka.topicPrefix);
  if (config.auth.usingDevSecret) log.warn('AUTH_SECRET is not set: tokens are signed with the local development secret (refused beyond loopback)');
  if (config.auth.usingDevOpsUsers) log.warn('OPS_USERS is not set: anyone on this machine can sign in to the ops pages as ops / lastmile');

  const server = createLastmileServer({
    log,
    metrics,
    publisher: createPublisher(producer, partitionCounts(admin), (missing) => log.warn({ missing }, 'Kafka acknowledged a send without some of its partitions: sending those again')),
    topics,
    limits: config.ingest,
    quality: config.quality,
    limiter: new RateLimiter(config.ingest.ratePerCourier, config.ingest.burstPerCourier),
    secret: config.auth.secret,
    shareLinkGraceMs: config.auth.shareLinkGraceMs,
    opsUsers: config.auth.opsUsers,
    publicUrl: config.publicUrl,
    tileUrl: config.tileUrl,
    host: config.host,
    redis,
    db,
    checks: {
      kafka: () => admin.describeCluster(),
      redis: () => redis.ping(),
      postgres: () => db.$queryRaw`SELECT 1`,
    },
    next,
  });
  const stopFanout = await startPositionsFanout({ io: server.io, redis, channel: positionsChannel(topics), frameMs: config.couriers.frameMs, log });
  const stopNotifications = await startNotificationsFanout({ io: server.io, redis, channel: notificationsChannel(topics), log });
  const stopStats = await startStatsFanout({ io: server.io, redis, channel: statsChannel(topics), log });

  await new Promise<void>((resolve) => server.http.listen(config.port, config.host, resolve));
  if (config.osmandPort > 0) {
    await new Promise<void>((resolve, reject) => {
      server.osmand.once('error', reject);
      server.osmand.listen(config.osmandPort, config.host, () => resolve());
    });
    log.info({ port: config.osmandPort }, 'OsmAnd protocol listening');
  }
  const { port } = server.http.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url }, 'listening');

  return {
    ...server,
    url,
    async close() {
      await stopFanout();
      await stopNotifications();
      await stopStats();
      await new Promise<void>((resolve) => server.io.close(() => resolve()));
      if (server.osmand.listening) await new Promise<void>((resolve) => server.osmand.close(() => resolve()));
      await producer.disconnect();
      await admin.disconnect();
      await db.$disconnect();
      await redis.quit();
    },
  };
}
