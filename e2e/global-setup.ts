// Starts the whole stack for the browser tests: own Kafka, Redis and database, migrations,
// topics, a current Next build, the workers and the server on a free port. The teardown it
// returns stops all of it, also when tests fail.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { hashOpsPassword } from '../lib/auth/ops-credentials';
import { buildNextIfStale, createTopics, migrate } from '../scripts/app/prepare';
import { type Service, WORKER_NAMES, startService, stopServices, waitReady } from '../scripts/app/services';
import { freePort } from '../scripts/infra/proc';
import { downInfra, profileDir, sweepOrphanedTestProfiles, upInfra } from '../scripts/infra/stack';

export default async function globalSetup() {
  await sweepOrphanedTestProfiles();
  const profile = `test-e2e-${process.pid}-${randomBytes(3).toString('hex')}`;
  const services: Service[] = [];
  const teardown = async () => {
    await stopServices(services);
    await downInfra(profile, { dropCreatedDatabase: true, removeData: !process.env.E2E_KEEP_LOGS });
  };
  try {
    const { env: infra } = await upInfra(profile, { mode: 'test', log: () => undefined });
    const port = await freePort();
    // The specs mint tokens with the same secret (e2e/tokens.ts).
    process.env.E2E_AUTH_SECRET = randomBytes(24).toString('hex');
    // The specs sign in as this ops user (e2e/ops-login.ts); the server holds only its hash.
    process.env.E2E_OPS_USER = 'e2e-ops';
    process.env.E2E_OPS_PASSWORD = randomBytes(12).toString('base64url');
    const env = {
      ...infra,
      NODE_ENV: 'production',
      PORT: String(port),
      OSMAND_PORT: '0',
      KAFKA_PARTITIONS: '3',
      LOG_LEVEL: 'info',
      AUTH_SECRET: process.env.E2E_AUTH_SECRET,
      OPS_USERS: `${process.env.E2E_OPS_USER}:${await hashOpsPassword(process.env.E2E_OPS_PASSWORD)}`,
      // short, so the map spec sees a courier turn grey without waiting a minute
      COURIER_STALE_AFTER_SECONDS: '8',
      // the map spec moves couriers a kilometre a second, to see them glide: no teleport rule
      // here (the gate is tested in test/integration/locations.test.ts and osmand.test.ts)
      QUALITY_MAX_SPEED_KMH: '0',
    };
    migrate(env);
    await createTopics(env);
    buildNextIfStale((line) => console.log(line));

    const logFd = openSync(join(profileDir(profile), 'services.log'), 'a');
    for (const name of WORKER_NAMES) {
      const opsPort = await freePort();
      const worker = startService(`worker ${name}`, 'workers/index.ts', [name], { ...env, WORKER_HTTP_PORT: String(opsPort) }, logFd);
      services.push(worker);
      await waitReady(`http://127.0.0.1:${opsPort}/healthz`, worker);
    }
    const server = startService('server', 'server/index.ts', [], env, logFd);
    services.push(server);
    process.env.E2E_BASE_URL = `http://127.0.0.1:${port}`;
    await waitReady(`${process.env.E2E_BASE_URL}/readyz`, server, 120_000);
    closeSync(logFd);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
