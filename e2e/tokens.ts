import { type Subject, issueToken } from '../lib/auth/tokens';

/** A token signed with the secret the global setup gave the server. */
export function tokenFor(kind: Subject['kind'], id: string, ttlMs = 3_600_000): string {
  const secret = process.env.E2E_AUTH_SECRET;
  if (!secret) throw new Error('E2E_AUTH_SECRET is not set: run through the Playwright global setup');
  return issueToken({ kind, id } as Subject, ttlMs, secret);
}
