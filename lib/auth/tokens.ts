// Signed tokens: `<payload>.<signature>`, base64url, HMAC-SHA256 with the server secret.
// A token names one subject and expires; the server keeps no token table. Bearer tokens
// (courier, order, integrator) and ops sessions (a cookie) share the format, so every check
// says which kinds it accepts.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Subject =
  | { kind: 'courier'; id: string }
  | { kind: 'order'; id: string }
  | { kind: 'integrator'; id: string }
  | { kind: 'ops'; id: string };

export interface TokenClaims {
  sub: Subject;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_kind' | 'expired' };

/** What `Authorization: Bearer` and share links may carry; an ops session is only a cookie. */
export const BEARER_KINDS: readonly Subject['kind'][] = ['courier', 'order', 'integrator'];

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function issueToken(sub: Subject, ttlMs: number, secret: string, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ k: sub.kind, i: sub.id, e: now + ttlMs })).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

export function verifyToken(token: string, secret: string, now = Date.now(), kinds = BEARER_KINDS): TokenCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const payload = token.slice(0, dot);
  // Compare the encoded strings: decoding would accept other spellings of the same bytes.
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(payload, secret));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  let parsed: { k?: unknown; i?: unknown; e?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof parsed.k !== 'string' || typeof parsed.i !== 'string' || typeof parsed.e !== 'number') return { ok: false, reason: 'malformed' };
  if (!(kinds as readonly string[]).includes(parsed.k)) return { ok: false, reason: 'wrong_kind' };
  if (parsed.e <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { sub: { kind: parsed.k as Subject['kind'], id: parsed.i }, exp: parsed.e } };
}

/** The token from `Authorization: Bearer …`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
