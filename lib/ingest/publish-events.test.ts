import { describe, expect, it } from 'vitest';
import { validateEvent } from '../events/validate';
import { topicNames } from '../kafka/topics';
import { SENDER_HEADER, toTopicMessages } from './publish-events';

const topics = topicNames('t.');
const valid = (event: Record<string, unknown>) => {
  const result = validateEvent(event);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
};

describe('toTopicMessages', () => {
  const ping = valid({ type: 'courier.location', version: 1, eventId: 'evt-0000000001', courierId: 'c-1', lat: 1, lng: 2, occurredAt: 1_800_000_000_000 });
  const change = valid({ type: 'order.event', version: 1, eventId: 'evt-0000000002', orderId: 'o-1', status: 'created', occurredAt: 1_800_000_000_000 });

  it("keys each event by its type's key, and names the sender of order events only", () => {
    const [pings, orders] = toTopicMessages([ping, change], topics, { kind: 'courier', id: 'c-1' });
    expect(pings).toMatchObject({ topic: topics.courierLocations, messages: [{ key: 'c-1' }] });
    expect(pings!.messages[0]!.headers).not.toHaveProperty(SENDER_HEADER);
    expect(orders).toMatchObject({ topic: topics.orderEvents, messages: [{ key: 'o-1', headers: { [SENDER_HEADER]: 'courier:c-1' } }] });
  });
});
