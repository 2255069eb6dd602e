// GET /api/couriers[?bbox=west,south,east,north]: the map's snapshot, with each courier's
// status and last-seen age, and the settings the map draws them with. Ops only.
import { NextResponse } from 'next/server';
import { requireOpsApi } from '@/lib/auth/require-ops';
import { parseBBox } from '@/lib/couriers/bbox';
import { type CouriersSnapshot, listCouriers } from '@/lib/couriers/list-couriers';
import { sharedConfig } from '@/lib/config';
import { errorResponse } from '@/lib/http/next-http';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

const MAX_COURIERS = 50_000;

export async function GET(request: Request) {
  try {
    await requireOpsApi();
    const bboxText = new URL(request.url).searchParams.get('bbox');
    const bbox = bboxText === null ? undefined : parseBBox(bboxText);
    const { staleAfterMs, stalledAfterMs, frameMs } = sharedConfig().couriers;
    const now = Date.now();
    const couriers = await listCouriers(sharedRedis(), { bbox, limit: MAX_COURIERS, staleAfterMs, now });
    return NextResponse.json({ couriers, at: now, staleAfterMs, stalledAfterMs, frameMs } satisfies CouriersSnapshot, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
