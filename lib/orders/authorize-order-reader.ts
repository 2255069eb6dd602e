// May this caller read this order? The one answer for the location API, the order API and the
// order's socket room: its own share token while the link is open, or an integrator key.
import type { Redis } from 'ioredis';
import { authenticate } from '../auth/authenticate';
import { authorizeOrderRead } from '../auth/authorize-order-read';
import type { TokenClaims } from '../auth/tokens';
import { parseOrderId } from './order-id';
import { assertShareLinkOpen } from './share-link';

export interface OrderReaderDeps {
  redis: Redis;
  secret: string;
  shareLinkGraceMs: number;
}

/** The caller's claims and the order id, or the AppError saying why not (400/401/403). */
export async function authorizeOrderReader(
  deps: OrderReaderDeps,
  token: string | undefined,
  orderId: unknown,
): Promise<{ claims: TokenClaims; orderId: string }> {
  const claims = authenticate(token, deps.secret);
  const id = parseOrderId(orderId);
  authorizeOrderRead(claims, id);
  await assertShareLinkOpen(deps.redis, claims, deps.shareLinkGraceMs);
  return { claims, orderId: id };
}
