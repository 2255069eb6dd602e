// Kafka bytes back to a validated event. Anything that is not one is a poison message.
import type { KafkaMessage } from 'kafkajs';
import type { Decoded } from '../kafka/run-consumer';
import type { EventType } from './registry';
import { validateEvent } from './validate';

export function decodeEvent<T>(message: KafkaMessage, expected: EventType): Decoded<T> {
  if (!message.value) return { ok: false, reason: 'empty message value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  const result = validateEvent(parsed);
  if (!result.ok) return { ok: false, reason: result.issues.map((i) => i.message).join('; ') };
  if (result.value.type !== expected) return { ok: false, reason: `expected a ${expected} event, got ${result.value.type}` };
  return { ok: true, value: result.value.event as T };
}
