// A consumer group member that works a batch at a time: decode every message, dead-letter
// the ones that can never be applied, apply the rest, and only then commit the offset.
// A crash anywhere before the commit replays the batch; effects are idempotent.
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Log } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { reliableProducer } from './reliable-producer';
import { isRetriable } from './retriable';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface BatchHandler<T> {
  /** Pure: bytes to a value, or the reason the message can never be applied. */
  decode(message: KafkaMessage): Decoded<T>;
  /** Applies the values durably, in order; resolves once the effects are stored. */
  apply(values: T[]): Promise<void>;
}

export interface ConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  worker: string;
  handler: BatchHandler<T>;
  log: Log;
  metrics: Metrics;
  fromBeginning?: boolean;
  /** Batches applied at once (default 6, the default partition count). */
  partitionsConcurrently?: number;
}

export interface RunningConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

export async function runConsumer<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
  const { kafka, groupId, topic, handler, log, metrics, worker } = options;
  // A 10 s session: a crashed worker's partitions move to a live one within seconds.
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxBytes: 8 * 1024 * 1024,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
  });
  // the batch's offset is committed once its dead letters are sent: each sent in full (reliable-producer.ts)
  const producer = reliableProducer(kafka, log);
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });

  const deadLetter = (message: KafkaMessage, partition: number, reason: string) =>
    toDeadLetter({ topic, partition, worker, message, reason });
  const sendDeadLetters = (messages: DeadLetterMessage[]) => producer.send([{ topic: options.deadLetterTopic, messages }]);

  await consumer.run({
    // Partitions are independent (a key lives in one), so their batches may overlap their
    // waits on Redis and Postgres; within a partition, order is kept. A fetch brings a batch
    // per partition and the next fetch waits for the last of them: with fewer slots than
    // partitions they are applied in rounds and new messages wait for every round
    // (`npm run bench:freshness`, alternating runs on one 2-core box: p99 641–732 ms with 3
    // slots for 6 partitions, 546–575 ms with 6).
    partitionsConsumedConcurrently: Math.max(1, options.partitionsConcurrently ?? 6),
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      const timer = metrics.batchSeconds.startTimer({ worker });
      const good: { message: KafkaMessage; value: T }[] = [];
      const poison: DeadLetterMessage[] = [];
      for (const message of batch.messages) {
        const decoded = handler.decode(message);
        if (decoded.ok) good.push({ message, value: decoded.value });
        else poison.push(deadLetter(message, batch.partition, decoded.reason));
      }
      if (poison.length > 0) await sendDeadLetters(poison);

      const deadLettered = poison.length + (await applyOrIsolate(good, handler, deadLetter, batch.partition, sendDeadLetters, options));
      const last = batch.messages[batch.messages.length - 1]!;
      await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      // kafkajs fetches on from the last resolved offset, not the committed one.
      resolveOffset(last.offset);
      await heartbeat();

      metrics.eventsIn.inc({ type: worker, outcome: 'processed' }, batch.messages.length - deadLettered);
      if (deadLettered > 0) {
        metrics.eventsIn.inc({ type: worker, outcome: 'dead_lettered' }, deadLettered);
        log.warn({ topic, partition: batch.partition, deadLettered }, 'messages sent to the dead-letter topic');
      }
      metrics.consumerLag.set({ group: groupId, topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
      timer();
    },
  });

  return {
    consumer,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

/**
 * Applies the batch at once; if that fails for a reason that retrying will not cure, applies
 * message by message and dead-letters the ones that fail. Returns how many were dead-lettered.
 */
async function applyOrIsolate<T>(
  good: { message: KafkaMessage; value: T }[],
  handler: BatchHandler<T>,
  deadLetter: (message: KafkaMessage, partition: number, reason: string) => DeadLetterMessage,
  partition: number,
  sendDeadLetters: (messages: DeadLetterMessage[]) => Promise<unknown>,
  options: ConsumerOptions<T>,
): Promise<number> {
  if (good.length === 0) return 0;
  try {
    await handler.apply(good.map((g) => g.value));
    return 0;
  } catch (err) {
    if (isRetriable(err)) throw err;
    options.log.warn({ err }, 'batch failed for a non-retriable reason: isolating the bad messages');
  }
  let count = 0;
  for (const { message, value } of good) {
    try {
      await handler.apply([value]);
    } catch (err) {
      if (isRetriable(err)) throw err;
      await sendDeadLetters([deadLetter(message, partition, String((err as Error).message))]);
      count++;
    }
  }
  return count;
}

export type DeadLetterMessage = { key: Buffer | string | null; value: Buffer | string | null; headers: Record<string, string | Buffer> };

export function toDeadLetter(
  source: { topic: string; partition: number; worker: string; message: KafkaMessage; reason: string },
): DeadLetterMessage {
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(source.message.headers ?? {})) {
    if (typeof value === 'string' || Buffer.isBuffer(value)) headers[name] = value;
  }
  return {
    key: source.message.key,
    value: source.message.value,
    headers: {
      ...headers,
      'dlq-reason': source.reason.slice(0, 1000),
      'dlq-source-topic': source.topic,
      'dlq-source-partition': String(source.partition),
      'dlq-source-offset': source.message.offset,
      'dlq-worker': source.worker,
      'dlq-at': new Date().toISOString(),
    },
  };
}
