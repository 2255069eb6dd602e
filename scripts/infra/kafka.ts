// Apache Kafka 3.9, single-node KRaft, on the JVM from Maven Central jars (infra/kafka/pom.xml).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { InfraError, ROOT, ensureCommand, run, waitFor } from './proc';

const LIBS = join(ROOT, '.infra/kafka-libs');

export function ensureKafkaJars(): void {
  if (existsSync(LIBS) && readdirSync(LIBS).some((f) => f.startsWith('kafka_2.13-'))) return;
  ensureCommand('java', 'default-jre-headless');
  ensureCommand('mvn', 'maven');
  console.log('fetching Apache Kafka jars from Maven Central (mvn dependency:copy-dependencies)…');
  run('mvn', ['-q', '-B', '-f', join(ROOT, 'infra/kafka/pom.xml'), 'dependency:copy-dependencies']);
}

export async function kafkaAnswers(brokers: string[], timeoutMs = 1500): Promise<boolean> {
  const admin = new Kafka({
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    authenticationTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface KafkaOptions {
  dir: string;
  port: number;
  controllerPort: number;
  heapMb?: number;
}

/** Starts a broker in `dir` (formatting its storage the first time); resolves once it serves metadata. */
export async function startKafka(options: KafkaOptions): Promise<number> {
  ensureKafkaJars();
  const { dir, port, controllerPort } = options;
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${data}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'log.retention.check.interval.ms=60000',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
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
  const classpath = `${LIBS}/*`;
  const jvm = [`-Dlog4j.configuration=file:${log4j}`, '-cp', classpath];
  if (!existsSync(join(data, 'meta.properties'))) {
    const clusterId = run('java', [...jvm, 'kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop()!;
    run('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
  }
  const out = openSync(join(dir, 'kafka.out'), 'a');
  const heap = `${options.heapMb ?? 512}m`;
  const child = spawn(
    'java',
    [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', ...jvm, 'kafka.Kafka', properties],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  const pid = child.pid;
  if (!pid) throw new InfraError('could not start java');
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitFor(
    `Kafka on 127.0.0.1:${port}`,
    async () => {
      if (exited) throw new InfraError(`Kafka exited during start; see ${join(dir, 'server.log')} and ${join(dir, 'kafka.out')}`);
      return kafkaAnswers([`127.0.0.1:${port}`], 1000);
    },
    60_000,
    join(dir, 'server.log'),
  );
  return pid;
}
