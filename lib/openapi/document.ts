// The OpenAPI 3.1 description of the HTTP API, with request bodies taken from schemas/ so
// the document cannot drift from what the server validates.
import defs from '../../schemas/_defs.v1.json';
import { EVENT_TYPES } from '../events/registry';
import { GRAINS } from '../stats/grains';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Inlines `_defs.v1.json#/definitions/…` references and drops draft-07 ids. */
function inline(node: Json): Json {
  if (Array.isArray(node)) return node.map(inline);
  if (node === null || typeof node !== 'object') return node;
  const ref = node.$ref;
  if (typeof ref === 'string') {
    const name = /^(?:_defs\.v1\.json)?#\/definitions\/(\w+)$/.exec(ref)?.[1];
    const target = name ? (defs.definitions as Record<string, Json>)[name] : undefined;
    if (!target) throw new Error(`cannot inline ${ref}`);
    const { $ref: _ref, ...rest } = node;
    return { ...(inline(target) as Record<string, Json>), ...(inline(rest) as Record<string, Json>) };
  }
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) if (key !== '$id' && key !== '$schema') out[key] = inline(value);
  return out;
}

const loginBody = {
  type: 'object',
  required: ['name', 'password'],
  properties: { name: { type: 'string' }, password: { type: 'string' }, next: { type: 'string', description: 'A form: the page to go to after.' } },
};

const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

const statsRange = [
  { name: 'grain', in: 'query', required: false, schema: { enum: GRAINS.map((g) => g.grain), default: 'minute' } },
  { name: 'from', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'default: one default span (1 h, 48 h, 30 d) before to' },
  { name: 'to', in: 'query', required: false, schema: { type: 'string', format: 'date-time' }, description: 'exclusive; default now' },
];

export function openApiDocument() {
  const eventSchemas: Record<string, Json> = {};
  for (const spec of Object.values(EVENT_TYPES)) {
    for (const [version, schema] of Object.entries(spec.versions)) {
      eventSchemas[(schema as { title: string }).title ?? `${spec.stem}.v${version}`] = inline(schema as Json);
    }
  }
  const eventRefs = Object.keys(eventSchemas).map((name) => ({ $ref: `#/components/schemas/${name}` }));
  return {
    openapi: '3.1.0',
    info: { title: 'lastmile API', version: '1', description: 'Courier pings and order events in; live locations out.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A courier token, an integrator key or an order share token (npm run token).' },
        shareToken: { type: 'apiKey', in: 'query', name: 't', description: "An order's share token, as in the tracking link." },
        opsSession: { type: 'apiKey', in: 'cookie', name: 'lastmile_ops', description: 'An ops session, set by POST /api/auth/login.' },
      },
      schemas: {
        ...eventSchemas,
        Event: { oneOf: eventRefs },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                issues: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['field', 'rule', 'message'],
                    properties: { index: { type: 'integer' }, field: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
        OrderLocation: {
          type: 'object',
          required: ['orderId'],
          properties: {
            orderId: { type: 'string' },
            courierId: { type: 'string' },
            lat: { type: 'number' },
            lng: { type: 'number' },
            occurredAt: { type: 'string', format: 'date-time' },
            ageMs: { type: 'integer', description: 'Milliseconds since the ping, at the time of the answer.' },
            source: { enum: ['redis', 'postgres'] },
            location: { type: 'null', description: 'Present (null) when the order is known but has no location yet.' },
          },
        },
      },
    },
    paths: {
      '/api/events': {
        post: {
          summary: 'Send one event or a batch',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [{ $ref: '#/components/schemas/Event' }, { type: 'array', items: { $ref: '#/components/schemas/Event' } }] },
              },
            },
          },
          responses: {
            '202': {
              description: 'Kafka holds every event of the request but those the quality gate filtered (listed in `filtered`, not stored: sending them again changes nothing).',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      accepted: { type: 'integer' },
                      filtered: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            index: { type: 'integer' },
                            rule: { enum: ['duplicate', 'zero', 'accuracy', 'teleport', 'future', 'past'] },
                            field: { type: 'string' },
                            message: { type: 'string' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            '400': error('Invalid JSON or an invalid event: the issues name the event index, the field and the rule. Nothing was written.'),
            '401': error('No token, or an invalid or expired one.'),
            '403': error('The token may not send these events (another courier, a read-only share token).'),
            '413': error('Body or batch too large.'),
            '415': error('The body is not application/json.'),
            '429': error('Too many events from this courier; see Retry-After.'),
            '503': error('Kafka did not acknowledge; nothing was accepted, send again (event ids make repeats harmless).'),
          },
        },
      },
      '/osmand/{secret}': {
        get: {
          summary: "A tracker app's position over the OsmAnd protocol (Traccar Client, OsmAnd, hardware trackers), also on OSMAND_PORT (5055) at /{secret}; POST the same, or with a form body, or Traccar Client 9's JSON (docs/osmand.md)",
          parameters: [
            { name: 'secret', in: 'path', required: true, schema: { type: 'string' }, description: "the device's secret (npm run device -- add, POST /api/ops/devices)" },
            { name: 'id', in: 'query', required: true, schema: { type: 'string' }, description: 'the device id (or deviceid)' },
            { name: 'lat', in: 'query', required: false, schema: { type: 'number' } },
            { name: 'lon', in: 'query', required: false, schema: { type: 'number' } },
            { name: 'timestamp', in: 'query', required: false, schema: { type: 'string' }, description: 'Unix seconds or milliseconds, ISO 8601, or yyyy-MM-dd HH:mm:ss' },
            { name: 'speed', in: 'query', required: false, schema: { type: 'number' }, description: 'knots' },
            { name: 'bearing', in: 'query', required: false, schema: { type: 'number' } },
            { name: 'accuracy', in: 'query', required: false, schema: { type: 'number' }, description: 'metres' },
          ],
          responses: {
            '200': { description: 'Stored (or nothing to store: no position). Empty body.' },
            '400': error('A malformed request (the issue names the parameter), an unknown or revoked device, or a wrong secret.'),
            '413': error('Body over 64 KiB.'),
            '429': error("Too many positions for the device's courier."),
            '503': error('Kafka did not acknowledge: send again (a fix sent twice is one ping).'),
          },
        },
      },
      '/api/ops/devices': {
        post: {
          summary: 'Register a tracker device for a courier (again: a new secret); answers its secret and its apps\' URLs, once',
          security: [{ opsSession: [] }],
          responses: {
            '200': { description: '{deviceId, courierId, sourceId, secret, urls: {traccarClient, osmand}}' },
            '400': error('deviceId, courierId or sourceId malformed.'),
            '401': error('No ops session: sign in first.'),
          },
        },
        get: {
          summary: 'The registered devices',
          security: [{ opsSession: [] }],
          parameters: [{ name: 'courierId', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { '200': { description: '{devices: [{deviceId, courierId, sourceId, createdAt, revokedAt}]}' }, '401': error('No ops session: sign in first.') },
        },
      },
      '/api/ops/devices/{deviceId}': {
        delete: {
          summary: 'Revoke a device: its positions are refused from then on',
          security: [{ opsSession: [] }],
          parameters: [{ name: 'deviceId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: '{deviceId, revoked: true}' }, '401': error('No ops session: sign in first.'), '404': error('No such device.') },
        },
      },
      '/api/orders/{orderId}/location': {
        get: {
          summary: "The order's last known location and its age",
          security: [{ shareToken: [] }, { bearer: [] }],
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } }],
          responses: {
            '200': { description: 'The location (ETag; Cache-Control: private, no-cache).', content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderLocation' } } } },
            '304': { description: 'Unchanged since the ETag sent in If-None-Match.' },
            '401': error('No token, or an invalid or expired one.'),
            '403': error("The token is for another order, or cannot read orders."),
            '404': error('No such order.'),
          },
        },
      },
      '/api/couriers': {
        get: {
          summary: "Every courier, or those in a viewport, with its status (idle, to_pickup, delivering: from its order's status) and last-seen age",
          security: [{ opsSession: [] }],
          parameters: [{ name: 'bbox', in: 'query', required: false, schema: { type: 'string' }, description: 'west,south,east,north in degrees' }],
          responses: {
            '200': { description: '{couriers: [{courierId, orderId?, lat, lng, occurredAt, status, orderStatus?, ageMs, stale}], at, staleAfterMs, stalledAfterMs, frameMs}' },
            '400': error('bbox malformed.'),
            '401': error('No ops session: sign in first.'),
          },
        },
      },
      '/api/couriers/{courierId}/trail': {
        get: {
          summary: "The courier's fixes since a time, oldest first, from the location history (the map's trail and replay)",
          security: [{ opsSession: [] }],
          parameters: [
            { name: 'courierId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } },
            { name: 'since', in: 'query', required: true, schema: { type: 'string', format: 'date-time' } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 20_000, default: 5000 }, description: 'at most this many points: the newest' },
          ],
          responses: {
            '200': { description: '{courierId, since, points: [{lat, lng, occurredAt, orderId?}], truncated}' },
            '400': error('since missing or malformed, limit out of range, or a malformed courier id.'),
            '401': error('No ops session: sign in first.'),
          },
        },
      },
      '/api/ops/alerts': {
        get: {
          summary: 'Late orders: open longer than ORDER_LATE_AFTER_MINUTES after they were created, oldest first',
          security: [{ opsSession: [] }],
          responses: {
            '200': { description: '{lateOrders: [{orderId, status, courierId, createdAt, ageMs}], lateTotal, lateAfterMs, at}' },
            '401': error('No ops session: sign in first.'),
          },
        },
      },
      '/api/stats/unique-users': {
        get: {
          summary: 'Distinct users per event-time window (exact), and over the range (HyperLogLog, standard error 0.81%)',
          parameters: statsRange,
          responses: { '200': { description: '{grain, from, to, points: [{start, uniqueUsers, lateEvents, futureEvents, final, partial?}], distinctUsers}' }, '400': error('grain, from or to malformed, or too many points.') },
        },
      },
      '/api/stats/ingest': {
        get: {
          summary: 'Events per second into each event topic, per bucket',
          parameters: statsRange,
          responses: { '200': { description: '{grain, from, to, points: [{start, pings, orderEvents, activity}]}' }, '400': error('grain, from or to malformed.') },
        },
      },
      '/api/stats/orders': {
        get: {
          summary: 'Orders created in the range by current status; delivery durations of orders delivered in it',
          parameters: statsRange,
          responses: { '200': { description: '{byStatus, deliveryMinutes, delivered, p50Min, p90Min, meanMin}' }, '400': error('from or to malformed.') },
        },
      },
      '/api/auth/login': {
        post: {
          summary: 'Sign an ops user in: sets the lastmile_ops session cookie',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: loginBody }, 'application/x-www-form-urlencoded': { schema: loginBody } },
          },
          responses: {
            '200': { description: 'Signed in (JSON): the user and when the session ends.' },
            '303': { description: 'A form: signed in and sent to `next`, a path on this site; or back to /login saying why not.' },
            '400': error('name or password missing or too long.'),
            '401': error('Wrong name or password.'),
            '429': error('Five failed sign-ins for this name within a minute; see Retry-After.'),
          },
        },
      },
      '/api/auth/logout': {
        post: { summary: 'End the ops session in this browser', responses: { '303': { description: 'The cookie is cleared; on to /login.' } } },
      },
      '/healthz': { get: { summary: 'Alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Kafka, Redis and Postgres reachable', responses: { '200': { description: 'ready' }, '503': { description: 'not ready, with the failing check' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
  };
}
