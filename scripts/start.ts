// `npm start [-- --couriers N | --no-simulate] [--brokers 3] [--servers 2]`: local services,
// migrations, topics, the workers, the server (or several behind nginx) and a simulated city;
// prints the URLs; Ctrl-C stops everything it started.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueToken } from '../lib/auth/tokens';
import { loadConfig } from '../lib/config';
import { assertNoBuiltInSecrets } from '../lib/config/shared-secrets';
import { ensureLocalSecret } from './app/local-secret';
import { freePort } from './infra/proc';
import { type Nginx, startNginx } from './infra/nginx';
import { type ServiceName, type UpResult, downInfra, profileDir, upInfra } from './infra/stack';
import { buildNextIfStale, createTopics, migrate } from './app/prepare';
import { type Service, WORKER_NAMES, startService, stopServices, waitReady } from './app/services';

const log = (line: string) => console.log(`[lastmile] ${line}`);
const { values: args } = parseArgs({
  options: {
    couriers: { type: 'string', default: '500' },
    'no-simulate': { type: 'boolean', default: false },
    brokers: { type: 'string' },
    servers: { type: 'string', default: '1' },
  },
});
function wholeNumber(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^[1-9][0-9]*$/.test(text) || n > max) {
    console.error(`--${name}: expected a whole number from 1 to ${max}, got "${text}"`);
    process.exit(2);
  }
  return n;
}
wholeNumber('couriers', args.couriers, 999_999);
/** Kafka nodes to start (3: a cluster keeping three replicas); by default whatever runs, else one. */
const brokers = args.brokers === undefined ? undefined : wholeNumber('brokers', args.brokers, 9);
/** Servers behind nginx on the public port (1: the server itself on it). */
const servers = wholeNumber('servers', args.servers, 8);
const services: Service[] = [];
/** What this run started (not what it found running): what it stops. */
const startedInfra: ServiceName[] = [];
/** The infrastructure's profile (.infra/<profile>/): "dev", unless a test runs its own. */
const PROFILE = process.env.LASTMILE_INFRA_PROFILE || 'dev';
let stopping: Promise<never> | undefined;
let proxy: Nginx | undefined;
/** Bringing the infrastructure up: a stop waits for it, so that what it is starting is stopped too. */
let infraUp: Promise<UpResult> | undefined;

/**
 * Stops the services, then the infrastructure this run started, then exits. Once begun it
 * runs to its end: a signal during it (a supervisor's second one, or the same SIGINT sent to
 * the process group reaching us twice) changes nothing, so nothing it started is left behind.
 */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    log('stopping…');
    try {
      // the servers first: nginx then has no open connection to wait for
      await stopServices(services);
      await proxy?.stop();
    } finally {
      try {
        await infraUp?.catch(() => undefined);
        await downInfra(PROFILE, { only: startedInfra });
        log('stopped');
      } catch (err) {
        console.error(`[lastmile] stopping the local services failed: ${(err as Error).message}`);
        code ||= 1;
      }
    }
    process.exit(code);
  })();
  return stopping;
}

/** Starts a service unless a stop has begun (then waits for the stop, which exits): none is started behind it. */
async function launch(...args: Parameters<typeof startService>): Promise<Service> {
  if (stopping) await stopping;
  const service = startService(...args);
  services.push(service);
  return service;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) log(`${signal} again: still stopping what npm start started`);
    void stop(0);
  });
}
// a reader of our output that went away (a closed pipe) must not stop the stop
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

try {
  // no AUTH_SECRET configured: one made for this machine and kept with the local data
  const localSecret = process.env.AUTH_SECRET ? {} : { AUTH_SECRET: ensureLocalSecret() };
  const config = loadConfig({ ...process.env, ...localSecret });
  assertNoBuiltInSecrets(config);
  log('starting local services');
  infraUp = upInfra(PROFILE, { mode: 'dev', brokers, log: (line) => log(line), onStart: (name) => startedInfra.push(name) });
  const { env: infraEnv } = await infraUp;
  const env: NodeJS.ProcessEnv = { ...infraEnv, ...localSecret, NODE_ENV: 'production' };
  log('applying migrations');
  migrate(env);
  log('creating topics');
  await createTopics(env);
  buildNextIfStale(log);

  for (const name of WORKER_NAMES) {
    const port = await freePort();
    const worker = await launch(`worker ${name}`, 'workers/index.ts', [name], { ...env, WORKER_HTTP_PORT: String(port) });
    await waitReady(`http://127.0.0.1:${port}/healthz`, worker);
  }
  const base = config.publicUrl || `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  if (servers === 1) {
    const server = await launch('server', 'server/index.ts', [], env);
    await waitReady(`${base}/readyz`, server, 120_000);
  } else {
    // the servers on ports of their own, nginx on the public one (scripts/infra/nginx.ts)
    const ports: number[] = [];
    for (let i = 1; i <= servers; i++) {
      const port = await freePort();
      // the OsmAnd port is nginx's too
      const server = await launch(`server ${i}`, 'server/index.ts', [], { ...env, HOST: '127.0.0.1', PORT: String(port), OSMAND_PORT: '0', PUBLIC_URL: base });
      await waitReady(`http://127.0.0.1:${port}/readyz`, server, 120_000);
      ports.push(port);
    }
    if (stopping) await stopping;
    const nginx = { dir: join(profileDir(PROFILE), 'nginx'), port: config.port, host: config.host, backends: ports, maxBodyBytes: config.ingest.maxBodyBytes, osmandPort: config.osmandPort };
    await startNginx(nginx, (started) => (proxy = started));
    if (!proxy) throw new Error('nginx did not start');
    proxy.child.once('exit', (code) => {
      if (!stopping) {
        log(`nginx exited (code ${code}); stopping everything`);
        void stop(1);
      }
    });
    log(`nginx     ${base} → ${servers} servers (${ports.map((p) => `127.0.0.1:${p}`).join(', ')})`);
  }
  for (const service of services) {
    service.child.once('exit', (code) => {
      if (!stopping) {
        log(`${service.name} exited (code ${code}); stopping everything`);
        void stop(1);
      }
    });
  }

  // The city goes last: a simulator that stops is reported, and the rest keeps running.
  const runId = `sim${randomBytes(2).toString('hex')}`;
  if (!args['no-simulate']) {
    const simulator = await launch('simulator', 'scripts/simulate.ts', ['--couriers', args.couriers, '--run-id', runId, '--url', base], env);
    simulator.child.once('exit', (code) => {
      if (!stopping) log(`the simulator exited (code ${code}); everything else keeps running`);
    });
  }
  const sampleOrder = `${base}/orders/${runId}-o1?t=${issueToken({ kind: 'order', id: `${runId}-o1` }, config.auth.orderTokenTtlMs, config.auth.secret)}`;
  const signIn = config.auth.usingDevOpsUsers ? 'sign in as ops / lastmile' : 'sign in with an OPS_USERS name';
  const lines = [
    `map          ${base}/   (${signIn})`,
    ...(args['no-simulate'] ? [] : [`order page   ${sampleOrder}   (a sample customer, simulated)`]),
    `stats        ${base}/stats`,
    `API docs     ${base}/openapi.json   (POST /api/events; npm run token -- courier <id>)`,
    `trackers     ${config.osmandPort > 0 ? `http://${new URL(base).hostname}:${config.osmandPort}` : `${base}/osmand`}/<secret>   (OsmAnd protocol: npm run device -- add <deviceId> <courierId>)`,
    `health       ${base}/healthz · ${base}/readyz · ${base}/metrics`,
  ];
  const city = args['no-simulate'] ? 'no simulation (--no-simulate)' : `a simulated São Paulo: ${args.couriers} couriers, orders and customers (npm start -- --couriers N)`;
  console.log(`\n  lastmile is up, with ${city}\n\n${lines.map((l) => `    ${l}`).join('\n')}\n\n  Ctrl-C stops everything npm start started.\n`);
} catch (err) {
  console.error(`[lastmile] start failed: ${(err as Error).message}`);
  await stop(1);
}
