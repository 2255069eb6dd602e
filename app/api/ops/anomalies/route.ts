// GET /api/ops/anomalies — the most recent events the order state machine refused.
import { withOps } from '@/lib/auth/with-ops';
import { sharedDb } from '@/lib/db/shared';
import { recentAnomalies } from '@/lib/orders/inspect-order';

export const dynamic = 'force-dynamic';

export const GET = withOps(async () => ({ anomalies: await recentAnomalies(sharedDb()) }));
