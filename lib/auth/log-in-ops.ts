// Signing an ops user in: the throttle first, then the password, then a session.
import { AppError } from '../http/errors';
import type { LoginThrottle } from './login-throttle';
import { verifyOpsCredentials } from './ops-credentials';
import { type OpsCookieOptions, type OpsSession, type OpsSessionKeys, issueOpsSession } from './ops-session';
import { safeNextPath } from './safe-next-path';

export interface LoginRequest {
  name: string;
  password: string;
  /** Where to go after signing in: a safe path on this site. */
  next: string;
}

export type LoginResult =
  | { ok: true; token: string; session: OpsSession }
  | { ok: false; reason: 'wrong_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

const MAX_LENGTH = { name: 64, password: 1024 };

function textField(body: Record<string, unknown>, field: keyof typeof MAX_LENGTH): string {
  const value = body[field];
  const invalid = (rule: string, message: string) => new AppError('validation_failed', message, [{ field: `/${field}`, rule, message }]);
  if (typeof value !== 'string' || value === '') throw invalid('required', `${field} is required`);
  if (value.length > MAX_LENGTH[field]) throw invalid('maxLength', `${field} must be at most ${MAX_LENGTH[field]} characters`);
  return value;
}

/** The fields of a login form or JSON body; 400 naming the field that is missing or too long. */
export function parseLoginRequest(fields: unknown): LoginRequest {
  const body = (typeof fields === 'object' && fields !== null ? fields : {}) as Record<string, unknown>;
  return { name: textField(body, 'name'), password: textField(body, 'password'), next: safeNextPath(body.next) };
}

export async function logInOps(
  request: Pick<LoginRequest, 'name' | 'password'>,
  auth: OpsSessionKeys & Pick<OpsCookieOptions, 'opsSessionMs'>,
  throttle: LoginThrottle,
  now = Date.now(),
): Promise<LoginResult> {
  const retryAfterSeconds = throttle.begin(request.name, now);
  // Refused before the password is looked at: a right guess must not stand out once throttled.
  if (retryAfterSeconds > 0) return { ok: false, reason: 'throttled', retryAfterSeconds };
  if (!(await verifyOpsCredentials(auth.opsUsers, request.name, request.password))) return { ok: false, reason: 'wrong_credentials' };
  throttle.succeeded(request.name, now);
  const token = issueOpsSession(request.name, auth, now);
  return { ok: true, token, session: { user: request.name, expiresAt: now + auth.opsSessionMs } };
}
