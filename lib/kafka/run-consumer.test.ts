import type { Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../observability/metrics';
import { leakyKafka, type Written } from './leaky-producer-fixture';
import { PoisonMessageError } from './retriable';
import { runConsumer } from './run-consumer';

const messages = (values: string[]) =>
  values.map((value, i) => ({ key: Buffer.from(`k-${i}`), value: Buffer.from(value), offset: String(10 + i), timestamp: '0', headers: {}, attributes: 0 }) as KafkaMessage);

async function start(kafka: Kafka, apply: (values: string[]) => Promise<void> = async () => {}) {
  return runConsumer<string>({
    kafka,
    groupId: 'g',
    topic: 'in',
    deadLetterTopic: 'dlq',
    worker: 'test',
    log: pino({ level: 'silent' }),
    metrics: createMetrics('test'),
    handler: {
      decode: (m) => (m.value!.toString().startsWith('bad') ? { ok: false, reason: 'not an event' } : { ok: true, value: m.value!.toString() }),
      apply,
    },
  });
}

const deadLetters = (written: Written[]) =>
  written.map(({ topic, message }) => ({ topic, value: String(message.value), reason: String(message.headers!['dlq-reason']), offset: String(message.headers!['dlq-source-offset']) }));

describe('a consumer', () => {
  it('commits a batch only once every dead letter of its undecodable messages is acknowledged, though an answer left a partition out', async () => {
    const k = leakyKafka(1);
    await start(k.kafka);
    await k.batch(messages(['bad 0', 'good', 'bad 2', 'bad 3', 'bad 4', 'bad 5', 'bad 6', 'bad 7']));
    expect(k.calls()).toBe(2);
    expect(k.committed).toEqual([{ offset: '18', written: 7 }]);
    expect(deadLetters(k.written).sort((a, b) => Number(a.offset) - Number(b.offset))).toEqual(
      [0, 2, 3, 4, 5, 6, 7].map((i) => ({ topic: 'dlq', value: `bad ${i}`, reason: 'not an event', offset: String(10 + i) })),
    );
  });

  it('commits a batch only once the dead letter of a message that failed on its own is acknowledged', async () => {
    const k = leakyKafka(1);
    await start(k.kafka, async (values) => {
      if (values.includes('poison')) throw new PoisonMessageError('violates a constraint');
    });
    await k.batch(messages(['fine', 'poison', 'fine too']));
    expect(k.calls()).toBe(2);
    expect(k.committed).toEqual([{ offset: '13', written: 1 }]);
    expect(deadLetters(k.written)).toEqual([{ topic: 'dlq', value: 'poison', reason: 'violates a constraint', offset: '11' }]);
  });

  it('does not commit a batch whose dead letters are never all acknowledged', async () => {
    const k = leakyKafka(Infinity);
    await start(k.kafka);
    await expect(k.batch(messages(['bad 0', 'bad 1']))).rejects.toThrow('left out dlq/');
    expect(k.committed).toEqual([]);
  });
});
