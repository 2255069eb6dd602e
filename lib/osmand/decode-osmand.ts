// The OsmAnd HTTP protocol, read as Traccar's decoder reads it (its port 5055), so that the
// tracker apps fleets already run can send to lastmile: Traccar Client (Android, iOS; the
// older ones a POST with everything in the query and an empty body, 10.x a form body, 9.x a
// JSON body), OsmAnd's online tracking (a GET from a URL template) and hardware trackers.
// Pure: a request's parts in, one fix (or why not) out. See docs/osmand.md.
//
// - Parameters come from the query; only when it has none, from a form body; a body whose
//   Content-Type starts with application/json is Traccar Client 9's JSON instead.
// - `id` or `deviceid` (JSON: `device_id`) names the device; `lat` + `lon` or
//   `location=lat,lon` the position; `timestamp` is Unix seconds (below 2^31 - 1),
//   milliseconds, ISO 8601 with an offset, or `yyyy-MM-dd HH:mm:ss` in this process's time
//   zone; none: the time it arrived.
// - `speed` is in knots (JSON: m/s, -1 unknown); `bearing`/`heading` in degrees (JSON: -1
//   unknown); `altitude`, `accuracy` in metres; `hdop` kept as accuracy when no accuracy
//   came (OsmAnd's {3} is its accuracy in metres); `batt` percent (JSON: `battery.level`, a
//   fraction); `charge` true/false.
// - A number that does not read, a date that does not parse, or a position off the globe is
//   refused, naming the parameter (Traccar drops the connection without an answer).

export const KNOT_MPS = 1852 / 3600;

export interface OsmandFix {
  deviceId: string;
  occurredAt: number;
  /** Absent: the request carried no position (a token registration, say). */
  position?: { lat: number; lng: number };
  speedMps?: number;
  headingDeg?: number;
  accuracyM?: number;
  altitudeM?: number;
  batteryPct?: number;
  charging?: boolean;
  /** `valid=false` (or `0`): the tracker says the fix is not good. */
  valid: boolean;
}

export type Decoded = { ok: true; fix: OsmandFix } | { ok: false; field: string; message: string };

export interface OsmandRequest {
  /** The query string, without its `?`. */
  query: string;
  contentType?: string;
  body: string;
}

class Refused extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A Java-style double as Traccar parses it: finite only here, and not empty. */
function number(field: string, text: string): number {
  const t = text.trim().replace(/[dDfF]$/, '');
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(n)) throw new Refused(field, `${field}: expected a number, got "${text.slice(0, 40)}"`);
  return n;
}

const bool = (text: string) => text.toLowerCase() === 'true' || text === '1';

/** Traccar's timestamp forms, to epoch milliseconds. */
export function parseTimestamp(text: string): number {
  const t = text.trim();
  if (/^[+-]?\d+$/.test(t)) {
    const n = Number(t);
    return n < 2147483647 ? n * 1000 : n;
  }
  if (t.includes('T')) {
    // ISO 8601 with its zone: Z or ±hh:mm (a time without one is not a moment)
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})(\[[^\]]+\])?$/.test(t)) {
      throw new Refused('timestamp', `timestamp: expected ISO 8601 with a zone (2026-12-06T10:00:00Z), got "${t.slice(0, 40)}"`);
    }
    const ms = Date.parse(t.replace(/\[[^\]]+\]$/, ''));
    if (Number.isFinite(ms)) return ms;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) {
    // in this process's time zone, as Traccar reads it in its JVM's
    const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
    const local = new Date(y!, mo! - 1, d!, h!, mi!, s!);
    if (local.getMonth() === mo! - 1 && local.getDate() === d!) return local.getTime();
  }
  throw new Refused('timestamp', `timestamp: expected Unix seconds or milliseconds, ISO 8601 or yyyy-MM-dd HH:mm:ss, got "${t.slice(0, 40)}"`);
}

/** Query or form parameters, in order; `;` separates pairs too, `+` is a space (as Netty's decoder reads them). */
export function formParameters(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const pair of text.split(/[&;]/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replaceAll('+', ' '));
      } catch {
        throw new Refused(eq === -1 ? pair : pair.slice(0, eq), `"${pair.slice(0, 40)}": not a well-formed parameter (a bad % escape)`);
      }
    };
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    if (name === '') continue;
    out.push([name, eq === -1 ? '' : decode(pair.slice(eq + 1))]);
  }
  return out;
}

function fromParameters(params: [string, string][], now: number): OsmandFix {
  let deviceId: string | undefined;
  let occurredAt: number | undefined;
  let lat: number | undefined;
  let lng: number | undefined;
  let hdop: number | undefined;
  const fix: Omit<OsmandFix, 'deviceId' | 'occurredAt'> = { valid: true };
  for (const [name, value] of params) {
    switch (name) {
      case 'id':
      case 'deviceid':
        deviceId = value;
        break;
      case 'valid':
        fix.valid = bool(value);
        break;
      case 'timestamp':
        occurredAt = parseTimestamp(value);
        break;
      case 'lat':
        lat = number('lat', value);
        break;
      case 'lon':
        lng = number('lon', value);
        break;
      case 'location': {
        const [a, b] = value.split(',');
        if (b === undefined) throw new Refused('location', `location: expected "lat,lon", got "${value.slice(0, 40)}"`);
        lat = number('location', a!);
        lng = number('location', b);
        break;
      }
      case 'speed':
        fix.speedMps = number('speed', value) * KNOT_MPS;
        break;
      case 'bearing':
      case 'heading':
        fix.headingDeg = number(name, value);
        break;
      case 'altitude':
        fix.altitudeM = number('altitude', value);
        break;
      case 'accuracy':
        fix.accuracyM = number('accuracy', value);
        break;
      case 'hdop':
        hdop = number('hdop', value);
        break;
      case 'batt':
        fix.batteryPct = number('batt', value);
        break;
      case 'charge':
        fix.charging = bool(value);
        break;
      default:
      // other attributes (alarm, mock, cell, wifi, driverUniqueId, …) are not part of a ping
    }
  }
  if (!deviceId) throw new Refused('id', 'id: the device id is required (id or deviceid)');
  // OsmAnd's template puts its accuracy in hdop; Android's GPS fixes send accuracy 0.0 for "unknown"
  if (!fix.accuracyM && hdop !== undefined && hdop > 0) fix.accuracyM = hdop;
  return { deviceId, occurredAt: occurredAt ?? now, ...fix, ...(lat !== undefined && lng !== undefined ? { position: { lat, lng } } : {}) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonNumber(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Refused(field, `${field}: expected a number`);
  return v;
}

/** Traccar Client 9.x's body (transistorsoft's location, with the device id beside it). */
function fromJson(body: string): OsmandFix {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Refused('body', 'body: not valid JSON');
  }
  if (!isObject(json)) throw new Refused('body', 'body: expected a JSON object');
  const deviceId = json.device_id;
  if (typeof deviceId !== 'string' || deviceId === '') throw new Refused('device_id', 'device_id: the device id is required, a string');
  const location = json.location;
  if (!isObject(location)) throw new Refused('location', 'location: expected an object');
  if (typeof location.timestamp !== 'string') throw new Refused('location.timestamp', 'location.timestamp: expected an ISO 8601 string');
  let occurredAt: number;
  try {
    occurredAt = parseTimestamp(location.timestamp);
  } catch (err) {
    throw new Refused('location.timestamp', (err as Error).message.replace(/^timestamp/, 'location.timestamp'));
  }
  const fix: OsmandFix = { deviceId, occurredAt, valid: true };
  const coords = location.coords;
  if (coords === undefined) fix.valid = false;
  else {
    if (!isObject(coords)) throw new Refused('location.coords', 'location.coords: expected an object');
    fix.position = { lat: jsonNumber('location.coords.latitude', coords.latitude), lng: jsonNumber('location.coords.longitude', coords.longitude) };
    const speed = coords.speed === undefined ? -1 : jsonNumber('location.coords.speed', coords.speed);
    if (speed >= 0) fix.speedMps = speed;
    const heading = coords.heading === undefined ? -1 : jsonNumber('location.coords.heading', coords.heading);
    if (heading >= 0) fix.headingDeg = heading;
    if (coords.accuracy !== undefined) {
      const accuracy = jsonNumber('location.coords.accuracy', coords.accuracy);
      if (accuracy > 0) fix.accuracyM = accuracy;
    }
    if (coords.altitude !== undefined) fix.altitudeM = jsonNumber('location.coords.altitude', coords.altitude);
  }
  const battery = location.battery;
  if (isObject(battery)) {
    if (typeof battery.level === 'number' && battery.level >= 0) fix.batteryPct = Math.round(battery.level * 100);
    if (typeof battery.is_charging === 'boolean') fix.charging = battery.is_charging;
  }
  return fix;
}

/**
 * One request's fix. `now`: when it arrived (the time of a fix that carries none). A refusal
 * names the parameter (or JSON field) at fault.
 */
export function decodeOsmand(request: OsmandRequest, now: number): Decoded {
  try {
    if (request.contentType?.toLowerCase().startsWith('application/json')) return { ok: true, fix: fromJson(request.body) };
    const query = formParameters(request.query);
    return { ok: true, fix: fromParameters(query.length > 0 ? query : formParameters(request.body), now) };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, field: err.field, message: err.message };
    throw err;
  }
}
