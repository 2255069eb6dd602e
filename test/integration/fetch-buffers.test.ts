// Fetch responses read into reused buffers (lib/kafka/fetch-buffers.ts), through the real
// Kafka: kafkajs decodes them where they lie, and a buffer is not reused while a batch that
// holds it waits, however long it waits.
import { afterAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { fetchBuffers } from '../../lib/kafka/fetch-buffers';
import { type Harness, createHarness, eventually } from './harness';

const MESSAGES = 3_000;
const harnesses: Harness[] = [];

afterAll(async () => {
  for (const h of harnesses) await h.close();
});

/** Message i's value: its number, then 1.5 KB that depend on it. */
const valueOf = (i: number) => `${i}:${String.fromCharCode(97 + (i % 26)).repeat(1500 + (i % 97))}`;

describe('fetch buffers', () => {
  it('hands kafkajs whole responses to decode in place, and reuses one only once its batches are done', async () => {
    const h = await createHarness('fetch-buffers');
    harnesses.push(h);
    const topic = h.topics.userActivity;
    const producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // small sends: a broker answers a fetch with whole record batches, so these make small fetches
    for (let i = 0; i < MESSAGES; i += 60) {
      const messages = Array.from({ length: Math.min(60, MESSAGES - i) }, (_, j) => ({ key: `u${(i + j) % 50}`, value: valueOf(i + j) }));
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    // small fetches, so that there are many responses and buffers come round again
    const buffers = fetchBuffers({ pooledFrom: 8 * 1024, keep: 2 });
    const consumer = h.kafkaWith(buffers.socketFactory).consumer({ groupId: `${h.groupPrefix}-fetch-buffers`, maxBytesPerPartition: 64 * 1024, maxBytes: 192 * 1024 });
    const seen = new Map<number, number>();
    const wrong: string[] = [];
    let pooled = 0;
    let notPooled = 0;
    // each batch is checked and let go of a while after eachBatch returned, as a worker's lane
    // does: by then kafkajs has fetched on, and its response is sealed
    const check = (messages: { value: Buffer | null }[], drop: (() => void) | null) => {
      for (const { value } of messages) {
        const text = value!.toString();
        const i = Number(text.slice(0, text.indexOf(':')));
        if (text !== valueOf(i)) wrong.push(text.slice(0, 40));
        seen.set(i, (seen.get(i) ?? 0) + 1);
      }
      drop?.();
    };
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        const drop = buffers.hold(batch.messages);
        if (drop) pooled++;
        else notPooled++;
        setTimeout(() => check(batch.messages, drop), 5 + (Number(batch.firstOffset()) % 7) * 5);
      },
    });
    try {
      await eventually(async () => (seen.size === MESSAGES || wrong.length > 0 ? true : undefined), 60_000, 'every message checked');
    } finally {
      await consumer.disconnect();
    }
    expect(wrong).toEqual([]);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // the batches lay in pooled buffers (kafkajs decoded the responses where they were read),
    // but for a partition's last few messages, in a response too small for the pool
    expect(pooled).toBeGreaterThan(40);
    expect(notPooled).toBeLessThanOrEqual(3);
    const counts = buffers.counts();
    expect(counts.reused).toBeGreaterThan(10);
    // at least a third of the buffers handed out came round again (how many more depends on
    // how soon the batches are let go of against how fast responses come: equal counts failed
    // a strict "fewer allocated than reused" on a loaded machine)
    expect(counts.allocated).toBeLessThanOrEqual(2 * counts.reused);
  }, 120_000);
});
