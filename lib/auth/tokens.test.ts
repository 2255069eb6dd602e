import { describe, expect, it } from 'vitest';
import { BEARER_KINDS, bearerToken, issueToken, verifyToken } from './tokens';

const SECRET = 'test-secret-0123456789';

describe('tokens', () => {
  it('round-trips a subject until it expires', () => {
    const token = issueToken({ kind: 'courier', id: 'c-1' }, 60_000, SECRET, 1_000);
    expect(verifyToken(token, SECRET, 2_000)).toEqual({ ok: true, claims: { sub: { kind: 'courier', id: 'c-1' }, exp: 61_000 } });
    expect(verifyToken(token, SECRET, 61_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another secret, a changed payload and garbage', () => {
    const token = issueToken({ kind: 'order', id: 'o-1' }, 60_000, SECRET);
    expect(verifyToken(token, 'other-secret-abcdefgh')).toEqual({ ok: false, reason: 'bad_signature' });
    const forged = Buffer.from(JSON.stringify({ k: 'order', i: 'o-2', e: Date.now() + 60_000 })).toString('base64url');
    expect(verifyToken(`${forged}.${token.split('.')[1]}`, SECRET)).toEqual({ ok: false, reason: 'bad_signature' });
    const [payload, signature] = token.split('.') as [string, string];
    for (const last of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
      if (last !== signature.at(-1)) expect(verifyToken(`${payload}.${signature.slice(0, -1)}${last}`, SECRET).ok).toBe(false);
    }
    for (const junk of ['', 'abc', 'a.b.c', '.sig', 'payload.'])
      expect(verifyToken(junk, SECRET).ok).toBe(false);
  });

  it('keeps ops sessions and bearer tokens apart', () => {
    const session = issueToken({ kind: 'ops', id: 'alice' }, 60_000, SECRET);
    expect(verifyToken(session, SECRET)).toEqual({ ok: false, reason: 'wrong_kind' });
    expect(verifyToken(session, SECRET, Date.now(), ['ops'])).toMatchObject({ ok: true, claims: { sub: { kind: 'ops', id: 'alice' } } });
    for (const kind of BEARER_KINDS) {
      const bearer = issueToken({ kind, id: 'alice' }, 60_000, SECRET);
      expect(verifyToken(bearer, SECRET, Date.now(), ['ops'])).toEqual({ ok: false, reason: 'wrong_kind' });
      expect(verifyToken(bearer, SECRET).ok).toBe(true);
    }
  });

  it('reads a bearer header', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc.def ')).toBe('abc.def');
    expect(bearerToken('Basic xyz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
