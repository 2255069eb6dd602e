// The thin vertical slice through real services: HTTP ingest → Kafka → location worker →
// Redis and Postgres, plus what must never get through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { courierLocationKey, orderLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { SCHEMA_HEADER } from '../../lib/kafka/client';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import { writeOrderStatus } from '../../lib/orders/order-status-store';
import { type RunningServer, startServer } from '../../server/start-server';
import { createLocationWorker } from '../../workers/location-worker';
import { type Harness, createHarness, eventually, tokenFor, topicSize } from './harness';

let h: Harness;
let server: RunningServer;
let worker: RunningConsumer;
let base: string;
const producer = () => h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });

const T0 = Date.now() - 60_000;
const runId = Math.random().toString(36).slice(2, 8);
const ping = (n: number, overrides: Record<string, unknown> = {}) => ({
  type: 'courier.location',
  version: 1,
  eventId: `evt-${runId}-${n}`,
  courierId: `courier-${runId}`,
  orderId: `order-${runId}`,
  lat: -23.5 - n / 1000,
  lng: -46.6 - n / 1000,
  occurredAt: T0 + n * 1000,
  ...overrides,
});

const post = (body: unknown, contentType = 'application/json') =>
  fetch(`${base}/api/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${tokenFor('courier', `courier-${runId}`)}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  h = await createHarness('pipeline', { INGEST_MAX_BODY_BYTES: String(64 * 1024), INGEST_MAX_BATCH: '100' });
  server = await startServer(h.config, h.log);
  base = server.url;
  worker = await createLocationWorker(h.as('location'));
  // the order the pings name is the courier's, as the order worker records an assignment
  await writeOrderStatus(h.redis, { orderId: `order-${runId}`, status: 'picked_up', at: T0, courierId: `courier-${runId}` });
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await h?.close();
});

describe('ingest → Kafka → location worker → Redis and Postgres', () => {
  it('stores an accepted ping in Redis and in Postgres', async () => {
    const res = await post(ping(1));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1 });

    const last = await eventually(() => readLocation(h.redis, courierLocationKey(`courier-${runId}`)).then((l) => l ?? undefined));
    expect(last).toMatchObject({ courierId: `courier-${runId}`, lat: -23.501, lng: -46.601, occurredAt: T0 + 1000 });
    expect(await readLocation(h.redis, orderLocationKey(`order-${runId}`))).toMatchObject({ lat: -23.501 });

    const row = await eventually(() => h.db.courierLocation.findFirst({ where: { eventId: `evt-${runId}-1` } }).then((r) => r ?? undefined));
    expect(row).toMatchObject({ courierId: `courier-${runId}`, orderId: `order-${runId}`, lat: -23.501, lng: -46.601 });
    expect(row.occurredAt.getTime()).toBe(T0 + 1000);
  });

  it('keys pings by courier and tags them with their schema id', async () => {
    const consumer = h.kafka.consumer({ groupId: `${h.groupPrefix}-inspect` });
    await consumer.connect();
    await consumer.subscribe({ topic: h.topics.courierLocations, fromBeginning: true });
    const seen: { key: string; schema: string }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: String(message.key), schema: String(message.headers?.[SCHEMA_HEADER]) });
      },
    });
    await eventually(async () => (seen.length > 0 ? true : undefined));
    await consumer.disconnect();
    expect(seen[0]).toEqual({ key: `courier-${runId}`, schema: 'courier-location.v1' });
  });

  it('answers 400 naming the event and field, and writes nothing of an invalid batch', async () => {
    const before = await topicSize(h.admin, h.topics.courierLocations);
    const res = await post([ping(10), ping(11, { lat: 91 }), ping(12, { courierId: undefined })]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { index: number; field: string; rule: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, field: '/lat', rule: 'maximum' }),
        expect.objectContaining({ index: 2, field: '/courierId', rule: 'required' }),
      ]),
    );
    expect(await topicSize(h.admin, h.topics.courierLocations)).toBe(before);
    expect(await h.db.courierLocation.findFirst({ where: { eventId: `evt-${runId}-10` } })).toBeNull();
  });

  it('refuses bodies that are not JSON, too large, or not an event', async () => {
    expect((await post('lat=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post('{"type":', 'application/json')).status).toBe(400);
    expect((await post('x'.repeat(70 * 1024))).status).toBe(413);
    expect((await post(Array.from({ length: 101 }, (_, i) => ping(100 + i)))).status).toBe(413);
    const unknownType = await post({ type: 'courier.teleport' });
    expect(unknownType.status).toBe(400);
    expect(await unknownType.json()).toMatchObject({ error: { issues: [{ field: '/type', rule: 'enum' }] } });
  });

  it('dead-letters a poison message with the reason and keeps going', async () => {
    const raw = producer();
    await raw.connect();
    await raw.send({
      topic: h.topics.courierLocations,
      acks: -1,
      messages: [
        { key: `courier-${runId}`, value: '{"this is": "not a ping"' },
        { key: `courier-${runId}`, value: JSON.stringify(ping(2)) },
      ],
    });
    await raw.disconnect();

    const consumer = h.kafka.consumer({ groupId: `${h.groupPrefix}-dlq` });
    await consumer.connect();
    await consumer.subscribe({ topic: h.topics.deadLetters, fromBeginning: true });
    const dead: Record<string, string>[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      },
    });
    await eventually(async () => (dead.length > 0 ? true : undefined), 20_000, 'a dead letter');
    await consumer.disconnect();
    expect(dead[0]).toMatchObject({ 'dlq-source-topic': h.topics.courierLocations, 'dlq-worker': 'location' });
    expect(dead[0]!['dlq-reason']).toMatch(/not JSON/);

    // the ping after the poison one was applied
    await eventually(() => h.db.courierLocation.findFirst({ where: { eventId: `evt-${runId}-2` } }).then((r) => r ?? undefined));
    const last = await readLocation(h.redis, courierLocationKey(`courier-${runId}`));
    expect(last?.occurredAt).toBe(T0 + 2000);
  });
});
