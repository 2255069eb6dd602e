import type { Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../observability/metrics';
import { leakyKafka } from './leaky-producer-fixture';
import { type LaneHandler, runLaneConsumer } from './run-lane-consumer';

/** A leaky Kafka (see the fixture) whose consumer has the group events and seek a lane consumer uses too. */
const fakeKafka = (failing: number) => leakyKafka(failing, { events: { GROUP_JOIN: 'consumer.group_join' }, on: () => () => {}, seek: () => {} });

const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k-${i}`), value: Buffer.from(`bad ${i}`), offset: String(10 + i), timestamp: '0', headers: {}, attributes: 0 }) as KafkaMessage);

/** Dead-letters every message of a batch. */
const deadLetterAll: LaneHandler = {
  async apply({ held }, deadLetter) {
    await deadLetter(Array.from({ length: held.count }, (_, i) => ({ message: held.message(i), reason: 'not an event' })));
    return { processed: 0, deadLettered: held.count };
  },
};

const start = (kafka: Kafka, handler: LaneHandler = deadLetterAll) =>
  runLaneConsumer({ kafka, groupId: 'g', topic: 'in', deadLetterTopic: 'dlq', worker: 'test', handler, log: pino({ level: 'silent' }), metrics: createMetrics('test') });

describe('a lane consumer', () => {
  it('commits a batch only once every one of its dead letters is acknowledged, though an answer left a partition out', async () => {
    const k = fakeKafka(1);
    const running = await start(k.kafka);
    await k.batch(messages(8));
    await running.stop(); // applies what was handed over
    expect(k.calls()).toBe(2);
    expect(k.committed).toEqual([{ offset: '18', written: 8 }]);
    const sent = k.written.map(({ topic, message }) => ({ topic, value: String(message.value), reason: String(message.headers!['dlq-reason']), offset: String(message.headers!['dlq-source-offset']) }));
    expect(sent.sort((a, b) => Number(a.offset) - Number(b.offset))).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ topic: 'dlq', value: `bad ${i}`, reason: 'not an event', offset: String(10 + i) })),
    );
  });

  it('does not commit a batch whose dead letters are never all acknowledged', async () => {
    const k = fakeKafka(Infinity);
    const running = await start(k.kafka);
    await k.batch(messages(2));
    await running.stop();
    expect(k.written.length).toBeLessThan(2);
    expect(k.committed).toEqual([]);
  });

  it("resolves its send (the window emitter's) only once every partition is acknowledged", async () => {
    const k = fakeKafka(1);
    const running = await start(k.kafka);
    const window = (i: number) => ({ key: `minute:${String(i).padStart(2, '0')}`, value: `{"uniqueUsers":${i}}` });
    await running.send([{ topic: 'stats', messages: Array.from({ length: 12 }, (_, i) => window(i)) }]);
    expect(k.calls()).toBe(2);
    const sent = k.written.map(({ topic, message }) => ({ topic, key: String(message.key), value: message.value }));
    expect(sent.sort((a, b) => a.key.localeCompare(b.key))).toEqual(Array.from({ length: 12 }, (_, i) => ({ topic: 'stats', ...window(i) })));
    await running.stop();
  });
});
