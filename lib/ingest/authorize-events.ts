// Who may send what, checked against the server's own record, never against what an event
// says about itself:
// - an integrator (the shop, a dispatcher, a fleet gateway) anything; its order events'
//   courierId assigns the order;
// - a courier its own pings, and status changes of the orders assigned to it now; the
//   courierId on its order events must be its own and is taken off, so a courier never
//   assigns an order (lib/orders/apply-order-events.ts takes the courier from what is left);
//   which order a ping moves is decided by the location worker against the same record;
// - an order's share token and an ops session nothing (read-only here).
import type { Redis } from 'ioredis';
import type { TokenClaims } from '../auth/tokens';
import type { Db } from '../db/client';
import type { ValidEvent } from '../events/validate';
import { AppError, type FieldIssue } from '../http/errors';
import { carries, readAssignments } from '../orders/order-assignments';

export interface AuthorizeDeps {
  redis: Redis;
  db: Db;
}

/** The events as they may be published, or 403 naming the first event and field refused. */
export async function authorizeEvents(deps: AuthorizeDeps, claims: TokenClaims, events: ValidEvent[], batch: boolean): Promise<ValidEvent[]> {
  const { sub } = claims;
  if (sub.kind === 'integrator') return events;
  if (sub.kind === 'order') throw new AppError('forbidden', 'an order share token is read-only');
  if (sub.kind !== 'courier') throw new AppError('forbidden', `a ${sub.kind} token cannot send events`);
  const orderIds = checkCourierEvents(sub.id, events, batch);
  if (orderIds.length === 0) return events;
  let assignments: Map<string, string | null>;
  try {
    assignments = await readAssignments(deps, orderIds);
  } catch (cause) {
    throw new AppError('unavailable', 'the orders could not be looked up; none is accepted, send them again', [], { cause });
  }
  return events.map((valid, i) => {
    if (valid.type !== 'order.event') return valid;
    const orderId = String(valid.event.orderId);
    if (!carries(assignments, sub.id, orderId)) {
      refuse(batch, i, '/orderId', `order ${orderId} is not assigned to courier ${sub.id}`, 'assignment');
    }
    const { courierId: _own, ...scoped } = valid.event;
    return { ...valid, event: scoped };
  });
}

/** The pure part: what a courier may never send whatever the record says. Returns the orders to look up. */
export function checkCourierEvents(courierId: string, events: ValidEvent[], batch: boolean): string[] {
  const orderIds: string[] = [];
  events.forEach(({ type, event }, i) => {
    if (type === 'user.activity') {
      refuse(batch, i, '/type', "a courier's app cannot send user.activity: activity comes with an integrator key", 'authorization');
    }
    if (type === 'courier.location' && event.courierId !== courierId) {
      refuse(batch, i, '/courierId', 'a courier may only send its own pings', 'authorization');
    }
    if (type === 'order.event') {
      if (event.courierId !== undefined && event.courierId !== courierId) {
        refuse(batch, i, '/courierId', 'a courier may only report orders it carries', 'authorization');
      }
      orderIds.push(String(event.orderId));
    }
  });
  return orderIds;
}

function refuse(batch: boolean, index: number, field: string, message: string, rule: string): never {
  const issue: FieldIssue = { ...(batch ? { index } : {}), field, rule, message };
  throw new AppError('forbidden', `${batch ? `event ${index}: ` : ''}${message}`, [issue]);
}
