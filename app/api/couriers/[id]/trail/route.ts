// GET /api/couriers/:id/trail?since=ISO[&limit=N] — the courier's fixes since then from the
// location history, oldest first: the map's trail and replay. Ops only.
import { NextResponse } from 'next/server';
import { requireOpsApi } from '@/lib/auth/require-ops';
import { parseTrailRequest, readTrail } from '@/lib/couriers/read-trail';
import { sharedDb } from '@/lib/db/shared';
import { errorResponse } from '@/lib/http/next-http';

export const dynamic = 'force-dynamic';

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    await requireOpsApi();
    const { courierId, ...query } = parseTrailRequest((await params).id, new URL(request.url).searchParams);
    return NextResponse.json(await readTrail(sharedDb(), courierId, query), { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
