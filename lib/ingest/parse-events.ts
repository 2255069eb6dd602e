// Turns a request body (one event or an array of them) into validated events, or one
// error naming every bad field. Nothing is sent anywhere unless the whole body is valid.
import { AppError, type FieldIssue } from '../http/errors';
import { type ValidEvent, validateEvent } from '../events/validate';

const MAX_ISSUES = 50;

/**
 * A phone with a wrong clock must not pin a courier's last location in the future: events
 * may be at most `maxFutureMs` ahead of the server's clock.
 */
export interface TimeRule {
  now: number;
  maxFutureMs: number;
}

export function parseEvents(body: unknown, maxBatch: number, time?: TimeRule): ValidEvent[] {
  const batch = Array.isArray(body);
  const items: unknown[] = batch ? body : [body];
  if (items.length === 0) throw new AppError('validation_failed', 'the batch is empty', [
    { field: '/', rule: 'minItems', message: 'a batch needs at least one event' },
  ]);
  if (items.length > maxBatch) throw new AppError('payload_too_large', `a batch holds at most ${maxBatch} events`);

  const events: ValidEvent[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item, i) => {
    const index = batch ? i : undefined;
    const result = validateEvent(item, index);
    if (!result.ok) issues.push(...result.issues);
    else if (time && typeof result.value.event.occurredAt === 'number' && result.value.event.occurredAt > time.now + time.maxFutureMs) {
      const message = `occurredAt is more than ${Math.round(time.maxFutureMs / 1000)}s ahead of the server's clock`;
      issues.push({ ...(index === undefined ? {} : { index }), field: '/occurredAt', rule: 'maxFuture', message });
    } else events.push(result.value);
  });
  if (issues.length > 0) {
    const first = issues[0]!;
    const where = first.index === undefined ? '' : `event ${first.index}: `;
    throw new AppError('validation_failed', `${where}${first.message}`, issues.slice(0, MAX_ISSUES));
  }
  return events;
}
