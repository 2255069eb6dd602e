// `npm run test:compose`: docker-compose.yml must be valid and declare the whole system, and
// refuse to start without its secrets. `docker-compose config` validates without a Docker engine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCommand, run } from './infra/proc';

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

// the shell's own values (or a .env beside the file, replaced by an empty one) must not decide the outcome
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
for (const name of Object.keys(REQUIRED)) delete baseEnv[name];
const scratch = mkdtempSync(join(tmpdir(), 'lastmile-compose-'));
const noEnvFile = join(scratch, 'empty.env');
writeFileSync(noEnvFile, '');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const compose = (args: string[], env: Record<string, string>) =>
  run('docker-compose', ['-f', 'docker-compose.yml', '--env-file', noEnvFile, ...args], { env: { ...baseEnv, ...env } });

ensureCommand('docker-compose', 'docker-compose');
const services = compose(['config', '--services'], REQUIRED).trim().split('\n').sort();
const expected = ['kafka', 'kafka-users', 'postgres', 'redis', 'server', 'setup', 'worker-activity', 'worker-archive', 'worker-location', 'worker-orders'].sort();
const missing = expected.filter((s) => !services.includes(s));
if (missing.length > 0) {
  console.error(`docker-compose.yml lacks services: ${missing.join(', ')}`);
  process.exit(1);
}
compose(['config', '-q'], REQUIRED);

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
console.log(`docker-compose.yml: valid, ${services.length} services (${services.join(', ')}); refuses to run without ${Object.keys(REQUIRED).join(', ')}`);
