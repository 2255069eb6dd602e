// GET /api/couriers[?bbox=west,south,east,north]: the map's snapshot, with each courier's
// status and last-seen age.
import { NextResponse } from 'next/server';
import { parseBBox } from '@/lib/couriers/bbox';
import { listCouriers } from '@/lib/couriers/list-couriers';
import { sharedConfig } from '@/lib/config';
import { toErrorResponse } from '@/lib/http/errors';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

const MAX_COURIERS = 50_000;

export async function GET(request: Request) {
  try {
    const bboxText = new URL(request.url).searchParams.get('bbox');
    const bbox = bboxText === null ? undefined : parseBBox(bboxText);
    const { staleAfterMs } = sharedConfig().couriers;
    const now = Date.now();
    const couriers = await listCouriers(sharedRedis(), { bbox, limit: MAX_COURIERS, staleAfterMs, now });
    return NextResponse.json({ couriers, at: now, staleAfterMs }, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) console.error(err);
    return NextResponse.json(body, { status });
  }
}
