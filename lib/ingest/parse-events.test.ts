import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { parseEvents } from './parse-events';

const ping = (n: number) => ({ type: 'courier.location', version: 1, eventId: `evt-0000000${n}`, courierId: 'c', lat: 0, lng: 0, occurredAt: 1_800_000_000_000 });

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('parseEvents', () => {
  it('takes one event or a batch', () => {
    expect(parseEvents(ping(1), 10)).toHaveLength(1);
    expect(parseEvents([ping(1), ping(2)], 10)).toHaveLength(2);
  });

  it('refuses an empty or oversized batch', () => {
    expect(errorOf(() => parseEvents([], 10)).status).toBe(400);
    expect(errorOf(() => parseEvents([ping(1), ping(2), ping(3)], 2)).status).toBe(413);
  });

  it('reports every bad event of a batch with its index, and the first in the message', () => {
    const err = errorOf(() => parseEvents([ping(1), { ...ping(2), lat: 100 }, { ...ping(3), lng: -200 }], 10));
    expect(err.status).toBe(400);
    expect(err.message).toBe('event 1: lat must be <= 90');
    expect(err.issues.map((i) => [i.index, i.field])).toEqual([[1, '/lat'], [2, '/lng']]);
  });

  it('refuses events from the future beyond the allowed clock skew', () => {
    const time = { now: 1_800_000_000_000, maxFutureMs: 60_000 };
    expect(parseEvents({ ...ping(1), occurredAt: time.now + 60_000 }, 10, time)).toHaveLength(1);
    const err = errorOf(() => parseEvents([ping(1), { ...ping(2), occurredAt: time.now + 60_001 }], 10, time));
    expect(err.issues).toEqual([{ index: 1, field: '/occurredAt', rule: 'maxFuture', message: "occurredAt is more than 60s ahead of the server's clock" }]);
  });
});
