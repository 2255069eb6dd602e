// An OsmAnd fix as lastmile's ping (courier.location v2), validated by the same schema as
// the JSON API's, and a refusal named by the parameter the tracker sent.
import { createHash } from 'node:crypto';
import { AppError } from '../http/errors';
import type { ValidEvent } from '../events/validate';
import { type TimeRule, parseEvents } from '../ingest/parse-events';
import type { OsmandFix } from './decode-osmand';

/** A stable event id from the device and the fix's time: a fix sent again is the same event (a duplicate). */
export function osmandEventId(deviceId: string, occurredAt: number): string {
  return `os${createHash('sha256').update(`${deviceId}\n${occurredAt}`).digest('base64url').slice(0, 30)}`;
}

/** The ping's fields, by the OsmAnd parameter they came from (for refusals). */
const PARAMETER_OF: Record<string, string> = {
  '/lat': 'lat',
  '/lng': 'lon',
  '/occurredAt': 'timestamp',
  '/speedMps': 'speed',
  '/headingDeg': 'bearing',
  '/accuracyM': 'accuracy',
  '/batteryPct': 'batt',
};

/** The fix as a validated ping of `courierId`; 400 naming the OsmAnd parameter when the schema refuses it. */
export function osmandPing(fix: OsmandFix & { position: { lat: number; lng: number } }, courierId: string, time?: TimeRule): ValidEvent {
  const heading = fix.headingDeg === undefined ? undefined : ((fix.headingDeg % 360) + 360) % 360;
  const ping = {
    type: 'courier.location',
    version: 2,
    eventId: osmandEventId(fix.deviceId, fix.occurredAt),
    courierId,
    lat: fix.position.lat,
    lng: fix.position.lng,
    occurredAt: fix.occurredAt,
    ...(fix.accuracyM !== undefined && fix.accuracyM > 0 ? { accuracyM: fix.accuracyM } : {}),
    ...(fix.speedMps !== undefined ? { speedMps: fix.speedMps } : {}),
    ...(heading !== undefined ? { headingDeg: heading } : {}),
    ...(fix.batteryPct !== undefined ? { batteryPct: Math.min(100, Math.max(0, Math.round(fix.batteryPct))) } : {}),
  };
  try {
    return parseEvents(ping, 1, time)[0]!;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const issues = err.issues.map((i) => {
      const parameter = PARAMETER_OF[i.field] ?? i.field.slice(1);
      return { ...i, field: parameter, message: i.message.replace(/^\S+/, parameter) };
    });
    throw new AppError(err.code, issues[0]?.message ?? err.message, issues);
  }
}
