// Entry point: `tsx server/index.ts`. Reads config, connects, serves, stops cleanly.
import next from 'next';
import { loadConfigOrExit } from '../lib/config';
import { assertNoBuiltInSecrets } from '../lib/config/shared-secrets';
import { createLog } from '../lib/observability/log';
import { onShutdown } from '../lib/observability/shutdown';
import { startServer } from './start-server';

const config = loadConfigOrExit('server', assertNoBuiltInSecrets);
const log = createLog('server', config.logLevel);

const nextApp = next({ dev: process.env.NODE_ENV === 'development', dir: process.cwd(), hostname: config.host, port: config.port });
await nextApp.prepare();
const handle = nextApp.getRequestHandler();
const server = await startServer(config, log, (req, res) => handle(req, res));

onShutdown(log, async () => {
  await server.close();
  await nextApp.close();
});
