// An ops session is a signed token of kind `ops` in the `lastmile_ops` cookie. It names the
// user and a stamp of their OPS_USERS entry, so removing a user or changing their password
// ends their sessions without a session table.
import { createHmac } from 'node:crypto';
import type { OpsUsers } from './ops-credentials';
import { issueToken, verifyToken } from './tokens';

export const OPS_SESSION_COOKIE = 'lastmile_ops';

export interface OpsSession {
  user: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** What checking a session needs; `Config['auth']` has it. */
export interface OpsSessionKeys {
  secret: string;
  opsUsers: OpsUsers;
}

/** What setting the cookie needs; `Config['auth']` has it. */
export interface OpsCookieOptions {
  opsSessionMs: number;
  /** Secure cookies, when the app is served over https (PUBLIC_URL). */
  opsCookieSecure: boolean;
}

function entryStamp(user: string, keys: OpsSessionKeys): string | undefined {
  const entry = keys.opsUsers.get(user);
  if (!entry) return undefined;
  const mac = createHmac('sha256', keys.secret).update(`ops-session\0${user}\0`);
  return mac.update(entry.kind === 'plain' ? entry.digest : entry.hash).digest('base64url').slice(0, 22);
}

/** A session token for `user`, who must be in `opsUsers`. */
export function issueOpsSession(user: string, keys: OpsSessionKeys & Pick<OpsCookieOptions, 'opsSessionMs'>, now = Date.now()): string {
  const stamp = entryStamp(user, keys);
  if (!stamp) throw new Error(`${user} is not an ops user`);
  return issueToken({ kind: 'ops', id: `${user}:${stamp}` }, keys.opsSessionMs, keys.secret, now);
}

/** The session a token carries, or null when it is missing, forged, expired or for a user since changed. */
export function verifyOpsSession(token: string | undefined, keys: OpsSessionKeys, now = Date.now()): OpsSession | null {
  if (!token) return null;
  const check = verifyToken(token, keys.secret, now, ['ops']);
  if (!check.ok) return null;
  const id = check.claims.sub.id;
  const colon = id.lastIndexOf(':');
  const user = id.slice(0, colon);
  if (colon <= 0 || entryStamp(user, keys) !== id.slice(colon + 1)) return null;
  return { user, expiresAt: check.claims.exp };
}

/** One cookie's value from a `Cookie` request header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The ops session in a `Cookie` header, or null: for bare node:http handlers and socket.io
 * handshakes (`socket.handshake.headers.cookie`).
 */
export function opsSessionFromCookieHeader(header: string | null | undefined, keys: OpsSessionKeys, now = Date.now()): OpsSession | null {
  return verifyOpsSession(readCookie(header, OPS_SESSION_COOKIE), keys, now);
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  // Lax: the cookie comes along when an ops user follows a link in, not on other sites' posts.
  const attributes = [`${OPS_SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}

/** The `Set-Cookie` value that starts a session. */
export function opsSessionCookie(token: string, options: OpsCookieOptions): string {
  return cookie(token, Math.floor(options.opsSessionMs / 1000), options.opsCookieSecure);
}

/** The `Set-Cookie` value that ends it. */
export function clearedOpsSessionCookie(options: Pick<OpsCookieOptions, 'opsCookieSecure'>): string {
  return cookie('', 0, options.opsCookieSecure);
}
