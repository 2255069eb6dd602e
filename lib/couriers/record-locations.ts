// Applies a batch of pings: the last location of each courier and order in Redis (never an
// older ping over a newer one), the GEO index, and the history in Postgres. Idempotent:
// applying the same pings again leaves Redis and Postgres as they were. A ping moves an
// order only when the order is assigned to its courier by the server's record; otherwise it
// is the courier's alone (its orderId is dropped before anything is stored or announced).
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { historyGuard } from '../db/history-partitions';
import type { CourierLocation } from '../events/registry';
import { COURIERS_GEO_KEY, courierLocationKey, orderLocationKey } from './keys';
import { newestPerKey } from './newest-per-key';
import { readAssignments } from '../orders/order-assignments';

// Last locations, never an older one over a newer one, a whole batch in one call. KEYS[1] the
// GEO set, then one location hash per entry; ARGV per entry: time, json, then lng, lat,
// member for the GEO set or three ''. Returns 1 for each entry stored, 0 for each refused.
const SET_IF_NEWER = `
local out = {}
for i = 2, #KEYS do
  local a = (i - 2) * 5
  local current = redis.call('HGET', KEYS[i], 't')
  if current and tonumber(current) >= tonumber(ARGV[a + 1]) then
    out[i - 1] = 0
  else
    redis.call('HSET', KEYS[i], 't', ARGV[a + 1], 'json', ARGV[a + 2])
    if ARGV[a + 5] ~= '' then redis.call('GEOADD', KEYS[1], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]) end
    out[i - 1] = 1
  end
end
return out`;

interface LocationCommands {
  /** ioredis flattens the array: keys, then args (no spread of thousands of arguments). */
  setLocationsIfNewer(numKeys: number, keysThenArgs: (string | number)[]): Promise<number[]>;
}

/** Called by createRedis on every client before its first command (see lib/redis/client.ts). */
export function defineLocationCommands(redis: Redis): void {
  redis.defineCommand('setLocationsIfNewer', { lua: SET_IF_NEWER });
}

function withCommands(redis: Redis): Redis & LocationCommands {
  if (!('setLocationsIfNewer' in redis)) throw new Error('this Redis client lacks the location commands: create it with createRedis');
  return redis as Redis & LocationCommands;
}

export interface StoredLocation {
  courierId: string;
  orderId?: string;
  lat: number;
  lng: number;
  occurredAt: number;
}

const toStored = (p: CourierLocation): StoredLocation => ({
  courierId: p.courierId,
  ...(p.orderId ? { orderId: p.orderId } : {}),
  lat: p.lat,
  lng: p.lng,
  occurredAt: p.occurredAt,
});

/**
 * Applies the pings. `announce` gets the courier positions that became the newest as soon as
 * Redis holds them (live fan-out need not wait for Postgres); resolves once both stores do.
 */
export async function recordLocations(
  deps: RecordLocationsDeps,
  pings: CourierLocation[],
  announce: (moved: StoredLocation[]) => Promise<unknown> = async () => undefined,
): Promise<void> {
  if (pings.length === 0) return;
  pings = await scopeToAssignments(deps, pings);
  const newestByCourier = newestPerKey(pings, (p) => p.courierId, (p) => p.occurredAt);
  const newestByOrder = newestPerKey(pings, (p) => p.orderId, (p) => p.occurredAt);
  const history = insertHistory(deps.db, pings);
  const couriers = newestByCourier.map(toStored);
  const hot = writeLocationsIfNewer(deps.redis, couriers, newestByOrder.map(toStored)).then(async (stored) => {
    const moved = couriers.filter((_, i) => stored[i]);
    if (moved.length > 0) await announce(moved);
  });
  await Promise.all([hot, history]);
}

/**
 * Writes each courier's and each order's location unless a newer one is stored, couriers'
 * into the GEO set too, in one script call (a command per ping cost the worker more than
 * Redis did). Returns, per courier location, whether it was stored.
 */
export async function writeLocationsIfNewer(redis: Redis, couriers: StoredLocation[], orders: StoredLocation[]): Promise<boolean[]> {
  if (couriers.length + orders.length === 0) return [];
  const keys: (string | number)[] = [COURIERS_GEO_KEY];
  const args: (string | number)[] = [];
  for (const l of couriers) {
    keys.push(courierLocationKey(l.courierId));
    args.push(l.occurredAt, JSON.stringify(l), l.lng, l.lat, l.courierId);
  }
  for (const l of orders) {
    keys.push(orderLocationKey(l.orderId!));
    args.push(l.occurredAt, JSON.stringify(l), '', '', '');
  }
  const stored = await withCommands(redis).setLocationsIfNewer(keys.length, keys.concat(args));
  return couriers.map((_, i) => stored[i] === 1);
}

/** Who carries each of these orders (readAssignments, or the location worker's AssignmentCache). */
export type ReadAssignments = (orderIds: Iterable<string>) => Promise<Map<string, string | null>>;

export interface RecordLocationsDeps {
  redis: Redis;
  db: Db;
  /** Defaults to reading the record (Redis, Postgres behind it) for every batch. */
  assignments?: ReadAssignments;
}

/** The pings, each naming its order only if that order is assigned to its courier now. */
export async function scopeToAssignments(deps: RecordLocationsDeps, pings: CourierLocation[]): Promise<CourierLocation[]> {
  const orderIds = new Set<string>();
  for (const p of pings) if (p.orderId) orderIds.add(p.orderId);
  if (orderIds.size === 0) return pings;
  const assignments = await (deps.assignments ?? ((ids) => readAssignments(deps, ids)))(orderIds);
  return pings.map((p) => {
    if (!p.orderId || assignments.get(p.orderId) === p.courierId) return p;
    const { orderId: _notTheirs, ...own } = p;
    return own;
  });
}

/**
 * One INSERT for the whole batch, columns passed as arrays. Prisma's createMany builds the
 * statement row by row in JavaScript and managed ~5k rows/s here; this does ~35k.
 */
function insertHistory(db: Db, pings: CourierLocation[]) {
  const n = pings.length;
  const ids = new Array<string>(n), couriers = new Array<string>(n), orders = new Array<string | null>(n);
  const lats = new Array<number>(n), lngs = new Array<number>(n), times = new Array<Date>(n);
  const accuracy = new Array<number | null>(n), speed = new Array<number | null>(n), heading = new Array<number | null>(n);
  pings.forEach((p, i) => {
    ids[i] = p.eventId;
    couriers[i] = p.courierId;
    orders[i] = p.orderId ?? null;
    lats[i] = p.lat;
    lngs[i] = p.lng;
    times[i] = new Date(p.occurredAt);
    accuracy[i] = p.accuracyM ?? null;
    speed[i] = p.speedMps ?? null;
    heading[i] = p.headingDeg ?? null;
  });
  return historyGuard(db, 'courier_location_history').insert(pings.map((p) => p.occurredAt), () => db.$executeRaw`
    INSERT INTO courier_location_history (event_id, courier_id, order_id, lat, lng, occurred_at, accuracy_m, speed_mps, heading)
    SELECT * FROM unnest(${ids}::text[], ${couriers}::text[], ${orders}::text[], ${lats}::float8[], ${lngs}::float8[],
                         ${times}::timestamptz[], ${accuracy}::float8[], ${speed}::float8[], ${heading}::float8[])
    ON CONFLICT (event_id, occurred_at) DO NOTHING`);
}

export async function readLocation(redis: Redis, key: string): Promise<StoredLocation | null> {
  const json = await redis.hget(key, 'json');
  return json ? (JSON.parse(json) as StoredLocation) : null;
}

/** Writes one location unless a newer one is stored (read-repair from Postgres). */
export async function writeLocationIfNewer(redis: Redis, key: string, location: StoredLocation): Promise<void> {
  await withCommands(redis).setLocationsIfNewer(2, [COURIERS_GEO_KEY, key, location.occurredAt, JSON.stringify(location), '', '', '']);
}
