// A send that resolves only once Kafka has acknowledged every partition it carried.
//
// kafkajs 2.2.4's send can resolve without having written the partitions of a broker that
// failed during it (tulios/kafkajs#1303, open): its retry sends only to brokers that have not
// answered yet, so partitions whose leadership moved to a broker that had answered are never
// sent, and the send resolves anyway. Found by test/integration/cluster.test.ts: with one
// node of three killed, a third of an acknowledged send was missing from the topic.
//
// Here every message's partition is chosen before the send (as kafkajs's DefaultPartitioner
// chooses it, so keys land where they always did), and the partitions the answer does not
// name are sent again, only those, until each is acknowledged; a send that fails throws as
// before (the ingest answers 503, and the client sends again).
import { type Message, Partitioners, type Producer, type RecordMetadata, type TopicMessages } from 'kafkajs';

/** The number of partitions a topic has. */
export type PartitionCount = (topic: string) => Promise<number>;

export interface CompleteSendOptions {
  acks?: number;
  timeout?: number;
  /** Rounds of sending the partitions an answer left out, before giving up. */
  rounds?: number;
  /** Told of partitions an answer left out (a sign of the kafkajs bug above). */
  onMissing?: (missing: string[]) => void;
}

/** A topic's partition count from `admin`, remembered for a minute. */
export function partitionCounts(admin: { fetchTopicMetadata(args: { topics: string[] }): Promise<{ topics: { name: string; partitions: unknown[] }[] }> }, ttlMs = 60_000): PartitionCount {
  const known = new Map<string, { n: number; at: number }>();
  return async (topic) => {
    const hit = known.get(topic);
    if (hit && Date.now() - hit.at < ttlMs) return hit.n;
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const n = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (n === 0) throw new Error(`no partitions known for ${topic}`);
    known.set(topic, { n, at: Date.now() });
    return n;
  };
}

export function completeSender(producer: Pick<Producer, 'sendBatch'>, partitionsOf: PartitionCount, options: CompleteSendOptions = {}) {
  const partitioner = Partitioners.DefaultPartitioner();
  const rounds = options.rounds ?? 5;
  return async (topicMessages: TopicMessages[]): Promise<RecordMetadata[]> => {
    // topic → partition → its messages, in order
    const pending = new Map<string, Map<number, Message[]>>();
    for (const { topic, messages } of topicMessages) {
      const n = await partitionsOf(topic);
      const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [], isr: [], partitionErrorCode: 0 }));
      let byPartition = pending.get(topic);
      if (!byPartition) pending.set(topic, (byPartition = new Map()));
      for (const message of messages) {
        // set on the caller's message (no copy per message): a second send of it goes to the same partition
        message.partition ??= partitioner({ topic, partitionMetadata, message });
        let list = byPartition.get(message.partition);
        if (!list) byPartition.set(message.partition, (list = []));
        list.push(message);
      }
    }
    const acknowledged: RecordMetadata[] = [];
    for (let round = 0; ; round++) {
      const batch: TopicMessages[] = [...pending].map(([topic, parts]) => ({ topic, messages: [...parts.values()].flat() }));
      const answer = await producer.sendBatch({ topicMessages: batch, acks: options.acks ?? -1, timeout: options.timeout ?? 10_000 });
      for (const meta of answer) {
        if (meta.errorCode !== 0) continue;
        const parts = pending.get(meta.topicName);
        if (parts?.delete(meta.partition)) acknowledged.push(meta);
      }
      for (const [topic, parts] of pending) if (parts.size === 0) pending.delete(topic);
      if (pending.size === 0) return acknowledged;
      const missing = [...pending].flatMap(([topic, parts]) => [...parts.keys()].map((p) => `${topic}/${p}`));
      options.onMissing?.(missing);
      if (round + 1 >= rounds) throw new Error(`Kafka's answer left out ${missing.join(', ')} after ${rounds} sends`);
    }
  };
}
