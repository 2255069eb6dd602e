// GET /api/couriers: every courier's last known location (the map's snapshot).
import { NextResponse } from 'next/server';
import { listCourierLocations } from '@/lib/couriers/record-locations';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

const MAX_COURIERS = 20_000;

export async function GET() {
  const couriers = await listCourierLocations(sharedRedis(), MAX_COURIERS);
  return NextResponse.json({ couriers, at: Date.now() }, { headers: { 'cache-control': 'no-store' } });
}
