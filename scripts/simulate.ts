// `npm run simulate -- [--couriers N] [--orders-per-minute N] [--activity N] [--ping-ms N]
//   [--seed N] [--run-id ID] [--url URL] [--gateway] [--osmand-share F]`
// A living city through the real ingest API: every courier's app sends its own pings and
// order changes with its own token; the shop (integrator key) creates and confirms orders;
// the customers' app log forwarder (integrator key) sends activity. With --gateway, a
// fleet gateway batches the couriers' events with one key (for tens of thousands of them).
// With --osmand-share 0.3, three couriers in ten carry a tracker app instead (registered as
// devices here): their pings go one by one over the OsmAnd protocol, as OsmAnd sends them.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Subject, issueToken } from '../lib/auth/tokens';
import { loadConfigOrExit } from '../lib/config';
import { City, SAO_PAULO } from '../lib/simulator/city';
import { createSender } from '../lib/simulator/sender';
import { createDb } from '../lib/db/client';
import { registerTrackers } from '../lib/simulator/trackers';
import { createRedis } from '../lib/redis/client';

const { values } = parseArgs({
  options: {
    couriers: { type: 'string', default: '300' },
    'orders-per-minute': { type: 'string', default: '20' },
    activity: { type: 'string', default: '50' },
    'ping-ms': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'run-id': { type: 'string' },
    url: { type: 'string' },
    gateway: { type: 'boolean', default: false },
    'osmand-share': { type: 'string', default: '0' },
  },
});

function num(name: 'couriers' | 'orders-per-minute' | 'activity' | 'ping-ms' | 'seed' | 'osmand-share', min: number): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name}: expected a number >= ${min}, got "${values[name]}"`);
    process.exit(2);
  }
  return n;
}

const config = loadConfigOrExit('simulate');
const base = values.url ?? (config.publicUrl || `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`);
const runId = values['run-id'] ?? `sim${randomBytes(2).toString('hex')}`;
if (!/^[A-Za-z0-9_-]{1,20}$/.test(runId)) {
  console.error('--run-id: letters, digits, _ and - only, at most 20');
  process.exit(2);
}
const city = new City(
  {
    seed: num('seed', 0),
    couriers: num('couriers', 1),
    ordersPerMinute: num('orders-per-minute', 0),
    activityPerSecond: num('activity', 0),
    pingIntervalMs: num('ping-ms', 100),
    bbox: SAO_PAULO,
    runId,
  },
  Date.now(),
);

const TTL = 7 * 24 * 3_600_000;
const tokens = new Map<string, string>();
const tokenOf = (sub: Subject) => {
  const key = `${sub.kind}:${sub.id}`;
  let token = tokens.get(key);
  if (!token) tokens.set(key, (token = issueToken(sub, TTL, config.auth.secret)));
  return token;
};

const osmandShare = num('osmand-share', 0);
if (osmandShare > 1) {
  console.error(`--osmand-share: expected a fraction from 0 to 1, got "${values['osmand-share']}"`);
  process.exit(2);
}
const onTrackers = city.courierIds.slice(0, Math.round(osmandShare * city.courierIds.length));
const devices = onTrackers.length === 0 ? new Map() : await registerTrackersHere(onTrackers);
async function registerTrackersHere(couriers: string[]) {
  const db = createDb(config.databaseUrl);
  const redis = createRedis(config.redisUrl, 'lastmile-simulator');
  try {
    return await registerTrackers({ db, redis }, couriers, 'simulator');
  } finally {
    await db.$disconnect();
    await redis.quit();
    console.log(`${couriers.length} couriers on tracker apps (the OsmAnd protocol; devices ${couriers[0]}-phone …)`);
  }
}
const sender = createSender({
  base,
  tokenOf,
  gateway: values.gateway ? 'all' : undefined,
  maxBatch: Math.min(500, config.ingest.maxBatch),
  deviceOf: (courierId) => devices.get(courierId),
});
const { stats } = sender;

const orderToken = issueToken({ kind: 'order', id: `${runId}-o1` }, config.auth.orderTokenTtlMs, config.auth.secret);
console.log(`simulating ${city.courierIds.length} couriers in São Paulo (run ${runId}) → ${base}`);
console.log(`sample order page: ${base}/orders/${runId}-o1?t=${orderToken}`);

const TICK_MS = 250;
const timer = setInterval(() => sender.enqueue(city.advance(Date.now())), TICK_MS);
let lastSent = 0;
let lastAt = Date.now();
const progress = setInterval(() => {
  const now = Date.now();
  const rate = ((stats.sent - lastSent) * 1000) / (now - lastAt);
  [lastSent, lastAt] = [stats.sent, now];
  const c = city.counts();
  console.log(
    `couriers: ${c.idle} idle · ${c.to_pickup} to pickup · ${c.delivering} delivering | ${stats.sent.toLocaleString()} events sent (${Math.round(rate).toLocaleString()}/s)` +
      `${sender.queued > 0 ? ` · ${sender.queued} requests queued` : ''}${stats.retried > 0 ? ` · ${stats.retried} retried` : ''}${stats.refused > 0 ? ` · ${stats.refused} refused, last: ${stats.lastError}` : ''}`,
  );
}, 10_000);

const stop = () => {
  clearInterval(timer);
  clearInterval(progress);
  console.log(`stopped: ${stats.sent.toLocaleString()} events sent in ${stats.requests.toLocaleString()} requests`);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
