// GET /api/ops/orders/:id — an order as ops see it.
import { NextResponse } from 'next/server';
import { requireOpsApi } from '@/lib/auth/require-ops';
import { sharedDb } from '@/lib/db/shared';
import { AppError } from '@/lib/http/errors';
import { errorResponse } from '@/lib/http/next-http';
import { inspectOrder } from '@/lib/orders/inspect-order';

export const dynamic = 'force-dynamic';

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    await requireOpsApi();
    const { id } = await params;
    const inspection = await inspectOrder(sharedDb(), id);
    if (!inspection) throw new AppError('not_found', `no order ${id}: no event was ever received for it`);
    return NextResponse.json(inspection, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
