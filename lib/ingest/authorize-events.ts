// Who may send what: a courier only its own pings and the status of orders it carries; an
// integrator anything; an order's share token nothing (it is read-only).
import type { TokenClaims } from '../auth/tokens';
import type { ValidEvent } from '../events/validate';
import { AppError } from '../http/errors';

export function authorizeEvents(claims: TokenClaims, events: ValidEvent[], batch: boolean): void {
  const { sub } = claims;
  if (sub.kind === 'integrator') return;
  if (sub.kind === 'order') throw new AppError('forbidden', 'an order share token is read-only');
  if (sub.kind !== 'courier') throw new AppError('forbidden', `a ${sub.kind} token cannot send events`);
  events.forEach(({ type, event }, i) => {
    const where = batch ? `event ${i}: ` : '';
    const issue = (field: string) => ({ ...(batch ? { index: i } : {}), field, rule: 'authorization', message: `${field.slice(1)} must be your own courier id` });
    if (type === 'courier.location' && event.courierId !== sub.id) {
      throw new AppError('forbidden', `${where}a courier may only send its own pings`, [issue('/courierId')]);
    }
    if (type === 'order.event' && event.courierId !== undefined && event.courierId !== sub.id) {
      throw new AppError('forbidden', `${where}a courier may only report orders it carries`, [issue('/courierId')]);
    }
  });
}
