// The order status cache in Redis: one JSON string per order, written by the order worker
// after each batch, read by the map (couriers' statuses), share links (closed orders) and
// the ingest and the location worker (who carries an order). Nobody else touches these keys.
import type { ChainableCommander, Redis } from 'ioredis';
import type { OrderStatus } from './state-machine';

export interface CachedOrderStatus {
  orderId: string;
  status: OrderStatus;
  /** When the status was reached (the event's occurredAt). */
  at: number;
  /** The courier the order is assigned to, as an integrator or ops set it. */
  courierId?: string;
}

/** Every key of the cache starts so: readers that follow writes (CLIENT TRACKING) watch it. */
export const ORDER_STATUS_PREFIX = 'order:status:';
const key = (orderId: string) => `${ORDER_STATUS_PREFIX}${orderId}`;
/** The order a key of this cache is for (undefined for any other key). */
export const orderIdOfStatusKey = (k: string) => (k.startsWith(ORDER_STATUS_PREFIX) ? k.slice(ORDER_STATUS_PREFIX.length) : undefined);

// Keeps one MGET from holding Redis for long when the whole city is asked for.
const MGET_CHUNK = 2000;

/** Queues the write on a pipeline (the order worker sends a batch's writes at once). */
export function queueOrderStatus(pipeline: ChainableCommander, value: CachedOrderStatus, ttlSeconds?: number): void {
  if (ttlSeconds === undefined) pipeline.set(key(value.orderId), JSON.stringify(value));
  else pipeline.set(key(value.orderId), JSON.stringify(value), 'EX', ttlSeconds);
}

export async function writeOrderStatus(redis: Redis, value: CachedOrderStatus): Promise<void> {
  await redis.set(key(value.orderId), JSON.stringify(value));
}

/** Writes each status that Redis lacks, leaving any there (the order worker's, newer) alone. */
export async function writeOrderStatusesIfAbsent(redis: Redis, values: CachedOrderStatus[]): Promise<number> {
  if (values.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const value of values) pipeline.set(key(value.orderId), JSON.stringify(value), 'NX');
  const results = (await pipeline.exec()) ?? [];
  let written = 0;
  for (const [err, reply] of results) {
    if (err) throw err;
    if (reply === 'OK') written++;
  }
  return written;
}

export async function deleteOrderStatuses(redis: Redis, orderIds: string[]): Promise<void> {
  if (orderIds.length > 0) await redis.del(...orderIds.map(key));
}

export async function readOrderStatus(redis: Redis, orderId: string): Promise<CachedOrderStatus | null> {
  const json = await redis.get(key(orderId));
  return json ? (JSON.parse(json) as CachedOrderStatus) : null;
}

/** The cached status of each order; orders Redis does not know are absent. One round trip. */
export async function readOrderStatuses(redis: Redis, orderIds: Iterable<string>): Promise<Map<string, CachedOrderStatus>> {
  const ids = [...new Set(orderIds)];
  const statuses = new Map<string, CachedOrderStatus>();
  if (ids.length === 0) return statuses;
  const pipeline = redis.pipeline();
  for (let i = 0; i < ids.length; i += MGET_CHUNK) pipeline.mget(ids.slice(i, i + MGET_CHUNK).map(key));
  const results = (await pipeline.exec()) ?? [];
  let i = 0;
  for (const [err, values] of results) {
    if (err) throw err;
    for (const json of values as (string | null)[]) {
      const id = ids[i++]!;
      if (json) statuses.set(id, JSON.parse(json) as CachedOrderStatus);
    }
  }
  return statuses;
}
