import type { Metadata } from 'next';
import { requireOpsPage } from '@/lib/auth/require-ops';
import { OpsHeader } from '../components/ops-header';
import { readStatsQuery, toSearch } from './stats-query';
import { StatsDashboard } from './stats-dashboard';

export const metadata: Metadata = { title: 'Stats · lastmile' };
export const dynamic = 'force-dynamic';

export default async function StatsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const query = readStatsQuery(params);
  const { user } = await requireOpsPage(`/stats${toSearch(query)}`);
  return (
    <>
      <OpsHeader user={user} />
      <main className="stats-page">
        <h1>Stats</h1>
        <p className="muted">Unique users are counted by event time: a window is shown once the stream has passed its end, and updated if late events change it.</p>
        <StatsDashboard initial={query} />
      </main>
    </>
  );
}
