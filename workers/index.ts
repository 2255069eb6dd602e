// Entry point: `tsx workers/index.ts <name>` starts one named worker, with its own
// /healthz, /readyz and /metrics port, and stops it cleanly on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { loadConfigOrExit } from '../lib/config';
import { createLog } from '../lib/observability/log';
import { createOpsHandler } from '../lib/observability/ops-http';
import { onShutdown } from '../lib/observability/shutdown';
import { WORKERS, isWorkerName, startWorker } from './start-worker';

const name = process.argv[2] ?? '';
if (!isWorkerName(name)) {
  console.error(`usage: tsx workers/index.ts <${Object.keys(WORKERS).join('|')}>`);
  process.exit(2);
}

const config = loadConfigOrExit(`worker ${name}`);
const log = createLog(`worker-${name}`, config.logLevel);
const worker = await startWorker(name, config, log);

const handleOps = createOpsHandler(worker.metrics, worker.checks);
const ops = createServer((req, res) => {
  handleOps(req, res).then(
    (handled) => {
      if (!handled) res.writeHead(404).end();
    },
    (err: unknown) => {
      log.error({ err }, 'ops request failed');
      res.writeHead(500).end();
    },
  );
});
ops.listen(config.worker.httpPort, '127.0.0.1', () => {
  const address = ops.address();
  log.info({ worker: name, opsPort: typeof address === 'object' && address ? address.port : null }, 'worker running');
});

onShutdown(log, async () => {
  ops.close();
  await worker.close();
});
