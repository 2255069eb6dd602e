// Starts the services the integration tests run against: their own Kafka and Redis on free
// ports and their own Postgres database (created here, dropped at the end), so a run never
// touches data it did not create. Everything is stopped again, also when tests fail.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../scripts/app/prepare';
import { downInfra, sweepOrphanedTestProfiles, upInfra } from '../../scripts/infra/stack';
import type { InfraEnv } from '../../scripts/infra/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    infra: InfraEnv & { profile: string };
  }
}

export default async function setup(project: TestProject) {
  await sweepOrphanedTestProfiles();
  const profile = `test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const teardown = () => downInfra(profile, { dropCreatedDatabase: true, removeData: true });
  try {
    const { env } = await upInfra(profile, { mode: 'test', log: () => undefined });
    migrate({ ...env });
    project.provide('infra', { ...env, profile });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
