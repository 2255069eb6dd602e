// GET /api/ops/alerts — the map's late orders (stalled couriers the map finds itself, from
// the live positions). Ops only.
import { withOps } from '@/lib/auth/with-ops';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { type OpsAlerts, listLateOrders } from '@/lib/orders/list-late-orders';

export const dynamic = 'force-dynamic';

const MAX_LISTED = 100;

export const GET = withOps(async () => {
  const { lateAfterMs } = sharedConfig().orders;
  const now = Date.now();
  const late = await listLateOrders(sharedDb(), { lateAfterMs, now, limit: MAX_LISTED });
  return { lateOrders: late.orders, lateTotal: late.total, lateAfterMs, at: now } satisfies OpsAlerts;
});
