import { describe, expect, it } from 'vitest';
import type { TokenClaims } from '../auth/tokens';
import type { ValidEvent } from '../events/validate';
import { AppError } from '../http/errors';
import { authorizeEvents } from './authorize-events';

const claims = (kind: TokenClaims['sub']['kind'], id: string): TokenClaims => ({ sub: { kind, id }, exp: Infinity });
const ping = (courierId: string): ValidEvent => ({ type: 'courier.location', version: 1, schemaId: 'courier-location.v1', event: { courierId } });
const status = (courierId?: string): ValidEvent => ({ type: 'order.event', version: 1, schemaId: 'order-event.v1', event: courierId ? { courierId } : {} });

const statusOf = (fn: () => void) => {
  try {
    fn();
    return 'allowed';
  } catch (err) {
    return err instanceof AppError ? err.status : 'threw';
  }
};

describe('authorizeEvents', () => {
  it('lets a courier send its own pings and its orders', () => {
    expect(statusOf(() => authorizeEvents(claims('courier', 'c1'), [ping('c1'), status('c1'), status()], true))).toBe('allowed');
  });

  it('refuses a courier sending for another courier, naming the event', () => {
    const run = () => authorizeEvents(claims('courier', 'c1'), [ping('c1'), ping('c2')], true);
    expect(statusOf(run)).toBe(403);
    expect(run).toThrow('event 1: a courier may only send its own pings');
    expect(statusOf(() => authorizeEvents(claims('courier', 'c1'), [status('c2')], false))).toBe(403);
  });

  it('refuses any write with an order share token', () => {
    expect(statusOf(() => authorizeEvents(claims('order', 'o1'), [status()], false))).toBe(403);
  });

  it('refuses an ops session even for a courier of the same name', () => {
    expect(statusOf(() => authorizeEvents(claims('ops', 'c1'), [ping('c1')], false))).toBe(403);
  });

  it('lets an integrator send anything', () => {
    expect(statusOf(() => authorizeEvents(claims('integrator', 'acme'), [ping('c1'), ping('c2'), status('c3')], true))).toBe('allowed');
  });
});
