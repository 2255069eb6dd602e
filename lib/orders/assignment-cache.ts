// Who carries each order, for the location worker, which asks for every batch of pings:
// remembered in the process and forgotten the moment the record changes, so a batch waits
// for no round trip once its orders are known. Redis tells us of each change: one connection
// with CLIENT TRACKING in broadcast mode on the status cache's prefix, redirected to itself
// and subscribed to the invalidations. While that connection is down nothing is remembered
// (every batch reads the record, as readAssignments does), and it all is forgotten again
// when it comes back, so a change made meanwhile is never missed.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import type { Log } from '../observability/log';
import { readAssignments } from './order-assignments';
import { ORDER_STATUS_PREFIX, orderIdOfStatusKey } from './order-status-store';

const INVALIDATIONS = '__redis__:invalidate';
const HEARTBEAT_MS = 2000;

export interface AssignmentCache {
  /** As readAssignments: each asked order's courier, null when unassigned, absent when unknown. */
  read(orderIds: Iterable<string>): Promise<Map<string, string | null>>;
  /** Whether changes are being followed now (otherwise every read goes to the record). */
  readonly following: boolean;
  close(): Promise<void>;
}

export interface AssignmentCacheOptions {
  redis: Redis;
  db: Db;
  log: Log;
  /** Most orders remembered; the oldest remembered is forgotten first. */
  maxEntries?: number;
}

export async function createAssignmentCache({ redis, db, log, maxEntries = 200_000 }: AssignmentCacheOptions): Promise<AssignmentCache> {
  /** orderId → courier (null: unassigned), or undefined: known to neither Redis nor Postgres. */
  const remembered = new Map<string, string | null | undefined>();
  let following = false;
  let closed = false;
  // A read's answer may predate a change heard of while it was on its way: such an answer
  // serves that batch but is not kept. `generation` moves on when everything is forgotten.
  let generation = 0;
  let readsInFlight = 0;
  const changedDuringReads = new Set<string>();

  const forget = (orderIds: string[] | null) => {
    if (orderIds === null) {
      remembered.clear();
      generation++;
      return;
    }
    for (const id of orderIds) remembered.delete(id);
    if (readsInFlight > 0) for (const id of orderIds) changedDuringReads.add(id);
  };

  const watcher = redis.duplicate({ connectionName: 'lastmile-assignments', enableAutoPipelining: false, autoResubscribe: false, lazyConnect: true });
  watcher.on('messageBuffer', (channel: Buffer, keys: Buffer[] | Buffer | null) => {
    if (String(channel) !== INVALIDATIONS) return;
    // a null payload: Redis dropped its tracking state (FLUSHALL, eviction of the table)
    if (keys === null) return forget(null);
    const ids = (Array.isArray(keys) ? keys : [keys]).map((k) => orderIdOfStatusKey(String(k))).filter((id): id is string => id !== undefined);
    forget(ids);
  });
  watcher.on('close', () => {
    if (following) log.warn('assignment cache: lost its Redis connection; reading the record for every batch until it is back');
    following = false;
    forget(null);
  });
  // ioredis reconnects by itself; each new connection has a new id and no tracking yet
  watcher.on('ready', () => void follow());
  watcher.on('error', (err: unknown) => log.debug({ err }, 'assignment cache connection error'));

  async function follow(): Promise<void> {
    if (closed) return;
    try {
      const id = (await watcher.client('ID')) as number;
      await watcher.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id), 'BCAST', 'PREFIX', ORDER_STATUS_PREFIX);
      await watcher.subscribe(INVALIDATIONS);
      forget(null); // changes made before tracking began were not heard of
      following = true;
    } catch (err) {
      log.warn({ err }, 'assignment cache: could not follow changes; reading the record for every batch');
      following = false;
    }
  }

  await watcher.connect().catch((err: unknown) => log.warn({ err }, 'assignment cache: Redis not reachable yet'));

  // A connection that died without closing (a network cut) hears of no change: one that
  // does not answer a ping within HEARTBEAT_MS is dropped, which forgets everything.
  const heartbeat = setInterval(() => {
    if (!following) return;
    const timeout = setTimeout(() => watcher.disconnect(true), HEARTBEAT_MS);
    watcher.ping().then(
      () => clearTimeout(timeout),
      () => clearTimeout(timeout),
    );
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    get following() {
      return following;
    },
    async read(orderIds) {
      const ids = [...new Set(orderIds)];
      const answer = new Map<string, string | null>();
      const missing: string[] = [];
      for (const id of ids) {
        if (following && remembered.has(id)) {
          const courier = remembered.get(id);
          if (courier !== undefined) answer.set(id, courier);
        } else missing.push(id);
      }
      if (missing.length === 0) return answer;
      const keep = following;
      const started = generation;
      readsInFlight++;
      let read: Map<string, string | null>;
      try {
        read = await readAssignments({ redis, db }, missing);
      } finally {
        readsInFlight--;
      }
      const mayKeep = keep && following && generation === started;
      for (const id of missing) {
        const courier = read.get(id);
        if (courier !== undefined) answer.set(id, courier);
        if (!mayKeep || changedDuringReads.has(id)) continue;
        if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!);
        remembered.set(id, courier);
      }
      if (readsInFlight === 0) changedDuringReads.clear();
      return answer;
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      following = false;
      remembered.clear();
      await watcher.quit().catch(() => watcher.disconnect());
    },
  };
}
