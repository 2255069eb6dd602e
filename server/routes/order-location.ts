// GET /api/orders/:id/location — the order's last known location with its age.
// Token: ?t=<share token> or Authorization: Bearer <share token | integrator key>.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { bearerToken } from '../../lib/auth/tokens';
import type { Db } from '../../lib/db/client';
import { AppError } from '../../lib/http/errors';
import { sendJson } from '../../lib/http/node-http';
import { readOrderLocation } from '../../lib/orders/read-order-location';
import { authorizeOrderReader } from '../../lib/orders/authorize-order-reader';

export const ORDER_LOCATION_PATH = /^\/api\/orders\/([A-Za-z0-9_.:-]{1,64})\/location$/;

export interface OrderLocationDeps {
  redis: Redis;
  db: Db;
  secret: string;
  shareLinkGraceMs: number;
}

export async function handleOrderLocation(req: IncomingMessage, res: ServerResponse, orderId: string, query: URLSearchParams, deps: OrderLocationDeps): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new AppError('method_not_allowed', 'use GET');
  await authorizeOrderReader(deps, query.get('t') ?? bearerToken(req.headers.authorization), orderId);

  const found = await readOrderLocation(deps, orderId);
  if (!found.location) {
    if (!found.known) throw new AppError('not_found', `no order ${orderId}`);
    sendJson(res, 200, { orderId, location: null }, { 'cache-control': 'private, no-cache' });
    return;
  }
  const { location } = found;
  // The ETag names the position; the age in the body changes with time, hence weak.
  const etag = `W/"${location.courierId}:${location.occurredAt}"`;
  const headers = { 'cache-control': 'private, no-cache', etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  sendJson(res, 200, {
    orderId,
    courierId: location.courierId,
    lat: location.lat,
    lng: location.lng,
    occurredAt: new Date(location.occurredAt).toISOString(),
    ageMs: Math.max(0, Date.now() - location.occurredAt),
    source: found.source,
  }, headers);
}
