// Every process signs in to Kafka as its own SCRAM user and may do only what
// lib/kafka/principals.ts grants it: the broker refuses the rest, and each service still
// does its whole job under its own user.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { courierLocationKey } from '../../lib/couriers/keys';
import { readLocation } from '../../lib/couriers/record-locations';
import { createKafka } from '../../lib/kafka/client';
import type { RunningConsumer } from '../../lib/kafka/run-consumer';
import { profileDir } from '../../scripts/infra/stack';
import { type RunningServer, startServer } from '../../server/start-server';
import { createArchiveWorker } from '../../workers/archive-worker';
import { createActivityWorker } from '../../workers/activity-worker';
import { createLocationWorker } from '../../workers/location-worker';
import { createOrderWorker } from '../../workers/order-worker';
import { type Harness, createHarness, eventually, tokenFor, topicSize } from './harness';

let h: Harness;
const clients: { disconnect(): Promise<void> }[] = [];
const WORKERS = ['location', 'orders', 'activity', 'archive'] as const;

/** Connected, and disconnected after the file. (A refusal is not retriable: no retries wait it out.) */
async function producerOf(kafka: Kafka) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  clients.push(producer);
  await producer.connect();
  return producer;
}
async function adminOf(kafka: Kafka) {
  const admin = kafka.admin();
  clients.push(admin);
  await admin.connect();
  return admin;
}

/** The broker's error code a call failed with (kafkajs wraps a protocol error in a non-retriable one). */
async function refusal(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    const e = err as { type?: string; cause?: { type?: string } };
    return e.type ?? e.cause?.type ?? String(err);
  }
}

/** The broker's authorizer log: the lines saying it denied `user`. */
const denials = (user: string) =>
  readFileSync(join(profileDir(h.env.profile!), 'kafka', 'server.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes(`Principal = User:${user} is Denied`));

beforeAll(async () => {
  // short stats intervals, so the activity worker emits and samples within the test
  h = await createHarness('acls', { STATS_ALLOWED_LATENESS_SECONDS: '0', STATS_PARTITION_IDLE_SECONDS: '1', STATS_EMIT_INTERVAL_MS: '200', LAKE_FLUSH_SECONDS: '1' });
});

afterAll(async () => {
  for (const client of clients) await client.disconnect().catch(() => undefined);
  await h?.close();
});

describe('Kafka users and ACLs', () => {
  const ingest = () => [h.topics.courierLocations, h.topics.orderEvents, h.topics.userActivity];

  it("refuses a worker's user the ingest topics: only the server writes them", async () => {
    for (const worker of WORKERS) {
      const producer = await producerOf(h.kafkaAs(worker));
      for (const topic of ingest()) {
        const sent = producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'forged' }] });
        expect(await refusal(sent), `${worker} → ${topic}`).toBe('TOPIC_AUTHORIZATION_FAILED');
      }
    }
    for (const topic of ingest()) expect(await topicSize(h.admin, topic)).toBe(0);
  });

  it("refuses the server's user a worker's consumer group: neither its offsets nor a seat in it", async () => {
    const group = `${h.groupPrefix}.location`;
    const topics = [h.topics.courierLocations];
    // the group's own user may read its offsets: what is refused below is refused for who asks
    const own = await adminOf(h.kafkaAs('location'));
    // (on a fresh broker the offsets topic is still being created: "not the coordinator" for a moment)
    expect(await eventually(() => own.fetchOffsets({ groupId: group, topics }), 20_000, 'the location user to read its offsets')).toHaveLength(1);

    const server = await adminOf(h.kafkaAs('server'));
    // kafkajs reports the refused FindCoordinator as "not found"; the broker's log says why
    await expect(server.fetchOffsets({ groupId: group, topics })).rejects.toThrow(/group coordinator/i);

    const consumer = h.kafkaAs('server').consumer({ groupId: group, retry: { retries: 0, restartOnFailure: async () => false } });
    clients.push(consumer);
    const crashed = new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error)));
    await consumer.connect();
    await consumer.subscribe({ topic: h.topics.courierLocations }); // it may see the topic (it writes it), not join the group
    void consumer.run({ eachMessage: async () => undefined });
    expect((await crashed).message).toMatch(/group coordinator/i);

    const denied = await eventually(async () => {
      const lines = denials('lastmile-server').filter((line) => line.includes(`on resource = Group:LITERAL:${group} `));
      return lines.length >= 2 ? lines : undefined;
    }, 10_000, 'the broker to log both refusals');
    for (const line of denied) expect(line).toMatch(/is Denied operation = DESCRIBE .* for request = FindCoordinator/);
  });

  it('refuses a wrong password, an unknown user and a client without SASL', async () => {
    const attempt = async (kafka: Parameters<typeof createKafka>[0]['kafka']) => {
      const admin = createKafka({ kafka, as: 'server', clientId: 'test-acls-intruder', log: h.log }).admin({ retry: { retries: 0 } });
      try {
        await admin.connect(); // ApiVersions: answered before any sign-in
        await admin.describeCluster();
        return 'connected';
      } catch (err) {
        return (err as Error).name;
      } finally {
        await admin.disconnect();
      }
    };
    const kafka = h.config.kafka;
    expect(await attempt({ ...kafka, username: 'lastmile-server', password: 'not-its-password' })).toBe('KafkaJSSASLAuthenticationError');
    expect(await attempt({ ...kafka, username: 'lastmile-nobody', password: 'x' })).toBe('KafkaJSSASLAuthenticationError');
    expect(await attempt({ ...kafka, saslMechanism: 'none' })).not.toBe('connected');
    // and the right one, for contrast
    expect(await attempt(kafka)).toBe('connected');
  });

  describe('each service at work under its own user', () => {
    let server: RunningServer;
    const workers: RunningConsumer[] = [];
    beforeAll(async () => {
      server = await startServer(h.config, h.log); // signs in as lastmile-server (h.env's users file)
      workers.push(await createLocationWorker(h.as('location')), await createOrderWorker(h.as('orders')), await createActivityWorker(h.as('activity')), await createArchiveWorker(h.as('archive')));
    });
    afterAll(async () => {
      for (const worker of workers) await worker.stop();
      await server?.close();
    });

    it('ingests, applies, dead-letters, commits, samples and emits', async () => {
      const deniedBefore = WORKERS.flatMap((w) => denials(`lastmile-${w}`)).length; // the refusals above
      const courierId = `k-acls-${Date.now()}`;
      const res = await fetch(`${server.url}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('courier', courierId)}` },
        body: JSON.stringify({ type: 'courier.location', version: 1, eventId: `evt-${courierId}`, courierId, lat: -23.5, lng: -46.6, occurredAt: Date.now() - 1000 }),
      });
      expect(res.status).toBe(202);
      // the location worker read it, stored it and committed
      expect(await eventually(() => readLocation(h.redis, courierLocationKey(courierId)).then((l) => l ?? undefined))).toMatchObject({ courierId, lat: -23.5 });

      // poison on each input topic: every worker writes its dead letter as itself
      const admin = await producerOf(h.kafka);
      const t0 = Math.floor(Date.now() / 1000) - 3600;
      // two minutes of activity, so the first minute closes and is emitted
      const frames = Array.from({ length: 130 }, (_, i) => ({ key: `u${i % 7}`, value: JSON.stringify({ uid: `u${i % 7}`, ts: t0 + i }) }));
      await admin.send({ topic: h.topics.userActivity, acks: -1, messages: [...frames, { key: 'x', value: 'not json' }] });
      for (const topic of [h.topics.courierLocations, h.topics.orderEvents]) await admin.send({ topic, acks: -1, messages: [{ key: 'x', value: 'not json' }] });
      await eventually(async () => ((await topicSize(h.admin, h.topics.deadLetters)) === 3 ? true : undefined), 30_000, 'three dead letters, one per worker');

      // each group committed its way to the end of its topic
      const archived = [h.topics.courierLocations, h.topics.orderEvents, h.topics.userActivity, h.topics.deadLetters].map((t) => ['archive', t] as const);
      for (const [worker, topic] of [['location', h.topics.courierLocations], ['orders', h.topics.orderEvents], ['activity', h.topics.userActivity], ...archived] as const) {
        await eventually(async () => {
          const [committed] = await h.admin.fetchOffsets({ groupId: `${h.groupPrefix}.${worker}`, topics: [topic] });
          const end = await h.admin.fetchTopicOffsets(topic);
          // a partition that never held a message has no commit (-1) at its end (0)
          const caughtUp = committed!.partitions.every((p) => Math.max(0, Number(p.offset)) === Number(end.find((e) => e.partition === p.partition)!.high));
          return caughtUp ? true : undefined;
        }, 30_000, `${worker} to commit to the end`);
      }
      // the activity worker emitted windows and sampled every event topic's end offsets
      await eventually(async () => ((await topicSize(h.admin, h.topics.uniqueUsers)) > 0 ? true : undefined), 30_000, 'a window on the stats topic');
      const sampled = await eventually(async () => {
        const rows = await h.db.ingestSample.findMany({ where: { topic: { in: ingest() } }, distinct: ['topic'], select: { topic: true } });
        return rows.length === 3 ? rows : undefined;
      }, 30_000, 'ingest samples of the three event topics');
      expect(sampled.map((r) => r.topic).sort()).toEqual([...ingest()].sort());
      // and nothing a worker tried was refused
      expect(WORKERS.flatMap((w) => denials(`lastmile-${w}`)).slice(deniedBefore)).toEqual([]);
    }, 120_000);
  });
});
