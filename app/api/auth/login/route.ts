// POST /api/auth/login: an ops user signs in. A form gets 303 to its `next` page, or back to
// the form saying what went wrong; JSON gets 200 with the user, 401 or 429. Another site's
// form is refused (403) before the body is read, and the body is read with a cap (413).
import { NextResponse } from 'next/server';
import { LOGIN_MAX_BODY_BYTES, loginBodyKind, parseLoginBody } from '@/lib/auth/login-body';
import { LoginThrottle } from '@/lib/auth/login-throttle';
import { logInOps, parseLoginRequest } from '@/lib/auth/log-in-ops';
import { opsSessionCookie } from '@/lib/auth/ops-session';
import { sharedConfig } from '@/lib/config';
import { AppError } from '@/lib/http/errors';
import { assertSameSiteRequest, errorResponse, mediaTypeOf, readLimitedBody, seeOther } from '@/lib/http/next-http';

export const dynamic = 'force-dynamic';

// Per process, like the ingest rate limit: five failed sign-ins a minute per user name.
const throttle = new LoginThrottle();

export async function POST(request: Request) {
  const json = mediaTypeOf(request) === 'application/json';
  try {
    assertSameSiteRequest(request);
    const kind = loginBodyKind(mediaTypeOf(request));
    const body = await readLimitedBody(request, LOGIN_MAX_BODY_BYTES);
    const login = parseLoginRequest(await parseLoginBody(body, kind, request.headers.get('content-type') ?? ''));
    const { auth } = sharedConfig();
    const result = await logInOps(login, auth, throttle);
    if (result.ok) {
      const headers = { 'set-cookie': opsSessionCookie(result.token, auth), 'cache-control': 'no-store' };
      if (!json) return seeOther(login.next, headers);
      return NextResponse.json({ user: result.session.user, expiresAt: new Date(result.session.expiresAt).toISOString() }, { headers });
    }
    if (!json) return seeOther(`/login?${new URLSearchParams({ error: result.reason, next: login.next })}`);
    if (result.reason === 'wrong_credentials') throw new AppError('unauthorized', 'wrong name or password');
    const wait = result.retryAfterSeconds;
    return errorResponse(new AppError('rate_limited', `too many failed sign-ins for ${login.name}; try again in ${wait}s`), { 'retry-after': String(wait) });
  } catch (err) {
    return errorResponse(err, { 'cache-control': 'no-store' });
  }
}
