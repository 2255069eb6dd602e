// GET /api/couriers[?bbox=west,south,east,north]: the map's snapshot, with each courier's
// status and last-seen age, and the settings the map draws them with. Ops only.
import { withOps } from '@/lib/auth/with-ops';
import { parseBBox } from '@/lib/couriers/bbox';
import { type CouriersSnapshot, listCouriers } from '@/lib/couriers/list-couriers';
import { sharedConfig } from '@/lib/config';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

const MAX_COURIERS = 50_000;

export const GET = withOps(async ({ query }) => {
  const bboxText = query.get('bbox');
  const bbox = bboxText === null ? undefined : parseBBox(bboxText);
  const { staleAfterMs, stalledAfterMs, frameMs } = sharedConfig().couriers;
  const now = Date.now();
  const couriers = await listCouriers(sharedRedis(), { bbox, limit: MAX_COURIERS, staleAfterMs, now });
  return { couriers, at: now, staleAfterMs, stalledAfterMs, frameMs } satisfies CouriersSnapshot;
});
