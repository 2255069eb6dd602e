// GET /api/ops/alerts — the map's late orders (stalled couriers the map finds itself, from
// the live positions). Ops only.
import { NextResponse } from 'next/server';
import { requireOpsApi } from '@/lib/auth/require-ops';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { errorResponse } from '@/lib/http/next-http';
import { type OpsAlerts, listLateOrders } from '@/lib/orders/list-late-orders';

export const dynamic = 'force-dynamic';

const MAX_LISTED = 100;

export async function GET() {
  try {
    await requireOpsApi();
    const { lateAfterMs } = sharedConfig().orders;
    const now = Date.now();
    const late = await listLateOrders(sharedDb(), { lateAfterMs, now, limit: MAX_LISTED });
    return NextResponse.json({ lateOrders: late.orders, lateTotal: late.total, lateAfterMs, at: now } satisfies OpsAlerts, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
