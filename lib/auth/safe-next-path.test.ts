import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSameSitePath, safeNextPath } from './safe-next-path';

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
    '/%61pi/auth/logout',
    '/login',
    '/%ff',
    ['/ops/orders'],
  ])('sends %j to / instead', (next) => {
    expect(safeNextPath(next)).toBe('/');
  });

  it.each(['/.//evil.example', '/..//x', '/%2e%2e//x', '/%2E%2E//x', '/./%2e//evil.example', '/a/..//evil.example', '/.%2e//x'])(
    'never answers %s with a path a browser reads as another host',
    (next) => {
      expect(safeNextPath(next)).toBe('/');
    },
  );

  it('normalises dot segments instead of letting them climb out', () => {
    expect(safeNextPath('/ops/../orders/./x')).toBe('/orders/x');
    expect(safeNextPath('/../../stats')).toBe('/stats');
  });
});

// Paths built from the pieces that confuse resolvers, and any string at all.
const piece = fc.constantFrom('/', '//', '\\', '.', '..', '%2e', '%2E', '%2f', '%5c', '%00', '%', '?', '#', '@', ':', 'evil.example', 'a', ' ', '\t', '\n', 'api', 'login');
const tricky = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const input = fc.oneof(tricky, tricky.map((p) => `/${p}`), fc.string(), fc.string({ unit: 'binary' }));
const base = fc.constantFrom('http://lastmile.example', 'https://ops.lastmile.example:8443/some/page?x=1', 'http://127.0.0.1:3000/login?next=/x', 'http://[::1]:4100/');

describe('safeNextPath, for any input', () => {
  it('answers a /-rooted path that is not // or /\\ and stays on whatever site resolves it', () => {
    fc.assert(
      fc.property(input, base, (next, site) => {
        const path = safeNextPath(next);
        expect(path.startsWith('/')).toBe(true);
        expect(path).not.toMatch(/^\/[/\\]/);
        expect(new URL(path, site).origin).toBe(new URL(site).origin);
        expect(isSameSitePath(path)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is stable: a safe path comes back unchanged', () => {
    fc.assert(
      fc.property(input, (next) => {
        const path = safeNextPath(next);
        expect(safeNextPath(path)).toBe(path);
      }),
      { numRuns: 1000 },
    );
  });
});
