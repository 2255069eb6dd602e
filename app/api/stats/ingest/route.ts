// GET /api/stats/ingest?grain=…&from=…&to=… — events per second into each event topic.
import { ingestSeries } from '@/lib/stats/read-stats';
import { statsHandler } from '../stats-handler';

export const dynamic = 'force-dynamic';

export const GET = statsHandler(async (range, { db, topics }) => ({ points: await ingestSeries(db, topics, range) }));
