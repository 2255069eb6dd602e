// Ops guards for Next server components and route handlers (they read the request's cookies
// through next/headers). Bare node:http and socket.io use opsSessionFromCookieHeader instead.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { sharedConfig } from '../config';
import { AppError } from '../http/errors';
import { OPS_SESSION_COOKIE, type OpsSession, verifyOpsSession } from './ops-session';

/** The signed-in ops user's session, or null. */
export async function currentOpsSession(): Promise<OpsSession | null> {
  const token = (await cookies()).get(OPS_SESSION_COOKIE)?.value;
  return verifyOpsSession(token, sharedConfig().auth);
}

/** For ops pages: the session, or a redirect to the login page that comes back to `nextPath`. */
export async function requireOpsPage(nextPath: string): Promise<OpsSession> {
  const session = await currentOpsSession();
  if (!session) redirect(`/login?${new URLSearchParams({ next: nextPath })}`);
  return session;
}

/** For ops APIs: the session, or a 401 AppError for the route's error response. */
export async function requireOpsApi(): Promise<OpsSession> {
  const session = await currentOpsSession();
  if (!session) throw new AppError('unauthorized', 'sign in first: ops APIs need an ops session (POST /api/auth/login)');
  return session;
}
