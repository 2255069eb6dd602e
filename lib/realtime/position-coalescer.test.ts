import { describe, expect, it } from 'vitest';
import { PositionCoalescer } from './position-coalescer';

const at = (courierId: string, occurredAt: number, lat = 0) => ({ courierId, occurredAt, lat, lng: 0 });

describe('PositionCoalescer', () => {
  it('keeps the newest position of each courier until drained', () => {
    const c = new PositionCoalescer();
    c.add([at('a', 1), at('b', 5), at('a', 3, 9)]);
    c.add([at('a', 2)]); // late: older than what is held
    expect(c.size).toBe(2);
    expect(c.drain()).toEqual([at('a', 3, 9), at('b', 5)]);
    expect(c.drain()).toEqual([]);
  });
});
