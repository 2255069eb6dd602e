// Ops guards for Next server components (they read the request's cookies through
// next/headers); ops API routes go through withOps (with-ops.ts). Bare node:http and
// socket.io use opsSessionFromCookieHeader instead.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { sharedConfig } from '../config';
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
