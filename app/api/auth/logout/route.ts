// POST /api/auth/logout: ends the ops session in this browser, then back to the login page.
// POST only, so a link or an image on another page cannot sign anyone out, and refused (403)
// when another site's page sends the POST.
import { clearedOpsSessionCookie } from '@/lib/auth/ops-session';
import { sharedConfig } from '@/lib/config';
import { assertSameSiteRequest, errorResponse, seeOther } from '@/lib/http/next-http';

export const dynamic = 'force-dynamic';

export function POST(request: Request) {
  try {
    assertSameSiteRequest(request);
    return seeOther('/login', { 'set-cookie': clearedOpsSessionCookie(sharedConfig().auth) });
  } catch (err) {
    return errorResponse(err, { 'cache-control': 'no-store' });
  }
}
