// `npm start`: local services, migrations, topics, the workers and the server; prints the
// URLs; Ctrl-C stops everything it started.
import { loadConfig } from '../lib/config';
import { freePort } from './infra/proc';
import { type ServiceName, downInfra, upInfra } from './infra/stack';
import { buildNextIfStale, createTopics, migrate } from './app/prepare';
import { type Service, WORKER_NAMES, startService, stopServices, waitReady } from './app/services';

const log = (line: string) => console.log(`[lastmile] ${line}`);
const services: Service[] = [];
let startedInfra: ServiceName[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  log('stopping…');
  await stopServices(services);
  await downInfra('dev', { only: startedInfra });
  log('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const config = loadConfig();
  log('starting local services');
  const { env: infraEnv, startedNow } = await upInfra('dev', { mode: 'dev', log: (line) => log(line) });
  startedInfra = startedNow;
  const env: NodeJS.ProcessEnv = { ...infraEnv, NODE_ENV: 'production' };
  log('applying migrations');
  migrate(env);
  log('creating topics');
  await createTopics(env);
  buildNextIfStale(log);

  for (const name of WORKER_NAMES) {
    const port = await freePort();
    const worker = startService(`worker ${name}`, 'workers/index.ts', [name], { ...env, WORKER_HTTP_PORT: String(port) });
    services.push(worker);
    await waitReady(`http://127.0.0.1:${port}/healthz`, worker);
  }
  const server = startService('server', 'server/index.ts', [], env);
  services.push(server);
  const base = config.publicUrl || `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  await waitReady(`${base}/readyz`, server, 120_000);
  for (const service of services) {
    service.child.once('exit', (code) => {
      if (!stopping) {
        log(`${service.name} exited (code ${code}); stopping everything`);
        void stop(1);
      }
    });
  }

  const signIn = config.auth.usingDevOpsUsers ? 'sign in as ops / lastmile' : 'sign in with an OPS_USERS name';
  console.log(`
  lastmile is up

    couriers     ${base}/   (${signIn})
    stats        ${base}/stats   (npm run activity streams user activity into it)
    ingest API   POST ${base}/api/events   (npm run token -- courier <id>)
    order API    GET  ${base}/api/orders/<id>/location?t=<share token>
    API docs     ${base}/openapi.json
    health       ${base}/healthz · ${base}/readyz · ${base}/metrics

  Ctrl-C stops everything npm start started.
`);
} catch (err) {
  console.error(`[lastmile] start failed: ${(err as Error).message}`);
  await stop(1);
}
