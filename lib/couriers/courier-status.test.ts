import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from '../orders/state-machine';
import { courierStatusOf } from './courier-status';

describe('courierStatusOf', () => {
  it('maps each order status to what the courier is doing', () => {
    expect(Object.fromEntries(ORDER_STATUSES.map((s) => [s, courierStatusOf(s)]))).toEqual({
      created: 'idle',
      confirmed: 'to_pickup',
      picked_up: 'delivering',
      in_transit: 'delivering',
      delivered: 'idle',
      cancelled: 'idle',
      failed: 'idle',
    });
  });

  it('calls a courier without a known order idle', () => {
    expect(courierStatusOf(undefined)).toBe('idle');
  });
});
