// A share token opens an order's tracking only while the order is open, and for a grace
// period after it closed (delivered, cancelled, failed). Read from the status cache.
import type { Redis } from 'ioredis';
import type { TokenClaims } from '../auth/tokens';
import { AppError } from '../http/errors';
import { readOrderStatus } from './order-status-store';
import { isTerminal } from './state-machine';

export async function assertShareLinkOpen(redis: Redis, claims: TokenClaims, graceMs: number, now = Date.now()): Promise<void> {
  if (claims.sub.kind !== 'order') return;
  const cached = await readOrderStatus(redis, claims.sub.id);
  if (!cached) return;
  const { status, at } = cached;
  if (isTerminal(status) && now - at > graceMs) {
    throw new AppError('unauthorized', `this tracking link has expired: the order was ${status.replace('_', ' ')}`);
  }
}
