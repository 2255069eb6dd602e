// Steps before the app can run: migrations, topics, and a Next build when sources changed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config';
import { NoAuthorizerError, ensureAcls } from '../../lib/kafka/acls';
import { createKafka } from '../../lib/kafka/client';
import { ensureTopics } from '../../lib/kafka/topics';
import { createLog } from '../../lib/observability/log';
import { ROOT, run } from '../infra/proc';

const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

export function migrate(env: Record<string, string | undefined>): void {
  run(bin('prisma'), ['migrate', 'deploy'], { env: { ...process.env, ...env } });
}

/** Creates or updates the topics, and the services' ACLs on them (lib/kafka/principals.ts), as the admin. */
export async function createTopics(env: Record<string, string | undefined>): Promise<void> {
  const config = loadConfig({ ...process.env, ...env });
  const log = createLog('setup', 'warn');
  const admin = createKafka({ kafka: config.kafka, as: 'admin', clientId: 'lastmile-setup', log }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config.kafka.topicPrefix, config.kafka.partitions);
    if (config.kafka.saslMechanism === 'none') return; // anyone may do anything: nobody to grant to
    await ensureAcls(admin, { topicPrefix: config.kafka.topicPrefix, groupPrefix: config.worker.groupPrefix }).catch((err: unknown) => {
      if (!(err instanceof NoAuthorizerError)) throw err;
      log.warn(`${err.message}: every signed-in user may do anything`);
    });
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
