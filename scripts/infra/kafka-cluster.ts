// A local Kafka cluster: several combined broker-controller KRaft nodes from the same jars as
// the single broker (kafka.ts), for `npm run infra:up -- --brokers 3`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SASLOptions } from 'kafkajs';
import { ensureKafkaJars, formatStorage, jvmArgs, probeAdmin, scram, spawnBroker, startBroker, waitForUsers, writeLog4j } from './kafka';
import { brokerProperties } from './kafka-properties';
import { ensureKafkaUsers } from './kafka-users';
import { InfraError, run, stopPid, waitFor } from './proc';

export interface ClusterOptions {
  /** The cluster's folder: node i keeps its data, properties and logs in node-<i>. */
  dir: string;
  /** Each node's client and controller ports (node ids 1, 2, …). */
  nodes: { port: number; controllerPort: number }[];
  heapMb?: number;
}

export const nodeDir = (dir: string, id: number) => join(dir, `node-${id}`);

/**
 * Starts a KRaft cluster of combined broker-controller nodes (the first time, each node's
 * storage formatted with one cluster id and every SCRAM user); resolves with the nodes'
 * pids once every node is a broker of the cluster and every user can sign in. Three nodes
 * or more keep three replicas of each record, two in sync for a write (kafka-properties.ts).
 */
export async function startKafkaCluster(options: ClusterOptions): Promise<number[]> {
  ensureKafkaJars();
  const users = ensureKafkaUsers();
  const voters = options.nodes.map((n, i) => ({ id: i + 1, controllerPort: n.controllerPort }));
  const brokers = options.nodes.map((n) => `127.0.0.1:${n.port}`);
  // the controllers sign in to each other as the controller user: one password for all
  const controllerPassword = randomBytes(18).toString('base64url');
  // one id for every node: a node formatted before (a start cut short) keeps the cluster's
  const formatted = options.nodes.map((_, i) => join(nodeDir(options.dir, i + 1), 'data', 'meta.properties')).find(existsSync);
  const clusterId = formatted
    ? /^cluster\.id=(.+)$/m.exec(readFileSync(formatted, 'utf8'))![1]!.trim()
    : run('java', [...jvmArgs(options.dir), 'kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop()!;
  const started: (ReturnType<typeof spawnBroker> & { dir: string })[] = [];
  try {
    for (const [i, node] of options.nodes.entries()) {
      const dir = nodeDir(options.dir, i + 1);
      mkdirSync(dir, { recursive: true });
      writeLog4j(dir);
      const properties = join(dir, 'server.properties');
      writeFileSync(properties, brokerProperties({ ...node, nodeId: i + 1, voters, dataDir: join(dir, 'data'), admin: users.admin, controllerPassword }), { mode: 0o600 });
      if (!existsSync(join(dir, 'data', 'meta.properties'))) formatStorage(dir, clusterId, properties, users);
      // all at once: a node serves only once a majority of the controllers is up
      started.push({ ...spawnBroker(dir, properties, options.heapMb), dir });
    }
    await waitFor(
      `a Kafka cluster of ${brokers.length} on ${brokers.join(',')}`,
      async () => {
        const gone = started.find((n) => n.exited());
        if (gone) throw new InfraError(`a Kafka node exited during start; see ${join(gone.dir, 'server.log')} and ${join(gone.dir, 'kafka.out')}`);
        return (await clusterSize(brokers, scram(users.admin))) === brokers.length;
      },
      120_000,
      join(started[0]!.dir, 'server.log'),
    );
    await waitForUsers(options.dir, brokers, users);
  } catch (err) {
    for (const n of started) await stopPid(n.pid).catch(() => undefined);
    throw err;
  }
  return started.map((n) => n.pid);
}

/** Starts node `id` of a cluster started before (its properties and data as they are); resolves once it is a broker again. */
export function restartKafkaNode(dir: string, id: number, brokers: string[], heapMb?: number): Promise<number> {
  const node = nodeDir(dir, id);
  const admin = scram(ensureKafkaUsers().admin);
  return startBroker(node, join(node, 'server.properties'), heapMb, `Kafka node ${id}`, async () => (await clusterSize(brokers, admin)) === brokers.length, 120_000);
}

/** How many brokers the cluster at `brokers` has registered (0 when none answers). */
async function clusterSize(brokers: string[], sasl: SASLOptions): Promise<number> {
  const admin = probeAdmin(brokers, sasl);
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
