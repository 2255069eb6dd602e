// The rules that need no record; the ones that read who carries an order are proved against
// real Redis and Postgres in test/integration/authorization.test.ts.
import { describe, expect, it } from 'vitest';
import type { TokenClaims } from '../auth/tokens';
import type { ValidEvent } from '../events/validate';
import { AppError } from '../http/errors';
import { type AuthorizeDeps, authorizeEvents, checkCourierEvents } from './authorize-events';

const claims = (kind: TokenClaims['sub']['kind'], id: string): TokenClaims => ({ sub: { kind, id }, exp: Infinity });
const ping = (courierId: string): ValidEvent => ({ type: 'courier.location', version: 1, schemaId: 'courier-location.v1', event: { courierId } });
const status = (orderId: string, courierId?: string): ValidEvent => ({
  type: 'order.event',
  version: 1,
  schemaId: 'order-event.v1',
  event: { orderId, ...(courierId ? { courierId } : {}) },
});
const activity = (uid: string): ValidEvent => ({ type: 'user.activity', version: 1, schemaId: 'user-activity.v1', event: { uid, ts: 1 } });
// These paths never read the record: a deps object that would fail on any call proves it.
const noRecord = new Proxy({}, { get: () => { throw new Error('the record was read'); } }) as AuthorizeDeps;

const statusOf = async (fn: () => unknown) => {
  try {
    await fn();
    return 'allowed';
  } catch (err) {
    return err instanceof AppError ? err.status : 'threw';
  }
};

describe('checkCourierEvents', () => {
  it("lets a courier send its own pings, and names the orders whose assignment must be read", () => {
    expect(checkCourierEvents('c1', [ping('c1'), status('o1', 'c1'), status('o2')], true)).toEqual(['o1', 'o2']);
  });

  it('refuses a courier sending for another courier, naming the event', async () => {
    expect(await statusOf(() => checkCourierEvents('c1', [ping('c1'), ping('c2')], true))).toBe(403);
    expect(() => checkCourierEvents('c1', [ping('c1'), ping('c2')], true)).toThrow('event 1: a courier may only send its own pings');
    expect(() => checkCourierEvents('c1', [status('o1', 'c2')], false)).toThrow('a courier may only report orders it carries');
  });

  it("refuses a courier's activity frames, for any uid", () => {
    expect(() => checkCourierEvents('c1', [activity('c1')], false)).toThrow("a courier's app cannot send user.activity");
    expect(() => checkCourierEvents('c1', [ping('c1'), activity('u9')], true)).toThrow('event 1:');
  });
});

describe('authorizeEvents', () => {
  it('refuses any write with an order share token or an ops session', async () => {
    expect(await statusOf(() => authorizeEvents(noRecord, claims('order', 'o1'), [status('o1')], false))).toBe(403);
    expect(await statusOf(() => authorizeEvents(noRecord, claims('ops', 'c1'), [ping('c1')], false))).toBe(403);
  });

  it('lets an integrator send anything, unchanged', async () => {
    const events = [ping('c1'), ping('c2'), status('o3', 'c3'), activity('u1')];
    expect(await authorizeEvents(noRecord, claims('integrator', 'acme'), events, true)).toBe(events);
  });

  it("needs no record for a courier's pings alone", async () => {
    const events = [ping('c1'), ping('c1')];
    expect(await authorizeEvents(noRecord, claims('courier', 'c1'), events, true)).toBe(events);
  });
});

describe('authorizeEvents when the record cannot be read', () => {
  it('answers 503 (send again), never a 500', async () => {
    // a courier's status change needs the record; this one's stores are away
    expect(await statusOf(() => authorizeEvents(noRecord, claims('courier', 'c1'), [status('o1')], false))).toBe(503);
  });
});
