// The workers' producer of what must not be lost (dead letters, emitted windows): its sends
// resolve only once Kafka has acknowledged every partition they carried (complete-send.ts:
// kafkajs 2.2.4 alone can resolve a send that left some out when a broker dies during it).
import { type Kafka, Partitioners, type RecordMetadata, type TopicMessages } from 'kafkajs';
import type { Log } from '../observability/log';
import { completeSender, partitionCounts } from './complete-send';

/** Resolves once every partition the messages went to is acknowledged (acks=-1). */
export type CompleteSend = (topicMessages: TopicMessages[]) => Promise<RecordMetadata[]>;

export interface ReliableProducer {
  send: CompleteSend;
  /** Connects the producer and the admin its partition counts come from; neither is left connected when one fails. */
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export function reliableProducer(kafka: Pick<Kafka, 'producer' | 'admin'>, log: Pick<Log, 'warn'>): ReliableProducer {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const admin = kafka.admin();
  const disconnect = async () => void (await Promise.all([producer.disconnect(), admin.disconnect()]));
  return {
    send: completeSender(producer, partitionCounts(admin), {
      acks: -1,
      timeout: 30_000, // kafkajs's default, as these sends had before
      onMissing: (missing) => log.warn({ missing }, 'Kafka acknowledged a send without some of its partitions: sending those again'),
    }),
    async connect() {
      try {
        await Promise.all([producer.connect(), admin.connect()]);
      } catch (err) {
        await disconnect().catch((cause: unknown) => log.warn({ err: cause }, 'could not disconnect a producer that failed to connect'));
        throw err;
      }
    },
    disconnect,
  };
}
