// One HTTP server: the hot endpoints and ops routes answered here, everything else by Next.
// socket.io shares the port; its Redis adapter lets several servers share rooms.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketServer } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { OpsUsers } from '../lib/auth/ops-credentials';
import { AppError } from '../lib/http/errors';
import { allowedOrigins, originAllowed, withRequestOrigin } from '../lib/http/origin';
import { assertReadablePath, sendError } from '../lib/http/node-http';
import { isPagePath, newNonce, securityHeaders, tileSource } from '../lib/http/security-headers';
import type { Log } from '../lib/observability/log';
import type { Metrics } from '../lib/observability/metrics';
import { type ReadinessCheck, createOpsHandler } from '../lib/observability/ops-http';
import type { ClientToServerEvents, ServerToClientEvents } from '../lib/realtime/socket-events';
import { type SocketHandlerDeps, registerSocketHandlers } from './live/socket-handlers';
import { type IngestDeps, handleIngest } from './routes/ingest';
import { ORDER_LOCATION_PATH, type OrderLocationDeps, handleOrderLocation } from './routes/order-location';
import { OSMAND_PATH, type OsmandDeps, handleOsmand, secretOfPath } from './routes/osmand';

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface ServerDeps extends IngestDeps, OsmandDeps, OrderLocationDeps, SocketHandlerDeps {
  /** The site's public URL (PUBLIC_URL) and listening host: the origins sockets may come from. */
  publicUrl: string;
  /** NEXT_PUBLIC_TILE_URL: the map tiles' URL template, whose host the pages' CSP allows. */
  tileUrl?: string;
  host: string;
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
  /** The OsmAnd protocol alone, every path (for its own port, OSMAND_PORT). */
  osmand: Server;
}

export function createLastmileServer(deps: ServerDeps): LastmileServer {
  const handleOps = createOpsHandler(deps.metrics, deps.checks);
  const headerOptions = {
    https: deps.publicUrl.startsWith('https://'),
    tileSource: tileSource(deps.tileUrl),
    dev: process.env.NODE_ENV === 'development',
  };

  // the same for every answer that is not a page: made once (the hot routes answer thousands a second)
  const answerHeaders = Object.entries(securityHeaders({ page: false }, headerOptions));

  /** Every answer leaves through here, Next's included: one place sets the security headers. */
  function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, path: string): void {
    // Next takes a page's nonce from the request's CSP header, so a client's own must not reach
    // it (deleted only when present: a delete makes every later header lookup slower)
    if ('content-security-policy-report-only' in req.headers) delete req.headers['content-security-policy-report-only'];
    if (!isPagePath(path)) {
      for (const [name, value] of answerHeaders) res.setHeader(name, value);
      if ('content-security-policy' in req.headers) delete req.headers['content-security-policy'];
      return;
    }
    const headers = securityHeaders({ page: true, nonce: newNonce(), host: req.headers.host }, headerOptions);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    req.headers['content-security-policy'] = headers['content-security-policy'];
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    setSecurityHeaders(req, res, path);
    // Once for every route, Next's too: a segment that does not decode is the client's error.
    assertReadablePath(path);
    if (path === '/api/events') {
      if (req.method !== 'POST') throw new AppError('method_not_allowed', 'use POST');
      await handleIngest(req, res, deps);
      return 'ingest';
    }
    if (OSMAND_PATH.test(path)) {
      await handleOsmand(req, res, secretOfPath(path.slice('/osmand'.length)), deps);
      return 'osmand';
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

  // A page on another origin must not join rooms with the browser's ops cookie.
  const io: LastmileIo = new SocketServer(http, {
    serveClient: false,
    allowRequest: (req, callback) => {
      const port = (http.address() as AddressInfo | null)?.port ?? 0;
      // as the sign-in does: also the request's own origin, as its Host header names it (a
      // page on another origin sends its own Origin, which matches neither)
      const allowed = withRequestOrigin(allowedOrigins({ publicUrl: deps.publicUrl, host: deps.host, port }), req.headers.host);
      const ok = originAllowed(req.headers.origin, allowed);
      callback(ok ? null : 'origin not allowed', ok);
    },
  });
  // No auto-pipelining: it defers the adapter's unsubscribe past our QUIT on close.
  const sub = deps.redis.duplicate({ enableAutoPipelining: false });
  io.adapter(createAdapter(deps.redis, sub));
  io.on('connection', (socket) => registerSocketHandlers(socket, deps));
  // quit, not disconnect: the adapter unsubscribes on close, and its replies must arrive.
  http.on('close', () => {
    sub.quit().catch((err: unknown) => deps.log.warn({ err }, 'redis subscriber did not quit cleanly'));
  });
  const osmand = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    handleOsmand(req, res, secretOfPath(q === -1 ? url : url.slice(0, q)), deps)
      .catch((err: unknown) => sendError(res, err, deps.log))
      .finally(() => deps.metrics.httpSeconds.observe({ route: 'osmand', status: String(res.statusCode) }, Number(process.hrtime.bigint() - started) / 1e9));
  });
  return { http, io, osmand };
}
