// `npm run test:compose`: docker-compose.yml must be valid with every profile and declare the
// whole system, refuse to start without its secrets, and under profile `cluster` describe the
// three-node Kafka cluster of scripts/infra/kafka-cluster.ts, which the services can be pointed
// at. `docker-compose config` validates without a Docker engine.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ensureCommand, run } from './infra/proc';

/** What docker-compose.yml asks for (${VAR:?…}): the placeholders here only let `config` render it. */
const REQUIRED = {
  AUTH_SECRET: 'compose-check-secret-0123456789',
  OPS_USERS: 'ops:scrypt$c2FsdA$aGFzaA',
  KAFKA_ADMIN_PASSWORD: 'check-admin',
  KAFKA_CONTROLLER_PASSWORD: 'check-controller',
  KAFKA_SERVER_PASSWORD: 'check-server',
  KAFKA_LOCATION_PASSWORD: 'check-location',
  KAFKA_ORDERS_PASSWORD: 'check-orders',
  KAFKA_ACTIVITY_PASSWORD: 'check-activity',
  KAFKA_ARCHIVE_PASSWORD: 'check-archive',
};
const CLUSTER = 'cluster';
/** Where the services find Kafka: unset, the single broker `kafka`. */
const BROKERS_VARIABLE = 'COMPOSE_KAFKA_BROKERS';
const SINGLE_BROKER = 'kafka:9092';
/** Each Kafka client service and the variable naming its brokers. */
const KAFKA_CLIENTS: Record<string, string> = {
  'kafka-users': 'BROKERS',
  setup: 'KAFKA_BROKERS',
  server: 'KAFKA_BROKERS',
  'worker-location': 'KAFKA_BROKERS',
  'worker-orders': 'KAFKA_BROKERS',
  'worker-activity': 'KAFKA_BROKERS',
  'worker-archive': 'KAFKA_BROKERS',
};
/** A cluster node's durability, as scripts/infra/kafka-properties.ts sets it for three nodes. */
const CLUSTER_REPLICATION: Record<string, string> = {
  KAFKA_DEFAULT_REPLICATION_FACTOR: '3',
  KAFKA_MIN_INSYNC_REPLICAS: '2',
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3',
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '3',
  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '2',
  KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE: 'false',
};
/** What tells one node from another; everything else (listeners, SASL, ACLs) the single broker and the cluster share. */
const NODE_IDENTITY = ['CLUSTER_ID', 'KAFKA_NODE_ID', 'KAFKA_ADVERTISED_LISTENERS', 'KAFKA_CONTROLLER_QUORUM_VOTERS'];

interface Service {
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, unknown> | string[];
  command?: string | string[];
  healthcheck?: unknown;
  volumes?: (string | { source?: string; target?: string })[];
}
type Services = Record<string, Service>;

// the shell's own values (or a .env beside the file, replaced by an empty one) must not decide the outcome
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
for (const name of [...Object.keys(REQUIRED), BROKERS_VARIABLE, 'COMPOSE_PROFILES']) delete baseEnv[name];
const scratch = mkdtempSync(join(tmpdir(), 'lastmile-compose-'));
const noEnvFile = join(scratch, 'empty.env');
writeFileSync(noEnvFile, '');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const compose = (args: string[], env: Record<string, string>) =>
  run('docker-compose', ['-f', 'docker-compose.yml', '--env-file', noEnvFile, ...args], { env: { ...baseEnv, ...env } });
ensureCommand('docker-compose', 'docker-compose');
const composeVersion = run('docker-compose', ['version', '--short']).trim().replace(/^v/, '');

/** The rendered file as data: compose v2 prints JSON; v1 (Python) only YAML, which its own PyYAML reads. */
function rendered(args: string[], env: Record<string, string>): Services {
  if (!composeVersion.startsWith('1.')) return (JSON.parse(compose([...args, 'config', '--format', 'json'], env)) as { services: Services }).services;
  const yaml = compose([...args, 'config'], env);
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: yaml, encoding: 'utf8' });
  return (JSON.parse(json) as { services: Services }).services;
}

const env = (s: Service, name: string) => (s.environment?.[name] == null ? undefined : String(s.environment[name]));
const clusterNodes = (services: Services) => Object.entries(services).filter(([, s]) => s.profiles?.includes(CLUSTER) && env(s, 'KAFKA_NODE_ID') !== undefined);
const words = (s: Service) => [s.command ?? []].flat().join(' ');
const dependencies = (s: Service) => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));
const dataVolume = (s: Service) =>
  (s.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v)).find((v) => v.target === '/var/lib/kafka/data')?.source;

/** What keeps profile `cluster` from being kafka-cluster.ts's cluster: three combined nodes, ids 1..3, all of them voters, RF 3, min ISR 2. */
function clusterProblems(services: Services): string[] {
  const single = services.kafka;
  if (!single) return ['no single broker `kafka` to compare the cluster with'];
  const nodes = clusterNodes(services);
  const problems: string[] = [];
  if (nodes.length !== 3) problems.push(`profile ${CLUSTER} has ${nodes.length} Kafka nodes (${nodes.map(([name]) => name).join(', ')}), not 3`);
  const ids = nodes.map(([, s]) => env(s, 'KAFKA_NODE_ID'));
  if ([...ids].sort().join() !== nodes.map((_, i) => String(i + 1)).join()) problems.push(`the cluster's node ids are ${ids.join(', ')}, not 1..${nodes.length} once each`);
  const controllerPort = /CONTROLLER:\/\/[^,]*:(\d+)/.exec(env(single, 'KAFKA_LISTENERS') ?? '')?.[1];
  const voters = nodes.map(([name, s]) => `${env(s, 'KAFKA_NODE_ID')}@${name}:${controllerPort}`).sort().join();
  if (new Set(nodes.map(([, s]) => env(s, 'CLUSTER_ID'))).size !== 1) problems.push('the cluster nodes do not share one CLUSTER_ID');
  if (new Set([single, ...nodes.map(([, s]) => s)].map(dataVolume)).size !== nodes.length + 1) problems.push('a Kafka node has no data volume of its own');
  for (const [name, node] of nodes) {
    const say = (what: string) => problems.push(`${name}: ${what}`);
    const nodeVoters = (env(node, 'KAFKA_CONTROLLER_QUORUM_VOTERS') ?? '').split(',').sort().join();
    if (nodeVoters !== voters) say(`KAFKA_CONTROLLER_QUORUM_VOTERS is ${env(node, 'KAFKA_CONTROLLER_QUORUM_VOTERS')}, not every node (${voters})`);
    if (env(node, 'KAFKA_PROCESS_ROLES') !== 'broker,controller') say(`KAFKA_PROCESS_ROLES is ${env(node, 'KAFKA_PROCESS_ROLES')}, not broker,controller`);
    if (!env(node, 'KAFKA_ADVERTISED_LISTENERS')?.startsWith(`CLIENT://${name}:`)) say(`advertises ${env(node, 'KAFKA_ADVERTISED_LISTENERS')}, not its own name`);
    for (const [key, value] of Object.entries(CLUSTER_REPLICATION)) if (env(node, key) !== value) say(`${key} is ${env(node, key)}, not ${value}`);
    // listeners, SASL, the authorizer, super users: as the single broker's
    for (const key of Object.keys(single.environment ?? {}).filter((k) => !NODE_IDENTITY.includes(k) && !(k in CLUSTER_REPLICATION)))
      if (env(node, key) !== env(single, key)) say(`${key} differs from the single broker's`);
    // formatted once with the admin's SCRAM user, its own id and the cluster's voters
    if (words(node) !== words(single) || !words(node).includes('--add-scram')) say("its command is not the single broker's (format with the admin's SCRAM user, then start)");
    if (/node\.id=\d|controller\.quorum\.voters=\d/.test(words(node))) say('its command formats with a fixed node id or voters, not its environment');
    if (!node.healthcheck) say('has no healthcheck');
  }
  return problems;
}

/** Where each Kafka client is pointed, given COMPOSE_KAFKA_BROKERS `brokers` (undefined: unset). */
function clientProblems(brokers: string | undefined, expected: string): string[] {
  const services = rendered([], { ...REQUIRED, ...(brokers !== undefined && { [BROKERS_VARIABLE]: brokers }) });
  return Object.entries(KAFKA_CLIENTS).flatMap(([name, variable]) => {
    const service = services[name];
    const actual = service ? env(service, variable) : '(no such service)';
    return actual === expected ? [] : [`with ${BROKERS_VARIABLE}=${brokers ?? '(unset)'}, ${name}'s ${variable} is ${actual}, not ${expected}`];
  });
}

const profiles = compose(['config', '--profiles'], REQUIRED).trim().split('\n').filter(Boolean);
if (!profiles.includes(CLUSTER)) {
  console.error(`docker-compose.yml has no profile ${CLUSTER} (it has: ${profiles.join(', ') || 'none'})`);
  process.exit(1);
}
compose(['config', '-q'], REQUIRED);
for (const profile of profiles) compose(['--profile', profile, 'config', '-q'], REQUIRED);
const everyProfile = profiles.flatMap((p) => ['--profile', p]);
const services = compose([...everyProfile, 'config', '--services'], REQUIRED).trim().split('\n').sort();
const expected = ['kafka', 'kafka-1', 'kafka-2', 'kafka-3', 'kafka-users', 'postgres', 'redis', 'server', 'setup', 'worker-activity', 'worker-archive', 'worker-location', 'worker-orders'].sort();
const missing = expected.filter((s) => !services.includes(s));
if (missing.length > 0) {
  console.error(`docker-compose.yml lacks services: ${missing.join(', ')}`);
  process.exit(1);
}

const all = rendered(everyProfile, REQUIRED);
const clusterBrokers = clusterNodes(all)
  .map(([, s]) => (env(s, 'KAFKA_ADVERTISED_LISTENERS') ?? '').replace(/^CLIENT:\/\//, ''))
  .join(',');
const problems = [
  ...clusterProblems(all),
  // a service every `up` starts that waits on one only a profile starts would stop the default `up`
  ...Object.entries(all)
    .filter(([, s]) => !s.profiles?.length)
    .flatMap(([name, s]) => dependencies(s).filter((d) => all[d]?.profiles?.length).map((d) => `${name} (started by every \`up\`) depends on ${d}, which only profile ${all[d]?.profiles?.join(', ')} starts`)),
  ...clientProblems(undefined, SINGLE_BROKER),
  ...clientProblems(clusterBrokers, clusterBrokers),
  ...(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').includes(`${BROKERS_VARIABLE}=${clusterBrokers} docker compose --profile ${CLUSTER} up`)
    ? []
    : [`the top of docker-compose.yml does not say how to start the cluster: ${BROKERS_VARIABLE}=${clusterBrokers} docker compose --profile ${CLUSTER} up`]),
  ...(/--appendonly yes\b.*--appendfsync everysec\b/.test(words(all.redis ?? {})) ? [] : ['redis does not keep an append-only file synced every second (--appendonly yes --appendfsync everysec)']),
];
if (problems.length > 0) {
  console.error(`docker-compose.yml:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

// Each secret is required: without it, `config` (and so `up`) fails and names it.
for (const name of Object.keys(REQUIRED)) {
  const { [name]: _left, ...others } = REQUIRED as Record<string, string>;
  let refusal = '';
  try {
    compose(['config', '-q'], others);
  } catch (err) {
    refusal = (err as Error).message;
  }
  // every ${VAR:?…} message starts "set VAR": the one compose prints names what is missing
  if (!refusal.includes(`set ${name}`)) {
    console.error(`docker-compose.yml: without ${name}, docker-compose config should fail naming it; ${refusal ? `it said: ${refusal}` : 'it passed'}`);
    process.exit(1);
  }
}
console.log(`docker-compose.yml: valid with profiles none, ${profiles.join(', ')}; ${services.length} services (${services.join(', ')}); refuses to run without ${Object.keys(REQUIRED).join(', ')}`);
console.log(`profile ${CLUSTER}: Kafka nodes ${clusterBrokers}, ids 1..3, all voters, RF 3, min ISR 2, no unclean election, the single broker's SASL and ACL settings; the services use it with ${BROKERS_VARIABLE}=${clusterBrokers}, kafka:9092 otherwise`);
