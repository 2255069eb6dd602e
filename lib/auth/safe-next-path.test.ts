import { describe, expect, it } from 'vitest';
import { safeNextPath } from './safe-next-path';

describe('safeNextPath', () => {
  it.each(['/', '/ops/orders', '/ops/orders?id=o-1#top', '/stats'])('keeps %s', (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it.each([
    undefined,
    '',
    'ops/orders',
    'https://evil.example/',
    '//evil.example/ops',
    '/\\evil.example',
    '/ops\\..\\x',
    '/\tevil',
    '\n//evil.example',
    'javascript:alert(1)',
    '/api/auth/logout',
    '/login',
    ['/ops/orders'],
  ])('sends %j to / instead', (next) => {
    expect(safeNextPath(next)).toBe('/');
  });

  it('normalises dot segments instead of letting them climb out', () => {
    expect(safeNextPath('/ops/../orders/./x')).toBe('/orders/x');
  });
});
