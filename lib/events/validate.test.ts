import { describe, expect, it } from 'vitest';
import { validateEvent } from './validate';

const ping = {
  type: 'courier.location',
  version: 1,
  eventId: 'evt-00000001',
  courierId: 'c-1',
  lat: -23.55,
  lng: -46.63,
  occurredAt: 1_800_000_000_000,
};

const issuesOf = (input: unknown) => {
  const result = validateEvent(input);
  if (result.ok) throw new Error('expected a failure');
  return result.issues;
};

describe('validateEvent', () => {
  it('accepts a valid ping and names its schema', () => {
    const result = validateEvent(ping);
    expect(result).toEqual({ ok: true, value: { type: 'courier.location', version: 1, schemaId: 'courier-location.v1', event: ping } });
  });

  it('accepts v2 fields only under version 2', () => {
    expect(validateEvent({ ...ping, version: 2, batteryPct: 40, source: 'gps' }).ok).toBe(true);
    expect(issuesOf({ ...ping, batteryPct: 40 })).toEqual([{ field: '/batteryPct', rule: 'additionalProperties', message: 'batteryPct is not a known field' }]);
  });

  it.each([
    [{ ...ping, lat: 90.5 }, '/lat', 'maximum', 'lat must be <= 90'],
    [{ ...ping, lng: 'east' }, '/lng', 'type', 'lng must be number'],
    [{ ...ping, courierId: undefined }, '/courierId', 'required', 'courierId is required'],
    [{ ...ping, eventId: 'short' }, '/eventId', 'pattern', undefined],
    [{ ...ping, occurredAt: 1_700_000_000 }, '/occurredAt', 'minimum', undefined],
    [{ ...ping, version: 3 }, '/version', 'enum', 'version must be one of 1, 2'],
    [{ ...ping, type: undefined }, '/type', 'required', 'type is required'],
    [{ ...ping, type: 'courier.teleport' }, '/type', 'enum', undefined],
  ])('names the field and rule: %o', (input, field, rule, message) => {
    const [first] = issuesOf(input);
    expect(first).toMatchObject({ field, rule });
    if (message) expect(first!.message).toBe(message);
  });

  it('rejects what is not an object', () => {
    for (const input of [null, 42, 'ping', [ping]]) expect(issuesOf(input)[0]).toMatchObject({ field: '/', rule: 'type' });
  });

  it('requires a reason when an order is cancelled or fails', () => {
    const order = { type: 'order.event', version: 1, eventId: 'evt-00000002', orderId: 'o-1', status: 'cancelled', occurredAt: 1_800_000_000_000 };
    expect(issuesOf(order)).toEqual([{ field: '/reason', rule: 'required', message: 'reason is required' }]);
    expect(validateEvent({ ...order, reason: 'customer asked' }).ok).toBe(true);
    expect(validateEvent({ ...order, status: 'confirmed' }).ok).toBe(true);
  });

  it('accepts activity frames with extra fields, numeric-string ts and no type', () => {
    expect(validateEvent({ type: 'user.activity', uid: 'u1', ts: '1700000000', page: { uid: 'nested' } }).ok).toBe(true);
    expect(issuesOf({ type: 'user.activity', uid: 'u1', ts: 'yesterday' })[0]).toMatchObject({ field: '/ts' });
  });

  it('numbers the event in a batch', () => {
    const result = validateEvent({ ...ping, lat: 100 }, 7);
    expect(result.ok ? [] : result.issues).toEqual([{ index: 7, field: '/lat', rule: 'maximum', message: 'lat must be <= 90' }]);
  });
});
