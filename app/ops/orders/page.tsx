import { requireOpsPage } from '@/lib/auth/require-ops';
import { OpsHeader } from '../../components/ops-header';
import { OrderInspector } from './order-inspector';

export const metadata = { title: 'Orders · lastmile ops' };

export default async function OpsOrdersPage({ searchParams }: { searchParams: Promise<{ id?: string | string[] }> }) {
  const { id } = await searchParams;
  const orderId = typeof id === 'string' ? id.trim() : '';
  const { user } = await requireOpsPage(orderId ? `/ops/orders?${new URLSearchParams({ id: orderId })}` : '/ops/orders');
  return (
    <>
      <OpsHeader user={user} />
      <main>
        <h1>Orders</h1>
        <p className="muted">Find an order by id: its timeline, every event received, and what was refused.</p>
        <OrderInspector initialOrderId={orderId} />
      </main>
    </>
  );
}
