// Real clients for one test file, against the run's own services, with topic and group
// names of its own so files never see each other's messages. The test's own Kafka clients
// sign in as the admin; servers and workers as their own users (h.env carries the users
// file, from which each process takes its entry), so every test runs under the ACLs.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Admin, ISocketFactory } from 'kafkajs';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../lib/realtime/socket-events';
import { OPS_SESSION_COOKIE, issueOpsSession } from '../../lib/auth/ops-session';
import { type Subject, issueToken } from '../../lib/auth/tokens';
import { type Config, loadConfig } from '../../lib/config';
import { createDb } from '../../lib/db/client';
import { ensureAcls } from '../../lib/kafka/acls';
import { createKafka } from '../../lib/kafka/client';
import type { KafkaService } from '../../lib/kafka/principals';
import { ensureTopics, topicNames } from '../../lib/kafka/topics';
import { createLog } from '../../lib/observability/log';
import { createMetrics } from '../../lib/observability/metrics';
import { createRedis } from '../../lib/redis/client';
import { buildNextIfStale } from '../../scripts/app/prepare';
import { type Service, startService, stopServices, waitReady } from '../../scripts/app/services';
import { freePort } from '../../scripts/infra/proc';
import { profileDir } from '../../scripts/infra/stack';
import { createLocationWorker } from '../../workers/location-worker';
import { createOrderWorker } from '../../workers/order-worker';

export const TEST_SECRET = 'integration-test-secret-0123';
export const TEST_OPS_USER = { name: 'ops-test', password: 'integration-ops-password' };

/** A token signed with the tests' secret. */
export const tokenFor = (kind: Subject['kind'], id: string, ttlMs = 60 * 60_000) => issueToken({ kind, id } as Subject, ttlMs, TEST_SECRET);

/** A `Cookie` header with an ops session of a user in `config`'s OPS_USERS. */
export const opsCookie = (config: Config, user = TEST_OPS_USER.name) => `${OPS_SESSION_COOKIE}=${issueOpsSession(user, config.auth)}`;

export async function createHarness(name: string, overrides: Record<string, string> = {}) {
  const infra = inject('infra');
  const prefix = `${name}-${randomBytes(3).toString('hex')}.`;
  const env: Record<string, string> = {
    ...infra,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '3',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    OSMAND_PORT: '0',
    AUTH_SECRET: TEST_SECRET,
    OPS_USERS: `${TEST_OPS_USER.name}:${TEST_OPS_USER.password}`,
    WORKER_GROUP_PREFIX: `${prefix}group`,
    LAKE_DIR: join(profileDir(infra.profile), `lake-${prefix.slice(0, -1)}`),
  };
  Object.assign(env, overrides);
  const config = loadConfig(env);
  const log = createLog(`test-${name}`, 'warn');
  const kafka = createKafka({ kafka: config.kafka, as: 'admin', clientId: `test-${name}`, log });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, prefix, config.kafka.partitions);
  await ensureAcls(admin, { topicPrefix: prefix, groupPrefix: config.worker.groupPrefix });
  const redis = createRedis(config.redisUrl, `test-${name}`);
  const db = createDb(config.databaseUrl);
  const kafkaAs = (as: KafkaService | 'admin', socketFactory?: ISocketFactory) =>
    createKafka({ kafka: config.kafka, as, clientId: `test-${name}-${as}`, log, ...(socketFactory && { socketFactory }) });
  const deps = {
    env,
    config,
    log,
    kafka,
    kafkaWith: (socketFactory: ISocketFactory) => kafkaAs('admin', socketFactory),
    admin,
    redis,
    redisUrl: config.redisUrl,
    db,
    metrics: createMetrics(`test-${name}`),
    topics: topicNames(prefix),
    groupPrefix: `${prefix}group`,
    stats: config.stats,
    lake: config.lake,
    async close() {
      await admin.disconnect();
      await db.$disconnect();
      await redis.quit();
    },
  };
  return {
    ...deps,
    /** A client signed in as `service`'s own user. */
    kafkaAs,
    /** The harness as a worker's deps, its Kafka clients signed in as that worker's user. */
    as: (service: KafkaService) => ({ ...deps, kafka: kafkaAs(service), kafkaWith: (socketFactory: ISocketFactory) => kafkaAs(service, socketFactory) }),
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

/**
 * The real server process (server/index.ts) with a current build of its Next app, on a free
 * port, logging to the run's profile folder. Stop it with stopServices.
 */
export async function startAppServer(h: Harness, name: string, env: Record<string, string> = {}): Promise<{ server: Service; base: string }> {
  buildNextIfStale(() => undefined);
  const port = await freePort();
  const log = openSync(join(profileDir(h.env.profile!), `${name}-server-${port}.log`), 'a');
  const server = startService('server', 'server/index.ts', [], { ...h.env, ...env, PORT: String(port), NODE_ENV: 'production' }, log);
  closeSync(log);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${base}/readyz`, server, 120_000);
  } catch (err) {
    await stopServices([server]);
    throw err;
  }
  return { server, base };
}

/**
 * The app server with the location and order workers, each signed in to Kafka as its own user,
 * as a deployment runs them. `stop` closes the sockets opened, the server and the workers.
 */
export async function startAppWithWorkers(h: Harness, name: string, env: Record<string, string> = {}): Promise<{ base: string; stop(): Promise<void> }> {
  // a build blocks this process for a minute: done before the workers' consumers join their groups
  buildNextIfStale(() => undefined);
  const workers = [await createLocationWorker(h.as('location')), await createOrderWorker(h.as('orders'))];
  const stopWorkers = async () => {
    for (const worker of workers) await worker.stop();
  };
  let app: { server: Service; base: string };
  try {
    app = await startAppServer(h, name, env);
  } catch (err) {
    await stopWorkers();
    throw err;
  }
  return {
    base: app.base,
    async stop() {
      closeSockets();
      await stopServices([app.server]);
      await stopWorkers();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Sum of the end offsets of a topic's partitions: how many messages it has ever held. */
export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}


export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A connected socket.io client, with `cookie` in its handshake; `closeSockets` disconnects every one opened. */
const openSockets: TestSocket[] = [];
export function connectSocket(url: string, cookie?: string): Promise<TestSocket> {
  const socket: TestSocket = connect(url, { transports: ['websocket'], forceNew: true, extraHeaders: cookie ? { cookie } : {} });
  openSockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}
export function closeSockets(): void {
  for (const socket of openSockets.splice(0)) socket.disconnect();
}
