// `npm run kafka:console-producer -- [--topic TOPIC] [any kafka-console-producer option]`
// Kafka's own console producer (from the broker's Maven jars) on lastmile's broker, signed in
// as the admin user: each line of stdin becomes a message, with no key, as the Doodle
// challenge loads its stream: `cat stream.jsonl | npm run kafka:console-producer`. The topic
// defaults to the activity topic (user.activity, with KAFKA_TOPIC_PREFIX).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigOrExit } from '../lib/config';
import { kafkaSasl } from '../lib/kafka/credentials';
import { topicNames } from '../lib/kafka/topics';

const LIBS = path.resolve('.infra', 'kafka-libs');
const config = loadConfigOrExit('kafka:console-producer');
if (!existsSync(LIBS)) {
  console.error(`kafka:console-producer: ${LIBS} is missing: run npm run infra:up (or npm start) first`);
  process.exit(69); // EX_UNAVAILABLE
}
const args = process.argv.slice(2);
if (!args.includes('--topic')) args.push('--topic', topicNames(config.kafka.topicPrefix).userActivity);

const dir = mkdtempSync(path.join(os.tmpdir(), 'lastmile-console-'));
const properties = path.join(dir, 'producer.properties');
const sasl = kafkaSasl(config.kafka, 'admin');
const lines = ['acks=all'];
if (sasl && 'username' in sasl) {
  const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  lines.push(
    'security.protocol=SASL_PLAINTEXT',
    `sasl.mechanism=${sasl.mechanism.toUpperCase()}`,
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${escape(sasl.username)}" password="${escape(sasl.password)}";`,
  );
}
writeFileSync(properties, `${lines.join('\n')}\n`, { mode: 0o600 });

const child = spawn('java', ['-cp', `${LIBS}/*`, 'kafka.tools.ConsoleProducer', '--bootstrap-server', config.kafka.brokers.join(','), '--producer.config', properties, ...args], {
  stdio: 'inherit',
});
const done = (code: number) => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
};
child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
child.on('error', (err) => {
  console.error(`kafka:console-producer: could not run java: ${err.message}`);
  done(69);
});
