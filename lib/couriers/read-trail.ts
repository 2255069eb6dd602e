// A courier's trail from the location history in Postgres, oldest first: the map's live trail
// and its replay. At most `limit` points; when there are more, the newest (truncated: true).
import type { Db } from '../db/client';
import { AppError } from '../http/errors';

export interface TrailQuery {
  since: Date;
  limit: number;
}

export interface CourierTrail {
  courierId: string;
  since: string;
  points: { lat: number; lng: number; occurredAt: number; orderId?: string }[];
  truncated: boolean;
}

export const TRAIL_LIMIT = { default: 5000, max: 20_000 } as const;
const COURIER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

const invalid = (field: string, rule: string, message: string) =>
  new AppError('validation_failed', `${field}: ${message}`, [{ field: `/${field}`, rule, message }]);

/** The courier id from the path and `since` (ISO 8601, required) and `limit` from the query string. */
export function parseTrailRequest(courierId: string, params: URLSearchParams): { courierId: string } & TrailQuery {
  if (!COURIER_ID.test(courierId)) throw invalid('id', 'pattern', 'expected a courier id: 1-64 letters, digits or _ . : -');
  const sinceText = params.get('since');
  if (sinceText === null || sinceText === '') throw invalid('since', 'required', 'required: the ISO 8601 time the trail starts at');
  const since = new Date(sinceText);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(sinceText) || Number.isNaN(since.getTime())) throw invalid('since', 'format', 'expected an ISO 8601 time such as 2026-11-21T10:00:00Z');
  const limitText = params.get('limit');
  const limit = limitText === null ? TRAIL_LIMIT.default : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > TRAIL_LIMIT.max) throw invalid('limit', 'range', `expected a whole number from 1 to ${TRAIL_LIMIT.max}`);
  return { courierId, since, limit };
}

export async function readTrail(db: Db, courierId: string, { since, limit }: TrailQuery): Promise<CourierTrail> {
  // Newest first to take the last `limit`, on the (courier_id, occurred_at) index.
  const rows = await db.$queryRaw<{ lat: number; lng: number; t: number; order_id: string | null }[]>`
    SELECT lat, lng, (extract(epoch FROM occurred_at) * 1000)::float8 AS t, order_id
      FROM courier_location_history
     WHERE courier_id = ${courierId} AND occurred_at >= ${since}
     ORDER BY occurred_at DESC
     LIMIT ${limit + 1}`;
  const truncated = rows.length > limit;
  const points = rows
    .slice(0, limit)
    .reverse()
    .map((r) => ({ lat: r.lat, lng: r.lng, occurredAt: Math.round(r.t), ...(r.order_id ? { orderId: r.order_id } : {}) }));
  return { courierId, since: since.toISOString(), points, truncated };
}
