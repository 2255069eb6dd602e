// Turns a request body (one event or an array of them) into validated events, or one
// error naming every bad field. Nothing is sent anywhere unless the whole body is valid.
import { AppError, type FieldIssue } from '../http/errors';
import { type ValidEvent, validateEvent } from '../events/validate';

const MAX_ISSUES = 50;

export function parseEvents(body: unknown, maxBatch: number): ValidEvent[] {
  const batch = Array.isArray(body);
  const items: unknown[] = batch ? body : [body];
  if (items.length === 0) throw new AppError('validation_failed', 'the batch is empty', [
    { field: '/', rule: 'minItems', message: 'a batch needs at least one event' },
  ]);
  if (items.length > maxBatch) throw new AppError('payload_too_large', `a batch holds at most ${maxBatch} events`);

  const events: ValidEvent[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item, i) => {
    const result = validateEvent(item, batch ? i : undefined);
    if (result.ok) events.push(result.value);
    else issues.push(...result.issues);
  });
  if (issues.length > 0) {
    const first = issues[0]!;
    const where = first.index === undefined ? '' : `event ${first.index}: `;
    throw new AppError('validation_failed', `${where}${first.message}`, issues.slice(0, MAX_ISSUES));
  }
  return events;
}
