// One HTTP server: the hot endpoints and ops routes answered here, everything else by Next.
// socket.io shares the port; its Redis adapter lets several servers share rooms.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { Server as SocketServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/http/errors';
import { sendError } from '../lib/http/node-http';
import type { Log } from '../lib/observability/log';
import type { Metrics } from '../lib/observability/metrics';
import { type ReadinessCheck, createOpsHandler } from '../lib/observability/ops-http';
import type { ClientToServerEvents, ServerToClientEvents } from '../lib/realtime/socket-events';
import { type IngestDeps, handleIngest } from './routes/ingest';

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface ServerDeps extends IngestDeps {
  log: Log;
  metrics: Metrics;
  redis: Redis;
  checks: Record<string, ReadinessCheck>;
  next?: NextHandler;
}

export interface LastmileServer {
  http: Server;
  io: SocketServer<ClientToServerEvents, ServerToClientEvents>;
}

export function createLastmileServer(deps: ServerDeps): LastmileServer {
  const handleOps = createOpsHandler(deps.metrics, deps.checks);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/events') {
      if (req.method !== 'POST') throw new AppError('method_not_allowed', 'use POST');
      await handleIngest(req, res, deps);
      return 'ingest';
    }
    if (await handleOps(req, res)) return 'ops';
    if (deps.next) {
      await deps.next(req, res);
      return 'next';
    }
    throw new AppError('not_found', `no route for ${path}`);
  }

  const http = createServer((req, res) => {
    const started = process.hrtime.bigint();
    route(req, res)
      .then((name) => {
        if (name !== 'next') observe(name, res.statusCode);
      })
      .catch((err: unknown) => {
        sendError(res, err, deps.log);
        observe('error', res.statusCode);
      });
    function observe(name: string, status: number) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.httpSeconds.observe({ route: name, status: String(status) }, seconds);
    }
  });

  const io = new SocketServer<ClientToServerEvents, ServerToClientEvents>(http, { serveClient: false });
  // No auto-pipelining: it defers the adapter's unsubscribe past our QUIT on close.
  const sub = deps.redis.duplicate({ enableAutoPipelining: false });
  io.adapter(createAdapter(deps.redis, sub));
  io.on('connection', (socket) => {
    socket.on('ops:join', () => void socket.join('ops'));
  });
  // quit, not disconnect: the adapter unsubscribes on close, and its replies must arrive.
  http.on('close', () => {
    sub.quit().catch((err: unknown) => deps.log.warn({ err }, 'redis subscriber did not quit cleanly'));
  });
  return { http, io };
}
