import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../events/registry';
import { buildTimeline } from './timeline';

let n = 0;
const ev = (status: OrderEvent['status'], occurredAt: number, extra: Partial<OrderEvent> = {}): OrderEvent => ({
  type: 'order.event',
  version: 1,
  eventId: `evt-${String(++n).padStart(8, '0')}`,
  orderId: 'o-1',
  status,
  occurredAt,
  ...extra,
});

describe('buildTimeline', () => {
  const happy = [ev('created', 1), ev('confirmed', 2), ev('picked_up', 3), ev('in_transit', 4), ev('delivered', 5)];

  it('accepts a lifecycle in order', () => {
    const t = buildTimeline(happy);
    expect(t.accepted.map((e) => e.status)).toEqual(['created', 'confirmed', 'picked_up', 'in_transit', 'delivered']);
    expect(t.rejected).toEqual([]);
    expect(t.status).toBe('delivered');
  });

  it('ends the same whatever the arrival order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(happy, { minLength: happy.length, maxLength: happy.length }), (arrival) => {
        expect(buildTimeline(arrival)).toEqual(buildTimeline(happy));
      }),
    );
  });

  it('ignores a duplicated event', () => {
    expect(buildTimeline([...happy, happy[2]!, happy[4]!])).toEqual(buildTimeline(happy));
  });

  it('rejects an illegal change with its reason and keeps the rest', () => {
    const late = ev('picked_up', 6);
    const t = buildTimeline([...happy, late]);
    expect(t.status).toBe('delivered');
    expect(t.rejected).toEqual([{ event: late, reason: 'the order is already delivered' }]);
  });

  it('holds events of an order not yet created, and accepts them once created arrives', () => {
    const confirmed = ev('confirmed', 2);
    expect(buildTimeline([confirmed])).toMatchObject({ accepted: [], status: undefined, rejected: [{ reason: 'unknown order: confirmed before created' }] });
    expect(buildTimeline([confirmed, ev('created', 1)]).status).toBe('confirmed');
  });

  it('places a late event where it happened', () => {
    const cancelled = ev('cancelled', 2.5, { reason: 'customer asked' });
    const t = buildTimeline([ev('created', 1), ev('confirmed', 2), ev('picked_up', 3), cancelled]);
    expect(t.accepted.map((e) => e.status)).toEqual(['created', 'confirmed', 'cancelled']);
    expect(t.rejected.map((r) => [r.event.status, r.reason])).toEqual([['picked_up', 'the order is already cancelled']]);
  });

  it('breaks ties in time by event id, so every replay agrees', () => {
    const a = ev('created', 1, { eventId: 'evt-aaaaaaaa' });
    const b = ev('created', 1, { eventId: 'evt-bbbbbbbb' });
    expect(buildTimeline([b, a]).accepted).toEqual([a]);
  });
});
