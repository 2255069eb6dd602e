// /healthz, /readyz and /metrics, served by the server and by every worker.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http/node-http';
import type { Metrics } from './metrics';

export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS))),
    ]);
    return 'ok';
  } catch (err) {
    return (err as Error).message || 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export function createOpsHandler(metrics: Metrics, checks: Record<string, ReadinessCheck>) {
  return async function handleOps(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return false;
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((name) => runCheck(checks[name]!)));
      const detail = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      const ready = results.every((r) => r === 'ok');
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: detail });
      return true;
    }
    if (path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return true;
    }
    return false;
  };
}
