import { describe, expect, it } from 'vitest';
import { newestPerKey } from './newest-per-key';

describe('newestPerKey', () => {
  const at = (id: string | undefined, t: number) => ({ id, t });
  const run = (items: ReturnType<typeof at>[]) => newestPerKey(items, (i) => i.id, (i) => i.t);

  it('keeps the newest of each key, whatever the arrival order', () => {
    expect(run([at('a', 3), at('b', 1), at('a', 1), at('a', 5), at('b', 0)])).toEqual([at('a', 5), at('b', 1)]);
  });

  it('lets the later of two equal times win', () => {
    const first = { id: 'a', t: 2, n: 1 };
    const second = { id: 'a', t: 2, n: 2 };
    expect(newestPerKey([first, second], (i) => i.id, (i) => i.t)).toEqual([second]);
  });

  it('skips items without a key', () => {
    expect(run([at(undefined, 9), at('a', 1)])).toEqual([at('a', 1)]);
  });
});
