// GET /api/ops/orders/:id — an order as ops see it. (Ops login arrives with issue 7.)
import { NextResponse } from 'next/server';
import { sharedDb } from '@/lib/db/shared';
import { AppError, toErrorResponse } from '@/lib/http/errors';
import { inspectOrder } from '@/lib/orders/inspect-order';

export const dynamic = 'force-dynamic';

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = await params;
    const inspection = await inspectOrder(sharedDb(), id);
    if (!inspection) throw new AppError('not_found', `no order ${id}: no event was ever received for it`);
    return NextResponse.json(inspection, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) console.error(err);
    return NextResponse.json(body, { status });
  }
}
