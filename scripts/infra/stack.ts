// Brings up Kafka, Redis and Postgres for one profile ("dev" for npm start, "test-…" for a
// test run), remembering in .infra/<profile>/state.json what it started so that `down`
// stops only that. Configured services that already answer are used, never touched.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SASLOptions } from 'kafkajs';
import { type Config, ConfigError, loadConfig } from '../../lib/config';
import { kafkaSasl } from '../../lib/kafka/credentials';
import { grantAcls, kafkaAnswers, scram, startKafka } from './kafka';
import { restartKafkaNode, startKafkaCluster } from './kafka-cluster';
import { LOCAL_USERS_FILE, ensureKafkaUsers } from './kafka-users';
import { databaseName, dropDatabase, withDatabase, ensureDatabase, postgresAnswers, startPostgres, stopPostgres } from './postgres';
import { InfraError, ROOT, freePort, isAlive, portOpen, stopPid } from './proc';
import { redisAnswers, startRedis } from './redis';

export interface InfraEnv {
  KAFKA_BROKERS: string;
  /** Where each local process finds its Kafka user (lib/kafka/credentials.ts). */
  KAFKA_USERS_FILE: string;
  REDIS_URL: string;
  DATABASE_URL: string;
}

interface State {
  ownerPid?: number;
  env: InfraEnv;
  /** kafka: the (first) broker's pid; kafkaNodes: every node's, for a cluster (kafka-node-<i>/ in the profile). */
  started: { kafka?: number; kafkaNodes?: number[]; redis?: number; postgres?: string };
  createdDatabase?: string;
}

export const profileDir = (profile: string) => join(ROOT, '.infra', profile);
const statePath = (profile: string) => join(profileDir(profile), 'state.json');

export function readState(profile: string): State | undefined {
  const path = statePath(profile);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as State) : undefined;
}

function writeState(profile: string, state: State): void {
  mkdirSync(profileDir(profile), { recursive: true });
  writeFileSync(statePath(profile), JSON.stringify(state, null, 2));
}

function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

async function pickPort(preferred: number | undefined, what: string): Promise<number> {
  if (preferred === undefined) return freePort();
  if (await portOpen(preferred)) throw new InfraError(`${what}: port ${preferred} is already in use by something else`);
  return preferred;
}

/** Whether `pid` is still the broker started in `kafkaDir` (not a process that reused its pid). */
function runsKafkaOf(pid: number, kafkaDir: string): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  return existsSync(cmdline) && readFileSync(cmdline, 'utf8').split('\0').includes(join(kafkaDir, 'server.properties'));
}

/** How to sign in to a configured broker as the admin, or undefined when the config cannot say. */
function configuredSasl(config: Config): { sasl: SASLOptions | undefined } | undefined {
  try {
    return { sasl: kafkaSasl(config.kafka, 'admin') };
  } catch (err) {
    if (err instanceof ConfigError) return undefined; // no credentials for it: only our own broker can do
    throw err;
  }
}

export interface UpOptions {
  /** dev: reuse configured services, own ones on fixed ports. test: own Kafka and Redis on free ports, own database. */
  mode: 'dev' | 'test';
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Called as each service is about to be started (before its start has finished). */
  onStart?: (name: ServiceName) => void;
  /**
   * Kafka nodes to start when Kafka is ours (1; 3 is a cluster keeping three replicas, two in
   * sync). A running Kafka of another size is refused: `infra:down` it first.
   */
  brokers?: number;
}

export type ServiceName = 'kafka' | 'redis' | 'postgres';

export interface UpResult {
  env: InfraEnv;
  /** What this call started (not what was already running): what its caller should stop. */
  startedNow: ServiceName[];
}

export async function upInfra(profile: string, options: UpOptions): Promise<UpResult> {
  const startedNow: ServiceName[] = [];
  const starting = (name: ServiceName) => {
    startedNow.push(name);
    options.onStart?.(name);
  };
  const say = options.log ?? ((line: string) => console.log(line));
  const config = loadConfig(options.env ?? process.env);
  const dir = profileDir(profile);
  const previous = readState(profile);
  const state: State = previous ?? { env: { KAFKA_BROKERS: '', KAFKA_USERS_FILE: '', REDIS_URL: '', DATABASE_URL: '' }, started: {} };
  if (options.mode === 'test') state.ownerPid = process.pid;
  const test = options.mode === 'test';

  // Kafka
  const localAdmin = scram(ensureKafkaUsers().admin);
  // what was asked for (a running Kafka of any size serves a caller that asks for none)
  const wanted = options.brokers;
  const nodes = wanted ?? 1;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new InfraError(`brokers: expected a whole number from 1 to 9, got ${nodes}`);
  let kafkaUp = false;
  const clusterNodes = previous?.started.kafkaNodes ?? [];
  if (clusterNodes.some(isAlive)) {
    if (wanted !== undefined && wanted !== clusterNodes.length) throw new InfraError(`Kafka runs ${clusterNodes.length} nodes here, not ${wanted}: npm run infra:down first`);
    if (await kafkaAnswers(previous!.env.KAFKA_BROKERS.split(','), localAdmin)) {
      kafkaUp = true;
      say(`kafka     ${previous!.env.KAFKA_BROKERS} (already running, a cluster of ${clusterNodes.length}, ${clusterNodes.filter(isAlive).length} alive)`);
    }
  } else if (previous?.started.kafka && isAlive(previous.started.kafka) && nodes > 1) {
    throw new InfraError(`Kafka runs a single broker here (pid ${previous.started.kafka}), not ${nodes}: npm run infra:down first`);
  } else if (previous?.started.kafka && isAlive(previous.started.kafka)) {
    if (await kafkaAnswers(previous.env.KAFKA_BROKERS.split(','), localAdmin)) {
      kafkaUp = true;
      say(`kafka     ${previous.env.KAFKA_BROKERS} (already running, pid ${previous.started.kafka})`);
    } else if (runsKafkaOf(previous.started.kafka, join(dir, 'kafka'))) {
      // ours, but not taking its admin: started by an older checkout, without SASL
      say(`kafka     restarting pid ${previous.started.kafka}: it does not take the local SCRAM users`);
      await stopPid(previous.started.kafka);
      delete state.started.kafka;
    }
  }
  if (kafkaUp) state.env.KAFKA_USERS_FILE = LOCAL_USERS_FILE;
  else {
    const configured = test ? undefined : configuredSasl(config);
    if (configured && (await kafkaAnswers(config.kafka.brokers, configured.sasl))) {
      state.env.KAFKA_BROKERS = config.kafka.brokers.join(',');
      state.env.KAFKA_USERS_FILE = resolve(config.kafka.usersFile);
      delete state.started.kafka;
      say(`kafka     ${state.env.KAFKA_BROKERS} (configured, answering)`);
    } else if (nodes > 1) {
      // node i on the configured port + 2i, its controller on the next (test: free ports)
      const configuredPort = Number(config.kafka.brokers[0]!.split(':')[1]);
      const ports: { port: number; controllerPort: number }[] = [];
      for (let i = 0; i < nodes; i++) {
        const port = await pickPort(test ? undefined : configuredPort + 2 * i, `Kafka node ${i + 1}`);
        ports.push({ port, controllerPort: await pickPort(test ? undefined : port + 1, `Kafka node ${i + 1}'s controller`) });
      }
      starting('kafka');
      const pids = await startKafkaCluster({ dir: join(dir, 'kafka-cluster'), nodes: ports, heapMb: test ? 384 : 512 });
      state.started.kafkaNodes = pids;
      state.started.kafka = pids[0];
      state.env.KAFKA_BROKERS = ports.map((p) => `127.0.0.1:${p.port}`).join(',');
      state.env.KAFKA_USERS_FILE = LOCAL_USERS_FILE;
      say(`kafka     ${state.env.KAFKA_BROKERS} (started: a cluster of ${nodes}, pids ${pids.join(', ')})`);
    } else {
      const configuredPort = Number(config.kafka.brokers[0]!.split(':')[1]);
      const port = await pickPort(test ? undefined : configuredPort, 'Kafka');
      const controllerPort = await pickPort(test ? undefined : port + 1, 'Kafka controller');
      starting('kafka');
      delete state.started.kafkaNodes; // a cluster that was here is gone: this broker is what to stop
      state.started.kafka = await startKafka({ dir: join(dir, 'kafka'), port, controllerPort, heapMb: test ? 384 : 512 });
      state.env.KAFKA_BROKERS = `127.0.0.1:${port}`;
      state.env.KAFKA_USERS_FILE = LOCAL_USERS_FILE;
      say(`kafka     ${state.env.KAFKA_BROKERS} (started, pid ${state.started.kafka})`);
    }
  }
  writeState(profile, state);
  if (state.started.kafka) {
    // ours: grant the services their ACLs on the configured names (npm run setup does it elsewhere)
    const acls = await grantAcls(state.env.KAFKA_BROKERS.split(','), localAdmin, { topicPrefix: config.kafka.topicPrefix, groupPrefix: config.worker.groupPrefix });
    if (acls.created + acls.revoked > 0) say(`kafka     ACLs: ${acls.created} granted, ${acls.revoked} revoked (lib/kafka/principals.ts)`);
  }

  // Redis
  if (previous?.started.redis && isAlive(previous.started.redis) && (await redisAnswers(previous.env.REDIS_URL))) {
    say(`redis     ${previous.env.REDIS_URL} (already running, pid ${previous.started.redis})`);
  } else if (!test && (await redisAnswers(config.redisUrl))) {
    state.env.REDIS_URL = config.redisUrl;
    delete state.started.redis;
    say(`redis     ${config.redisUrl} (configured, answering)`);
  } else {
    const port = test ? await freePort() : await pickPort(Number(new URL(config.redisUrl).port || 6379) + 1, 'Redis');
    starting('redis');
    state.started.redis = await startRedis(join(dir, 'redis'), port);
    state.env.REDIS_URL = `redis://127.0.0.1:${port}`;
    say(`redis     ${state.env.REDIS_URL} (started, pid ${state.started.redis})`);
  }
  writeState(profile, state);

  // Postgres
  let databaseUrl = test ? withDatabase(config.databaseUrl, `lastmile_${profile.replace(/\W/g, '_')}`) : config.databaseUrl;
  const pgDir = join(dir, 'postgres');
  if (previous?.started.postgres && (await postgresAnswers(previous.env.DATABASE_URL))) {
    databaseUrl = previous.env.DATABASE_URL;
    say(`postgres  ${databaseUrl} (already running)`);
  } else if (await postgresAnswers(databaseUrl)) {
    say(`postgres  ${databaseUrl} (configured, answering)`);
  } else {
    const port = test ? await freePort() : await pickPort(Number(new URL(databaseUrl).port || 5432) + 1, 'Postgres');
    starting('postgres');
    await startPostgres(pgDir, port);
    state.started.postgres = pgDir;
    databaseUrl = withPort(databaseUrl, port);
    say(`postgres  ${databaseUrl} (started)`);
  }
  if (await ensureDatabase(databaseUrl)) {
    state.createdDatabase = databaseName(databaseUrl);
    say(`postgres  created database ${state.createdDatabase}`);
  }
  state.env.DATABASE_URL = databaseUrl;
  writeState(profile, state);
  return { env: state.env, startedNow };
}

export interface DownOptions {
  /** Drop the database this profile created (test runs); dev keeps its data. */
  dropCreatedDatabase?: boolean;
  /** Delete the profile's data folder (test runs). */
  removeData?: boolean;
  /** Stop only these (by default everything the profile started). */
  only?: ServiceName[];
}

export async function downInfra(profile: string, options: DownOptions = {}): Promise<void> {
  const state = readState(profile);
  if (!state) return;
  const errors: unknown[] = [];
  const attempt = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  };
  if (options.dropCreatedDatabase && state.createdDatabase && !state.started.postgres) await attempt(() => dropDatabase(state.env.DATABASE_URL));
  const stop = (name: ServiceName) => !options.only || options.only.includes(name);
  const { started } = state;
  if (started.kafkaNodes && stop('kafka')) await Promise.all(started.kafkaNodes.map((pid) => attempt(() => stopPid(pid))));
  else if (started.kafka && stop('kafka')) await attempt(() => stopPid(started.kafka!));
  if (started.redis && stop('redis')) await attempt(() => stopPid(started.redis!, 10_000));
  if (started.postgres && stop('postgres')) await attempt(() => stopPostgres(started.postgres!));
  if (errors.length > 0) throw new AggregateError(errors, `stopping ${profile} failed: ${errors.map(String).join('; ')}`);
  if (options.removeData) rmSync(profileDir(profile), { recursive: true, force: true });
  else {
    const remaining = { ...started };
    if (stop('kafka')) {
      delete remaining.kafka;
      delete remaining.kafkaNodes;
    }
    if (stop('redis')) delete remaining.redis;
    if (stop('postgres')) delete remaining.postgres;
    writeState(profile, { ...state, started: remaining });
  }
}

/**
 * Starts again node `id` (from 1) of the profile's cluster, after a fault stopped it; the
 * state records its new pid, so that `down` stops it.
 */
export async function restartKafkaNodeOf(profile: string, id: number, heapMb = 384): Promise<number> {
  const state = readState(profile);
  if (!state?.started.kafkaNodes?.[id - 1]) throw new InfraError(`${profile} started no Kafka node ${id}`);
  const pid = await restartKafkaNode(join(profileDir(profile), 'kafka-cluster'), id, state.env.KAFKA_BROKERS.split(','), heapMb);
  const now = readState(profile)!;
  now.started.kafkaNodes![id - 1] = pid;
  if (id === 1) now.started.kafka = pid;
  writeState(profile, now);
  return pid;
}

/** Stops the profile's Redis (as a shutdown does: the append-only file written) and starts it again on its port and data. */
export async function restartRedisOf(profile: string): Promise<number> {
  const state = readState(profile);
  if (!state?.started.redis) throw new InfraError(`${profile} started no Redis`);
  await stopPid(state.started.redis, 10_000);
  const pid = await startRedis(join(profileDir(profile), 'redis'), Number(new URL(state.env.REDIS_URL).port));
  const now = readState(profile)!;
  now.started.redis = pid;
  writeState(profile, now);
  return pid;
}

/** Stops test profiles whose owning process died without cleaning up (a killed test run). */
export async function sweepOrphanedTestProfiles(): Promise<void> {
  const base = join(ROOT, '.infra');
  if (!existsSync(base)) return;
  for (const profile of readdirSync(base).filter((p) => p.startsWith('test-'))) {
    const state = readState(profile);
    if (state?.ownerPid && isAlive(state.ownerPid)) continue;
    await downInfra(profile, { dropCreatedDatabase: true, removeData: true }).catch((err: unknown) =>
      console.warn(`could not clean up ${profile}: ${String(err)}`),
    );
  }
}
