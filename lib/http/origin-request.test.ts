import { describe, expect, it } from 'vitest';
import { allowedOrigins, crossSiteRefusal, withRequestOrigin } from './origin';

const configured = allowedOrigins({ publicUrl: 'https://ops.example.com', host: '127.0.0.1', port: 0 });
const headers = (values: Record<string, string>) => new Headers(values);

describe('withRequestOrigin', () => {
  it("adds the origin the Host header names, so a server on a free port knows its own", () => {
    const allowed = withRequestOrigin(configured, '127.0.0.1:41234');
    expect(allowed.has('http://127.0.0.1:41234')).toBe(true);
    expect(allowed.has('https://ops.example.com')).toBe(true);
  });

  it('ignores a missing or garbled Host', () => {
    expect([...withRequestOrigin(configured, undefined)]).toEqual([...configured]);
    expect([...withRequestOrigin(configured, 'evil.example/ x')]).toEqual([...configured]);
  });
});

describe('crossSiteRefusal', () => {
  const allowed = withRequestOrigin(configured, '127.0.0.1:41234');

  it.each([
    [{ origin: 'https://evil.example' }, /https:\/\/evil\.example are refused/],
    [{ origin: 'null' }, /Origin: null\) without Sec-Fetch-Site: same-origin are refused/],
    [{ origin: 'null', 'sec-fetch-site': 'cross-site' }, /^cross-site requests are refused/],
    [{ origin: 'null', 'sec-fetch-site': 'none' }, /Origin: null/],
    [{ origin: 'http://127.0.0.1:41234', 'sec-fetch-site': 'cross-site' }, /^cross-site requests are refused/],
    [{ 'sec-fetch-site': 'same-site' }, /^same-site requests are refused/],
    [{ origin: 'http://127.0.0.1:9999' }, /refused/],
  ])('refuses %j', (values, message) => {
    expect(crossSiteRefusal(headers(values), allowed)).toMatch(message);
  });

  it.each([
    {},
    { origin: 'http://127.0.0.1:41234', 'sec-fetch-site': 'same-origin' },
    { origin: 'https://ops.example.com' },
    { 'sec-fetch-site': 'none' },
    // our own form under Referrer-Policy: no-referrer
    { origin: 'null', 'sec-fetch-site': 'same-origin' },
  ] as Record<string, string>[])('lets %j through', (values) => {
    expect(crossSiteRefusal(headers(values), allowed)).toBeUndefined();
  });
});
