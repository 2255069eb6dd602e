import { AppError } from '../http/errors';
import { type TokenClaims, verifyToken } from './tokens';

const REASONS = {
  malformed: 'the token is malformed',
  bad_signature: 'the token is not valid',
  wrong_kind: 'this kind of token cannot be used here',
  expired: 'the token has expired',
} as const;

/** Claims of a presented token, or 401 saying what is wrong with it. */
export function authenticate(token: string | undefined, secret: string, now = Date.now()): TokenClaims {
  if (!token) throw new AppError('unauthorized', 'send a token: Authorization: Bearer <token>');
  const check = verifyToken(token, secret, now);
  if (!check.ok) throw new AppError('unauthorized', REASONS[check.reason]);
  return check.claims;
}
