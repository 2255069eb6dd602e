// The simulated couriers that carry a tracker app: a device registered for each (as
// `npm run device -- add` registers one), its pings then sent over the OsmAnd protocol.
import type { Redis } from 'ioredis';
import type { Db } from '../db/client';
import { registerDevice } from '../devices/device-store';

export type Trackers = Map<string, { deviceId: string; secret: string }>;

export async function registerTrackers(deps: { db: Db; redis: Redis }, couriers: string[], sourceId: string): Promise<Trackers> {
  const out: Trackers = new Map();
  for (const courierId of couriers) {
    const deviceId = `${courierId}-phone`;
    out.set(courierId, { deviceId, secret: await registerDevice(deps, { deviceId, courierId, sourceId }) });
  }
  return out;
}
