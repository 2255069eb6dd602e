// The devices (tracker apps, hardware trackers) that send OsmAnd positions for couriers: the
// record in Postgres (`devices`), a copy per device in Redis for the ingest's lookup on every
// request (`device:<id>`, read through on a miss, an unknown id remembered a minute). Each
// device carries its own secret; only its SHA-256 is kept.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';

export const deviceKey = (deviceId: string) => `device:${deviceId}`;
const UNKNOWN = 'unknown';
const KNOWN_TTL_S = 3600;
const UNKNOWN_TTL_S = 60;

export interface DeviceRecord {
  deviceId: string;
  courierId: string;
  sourceId: string;
}

interface Cached {
  courierId: string;
  sourceId: string;
  secretHash: string;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Registers a device for a courier (again: a new secret, the old one refused from now on); returns its secret. */
export async function registerDevice(deps: { db: Db; redis: Redis }, device: DeviceRecord): Promise<string> {
  const secret = randomBytes(18).toString('base64url');
  const secretHash = hashOf(secret);
  const row = { courierId: device.courierId, sourceId: device.sourceId, secretHash, revokedAt: null };
  await deps.db.device.upsert({ where: { id: device.deviceId }, create: { id: device.deviceId, ...row }, update: row });
  await deps.redis.set(deviceKey(device.deviceId), JSON.stringify({ courierId: device.courierId, sourceId: device.sourceId, secretHash } satisfies Cached), 'EX', KNOWN_TTL_S);
  return secret;
}

/** Refuses the device from now on; false when it was not registered. */
export async function revokeDevice(deps: { db: Db; redis: Redis }, deviceId: string): Promise<boolean> {
  const { count } = await deps.db.device.updateMany({ where: { id: deviceId, revokedAt: null }, data: { revokedAt: new Date() } });
  await deps.redis.set(deviceKey(deviceId), UNKNOWN, 'EX', UNKNOWN_TTL_S);
  return count > 0;
}

export async function listDevices(db: Db, courierId?: string): Promise<(DeviceRecord & { createdAt: Date; revokedAt: Date | null })[]> {
  const rows = await db.device.findMany({ where: courierId ? { courierId } : {}, orderBy: { id: 'asc' } });
  return rows.map((r) => ({ deviceId: r.id, courierId: r.courierId, sourceId: r.sourceId, createdAt: r.createdAt, revokedAt: r.revokedAt }));
}

async function lookUp(deps: { db: Db; redis: Redis }, deviceId: string): Promise<Cached | undefined> {
  const cached = await deps.redis.get(deviceKey(deviceId));
  if (cached === UNKNOWN) return undefined;
  if (cached) return JSON.parse(cached) as Cached;
  const row = await deps.db.device.findUnique({ where: { id: deviceId } });
  const found = row && !row.revokedAt ? { courierId: row.courierId, sourceId: row.sourceId, secretHash: row.secretHash } : undefined;
  await deps.redis.set(deviceKey(deviceId), found ? JSON.stringify(found) : UNKNOWN, 'EX', found ? KNOWN_TTL_S : UNKNOWN_TTL_S);
  return found;
}

/** The device's courier and source when `secret` is its secret; undefined for an unknown or revoked device or a wrong secret. */
export async function authenticateDevice(deps: { db: Db; redis: Redis }, deviceId: string, secret: string): Promise<DeviceRecord | undefined> {
  const device = await lookUp(deps, deviceId);
  if (!device) return undefined;
  const given = Buffer.from(hashOf(secret), 'hex');
  const want = Buffer.from(device.secretHash, 'hex');
  if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
  return { deviceId, courierId: device.courierId, sourceId: device.sourceId };
}
