// GET /api/ops/orders/:id — an order as ops see it.
import { withOps } from '@/lib/auth/with-ops';
import { sharedDb } from '@/lib/db/shared';
import { AppError } from '@/lib/http/errors';
import { inspectOrder } from '@/lib/orders/inspect-order';
import { parseOrderId } from '@/lib/orders/order-id';

export const dynamic = 'force-dynamic';

export const GET = withOps<{ id: string }>(async ({ params }) => {
  const id = parseOrderId(params.id, 'id');
  const inspection = await inspectOrder(sharedDb(), id);
  if (!inspection) throw new AppError('not_found', `no order ${id}: no event was ever received for it`);
  return inspection;
});
