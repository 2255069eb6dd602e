import { OrderInspector } from './order-inspector';

export const metadata = { title: 'Orders · lastmile ops' };

export default function OpsOrdersPage() {
  return (
    <main>
      <h1>Orders</h1>
      <p className="muted">Find an order by id: its timeline, every event received, and what was refused.</p>
      <OrderInspector />
    </main>
  );
}
