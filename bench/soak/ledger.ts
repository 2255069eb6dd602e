// What the soak's load generator was told: every event answered 202 (acknowledged), and the
// status of every answer. The checks hold the stores to this.
import type { OrderEvent } from '../../lib/events/registry';
import type { Answer } from '../../lib/simulator/sender';

export interface NewestPing {
  eventId: string;
  occurredAt: number;
  lat: number;
  lng: number;
}

export class Ledger {
  readonly pings = new Set<string>();
  readonly newest = new Map<string, NewestPing>();
  readonly orderEvents = new Map<string, OrderEvent[]>();
  readonly orderEventIds = new Set<string>();
  /** UTC minute (epoch seconds / 60) → each user seen in it → when its first frame of the minute was acknowledged (ms). */
  readonly activity = new Map<number, Map<string, number>>();
  /** Events acknowledged, by type (as the city made them: every event is sent until it is answered for good). */
  readonly acknowledged = new Map<string, number>();
  /** Events refused for good, by status and the reason's rule (a 403 "assignment": an order change the order worker had not yet seen assigned). */
  readonly refused = new Map<string, number>();
  readonly activityEvents = { count: 0 };
  /** Answers by status (0: no answer: the connection failed). */
  readonly statuses = new Map<number, number>();
  /** Each 5xx or failed request: when (seconds into the run) and its status. */
  readonly failures: { atS: number; status: number }[] = [];
  /** How long each 202 took, in ms. */
  readonly acceptedMs: number[] = [];

  answer({ status, events, acknowledged, ms, refusedFor }: Answer, atS: number): void {
    if (acknowledged) this.acceptedMs.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status === 0 || status >= 500) this.failures.push({ atS, status });
    if (refusedFor !== undefined) this.refused.set(refusedFor, (this.refused.get(refusedFor) ?? 0) + events.length);
    if (!acknowledged) return;
    const now = Date.now();
    for (const event of events) {
      this.acknowledged.set(event.type, (this.acknowledged.get(event.type) ?? 0) + 1);
      switch (event.type) {
        case 'courier.location': {
          this.pings.add(event.eventId);
          const newest = this.newest.get(event.courierId);
          if (!newest || event.occurredAt > newest.occurredAt) {
            this.newest.set(event.courierId, { eventId: event.eventId, occurredAt: event.occurredAt, lat: event.lat, lng: event.lng });
          }
          break;
        }
        case 'order.event': {
          if (this.orderEventIds.has(event.eventId)) break;
          this.orderEventIds.add(event.eventId);
          const list = this.orderEvents.get(event.orderId) ?? [];
          list.push(event as OrderEvent);
          this.orderEvents.set(event.orderId, list);
          break;
        }
        case 'user.activity': {
          this.activityEvents.count++;
          const minute = Math.floor(event.ts / 60);
          let users = this.activity.get(minute);
          if (!users) this.activity.set(minute, (users = new Map()));
          if (!users.has(event.uid)) users.set(event.uid, now);
          break;
        }
      }
    }
  }
}
