// The requests tracker apps send, as their sources build them (docs/osmand.md), and every
// timestamp and speed form Traccar's decoder reads.
import { describe, expect, it } from 'vitest';
import { KNOT_MPS, decodeOsmand, parseTimestamp } from './decode-osmand';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const fixOf = (request: { query?: string; contentType?: string; body?: string }) => {
  const decoded = decodeOsmand({ query: request.query ?? '', contentType: request.contentType, body: request.body ?? '' }, NOW);
  if (!decoded.ok) throw new Error(`refused: ${decoded.message}`);
  return decoded.fix;
};
const refusal = (request: { query?: string; contentType?: string; body?: string }) => {
  const decoded = decodeOsmand({ query: request.query ?? '', contentType: request.contentType, body: request.body ?? '' }, NOW);
  if (decoded.ok) throw new Error('accepted');
  return decoded;
};

describe('what the apps send', () => {
  it('Traccar Client for Android: a POST with everything in the query, an empty form body', () => {
    // POST /?id=…&timestamp=…&lat=…&lon=…&speed=…&bearing=…&altitude=…&accuracy=…&batt=… (v5.1 and later)
    const fix = fixOf({
      query: 'id=123456789012345&timestamp=1597000000&lat=52.520008&lon=13.404954&speed=10.0&bearing=63.0&altitude=34.0&accuracy=0.0&batt=87.0',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(fix).toEqual({
      deviceId: '123456789012345',
      occurredAt: 1597000000_000,
      position: { lat: 52.520008, lng: 13.404954 },
      speedMps: 10 * KNOT_MPS,
      headingDeg: 63,
      altitudeM: 34,
      accuracyM: 0, // Android's GPS fixes: "unknown" (dropped from the ping)
      batteryPct: 87,
      valid: true,
    });
  });

  it("Traccar Client for Android's own test request, Java's doubles and an SOS alarm", () => {
    const fix = fixOf({ query: 'id=123456789012345&timestamp=619315200&lat=0.0&lon=1.0E-4&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0&alarm=alert%20message' });
    expect(fix.position).toEqual({ lat: 0, lng: 0.0001 });
    expect(fix.occurredAt).toBe(619315200_000);
  });

  it('Traccar Client for iOS: six decimals, integral numbers without a point, speed left out when unknown', () => {
    const fix = fixOf({ query: 'id=123456789012345&timestamp=1749995112&lat=37.421998&lon=-122.084000&altitude=5&accuracy=65&batt=100&charge=true' });
    expect(fix).toMatchObject({ position: { lat: 37.421998, lng: -122.084 }, accuracyM: 65, batteryPct: 100, charging: true });
    expect(fix.speedMps).toBeUndefined();
  });

  it('Traccar Client 10.x: a form body, no query', () => {
    const body =
      'id=48241179&lat=37.4219983&lon=-122.084&timestamp=1749995112&accuracy=5.0&altitude=5.0&speed=12.35&bearing=0.0&batt=100&charge=false&battery_health=good&battery_voltage=4200&battery_temp=25.0';
    const fix = fixOf({ body, contentType: 'application/x-www-form-urlencoded; charset=UTF-8' });
    expect(fix).toMatchObject({ deviceId: '48241179', occurredAt: 1749995112_000, position: { lat: 37.4219983, lng: -122.084 }, accuracyM: 5, charging: false });
    expect(fix.speedMps).toBeCloseTo(12.35 * KNOT_MPS, 9);
  });

  it('Traccar Client 9.x: the JSON body, speed in m/s, -1 for an unknown heading', () => {
    const body =
      '{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,"longitude":-122.084,"accuracy":5,"speed":3.5,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":0.79,"is_charging":false},"activity":{"type":"still"},"extras":{},"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}';
    const fix = fixOf({ body, contentType: 'application/json' });
    expect(fix).toEqual({
      deviceId: '48241179',
      occurredAt: Date.parse('2025-06-15T13:45:12.862Z'),
      position: { lat: 37.4219983, lng: -122.084 },
      speedMps: 3.5,
      accuracyM: 5,
      altitudeM: 5,
      batteryPct: 79,
      charging: false,
      valid: true,
    });
  });

  it("OsmAnd's online tracking: a GET from its template, milliseconds, its accuracy in hdop", () => {
    const fix = fixOf({ query: 'id=123456&lat=52.52&lon=13.4049539&timestamp=1597000000123&hdop=4.0&altitude=34.0&speed=1.25' });
    expect(fix).toMatchObject({ occurredAt: 1597000000123, position: { lat: 52.52, lng: 13.4049539 }, accuracyM: 4, altitudeM: 34 });
    expect(fix.speedMps).toBeCloseTo(1.25 * KNOT_MPS, 9); // read as knots, as Traccar does
  });

  it('location=lat,lon and deviceid, ; between pairs, + for a space', () => {
    const fix = fixOf({ query: 'deviceid=truck+7;location=-23.55,-46.63;valid=1' });
    expect(fix).toMatchObject({ deviceId: 'truck 7', position: { lat: -23.55, lng: -46.63 }, valid: true });
  });

  it('a query wins over a form body; without any, the body is read', () => {
    expect(fixOf({ query: 'id=a&lat=1&lon=2', body: 'id=b&lat=3&lon=4' }).deviceId).toBe('a');
    expect(fixOf({ query: '', body: 'id=b&lat=3&lon=4' }).deviceId).toBe('b');
  });

  it('a push-token registration carries no position; valid=false marks a bad fix', () => {
    expect(fixOf({ body: 'id=48241179&notificationToken=abc' }).position).toBeUndefined();
    expect(fixOf({ query: 'id=a&lat=1&lon=2&valid=false' }).valid).toBe(false);
    expect(fixOf({ body: '{"device_id":"d","location":{"timestamp":"2025-06-15T13:45:12Z"}}', contentType: 'application/json' }).valid).toBe(false);
  });

  it('no timestamp: the time the request arrived', () => {
    expect(fixOf({ query: 'id=a&lat=1&lon=2' }).occurredAt).toBe(NOW);
  });
});

describe('timestamps', () => {
  it.each([
    ['1597000000', 1597000000_000],
    ['2147483646', 2147483646_000],
    ['2147483647', 2147483647],
    ['1597000000123', 1597000000123],
    ['2016-01-27T18:55:47Z', Date.UTC(2016, 0, 27, 18, 55, 47)],
    ['2016-01-27T18:55:47.123Z', Date.UTC(2016, 0, 27, 18, 55, 47, 123)],
    ['2016-01-27T18:55:47+02:00', Date.UTC(2016, 0, 27, 16, 55, 47)],
    ['2016-01-27T18:55:47+02:00[Europe/Berlin]', Date.UTC(2016, 0, 27, 16, 55, 47)],
    ['2016-01-27 18:55:47', new Date(2016, 0, 27, 18, 55, 47).getTime()],
  ])('%s', (text, ms) => expect(parseTimestamp(text)).toBe(ms));

  it.each(['2016-01-27T18:55:47', '2016-01-27T18:55:47+0200', '1597000000.5', '2016/01/27 18:55:47', '2016-02-30 10:00:00', 'yesterday', ''])('refuses %j, naming timestamp', (text) => {
    expect(refusal({ query: `id=a&lat=1&lon=2&timestamp=${encodeURIComponent(text)}` }).field).toBe('timestamp');
  });
});

describe('refusals name the parameter', () => {
  it.each([
    ['lat=north&lon=2&id=a', 'lat'],
    ['lat=1&lon=&id=a', 'lon'],
    ['lat=1&lon=2&id=a&speed=fast', 'speed'],
    ['location=1&id=a', 'location'],
    ['lat=1&lon=2', 'id'],
    ['lat=1&lon=2&id=', 'id'],
    ['lat=1&lon=2&id=a&x=%zz', 'x'],
    ['lat=NaN&lon=2&id=a', 'lat'],
    ['lat=Infinity&lon=2&id=a', 'lat'],
  ])('%s → %s', (query, field) => expect(refusal({ query }).field).toBe(field));

  it.each([
    ['[{"device_id":"a"}]', 'body'],
    ['{"device_id":"a"', 'body'],
    ['{"location":{"timestamp":"2025-06-15T13:45:12Z"}}', 'device_id'],
    ['{"device_id":"a","location":{"timestamp":1}}', 'location.timestamp'],
    ['{"device_id":"a","location":{"timestamp":"2025-06-15T13:45:12Z","coords":{"latitude":"1","longitude":2}}}', 'location.coords.latitude'],
  ])('JSON %s → %s', (body, field) => expect(refusal({ body, contentType: 'application/json; charset=utf-8' }).field).toBe(field));
});
