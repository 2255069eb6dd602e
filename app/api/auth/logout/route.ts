// POST /api/auth/logout: ends the ops session in this browser, then back to the login page.
// POST only, so a link or an image on another page cannot sign anyone out.
import { clearedOpsSessionCookie } from '@/lib/auth/ops-session';
import { sharedConfig } from '@/lib/config';
import { seeOther } from '@/lib/http/next-http';

export const dynamic = 'force-dynamic';

export function POST() {
  return seeOther('/login', { 'set-cookie': clearedOpsSessionCookie(sharedConfig().auth) });
}
