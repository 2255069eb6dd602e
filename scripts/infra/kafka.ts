// Apache Kafka 3.9, single-node KRaft (a cluster of several: kafka-cluster.ts), on the JVM
// from Maven Central jars (infra/kafka/pom.xml).
// Clients sign in with SASL/SCRAM-SHA-512 as the users of .infra/kafka-users.json and the
// StandardAuthorizer allows only what their ACLs say (lib/kafka/principals.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, type SASLOptions, logLevel } from 'kafkajs';
import type { KafkaCredential, KafkaUsers } from '../../lib/kafka/credentials';
import { ensureAcls } from '../../lib/kafka/acls';
import { type AclNames, KAFKA_IDENTITIES, type KafkaIdentity } from '../../lib/kafka/principals';
import { brokerProperties, clientProperties } from './kafka-properties';
import { ensureKafkaUsers } from './kafka-users';
import { InfraError, ROOT, ensureCommand, freePort, run, stopPid, waitFor } from './proc';

const LIBS = join(ROOT, '.infra/kafka-libs');

export function ensureKafkaJars(): void {
  if (existsSync(LIBS) && readdirSync(LIBS).some((f) => f.startsWith('kafka_2.13-'))) return;
  ensureCommand('java', 'default-jre-headless');
  ensureCommand('mvn', 'maven');
  console.log('fetching Apache Kafka jars from Maven Central (mvn dependency:copy-dependencies)…');
  run('mvn', ['-q', '-B', '-f', join(ROOT, 'infra/kafka/pom.xml'), 'dependency:copy-dependencies']);
}

export const scram = (user: KafkaCredential): SASLOptions => ({ mechanism: 'scram-sha-512', ...user });

/** An admin that tries once, briefly: for asking whether (and how) a broker answers. */
export function probeAdmin(brokers: string[], sasl: SASLOptions | undefined, timeoutMs = 1500) {
  return new Kafka({
    brokers,
    ...(sasl && { sasl }),
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    authenticationTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
}

/** ok: signed in and served metadata; refused: the broker is up but refused these credentials. */
export async function kafkaProbe(brokers: string[], sasl: SASLOptions | undefined, timeoutMs = 1500): Promise<'ok' | 'refused' | 'down'> {
  const admin = probeAdmin(brokers, sasl, timeoutMs);
  try {
    await admin.connect();
    await admin.describeCluster();
    return 'ok';
  } catch (err) {
    return (err as Error).name === 'KafkaJSSASLAuthenticationError' ? 'refused' : 'down';
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Brings the services' ACLs in line with lib/kafka/principals.ts, as the admin. */
export async function grantAcls(brokers: string[], admin: SASLOptions, names: AclNames): Promise<{ created: number; revoked: number }> {
  const client = new Kafka({ brokers, sasl: admin, clientId: 'lastmile-infra', logLevel: logLevel.NOTHING }).admin();
  await client.connect();
  try {
    return await ensureAcls(client, names);
  } finally {
    await client.disconnect();
  }
}

export async function kafkaAnswers(brokers: string[], sasl: SASLOptions | undefined, timeoutMs = 1500): Promise<boolean> {
  return (await kafkaProbe(brokers, sasl, timeoutMs)) === 'ok';
}

export interface KafkaOptions {
  dir: string;
  port: number;
  controllerPort: number;
  heapMb?: number;
}

export const jvmArgs = (dir: string) => [`-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, '-cp', `${LIBS}/*`];

export function writeLog4j(dir: string): void {
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${join(dir, 'server.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      '',
    ].join('\n'),
  );
}

/** Writes server.properties (mode 0600: it holds the admin's password) and returns its path. */
function writeProperties(options: KafkaOptions, admin: KafkaCredential, setupPort?: number): string {
  const path = join(options.dir, 'server.properties');
  // the controller listener's own user lives only in this file: a new password every start
  const controllerPassword = randomBytes(18).toString('base64url');
  writeFileSync(path, brokerProperties({ ...options, dataDir: join(options.dir, 'data'), admin, controllerPassword, setupPort }), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** Starts a broker's JVM in `dir` with its properties file; returns the pid and whether it has exited. */
export function spawnBroker(dir: string, properties: string, heapMb: number | undefined): { pid: number; exited: () => boolean } {
  const out = openSync(join(dir, 'kafka.out'), 'a');
  const heap = `${heapMb ?? 512}m`;
  const child = spawn(
    'java',
    [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...jvmArgs(dir), 'kafka.Kafka', properties],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  const pid = child.pid;
  if (!pid) throw new InfraError('could not start java');
  let exited = false;
  child.once('exit', () => (exited = true));
  return { pid, exited: () => exited };
}

/**
 * Starts a broker's JVM and resolves with its pid once `ready` says so; a JVM that exits
 * meanwhile, or is not ready in `timeoutMs`, fails the start, and is not left running.
 */
export async function startBroker(dir: string, properties: string, heapMb: number | undefined, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const broker = spawnBroker(dir, properties, heapMb);
  try {
    await waitFor(
      what,
      async () => {
        if (broker.exited()) throw new InfraError(`${what} exited during start; see ${join(dir, 'server.log')} and ${join(dir, 'kafka.out')}`);
        return ready();
      },
      timeoutMs,
      join(dir, 'server.log'),
    );
  } catch (err) {
    await stopPid(broker.pid).catch(() => undefined);
    throw err;
  }
  return broker.pid;
}

/** Starts the JVM and resolves once the broker answers on `brokers` (with `sasl`) or refuses it. */
const launch = (options: KafkaOptions, properties: string, brokers: string[], sasl: SASLOptions | undefined) =>
  startBroker(options.dir, properties, options.heapMb, `Kafka on ${brokers.join(',')}`, async () => (await kafkaProbe(brokers, sasl, 1000)) !== 'down', 60_000);

/** Formats a node's storage for `clusterId`, with every user's SCRAM credentials in its first metadata. */
export function formatStorage(dir: string, clusterId: string, properties: string, users: KafkaUsers): void {
  const addScram = KAFKA_IDENTITIES.flatMap((identity) => ['--add-scram', `SCRAM-SHA-512=[name=${users[identity].username},password=${users[identity].password}]`]);
  run('java', [...jvmArgs(dir), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties, ...addScram]);
}

/** Sets a SCRAM user's password with Kafka's ConfigCommand (kafkajs cannot: no AlterUserScramCredentials). */
function setScramPassword(dir: string, bootstrap: string, user: KafkaCredential, signIn?: KafkaCredential): void {
  const commandConfig = join(dir, 'admin-client.properties');
  if (signIn) writeFileSync(commandConfig, clientProperties(signIn), { mode: 0o600 });
  try {
    run('java', [
      ...jvmArgs(dir),
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      bootstrap,
      ...(signIn ? ['--command-config', commandConfig] : []),
      '--alter',
      '--add-config',
      `SCRAM-SHA-512=[password=${user.password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      user.username,
    ]);
  } finally {
    rmSync(commandConfig, { force: true });
  }
}

async function refusedUsers(brokers: string[], users: KafkaUsers): Promise<KafkaIdentity[]> {
  const probes = await Promise.all(KAFKA_IDENTITIES.map(async (identity) => [identity, await kafkaProbe(brokers, scram(users[identity]))] as const));
  if (probes.some(([, probe]) => probe === 'down')) throw new InfraError(`Kafka on ${brokers.join(',')} stopped answering while its users were checked`);
  return probes.filter(([, probe]) => probe === 'refused').map(([identity]) => identity);
}

/** A password set through the controller reaches the broker's metadata a moment later. */
export async function waitForUsers(dir: string, brokers: string[], users: KafkaUsers): Promise<void> {
  let refused: KafkaIdentity[] = [];
  try {
    await waitFor('Kafka users', async () => (refused = await refusedUsers(brokers, users)).length === 0, 15_000);
  } catch (err) {
    if (refused.length === 0) throw err;
    throw new InfraError(`Kafka refuses users ${refused.join(', ')} after they were added; see ${join(dir, 'server.log')}`);
  }
}

/**
 * Starts a broker in `dir` (formatting its storage, with every user, the first time); resolves
 * once every user can sign in. A store formatted before it had users (an older checkout) or
 * lacking some (a service added since) gets them from ConfigCommand.
 */
export async function startKafka(options: KafkaOptions): Promise<number> {
  ensureKafkaJars();
  const { dir, port } = options;
  const users = ensureKafkaUsers();
  const brokers = [`127.0.0.1:${port}`];
  mkdirSync(dir, { recursive: true });
  writeLog4j(dir);
  let properties = writeProperties(options, users.admin);
  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    const clusterId = run('java', [...jvmArgs(dir), 'kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop()!;
    formatStorage(dir, clusterId, properties, users);
  }
  let pid = await launch(options, properties, brokers, scram(users.admin));
  const refused = await refusedUsers(brokers, users);
  if (refused.length === 0) return pid;

  if (!refused.includes('admin')) {
    console.log(`kafka: adding SCRAM users ${refused.map((i) => users[i].username).join(', ')}…`);
    for (const identity of refused) setScramPassword(dir, brokers[0]!, users[identity], users.admin);
  } else {
    // Nobody can sign in to set passwords: restart once with a loopback listener without SASL
    // (its anonymous user a super user, for this start only), set them all, restart without it.
    console.log(`kafka: ${join(dir, 'data')} has no SCRAM users yet (formatted before SASL); adding them (a one-off restart)…`);
    await stopPid(pid);
    const setupPort = await freePort();
    properties = writeProperties(options, users.admin, setupPort);
    pid = await launch(options, properties, [`127.0.0.1:${setupPort}`], undefined);
    try {
      for (const identity of KAFKA_IDENTITIES) setScramPassword(dir, `127.0.0.1:${setupPort}`, users[identity]);
    } finally {
      await stopPid(pid);
    }
    properties = writeProperties(options, users.admin);
    pid = await launch(options, properties, brokers, scram(users.admin));
  }
  try {
    await waitForUsers(dir, brokers, users);
  } catch (err) {
    await stopPid(pid);
    throw err;
  }
  return pid;
}
