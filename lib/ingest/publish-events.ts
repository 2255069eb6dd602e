// Puts validated events on their topics, keyed so each courier's and order's events stay
// in order. Resolves only once Kafka holds every event (acks=all, idempotent producer).
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { Subject } from '../auth/tokens';
import { GroupCommit } from './group-commit';
import { EVENT_TYPES } from '../events/registry';
import type { ValidEvent } from '../events/validate';
import { AppError } from '../http/errors';
import { SCHEMA_HEADER } from '../kafka/client';
import { type PartitionCount, completeSender } from '../kafka/complete-send';
import type { TopicNames } from '../kafka/topics';

/**
 * Who sent an order event (`courier:c-42`, `integrator:shop`), for the record of who changed
 * or assigned an order; never trusted for access. Pings and activity frames go without it:
 * a header per message costs their producer and consumers a tenth of their throughput, and
 * a ping's sender is its courier or an integrator acting for it.
 */
export const SENDER_HEADER = 'sender';

export function toTopicMessages(events: ValidEvent[], topics: TopicNames, sender?: Subject): TopicMessages[] {
  const from = sender ? { [SENDER_HEADER]: `${sender.kind}:${sender.id}` } : {};
  const byTopic = new Map<string, Message[]>();
  for (const { type, schemaId, event } of events) {
    const spec = EVENT_TYPES[type];
    const topic = topics[spec.topic];
    let messages = byTopic.get(topic);
    if (!messages) byTopic.set(topic, (messages = []));
    const headers = type === 'order.event' ? { [SCHEMA_HEADER]: schemaId, ...from } : { [SCHEMA_HEADER]: schemaId };
    messages.push({ key: String(event[spec.keyField]), value: JSON.stringify(event), headers });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * Concurrent requests share sends (group commit); each resolves once Kafka has its events:
 * every partition of the send acknowledged (lib/kafka/complete-send.ts: kafkajs alone can
 * resolve a send that left some out when a broker dies during it).
 */
export function createPublisher(producer: Producer, partitionsOf: PartitionCount, onMissing?: (missing: string[]) => void) {
  const send = completeSender(producer, partitionsOf, { acks: -1, timeout: 10_000, ...(onMissing ? { onMissing } : {}) });
  return new GroupCommit(async (topicMessages) => void (await send(topicMessages)));
}

export async function publishEvents(publisher: GroupCommit, topics: TopicNames, events: ValidEvent[], sender?: Subject): Promise<void> {
  try {
    await publisher.publish(toTopicMessages(events, topics, sender));
  } catch (cause) {
    throw new AppError('unavailable', 'Kafka did not acknowledge the events; none is accepted, send them again', [], { cause });
  }
}
