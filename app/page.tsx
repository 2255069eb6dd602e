import { requireOpsPage } from '@/lib/auth/require-ops';
import { CourierTable } from './components/courier-table';
import { OpsHeader } from './components/ops-header';

export default async function HomePage() {
  const { user } = await requireOpsPage('/');
  return (
    <>
      <OpsHeader user={user} />
      <main>
        <h1>lastmile · couriers</h1>
        <p className="muted">Last known location of every courier, straight from the hot state.</p>
        <CourierTable />
      </main>
    </>
  );
}
