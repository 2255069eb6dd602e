// The OsmAnd protocol's endpoint (lib/osmand/decode-osmand.ts): on its own port (OSMAND_PORT,
// any path) and under /osmand on the main one. The device's secret is the path's last
// segment (`http://host:5055/<secret>`, `https://host/osmand/<secret>`): every tracker app
// keeps the path of the URL it is given, and the device id alone must not be enough.
// Answers as Traccar's: 200 stored (or nothing to store), 400 malformed, unknown device or
// wrong secret, 413 too large, 503 Kafka away (the app keeps the fix and sends it again).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateDevice } from '../../lib/devices/device-store';
import { AppError } from '../../lib/http/errors';
import { readBody } from '../../lib/http/node-http';
import { type AuthorizeDeps, authorizeEvents } from '../../lib/ingest/authorize-events';
import type { GroupCommit } from '../../lib/ingest/group-commit';
import { publishEvents } from '../../lib/ingest/publish-events';
import type { RateLimiter } from '../../lib/ingest/rate-limiter';
import type { TopicNames } from '../../lib/kafka/topics';
import { isEntityId } from '../../lib/orders/order-id';
import { decodeOsmand } from '../../lib/osmand/decode-osmand';
import { osmandPing } from '../../lib/osmand/osmand-ping';
import { type GateDeps, judgeAtIngest } from '../../lib/quality/judge-at-ingest';

/** Traccar's own limit on an OsmAnd request's body. */
export const OSMAND_MAX_BODY_BYTES = 64 * 1024;

/** `/osmand` or `/osmand/<secret>` on the main port. */
export const OSMAND_PATH = /^\/osmand(?:\/([^/]*))?\/?$/;

export interface OsmandDeps extends AuthorizeDeps, GateDeps {
  publisher: GroupCommit;
  topics: TopicNames;
  limiter: RateLimiter;
}

/** The secret a path carries: its last segment, decoded. */
export function secretOfPath(path: string): string {
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return '';
  }
}

function ok(res: ServerResponse): void {
  res.writeHead(200, { 'content-length': 0 });
  res.end();
}

export async function handleOsmand(req: IncomingMessage, res: ServerResponse, secret: string, deps: OsmandDeps): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const body = (await readBody(req, OSMAND_MAX_BODY_BYTES)).toString('utf8');
  const now = Date.now();
  const decoded = decodeOsmand({ query: q === -1 ? '' : url.slice(q + 1), contentType: req.headers['content-type'], body }, now);
  if (!decoded.ok) throw new AppError('validation_failed', decoded.message, [{ field: decoded.field, rule: 'osmand', message: decoded.message }]);
  const { fix } = decoded;
  if (!secret) throw new AppError('validation_failed', "the device's secret is missing: the URL's path ends with it (http://host:5055/<secret>)", [{ field: 'path', rule: 'required', message: 'the URL path ends with the device secret' }]);
  // a registered id is an entity id (lib/devices/device-input.ts): any other is unknown, never looked up
  const device = !isEntityId(fix.deviceId) ? undefined : await authenticateDevice(deps, fix.deviceId, secret).catch((cause: unknown) => {
    // Redis (or Postgres behind it) away: the app keeps the fix and sends it again
    throw new AppError('unavailable', 'the device could not be looked up; send the position again', [], { cause });
  });
  // as Traccar: an unknown device is a bad request (and a wrong secret looks the same)
  if (!device) throw new AppError('validation_failed', `device ${fix.deviceId.slice(0, 64)} is not registered, or the secret is not its`, [{ field: 'id', rule: 'device', message: 'unknown device or wrong secret' }]);
  const key = `courier:${device.courierId}`;
  if (!deps.limiter.take(key, 1, now)) throw new AppError('rate_limited', 'too many positions: send again in a moment');
  // a request without a position (a push token's registration) or a fix the tracker calls invalid: nothing to store
  if (!fix.position || !fix.valid) return ok(res);
  // a clock off is the quality gate's to judge (200, filtered), not a malformed request
  const ping = osmandPing({ ...fix, position: fix.position }, device.courierId);
  const events = await authorizeEvents(deps, { sub: { kind: 'courier', id: device.courierId }, exp: Number.MAX_SAFE_INTEGER }, [ping], false);
  // a filtered fix is answered 200 as Traccar does: the app would otherwise send it forever
  const judged = await judgeAtIngest(deps, events, 'osmand', now);
  if (judged.kept.length === 0) return ok(res);
  await publishEvents(deps.publisher, deps.topics, judged.kept);
  await judged.commit();
  deps.metrics.eventsIn.inc({ type: 'courier.location', outcome: 'accepted' });
  ok(res);
}
