import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  it('refuses the sixth failure within a minute, for that name only, until the first ages out', () => {
    const throttle = new LoginThrottle(5, 60_000);
    for (let t = 0; t < 5; t++) expect(throttle.begin('ana', t * 1000)).toBe(0);
    expect(throttle.begin('ana', 10_000)).toBe(50);
    expect(throttle.begin('bo', 10_000)).toBe(0);
    expect(throttle.begin('ana', 59_999)).toBe(1);
    expect(throttle.begin('ana', 60_001)).toBe(0);
  });

  it('counts attempts as they begin, so parallel guesses are limited too', () => {
    const throttle = new LoginThrottle(5, 60_000);
    const answers = Array.from({ length: 20 }, () => throttle.begin('ana', 0));
    expect(answers.filter((wait) => wait === 0)).toHaveLength(5);
  });

  it('does not count attempts that succeeded', () => {
    const throttle = new LoginThrottle(5, 60_000);
    for (let t = 0; t < 10; t++) {
      expect(throttle.begin('ana', t)).toBe(0);
      throttle.succeeded('ana', t);
    }
  });

  it('forgets the least recently tried names beyond its bound', () => {
    const throttle = new LoginThrottle(1, 60_000, 2);
    throttle.begin('ana', 0);
    throttle.begin('bo', 1);
    throttle.begin('cy', 2);
    expect(throttle.begin('ana', 3)).toBe(0);
    expect(throttle.begin('cy', 3)).toBeGreaterThan(0);
  });
});
