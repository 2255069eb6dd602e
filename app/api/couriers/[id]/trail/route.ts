// GET /api/couriers/:id/trail?since=ISO[&limit=N] — the courier's fixes since then from the
// location history, oldest first: the map's trail and replay. Ops only.
import { withOps } from '@/lib/auth/with-ops';
import { parseTrailRequest, readTrail } from '@/lib/couriers/read-trail';
import { sharedDb } from '@/lib/db/shared';
import { assertStorableTime } from '@/lib/http/query-time';

export const dynamic = 'force-dynamic';

export const GET = withOps<{ id: string }>(async ({ params, query }) => {
  const { courierId, ...trail } = parseTrailRequest(params.id, query);
  // year 0000 parses in JavaScript but not in Postgres: 400 here, not 500 there
  assertStorableTime(trail.since, 'since');
  return readTrail(sharedDb(), courierId, trail);
});
