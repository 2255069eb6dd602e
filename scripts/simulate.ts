// `npm run simulate -- [--couriers N] [--orders-per-minute N] [--activity N] [--ping-ms N]
//   [--seed N] [--run-id ID] [--url URL] [--gateway]`
// A living city through the real ingest API: every courier's app sends its own pings and
// order changes with its own token; the shop (integrator key) creates and confirms orders;
// the customers' app log forwarder (integrator key) sends activity. With --gateway, a
// fleet gateway batches the couriers' events with one key (for tens of thousands of them).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Subject, issueToken } from '../lib/auth/tokens';
import { loadConfigOrExit } from '../lib/config';
import { City, type CityEvent, SAO_PAULO } from '../lib/simulator/city';

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
  },
});

function num(name: 'couriers' | 'orders-per-minute' | 'activity' | 'ping-ms' | 'seed', min: number): number {
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

const MAX_BATCH = Math.min(500, config.ingest.maxBatch);
const MAX_IN_FLIGHT = 64;
const stats = { sent: 0, requests: 0, refused: 0, retried: 0, lastError: '' };
interface Request {
  token: string;
  events: CityEvent['event'][];
  /** Times refused because an order it names was not yet recorded as the courier's. */
  early?: number;
}
const queue: Request[] = [];
// The shop's assignment reaches the order worker a moment after the courier's app hears of
// it: an app whose status change came first sends it again, as a real one would.
const EARLY_RETRIES = 5;
let inFlight = 0;

function enqueue(events: CityEvent[]) {
  const bySender = new Map<string, CityEvent['event'][]>();
  for (const { by, event } of events) {
    const sender = values.gateway && by.kind === 'courier' ? { kind: 'integrator' as const, id: 'fleet-gateway' } : by;
    const token = tokenOf(sender);
    const list = bySender.get(token);
    if (list) list.push(event);
    else bySender.set(token, [event]);
  }
  for (const [token, list] of bySender) for (let i = 0; i < list.length; i += MAX_BATCH) queue.push({ token, events: list.slice(i, i + MAX_BATCH) });
  pump();
}

function pump() {
  while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
    const request = queue.shift()!;
    inFlight++;
    void send(request).finally(() => {
      inFlight--;
      pump();
    });
  }
}

async function send(request: Request): Promise<void> {
  try {
    const res = await fetch(`${base}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${request.token}` },
      body: JSON.stringify(request.events.length === 1 ? request.events[0] : request.events),
    });
    stats.requests++;
    if (res.status === 202) stats.sent += request.events.length;
    else if (res.status === 429 || res.status === 503) {
      // busy or Kafka away: the app keeps its events and sends them again
      stats.retried++;
      setTimeout(() => {
        queue.push(request);
        pump();
      }, 1000);
    } else if (res.status === 403 && (request.early ?? 0) < EARLY_RETRIES && (await res.clone().text()).includes('"rule":"assignment"')) {
      stats.retried++;
      setTimeout(() => {
        queue.push({ ...request, early: (request.early ?? 0) + 1 });
        pump();
      }, 1000);
    } else {
      stats.refused += request.events.length;
      stats.lastError = `${res.status} ${(await res.text()).slice(0, 200)}`;
    }
    await res.body?.cancel().catch(() => undefined);
  } catch (err) {
    stats.retried++;
    stats.lastError = (err as Error).message;
    setTimeout(() => {
      queue.push(request);
      pump();
    }, 1000);
  }
}

const orderToken = issueToken({ kind: 'order', id: `${runId}-o1` }, config.auth.orderTokenTtlMs, config.auth.secret);
console.log(`simulating ${city.courierIds.length} couriers in São Paulo (run ${runId}) → ${base}`);
console.log(`sample order page: ${base}/orders/${runId}-o1?t=${orderToken}`);

const TICK_MS = 250;
const timer = setInterval(() => enqueue(city.advance(Date.now())), TICK_MS);
let lastSent = 0;
let lastAt = Date.now();
const progress = setInterval(() => {
  const now = Date.now();
  const rate = ((stats.sent - lastSent) * 1000) / (now - lastAt);
  [lastSent, lastAt] = [stats.sent, now];
  const c = city.counts();
  console.log(
    `couriers: ${c.idle} idle · ${c.to_pickup} to pickup · ${c.delivering} delivering | ${stats.sent.toLocaleString()} events sent (${Math.round(rate).toLocaleString()}/s)` +
      `${queue.length > 0 ? ` · ${queue.length} requests queued` : ''}${stats.retried > 0 ? ` · ${stats.retried} retried` : ''}${stats.refused > 0 ? ` · ${stats.refused} refused, last: ${stats.lastError}` : ''}`,
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
