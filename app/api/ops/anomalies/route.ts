// GET /api/ops/anomalies — the most recent events the order state machine refused.
import { NextResponse } from 'next/server';
import { requireOpsApi } from '@/lib/auth/require-ops';
import { sharedDb } from '@/lib/db/shared';
import { errorResponse } from '@/lib/http/next-http';
import { recentAnomalies } from '@/lib/orders/inspect-order';

export const dynamic = 'force-dynamic';

export async function GET() {
  try {
    await requireOpsApi();
    return NextResponse.json({ anomalies: await recentAnomalies(sharedDb()) }, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
