import type { Metadata } from 'next';
import { readStatsQuery } from './stats-query';
import { StatsDashboard } from './stats-dashboard';

export const metadata: Metadata = { title: 'Stats · lastmile' };
export const dynamic = 'force-dynamic';

export default async function StatsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const query = readStatsQuery(await searchParams);
  return (
    <main className="stats-page">
      <h1>Stats</h1>
      <p className="muted">Unique users are counted by event time: a window is shown once the stream has passed its end, and updated if late events change it.</p>
      <StatsDashboard initial={query} />
    </main>
  );
}
