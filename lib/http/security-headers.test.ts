import { describe, expect, it } from 'vitest';
import { getScriptNonceFromHeader } from 'next/dist/server/app-render/get-script-nonce-from-header';
import { isPagePath, newNonce, securityHeaders, tileSource } from './security-headers';

const http = { https: false, dev: false };
const directives = (csp: string) => new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));

describe('securityHeaders', () => {
  it('gives a page a nonce CSP that Next can read its nonce from, and no unsafe-inline for scripts', () => {
    const nonce = newNonce();
    const csp = securityHeaders({ page: true, nonce, host: '127.0.0.1:4100' }, http)['content-security-policy']!;
    expect(getScriptNonceFromHeader(csp)).toBe(nonce);
    const d = directives(csp);
    expect(d.get('script-src')).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(d.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:4100', 'wss://127.0.0.1:4100']);
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.has('upgrade-insecure-requests')).toBe(false);
  });

  it('adds the tile server, eval in dev, and HSTS with upgrades only over https', () => {
    const page = securityHeaders({ page: true, nonce: 'n' }, { https: true, dev: true, tileSource: 'https://*.tile.example' });
    const d = directives(page['content-security-policy']!);
    expect(d.get('img-src')).toContain('https://*.tile.example');
    expect(d.get('script-src')).toContain("'unsafe-eval'");
    expect(d.has('upgrade-insecure-requests')).toBe(true);
    expect(page['strict-transport-security']).toBe('max-age=31536000');
    expect(securityHeaders({ page: false }, http)['strict-transport-security']).toBeUndefined();
  });

  it('never puts a garbled Host into the policy', () => {
    const csp = securityHeaders({ page: true, nonce: 'n', host: "x; script-src 'unsafe-inline'" }, http)['content-security-policy']!;
    expect(directives(csp).get('connect-src')).toEqual(["'self'"]);
    expect(csp.match(/script-src/g)).toHaveLength(1);
  });

  it('gives anything else a policy that loads nothing, and the same framing, sniffing and referrer rules', () => {
    expect(securityHeaders({ page: false }, http)).toEqual({
      'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  });
});

describe('tileSource', () => {
  it.each([
    ['https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png', 'https://*.tile.openstreetmap.org'],
    ['http://tiles.local:8080/{z}/{x}/{y}.png', 'http://tiles.local:8080'],
    ['/tiles/{z}/{x}/{y}.png', undefined],
    ["https://x.example'; script-src *", undefined],
    [undefined, undefined],
  ])('%s → %s', (template, source) => {
    expect(tileSource(template)).toBe(source);
  });
});

describe('isPagePath', () => {
  it('tells pages from API routes, Next files and the ops endpoints', () => {
    expect(['/', '/login', '/orders/o-1', '/stats', '/ops/orders'].every(isPagePath)).toBe(true);
    expect(['/api/couriers', '/_next/static/x.js', '/healthz', '/metrics'].some(isPagePath)).toBe(false);
  });
});
