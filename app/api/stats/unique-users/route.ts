// GET /api/stats/unique-users?grain=minute|hour|day&from=ISO&to=ISO — distinct users per
// window (exact), and distinct users over the whole range (HyperLogLog, ±0.81%).
import { uniqueUsersSeries } from '@/lib/stats/read-stats';
import { statsHandler } from '../stats-handler';

export const dynamic = 'force-dynamic';

export const GET = statsHandler((range, { db, redis, topics }) => uniqueUsersSeries(db, redis, topics, range));
