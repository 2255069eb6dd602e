import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus, transitionError } from './state-machine';

// Every pair, spelled out: the table is the specification.
const LEGAL: [OrderStatus | undefined, OrderStatus][] = [
  [undefined, 'created'],
  ['created', 'confirmed'],
  ['created', 'cancelled'],
  ['confirmed', 'picked_up'],
  ['confirmed', 'cancelled'],
  ['picked_up', 'in_transit'],
  ['picked_up', 'delivered'],
  ['picked_up', 'failed'],
  ['in_transit', 'delivered'],
  ['in_transit', 'failed'],
];
const isLegal = (from: OrderStatus | undefined, to: OrderStatus) => LEGAL.some(([f, t]) => f === from && t === to);
const ALL_PAIRS = [undefined, ...ORDER_STATUSES].flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

describe('order state machine', () => {
  it.each(ALL_PAIRS.filter(([f, t]) => isLegal(f, t)))('allows %s → %s', (from, to) => {
    expect(transitionError(from, to)).toBeUndefined();
  });

  it.each(ALL_PAIRS.filter(([f, t]) => !isLegal(f, t)))('refuses %s → %s with a reason', (from, to) => {
    expect(transitionError(from, to)).toEqual(expect.any(String));
  });

  it('explains the refusals a person would read', () => {
    expect(transitionError('delivered', 'picked_up')).toBe('the order is already delivered');
    expect(transitionError('created', 'delivered')).toBe('delivered cannot follow created');
    expect(transitionError(undefined, 'confirmed')).toBe('unknown order: confirmed before created');
    expect(transitionError('confirmed', 'created')).toBe('the order was already created');
  });

  it('covers all 56 pairs', () => {
    expect(ALL_PAIRS).toHaveLength(8 * 7);
  });
});
