import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then the refill rate', () => {
    const limiter = new RateLimiter(10, 20);
    expect(limiter.take('a', 20, 0)).toBe(true);
    expect(limiter.take('a', 1, 0)).toBe(false);
    expect(limiter.take('a', 5, 500)).toBe(true); // 0.5 s refilled 5
    expect(limiter.take('a', 1, 500)).toBe(false);
  });

  it('keeps couriers apart', () => {
    const limiter = new RateLimiter(1, 2);
    expect(limiter.take('a', 2, 0)).toBe(true);
    expect(limiter.take('a', 1, 0)).toBe(false);
    expect(limiter.take('b', 2, 0)).toBe(true);
  });

  it('never refills past the burst', () => {
    const limiter = new RateLimiter(100, 5);
    limiter.take('a', 1, 0);
    expect(limiter.take('a', 6, 60_000)).toBe(false);
    expect(limiter.take('a', 5, 60_000)).toBe(true);
  });

  it('says when to retry', () => {
    const limiter = new RateLimiter(2, 4);
    limiter.take('a', 4, 0);
    expect(limiter.retryAfter('a', 4)).toBe(2);
  });

  it('stays bounded in keys', () => {
    const limiter = new RateLimiter(1000, 1, 10);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`, 1, i * 10);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(11);
  });
});
