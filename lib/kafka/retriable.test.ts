import { describe, expect, it } from 'vitest';
import { PoisonMessageError, isRetriable } from './retriable';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isRetriable', () => {
  it('retries when a store is away', () => {
    expect(isRetriable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isRetriable(new Error('wrapped', { cause: withCode('ETIMEDOUT') }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('kafka'), { retriable: true }))).toBe(true);
  });

  it('does not retry what the data itself got wrong', () => {
    expect(isRetriable(withCode('23505'))).toBe(false); // unique violation
    expect(isRetriable(withCode('22003'))).toBe(false); // numeric out of range
    expect(isRetriable(new PoisonMessageError('bad'))).toBe(false);
  });

  it('retries what it does not know: retrying is safe, dropping is not', () => {
    expect(isRetriable(new Error('something odd'))).toBe(true);
  });
});
