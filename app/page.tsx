import { requireOpsPage } from '@/lib/auth/require-ops';
import { OpsHeader } from './components/ops-header';
import { OpsMap } from './components/map/ops-map';

export default async function HomePage() {
  const { user } = await requireOpsPage('/');
  return (
    <>
      <OpsHeader user={user} />
      <main className="map-page">
        <h1>lastmile · couriers</h1>
        <OpsMap />
      </main>
    </>
  );
}
