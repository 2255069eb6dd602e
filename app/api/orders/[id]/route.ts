// GET /api/orders/:id?t=<share token>: the order as its tracking page shows it.
import { NextResponse } from 'next/server';
import { bearerToken } from '@/lib/auth/tokens';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { AppError } from '@/lib/http/errors';
import { errorResponse } from '@/lib/http/next-http';
import { authorizeOrderReader } from '@/lib/orders/authorize-order-reader';
import { readOrder } from '@/lib/orders/read-order';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { auth } = sharedConfig();
    const token = new URL(request.url).searchParams.get('t') ?? bearerToken(request.headers.get('authorization') ?? undefined);
    const deps = { redis: sharedRedis(), secret: auth.secret, shareLinkGraceMs: auth.shareLinkGraceMs };
    const { orderId: id } = await authorizeOrderReader(deps, token ?? undefined, (await params).id);
    const order = await readOrder({ db: sharedDb(), redis: sharedRedis() }, id);
    if (!order) throw new AppError('not_found', `no order ${id}`);
    return NextResponse.json(order, { headers: { 'cache-control': 'private, no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
