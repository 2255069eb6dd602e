// Steps before the app can run: migrations, topics, and a Next build when sources changed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import { ensureTopics } from '../../lib/kafka/topics';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT, run } from '../infra/proc';

const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

export function migrate(env: Record<string, string | undefined>): void {
  run(bin('prisma'), ['migrate', 'deploy'], { env: { ...process.env, ...env } });
}

export async function createTopics(env: Record<string, string | undefined>): Promise<void> {
  const config = loadConfig({ ...process.env, ...env });
  const admin = new Kafka({ brokers: config.kafka.brokers, clientId: 'lastmile-setup', logLevel: logLevel.WARN }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config.kafka.topicPrefix, config.kafka.partitions);
  } finally {
    await admin.disconnect();
  }
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, entry) => Math.max(max, newestMtime(join(path, entry))), stat.mtimeMs);
}

/** Builds the Next app unless a build newer than every source it compiles exists. */
export function buildNextIfStale(log: (line: string) => void): void {
  const buildId = join(ROOT, '.next/BUILD_ID');
  const sources = ['app', 'lib', 'public', 'next.config.js', 'package-lock.json'].map((p) => join(ROOT, p)).filter(existsSync);
  if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...sources.map(newestMtime))) return;
  log('building the Next app (next build)…');
  run(bin('next'), ['build'], { env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
}
