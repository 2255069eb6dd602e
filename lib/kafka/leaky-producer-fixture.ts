// A fake kafkajs producer whose answers can leave a partition out (tulios/kafkajs#1303: a broker
// died during the send, and the answer acknowledged only the partitions that other brokers
// lead), and a fake Kafka around it for the consumers: for tests of what is sent, committed or
// marked done only once every partition of a send is acknowledged.
import type { ConsumerRunConfig, EachBatchPayload, Kafka, KafkaMessage, Message, RecordMetadata, TopicMessages } from 'kafkajs';
import { expect } from 'vitest';

/** A message an answer acknowledged, and the topic it went to. */
export interface Written {
  topic: string;
  message: Message;
}

/**
 * A producer whose first `failing` answers leave out the partition of the first message they
 * carry; every send must ask for all in-sync replicas (acks -1). `written` holds what the
 * answers acknowledged so far, and `calls()` counts the sends.
 */
export function leakyProducer(failing: number) {
  const written: Written[] = [];
  let calls = 0;
  const sendBatch = async ({ topicMessages, acks }: { topicMessages: TopicMessages[]; acks?: number }): Promise<RecordMetadata[]> => {
    expect(acks).toBe(-1);
    const leftOut = calls++ < failing ? topicMessages[0]!.messages[0]!.partition : undefined;
    return topicMessages.flatMap(({ topic, messages }) =>
      [...new Set(messages.map((m) => m.partition!))]
        .filter((partition) => partition !== leftOut)
        .map((partition) => {
          written.push(...messages.filter((m) => m.partition === partition).map((message) => ({ topic, message })));
          return { topicName: topic, partition, errorCode: 0 } as RecordMetadata;
        }),
    );
  };
  return { sendBatch, written, calls: () => calls };
}

/**
 * A Kafka of six partitions a topic over a leaky producer; its consumer has `consumer`'s members
 * too, `batch` hands a batch of partition 2 to what the consumer runs, and `committed` records
 * what each commit found written.
 */
export function leakyKafka(failing: number, consumer: Record<string, unknown> = {}) {
  const producer = leakyProducer(failing);
  const { written } = producer;
  const committed: { offset: string; written: number }[] = [];
  let eachBatch: ConsumerRunConfig['eachBatch'];
  const client = { connect: async () => {}, disconnect: async () => {} };
  const kafka = {
    consumer: () => ({
      ...client,
      ...consumer,
      subscribe: async () => {},
      run: async (config: ConsumerRunConfig) => void (eachBatch = config.eachBatch),
      commitOffsets: async (offsets: { offset: string }[]) => void committed.push(...offsets.map(({ offset }) => ({ offset, written: written.length }))),
    }),
    producer: () => ({ ...client, sendBatch: producer.sendBatch }),
    admin: () => ({
      ...client,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({ topics: topics.map((name) => ({ name, partitions: [0, 1, 2, 3, 4, 5] })) }),
    }),
  };
  const batch = (messages: KafkaMessage[]) =>
    eachBatch!({
      batch: { partition: 2, messages, fetchedOffset: messages[0]!.offset, offsetLag: () => '0' },
      heartbeat: async () => {},
      resolveOffset: () => {},
    } as unknown as EachBatchPayload);
  return { kafka: kafka as unknown as Kafka, written, committed, batch, calls: producer.calls };
}
