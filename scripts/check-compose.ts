// `npm run test:compose`: docker-compose.yml must be valid and declare the whole system.
// `docker-compose config` validates without a Docker engine.
import { ensureCommand, run } from './infra/proc';

ensureCommand('docker-compose', 'docker-compose');
const services = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']).trim().split('\n').sort();
const expected = ['kafka', 'postgres', 'redis', 'server', 'setup', 'worker-activity', 'worker-location', 'worker-orders'].sort();
const missing = expected.filter((s) => !services.includes(s));
if (missing.length > 0) {
  console.error(`docker-compose.yml lacks services: ${missing.join(', ')}`);
  process.exit(1);
}
run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
console.log(`docker-compose.yml: valid, ${services.length} services (${services.join(', ')})`);
