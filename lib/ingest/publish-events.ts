// Puts validated events on their topics, keyed so each courier's and order's events stay
// in order. Resolves only once Kafka holds every event (acks=all, idempotent producer).
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { GroupCommit } from './group-commit';
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

/** Concurrent requests share sends (group commit); each resolves once Kafka has its events. */
export function createPublisher(producer: Producer) {
  return new GroupCommit((topicMessages) => producer.sendBatch({ topicMessages, acks: -1, timeout: 10_000 }));
}

export async function publishEvents(publisher: GroupCommit, topics: TopicNames, events: ValidEvent[]): Promise<void> {
  try {
    await publisher.publish(toTopicMessages(events, topics));
  } catch (cause) {
    throw new AppError('unavailable', 'Kafka did not acknowledge the events; none is accepted, send them again', [], { cause });
  }
}
