// GET /api/stats/orders?from=…&to=… — orders created in the range by current status, and
// how long the ones delivered in the range took from creation.
import { orderStats } from '@/lib/stats/read-stats';
import { statsHandler } from '../stats-handler';

export const dynamic = 'force-dynamic';

export const GET = statsHandler((range, { db }) => orderStats(db, range));
