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

  it('sees through Prisma to the driver adapter error', () => {
    const prisma = (cause: object) => Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: Object.assign(new Error('x'), { cause }) } });
    expect(isRetriable(prisma({ kind: 'postgres', code: '22012', originalCode: '22012' }))).toBe(false);
    expect(isRetriable(prisma({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }))).toBe(true);
  });

  it('retries what it does not know: retrying is safe, dropping is not', () => {
    expect(isRetriable(new Error('something odd'))).toBe(true);
  });
});
