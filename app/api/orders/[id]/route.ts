// GET /api/orders/:id?t=<share token>: the order as its tracking page shows it.
import { NextResponse } from 'next/server';
import { authenticate } from '@/lib/auth/authenticate';
import { authorizeOrderRead } from '@/lib/auth/authorize-order-read';
import { bearerToken } from '@/lib/auth/tokens';
import { sharedConfig } from '@/lib/config';
import { sharedDb } from '@/lib/db/shared';
import { AppError } from '@/lib/http/errors';
import { errorResponse } from '@/lib/http/next-http';
import { readOrder } from '@/lib/orders/read-order';
import { assertShareLinkOpen } from '@/lib/orders/share-link';
import { sharedRedis } from '@/lib/redis/shared';

export const dynamic = 'force-dynamic';

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const { auth } = sharedConfig();
    const token = new URL(request.url).searchParams.get('t') ?? bearerToken(request.headers.get('authorization') ?? undefined);
    const claims = authenticate(token ?? undefined, auth.secret);
    authorizeOrderRead(claims, id);
    await assertShareLinkOpen(sharedRedis(), claims, auth.shareLinkGraceMs);
    const order = await readOrder({ db: sharedDb(), redis: sharedRedis() }, id);
    if (!order) throw new AppError('not_found', `no order ${id}`);
    return NextResponse.json(order, { headers: { 'cache-control': 'private, no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
