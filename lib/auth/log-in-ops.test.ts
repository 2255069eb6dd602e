import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { logInOps, parseLoginRequest } from './log-in-ops';
import { LoginThrottle } from './login-throttle';
import { parseOpsUsers } from './ops-credentials';
import { verifyOpsSession } from './ops-session';

const auth = { secret: 'test-secret-0123456789', opsUsers: parseOpsUsers('ana:right'), opsSessionMs: 3_600_000 };

describe('logInOps', () => {
  it('issues a session for the right password', async () => {
    const result = await logInOps({ name: 'ana', password: 'right' }, auth, new LoginThrottle(), 1_000);
    expect(result).toMatchObject({ ok: true, session: { user: 'ana', expiresAt: 3_601_000 } });
    expect(result.ok && verifyOpsSession(result.token, auth, 2_000)?.user).toBe('ana');
  });

  it('says only "wrong" for a wrong password or an unknown name', async () => {
    const throttle = new LoginThrottle();
    expect(await logInOps({ name: 'ana', password: 'wrong' }, auth, throttle)).toEqual({ ok: false, reason: 'wrong_credentials' });
    expect(await logInOps({ name: 'bo', password: 'right' }, auth, throttle)).toEqual({ ok: false, reason: 'wrong_credentials' });
  });

  it('refuses even the right password once a name has failed five times in a minute', async () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) expect((await logInOps({ name: 'ana', password: `guess-${i}` }, auth, throttle, 1_000)).ok).toBe(false);
    expect(await logInOps({ name: 'ana', password: 'right' }, auth, throttle, 2_000)).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 59 });
    expect((await logInOps({ name: 'ana', password: 'right' }, auth, throttle, 61_001)).ok).toBe(true);
  });

  it('does not count successful sign-ins against the limit', async () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 8; i++) expect((await logInOps({ name: 'ana', password: 'right' }, auth, throttle, 1_000 + i)).ok).toBe(true);
  });
});

describe('parseLoginRequest', () => {
  it('reads the fields and makes `next` safe', () => {
    expect(parseLoginRequest({ name: 'ana', password: 'pw', next: '/ops/orders' })).toEqual({ name: 'ana', password: 'pw', next: '/ops/orders' });
    expect(parseLoginRequest({ name: 'ana', password: 'pw', next: '//evil.example' }).next).toBe('/');
    for (const next of ['/.//evil.example', '/..//x', '/%2e%2e//x']) expect(parseLoginRequest({ name: 'ana', password: 'pw', next }).next, next).toBe('/');
    expect(parseLoginRequest({ name: 'ana', password: 'pw' }).next).toBe('/');
  });

  it.each([
    [{ password: 'pw' }, '/name', 'required'],
    [{ name: 'ana', password: '' }, '/password', 'required'],
    [{ name: 'ana', password: 7 }, '/password', 'required'],
    [{ name: 'a'.repeat(65), password: 'pw' }, '/name', 'maxLength'],
    [{ name: 'ana', password: 'p'.repeat(1025) }, '/password', 'maxLength'],
    [null, '/name', 'required'],
  ])('refuses %j naming the field', (body, field, rule) => {
    let error: unknown;
    try {
      parseLoginRequest(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, issues: [{ field, rule }] });
  });
});
