import { AppError } from '../http/errors';
import type { TokenClaims } from './tokens';

/** An order may be read with its own share token or an integrator key. */
export function authorizeOrderRead(claims: TokenClaims, orderId: string): void {
  if (claims.sub.kind === 'integrator') return;
  if (claims.sub.kind === 'order' && claims.sub.id === orderId) return;
  throw new AppError('forbidden', claims.sub.kind === 'order' ? 'this token is for another order' : 'this token cannot read orders');
}
