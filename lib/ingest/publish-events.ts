// Puts validated events on their topics, keyed so each courier's and order's events stay
// in order. Resolves only once Kafka holds every event (acks=all, idempotent producer).
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { EVENT_TYPES } from '../events/registry';
import type { ValidEvent } from '../events/validate';
import { AppError } from '../http/errors';
import { SCHEMA_HEADER } from '../kafka/client';
import type { TopicNames } from '../kafka/topics';

export function toTopicMessages(events: ValidEvent[], topics: TopicNames): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { type, schemaId, event } of events) {
    const spec = EVENT_TYPES[type];
    const topic = topics[spec.topic];
    let messages = byTopic.get(topic);
    if (!messages) byTopic.set(topic, (messages = []));
    messages.push({ key: String(event[spec.keyField]), value: JSON.stringify(event), headers: { [SCHEMA_HEADER]: schemaId } });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export async function publishEvents(producer: Producer, topics: TopicNames, events: ValidEvent[]): Promise<void> {
  try {
    await producer.sendBatch({ topicMessages: toTopicMessages(events, topics), acks: -1, timeout: 10_000 });
  } catch (cause) {
    throw new AppError('unavailable', 'Kafka did not acknowledge the events; none is accepted, send them again', [], { cause });
  }
}
