// Thousands of random and malformed bodies against the ingest API: never a 5xx, and Kafka
// holds exactly the events that were acknowledged.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/start-server';
import { type Harness, createHarness, tokenFor, topicSize } from './harness';

let h: Harness;
let server: RunningServer;

beforeAll(async () => {
  h = await createHarness('fuzz', { INGEST_MAX_BODY_BYTES: '16384', INGEST_MAX_BATCH: '20', INGEST_BURST_PER_COURIER: '1000000' });
  server = await startServer(h.config, h.log);
});

afterAll(async () => {
  await server?.close();
  await h?.close();
});

const now = Date.now();
const field = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.double(),
  fc.integer({ min: now - 1e9, max: now + 1e9 }),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('courier.location', 'order.event', 'user.activity', 'created', 'delivered', 'c-1', 1, 2, -90, 180.5),
);
const eventLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom('courier.location', 'order.event', 'user.activity'), field),
    version: fc.oneof(fc.constantFrom(1, 2), field),
    eventId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/), field),
    courierId: fc.oneof(fc.constant('c-1'), field),
    orderId: fc.oneof(fc.constant('o-1'), field),
    status: fc.oneof(fc.constantFrom('created', 'cancelled'), field),
    reason: field,
    uid: fc.oneof(fc.constant('u-1'), field),
    ts: fc.oneof(fc.integer({ min: 0, max: 2e9 }), field),
    lat: fc.oneof(fc.double({ min: -90, max: 90, noNaN: true }), field),
    lng: fc.oneof(fc.double({ min: -180, max: 180, noNaN: true }), field),
    occurredAt: fc.oneof(fc.integer({ min: now - 1e8, max: now }), field),
    extra: field,
  },
  { requiredKeys: [] },
);
const validPing = fc.record({
  type: fc.constant('courier.location'),
  version: fc.constantFrom(1, 2),
  eventId: fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/),
  courierId: fc.constant('c-1'),
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lng: fc.double({ min: -180, max: 180, noNaN: true }),
  occurredAt: fc.integer({ min: now - 1e8, max: now }),
});
const body = fc.oneof(
  { arbitrary: fc.array(validPing, { minLength: 1, maxLength: 20 }).map((a) => JSON.stringify(a)), weight: 3 },
  { arbitrary: eventLike.map((e) => JSON.stringify(e)), weight: 4 },
  { arbitrary: fc.array(eventLike, { maxLength: 25 }).map((a) => JSON.stringify(a)), weight: 2 },
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 16_000, maxLength: 20_000 }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')), weight: 1 },
);
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/JSON'), weight: 5 },
  { arbitrary: fc.constantFrom('text/plain', ''), weight: 1 },
);
const token = fc.oneof(
  { arbitrary: fc.constantFrom(tokenFor('integrator', 'fuzz'), tokenFor('courier', 'c-1')), weight: 4 },
  { arbitrary: fc.constantFrom(tokenFor('order', 'o-1'), tokenFor('courier', 'c-2'), 'garbage', ''), weight: 1 },
);

describe('ingest API under random input', () => {
  it('never answers 5xx, and Kafka holds exactly what was acknowledged', async () => {
    const topics = [h.topics.courierLocations, h.topics.orderEvents, h.topics.userActivity];
    const sizes = async () => (await Promise.all(topics.map((t) => topicSize(h.admin, t)))).reduce((a, b) => a + b, 0);
    const before = await sizes();
    let acknowledged = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, contentType, token, async (text, type, bearer) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (bearer) headers.authorization = `Bearer ${bearer}`;
        const res = await fetch(`${server.url}/api/events`, { method: 'POST', headers, body: text });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect([202, 400, 401, 403, 413, 415]).toContain(res.status);
        const answer = (await res.json()) as { accepted?: number; error?: { message: string } };
        if (res.status === 202) acknowledged += answer.accepted!;
        else expect(answer.error?.message).toBeTruthy();
      }),
      { numRuns: 2000 },
    );
    expect(await sizes()).toBe(before + acknowledged);
    // the generator reached both sides of the door
    expect(statuses.get(202) ?? 0).toBeGreaterThan(20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
  });
});
