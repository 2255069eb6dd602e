// GET /api/ops/anomalies — the most recent events the order state machine refused.
import { NextResponse } from 'next/server';
import { sharedDb } from '@/lib/db/shared';
import { recentAnomalies } from '@/lib/orders/inspect-order';

export const dynamic = 'force-dynamic';

export async function GET() {
  return NextResponse.json({ anomalies: await recentAnomalies(sharedDb()) }, { headers: { 'cache-control': 'no-store' } });
}
