// One HTTP server: the hot endpoints and ops routes answered here, everything else by Next.
// socket.io shares the port; its Redis adapter lets several servers share rooms.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { Server as SocketServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { authorizeOrderRead } from '../lib/auth/authorize-order-read';
import type { OpsUsers } from '../lib/auth/ops-credentials';
import { verifyToken } from '../lib/auth/tokens';
import { AppError } from '../lib/http/errors';
import { notificationsSince } from '../lib/orders/notifications-since';
import { assertShareLinkOpen } from '../lib/orders/share-link';
import { sendError } from '../lib/http/node-http';
import type { Log } from '../lib/observability/log';
import type { Metrics } from '../lib/observability/metrics';
import { type ReadinessCheck, createOpsHandler } from '../lib/observability/ops-http';
import type { ClientToServerEvents, ServerToClientEvents } from '../lib/realtime/socket-events';
import { joinOpsRoom } from './live/join-ops-room';
import { type IngestDeps, handleIngest } from './routes/ingest';
import { ORDER_LOCATION_PATH, type OrderLocationDeps, handleOrderLocation } from './routes/order-location';

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface ServerDeps extends IngestDeps, OrderLocationDeps {
  log: Log;
  metrics: Metrics;
  checks: Record<string, ReadinessCheck>;
  /** Who may join the ops rooms (their sessions are signed with `secret`). */
  opsUsers: OpsUsers;
  next?: NextHandler;
}

export type LastmileIo = SocketServer<ClientToServerEvents, ServerToClientEvents>;

export interface LastmileServer {
  http: Server;
  io: LastmileIo;
}

export function createLastmileServer(deps: ServerDeps): LastmileServer {
  const handleOps = createOpsHandler(deps.metrics, deps.checks);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/api/events') {
      if (req.method !== 'POST') throw new AppError('method_not_allowed', 'use POST');
      await handleIngest(req, res, deps);
      return 'ingest';
    }
    const order = ORDER_LOCATION_PATH.exec(path);
    if (order) {
      await handleOrderLocation(req, res, order[1]!, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), deps);
      return 'order_location';
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

  const io: LastmileIo = new SocketServer(http, { serveClient: false });
  // No auto-pipelining: it defers the adapter's unsubscribe past our QUIT on close.
  const sub = deps.redis.duplicate({ enableAutoPipelining: false });
  io.adapter(createAdapter(deps.redis, sub));
  io.on('connection', (socket) => {
    socket.on('ops:join', (ack) => void joinOpsRoom(socket, 'ops', deps, ack));
    socket.on('stats:join', (ack) => void joinOpsRoom(socket, 'stats', deps, ack));
    socket.on('order:join', async (request, ack) => {
      const check = verifyToken(String(request?.token ?? ''), deps.secret);
      try {
        if (!check.ok) throw new AppError('unauthorized', `token ${check.reason.replace('_', ' ')}`);
        authorizeOrderRead(check.claims, String(request.orderId));
        await assertShareLinkOpen(deps.redis, check.claims, deps.shareLinkGraceMs);
      } catch (err) {
        if (!(err instanceof AppError)) deps.log.error({ err }, 'order:join failed');
        ack?.({ ok: false, error: err instanceof AppError ? err.message : 'try again' });
        return;
      }
      const orderId = String(request.orderId);
      // Join first, then read what was missed: a notification in between arrives both ways,
      // and the client drops the sequence numbers it has already seen.
      void socket.join(`order:${orderId}`);
      const lastSeq = Number(request.lastSeq);
      if (!Number.isInteger(lastSeq) || lastSeq < 0) {
        ack?.({ ok: true });
        return;
      }
      notificationsSince(deps.db, orderId, lastSeq).then(
        (catchUp) => ack?.({ ok: true, ...catchUp }),
        (err: unknown) => {
          deps.log.error({ err, orderId }, 'catch-up failed');
          ack?.({ ok: true, reload: true });
        },
      );
    });
  });
  // quit, not disconnect: the adapter unsubscribes on close, and its replies must arrive.
  http.on('close', () => {
    sub.quit().catch((err: unknown) => deps.log.warn({ err }, 'redis subscriber did not quit cleanly'));
  });
  return { http, io };
}
