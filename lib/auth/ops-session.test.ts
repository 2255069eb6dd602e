import { describe, expect, it } from 'vitest';
import { parseOpsUsers } from './ops-credentials';
import {
  OPS_SESSION_COOKIE,
  clearedOpsSessionCookie,
  issueOpsSession,
  opsSessionCookie,
  opsSessionFromCookieHeader,
  readCookie,
  verifyOpsSession,
} from './ops-session';
import { issueToken, verifyToken } from './tokens';

const HOUR = 3_600_000;
const keys = { secret: 'test-secret-0123456789', opsUsers: parseOpsUsers('ana:pw,bo:pw2'), opsSessionMs: 12 * HOUR };

describe('ops sessions', () => {
  it('round-trips the user until the session expires', () => {
    const token = issueOpsSession('ana', keys, 1_000);
    expect(verifyOpsSession(token, keys, 2_000)).toEqual({ user: 'ana', expiresAt: 1_000 + 12 * HOUR });
    expect(verifyOpsSession(token, keys, 1_000 + 12 * HOUR)).toBeNull();
  });

  it('refuses a missing, tampered or foreign-secret token', () => {
    const token = issueOpsSession('ana', keys);
    const [payload, signature] = token.split('.') as [string, string];
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    const other = { ...keys, secret: 'another-secret-0123456789' };
    const forgedPayload = Buffer.from(JSON.stringify({ k: 'ops', i: 'bo:x', e: Date.now() + HOUR })).toString('base64url');
    for (const bad of [undefined, '', 'garbage', `${payload}.${flipped}`, `${forgedPayload}.${signature}`, `${payload}x.${signature}`]) {
      expect(verifyOpsSession(bad, keys)).toBeNull();
    }
    expect(verifyOpsSession(token, other)).toBeNull();
  });

  it('ends when the user is removed or their password changes, and only theirs', () => {
    const ana = issueOpsSession('ana', keys);
    const bo = issueOpsSession('bo', keys);
    const changed = { ...keys, opsUsers: parseOpsUsers('ana:new-pw,bo:pw2') };
    expect(verifyOpsSession(ana, changed)).toBeNull();
    expect(verifyOpsSession(bo, changed)?.user).toBe('bo');
    expect(verifyOpsSession(bo, { ...keys, opsUsers: parseOpsUsers('ana:pw') })).toBeNull();
    expect(() => issueOpsSession('cy', keys)).toThrow('cy is not an ops user');
  });

  it('is no bearer token, and no bearer token is a session', () => {
    const session = issueOpsSession('ana', keys);
    expect(verifyToken(session, keys.secret)).toEqual({ ok: false, reason: 'wrong_kind' });
    for (const kind of ['courier', 'order', 'integrator'] as const) {
      expect(verifyOpsSession(issueToken({ kind, id: 'ana' }, HOUR, keys.secret), keys)).toBeNull();
    }
  });

  it('is read from a Cookie header among other cookies', () => {
    const token = issueOpsSession('ana', keys);
    expect(opsSessionFromCookieHeader(`theme=dark; ${OPS_SESSION_COOKIE}=${token}; x=1`, keys)?.user).toBe('ana');
    expect(opsSessionFromCookieHeader(`x${OPS_SESSION_COOKIE}=${token}`, keys)).toBeNull();
    expect(opsSessionFromCookieHeader(undefined, keys)).toBeNull();
    expect(readCookie('a=1;b = 2 ;c', 'b')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, Lax, for the whole site, as long as the session, Secure behind https', () => {
    expect(opsSessionCookie('tok', { opsSessionMs: 12 * HOUR, opsCookieSecure: false })).toBe(
      `${OPS_SESSION_COOKIE}=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200`,
    );
    expect(opsSessionCookie('tok', { opsSessionMs: HOUR, opsCookieSecure: true })).toMatch(/; Max-Age=3600; Secure$/);
  });

  it('is cleared with an empty value that expires at once', () => {
    expect(clearedOpsSessionCookie({ opsCookieSecure: false })).toBe(`${OPS_SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
  });
});
