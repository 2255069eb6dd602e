import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../http/errors';
import { createWithOps } from './with-ops';

const session = { user: 'ana', expiresAt: Date.now() + 60_000 };
const signedIn = createWithOps(async () => session);
const signedOut = createWithOps(async () => null);
const request = (path = '/api/ops/x') => new Request(`http://lastmile.test${path}`);
const context = <P extends Record<string, string>>(params: P) => ({ params: Promise.resolve(params) });

afterEach(() => vi.restoreAllMocks());

describe('withOps', () => {
  it('answers what the handler returns as JSON, never cached, with the session, params and query', async () => {
    const route = signedIn<{ id: string }>(async ({ params, query, session: s }) => ({ id: params.id, since: query.get('since'), user: s.user }));
    const res = await route(request('/api/ops/x?since=now'), context({ id: 'o-1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ id: 'o-1', since: 'now', user: 'ana' });
  });

  it('answers 401 without a session, before the handler or the params are looked at', async () => {
    const handler = vi.fn(async () => ({}));
    const res = await signedOut(handler)(request(), context({ id: 'a\u0000b' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 400 naming a param that holds a control character', async () => {
    const res = await signedIn(async () => ({}))(request(), context({ id: 'a\u0000b' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'validation_failed', issues: [{ field: '/id' }] } });
  });

  it("answers an AppError in the shared shape, and hides an unknown error's details", async () => {
    const notFound = await signedIn(async () => {
      throw new AppError('not_found', 'no order o-1');
    })(request());
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: { code: 'not_found', message: 'no order o-1' } });

    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = await signedIn(async () => {
      throw new Error('password=hunter2');
    })(request());
    expect(broken.status).toBe(500);
    expect(broken.headers.get('cache-control')).toBe('no-store');
    expect(JSON.stringify(await broken.json())).not.toContain('hunter2');
  });
});
