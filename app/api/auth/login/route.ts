// POST /api/auth/login: an ops user signs in. A form gets 303 to its `next` page, or back to
// the form saying what went wrong; JSON gets 200 with the user, 401 or 429.
import { NextResponse } from 'next/server';
import { LoginThrottle } from '@/lib/auth/login-throttle';
import { logInOps, parseLoginRequest } from '@/lib/auth/log-in-ops';
import { opsSessionCookie } from '@/lib/auth/ops-session';
import { sharedConfig } from '@/lib/config';
import { AppError } from '@/lib/http/errors';
import { errorResponse, seeOther } from '@/lib/http/next-http';

export const dynamic = 'force-dynamic';

// Per process, like the ingest rate limit: five failed sign-ins a minute per user name.
const throttle = new LoginThrottle();

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

async function readFields(request: Request, type: string): Promise<unknown> {
  if (FORM_TYPES.includes(type)) return Object.fromEntries(await request.formData());
  if (type !== 'application/json') throw new AppError('unsupported_media_type', 'send the form fields or application/json');
  try {
    return await request.json();
  } catch (err) {
    throw new AppError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

export async function POST(request: Request) {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const json = type === 'application/json';
  try {
    const login = parseLoginRequest(await readFields(request, type));
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
    return errorResponse(err);
  }
}
