// An order's timeline from every event received for it, in any arrival order: events are
// taken in occurrence order (ties by event id, so every replay agrees) through the state
// machine. A late event is placed where it happened, so the outcome never depends on the
// order events arrived in.
import type { OrderEvent } from '../events/registry';
import { type OrderStatus, transitionError } from './state-machine';

export interface Rejected {
  event: OrderEvent;
  reason: string;
}

export interface Timeline {
  /** The accepted changes, oldest first. */
  accepted: OrderEvent[];
  rejected: Rejected[];
  status: OrderStatus | undefined;
}

/**
 * The courier an integrator or ops last named. Couriers' own events never carry a courierId
 * here: the ingest takes it off them (lib/ingest/authorize-events.ts), so a courier cannot
 * name itself the courier of an order.
 */
export const assignedCourier = (timeline: Timeline) => timeline.accepted.findLast((e) => e.courierId)?.courierId;

export const byOccurrence = (a: OrderEvent, b: OrderEvent) =>
  a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

export function buildTimeline(events: OrderEvent[]): Timeline {
  const seen = new Set<string>();
  const accepted: OrderEvent[] = [];
  const rejected: Rejected[] = [];
  let status: OrderStatus | undefined;
  for (const event of [...events].sort(byOccurrence)) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    const reason = transitionError(status, event.status);
    if (reason) rejected.push({ event, reason });
    else {
      accepted.push(event);
      status = event.status;
    }
  }
  return { accepted, rejected, status };
}
